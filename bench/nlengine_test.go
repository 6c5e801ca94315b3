package bench

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	ns "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// nlengine: engine.Conn with default options. Dumps stream with Conn.Dump,
// round trips use RequestFunc (zero-copy views), bulk uses one Batch call,
// events use the zero-copy Notifications iterator. Decoding uses nlmsg's
// DecodeRtMsg/DecodeIfInfoMsg and AttrScanner.
var nlengineLib = library{
	name:        "nlengine",
	dial:        dialNLEngine,
	subscribe:   subscribeNLEngine,
	concurrent:  true, // engine.Conn is safe for concurrent use
	unsupported: func(workload, level) string { return "" },
}

type nlengineClient struct {
	c   *engine.Conn
	ops []engine.Op // reused by bulk
	b   nlmsg.Builder
}

func connectNLEngine(tb testing.TB, n *ns.NS, opts ...engine.Option) *engine.Conn {
	tb.Helper()
	c, err := engine.Connect(context.Background(), nlmsg.FamilyRoute, append([]engine.Option{engine.WithNetNSFD(n.FD())}, opts...)...)
	if err != nil {
		tb.Fatalf("nlengine: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func dialNLEngine(tb testing.TB, n *ns.NS) client {
	return &nlengineClient{c: connectNLEngine(tb, n)}
}

func nlengineRoute(v nlmsg.View) (route, error) {
	h, rest, err := nlmsg.DecodeRtMsg(v.Payload())
	if err != nil {
		return route{}, err
	}
	r := route{DstLen: h.DstLen, Table: h.Table}
	s := nlmsg.NewAttrScanner(rest)
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case unix.RTA_DST:
			if d := a.Data(); len(d) == 4 {
				r.Dst = netip.AddrFrom4([4]byte(d))
			}
		case unix.RTA_OIF:
			r.OIF, _ = a.Uint32()
		case unix.RTA_TABLE:
			if t, err := a.Uint32(); err == nil {
				r.Table = uint8(t)
			}
		}
	}
	return r, s.Err()
}

func nlengineLink(v nlmsg.View) (link, error) {
	h, rest, err := nlmsg.DecodeIfInfoMsg(v.Payload())
	if err != nil {
		return link{}, err
	}
	l := link{Index: h.Index}
	s := nlmsg.NewAttrScanner(rest)
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case nlmsg.IFLAIfName:
			l.Name = a.String()
		case nlmsg.IFLAMTU:
			l.MTU, _ = a.Uint32()
		}
	}
	return l, s.Err()
}

func (c *nlengineClient) routeDump(lv level, fn func(route)) (int, error) {
	n := 0
	for v, err := range c.c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4, 0) {
		if err != nil {
			return n, err
		}
		n++
		if lv == decoded {
			r, err := nlengineRoute(v)
			if err != nil {
				return n, err
			}
			fn(r)
		}
	}
	return n, nil
}

var ifinfoAll = ifinfo(0)

func (c *nlengineClient) linkDump(lv level, fn func(link)) (int, error) {
	n := 0
	for v, err := range c.c.Dump(context.Background(), unix.RTM_GETLINK, ifinfoAll, 0) {
		if err != nil {
			return n, err
		}
		n++
		if lv == decoded {
			l, err := nlengineLink(v)
			if err != nil {
				return n, err
			}
			fn(l)
		}
	}
	return n, nil
}

func (c *nlengineClient) getLink(lv level, index int32) (link, error) {
	var req [ifinfoLen]byte
	ne.PutUint32(req[4:], uint32(index))
	var l link
	err := c.c.RequestFunc(context.Background(), unix.RTM_GETLINK, req[:], 0, func(v nlmsg.View) error {
		if lv == raw {
			return nil
		}
		var err error
		l, err = nlengineLink(v)
		return err
	})
	return l, err
}

func (c *nlengineClient) noop() error { return c.c.Noop(context.Background()) }

func (c *nlengineClient) bulk(lv level, add bool, rs []route, payloads [][]byte) error {
	typ, flags := nlmsg.Type(unix.RTM_DELROUTE), nlmsg.Flags(0)
	if add {
		typ, flags = unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl
	}
	if lv == raw {
		c.ops = c.ops[:0]
		for _, p := range payloads {
			c.ops = append(c.ops, engine.Op{Type: typ, Flags: flags, Payload: p})
		}
		return c.c.Batch(context.Background(), c.ops)
	}
	// Encode every route back to back in one Builder, then cut the payloads
	// out of its buffer once it stops growing.
	c.b.Reset()
	ends := make([]int, len(rs))
	for i, r := range rs {
		nlmsg.AppendFamilyHeader(&c.b, nlmsg.RtMsg{
			Family: unix.AF_INET, DstLen: r.DstLen, Table: r.Table,
			Protocol: unix.RTPROT_STATIC, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST,
		})
		dst := r.Dst.As4()
		c.b.Attr(unix.RTA_DST, dst[:])
		c.b.Uint32(unix.RTA_OIF, r.OIF)
		ends[i] = c.b.Len()
	}
	buf := c.b.Bytes()
	c.ops = c.ops[:0]
	start := 0
	for _, end := range ends {
		c.ops = append(c.ops, engine.Op{Type: typ, Flags: flags, Payload: buf[start:end]})
		start = end
	}
	return c.c.Batch(context.Background(), c.ops)
}

func (c *nlengineClient) close() error {
	c.b.Release()
	return c.c.Close()
}

type nlengineSub struct {
	c  *engine.Conn
	lv level
}

func subscribeNLEngine(tb testing.TB, n *ns.NS, lv level, rcvbuf int) subscriber {
	opts := []engine.Option{engine.WithGroups(unix.RTNLGRP_IPV4_ROUTE)}
	if rcvbuf > 0 {
		opts = append(opts, engine.WithReceiveBuffer(rcvbuf))
	}
	return nlengineSub{connectNLEngine(tb, n, opts...), lv}
}

func (s nlengineSub) run(st *eventStats) error {
	lv := s.lv
	ctx, cancel := context.WithTimeout(context.Background(), subscriberTimeout)
	defer cancel()
	for v, err := range s.c.Notifications(ctx) {
		switch {
		case errors.Is(err, unix.ENOBUFS):
			st.enobufs++
			continue
		case errors.Is(err, engine.ErrOverrun):
			st.overruns++
			continue
		case err != nil:
			return err
		}
		if t := v.Type(); t != unix.RTM_NEWROUTE && t != unix.RTM_DELROUTE {
			continue
		}
		if lv == raw {
			if st.rawEvent(v.Payload()) {
				return nil
			}
			continue
		}
		r, err := nlengineRoute(v)
		if err != nil {
			return err
		}
		if st.event(r) {
			return nil
		}
	}
	return errors.New("nlengine: notifications ended")
}

func (s nlengineSub) close() error { return s.c.Close() }
