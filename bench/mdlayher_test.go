package bench

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// mdlayher: github.com/mdlayher/netlink with its default Config (so each
// receive first peeks the datagram's size). Dumps use Send and the
// streaming ReceiveIter (its cheapest path: no slice of every message);
// request/reply uses Execute, the only call that is safe for concurrent use
// and matches the reply to the request. Decoding uses its AttributeDecoder,
// encoding its AttributeEncoder.
var mdlayherLib = library{
	name:        "mdlayher",
	dial:        dialMdlayher,
	subscribe:   subscribeMdlayher,
	concurrent:  true, // Execute holds the Conn's lock for the round trip
	unsupported: func(workload, level) string { return "" },
}

type mdlayherClient struct{ c *netlink.Conn }

func connectMdlayher(tb testing.TB, n *ns.NS) *netlink.Conn {
	tb.Helper()
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: n.FD()})
	if err != nil {
		tb.Fatalf("mdlayher: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func dialMdlayher(tb testing.TB, n *ns.NS) client { return mdlayherClient{connectMdlayher(tb, n)} }

func mdlayherRoute(data []byte) (route, error) {
	if len(data) < rtmsgLen {
		return route{}, errShort
	}
	r := route{DstLen: data[1], Table: data[4]}
	ad, err := netlink.NewAttributeDecoder(data[rtmsgLen:])
	if err != nil {
		return r, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.RTA_DST:
			if b := ad.Bytes(); len(b) == 4 {
				r.Dst = netip.AddrFrom4([4]byte(b))
			}
		case unix.RTA_OIF:
			r.OIF = ad.Uint32()
		case unix.RTA_TABLE:
			r.Table = uint8(ad.Uint32())
		}
	}
	return r, ad.Err()
}

func mdlayherLink(data []byte) (link, error) {
	if len(data) < ifinfoLen {
		return link{}, errShort
	}
	l := link{Index: int32(ne.Uint32(data[4:]))}
	ad, err := netlink.NewAttributeDecoder(data[ifinfoLen:])
	if err != nil {
		return l, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_IFNAME:
			l.Name = ad.String()
		case unix.IFLA_MTU:
			l.MTU = ad.Uint32()
		}
	}
	return l, ad.Err()
}

// dump sends a dump request and streams its messages to fn.
func (c mdlayherClient) dump(typ netlink.HeaderType, payload []byte, fn func(data []byte) error) (int, error) {
	_, err := c.c.Send(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Dump},
		Data:   payload,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for m, err := range c.c.ReceiveIter() {
		if err != nil {
			return n, err
		}
		n++
		if fn != nil {
			if err := fn(m.Data); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (c mdlayherClient) routeDump(lv level, fn func(route)) (int, error) {
	if lv == raw {
		return c.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
	}
	return c.dump(unix.RTM_GETROUTE, rtmsgIPv4, func(data []byte) error {
		r, err := mdlayherRoute(data)
		fn(r)
		return err
	})
}

func (c mdlayherClient) linkDump(lv level, fn func(link)) (int, error) {
	if lv == raw {
		return c.dump(unix.RTM_GETLINK, ifinfoAll, nil)
	}
	return c.dump(unix.RTM_GETLINK, ifinfoAll, func(data []byte) error {
		l, err := mdlayherLink(data)
		fn(l)
		return err
	})
}

func (c mdlayherClient) getLink(lv level, index int32) (link, error) {
	// NB: no Acknowledge: Execute reads one reply, and a separate ack
	// datagram would be left for the next call to trip over.
	msgs, err := c.c.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request},
		Data:   ifinfo(index),
	})
	if err != nil || lv == raw {
		return link{}, err
	}
	if len(msgs) != 1 {
		return link{}, errors.New("mdlayher: want one reply")
	}
	return mdlayherLink(msgs[0].Data)
}

func (c mdlayherClient) noop() error {
	_, err := c.c.Execute(netlink.Message{Header: netlink.Header{Type: netlink.Noop, Flags: netlink.Request | netlink.Acknowledge}})
	return err
}

func (c mdlayherClient) bulk(lv level, add bool, rs []route, payloads [][]byte) error {
	typ, flags := netlink.HeaderType(unix.RTM_DELROUTE), netlink.Request|netlink.Acknowledge
	if add {
		typ, flags = unix.RTM_NEWROUTE, flags|netlink.Create|netlink.Excl
	}
	for i := range rs {
		var p []byte
		if lv == raw {
			p = payloads[i]
		} else {
			r := rs[i]
			ae := netlink.NewAttributeEncoder()
			dst := r.Dst.As4()
			ae.Bytes(unix.RTA_DST, dst[:])
			ae.Uint32(unix.RTA_OIF, r.OIF)
			attrs, err := ae.Encode()
			if err != nil {
				return err
			}
			p = append([]byte{unix.AF_INET, r.DstLen, 0, 0, r.Table, unix.RTPROT_STATIC, unix.RT_SCOPE_LINK, unix.RTN_UNICAST, 0, 0, 0, 0}, attrs...)
		}
		if _, err := c.c.Execute(netlink.Message{Header: netlink.Header{Type: typ, Flags: flags}, Data: p}); err != nil {
			return err
		}
	}
	return nil
}

func (c mdlayherClient) close() error { return c.c.Close() }

type mdlayherSub struct {
	c  *netlink.Conn
	lv level
}

func subscribeMdlayher(tb testing.TB, n *ns.NS, lv level, rcvbuf int) subscriber {
	c := connectMdlayher(tb, n)
	if err := c.JoinGroup(unix.RTNLGRP_IPV4_ROUTE); err != nil {
		tb.Fatalf("mdlayher: join: %v", err)
	}
	if rcvbuf > 0 {
		if err := c.SetReadBuffer(rcvbuf); err != nil {
			tb.Fatalf("mdlayher: rcvbuf: %v", err)
		}
	}
	return mdlayherSub{c, lv}
}

func (s mdlayherSub) run(st *eventStats) error {
	lv := s.lv
	if err := s.c.SetReadDeadline(time.Now().Add(subscriberTimeout)); err != nil {
		return err
	}
	for {
		for m, err := range s.c.ReceiveIter() {
			if errors.Is(err, unix.ENOBUFS) {
				st.enobufs++
				break
			}
			if err != nil {
				return err
			}
			if t := m.Header.Type; t != unix.RTM_NEWROUTE && t != unix.RTM_DELROUTE {
				continue
			}
			if lv == raw {
				if st.rawEvent(m.Data) {
					return nil
				}
				continue
			}
			r, err := mdlayherRoute(m.Data)
			if err != nil {
				return err
			}
			if st.event(r) {
				return nil
			}
		}
	}
}

func (s mdlayherSub) close() error { return s.c.Close() }
