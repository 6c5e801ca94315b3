package bench

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// jsimonetti: github.com/jsimonetti/rtnetlink/v2 v2.3.0, a typed rtnetlink
// layer over mdlayher/netlink: Route.ListMatch, Link.List, Link.Get,
// Route.Add/Delete and Conn.Receive. Every call decodes into its typed
// messages, so it has no raw level of its own (its raw layer is
// mdlayher/netlink, measured as mdlayher).
var jsimonettiLib = library{
	name:       "jsimonetti",
	dial:       dialJsimonetti,
	subscribe:  subscribeJsimonetti,
	concurrent: true, // calls go through mdlayher's Execute, which locks
	unsupported: func(w workload, lv level) string {
		if lv == raw && w != wNoop {
			return "rtnetlink.Conn decodes every reply into typed messages; its raw layer is mdlayher/netlink (see the mdlayher rows)"
		}
		return ""
	},
}

type jsimonettiClient struct{ c *rtnetlink.Conn }

func connectJsimonetti(tb testing.TB, n *ns.NS, groups uint32) *rtnetlink.Conn {
	tb.Helper()
	c, err := rtnetlink.Dial(&netlink.Config{NetNS: n.FD(), Groups: groups})
	if err != nil {
		tb.Fatalf("jsimonetti: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func dialJsimonetti(tb testing.TB, n *ns.NS) client {
	return jsimonettiClient{connectJsimonetti(tb, n, 0)}
}

func jsimonettiRoute(m *rtnetlink.RouteMessage) route {
	r := route{DstLen: m.DstLength, OIF: m.Attributes.OutIface, Table: m.Table}
	if m.Attributes.Table != 0 {
		r.Table = uint8(m.Attributes.Table)
	}
	r.Dst, _ = netip.AddrFromSlice(m.Attributes.Dst.To4())
	return r
}

func jsimonettiLink(m *rtnetlink.LinkMessage) link {
	l := link{Index: int32(m.Index)}
	if m.Attributes != nil {
		l.Name, l.MTU = m.Attributes.Name, m.Attributes.MTU
	}
	return l
}

func (c jsimonettiClient) routeDump(_ level, fn func(route)) (int, error) {
	rs, err := c.c.Route.ListMatch(&rtnetlink.RouteMessage{Family: unix.AF_INET})
	for i := range rs {
		fn(jsimonettiRoute(&rs[i]))
	}
	return len(rs), err
}

func (c jsimonettiClient) linkDump(_ level, fn func(link)) (int, error) {
	ls, err := c.c.Link.List()
	for i := range ls {
		fn(jsimonettiLink(&ls[i]))
	}
	return len(ls), err
}

func (c jsimonettiClient) getLink(_ level, index int32) (link, error) {
	m, err := c.c.Link.Get(uint32(index))
	if err != nil {
		return link{}, err
	}
	return jsimonettiLink(&m), nil
}

// noop abuses Conn.Execute, whose "family" argument is in fact the header
// type: the kernel acks any control message and ignores its payload (here
// an empty ifinfomsg). There is no NOOP call as such.
func (c jsimonettiClient) noop() error {
	_, err := c.c.Execute(&rtnetlink.LinkMessage{}, unix.NLMSG_NOOP, netlink.Request|netlink.Acknowledge)
	return err
}

func (c jsimonettiClient) bulk(_ level, add bool, rs []route, _ [][]byte) error {
	for _, r := range rs {
		dst := r.Dst.As4()
		m := &rtnetlink.RouteMessage{
			Family: unix.AF_INET, DstLength: r.DstLen, Table: r.Table,
			Protocol: unix.RTPROT_STATIC, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST,
			Attributes: rtnetlink.RouteAttributes{Dst: net.IP(dst[:]), OutIface: r.OIF},
		}
		var err error
		if add {
			err = c.c.Route.Add(m)
		} else {
			err = c.c.Route.Delete(m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c jsimonettiClient) close() error { return c.c.Close() }

type jsimonettiSub struct{ c *rtnetlink.Conn }

func subscribeJsimonetti(tb testing.TB, n *ns.NS, _ level, rcvbuf int) subscriber {
	if rcvbuf > 0 {
		tb.Skip("jsimonetti: rtnetlink.Conn cannot set its receive buffer (no SetReadBuffer, no access to the socket)")
	}
	return jsimonettiSub{connectJsimonetti(tb, n, 1<<(unix.RTNLGRP_IPV4_ROUTE-1))}
}

func (s jsimonettiSub) run(st *eventStats) error {
	if err := s.c.SetReadDeadline(time.Now().Add(subscriberTimeout)); err != nil {
		return err
	}
	for {
		msgs, _, err := s.c.Receive()
		if errors.Is(err, unix.ENOBUFS) {
			st.enobufs++
			continue
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if r, ok := m.(*rtnetlink.RouteMessage); ok && st.event(jsimonettiRoute(r)) {
				return nil
			}
		}
	}
}

func (s jsimonettiSub) close() error { return s.c.Close() }
