package bench

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// vishvananda: github.com/vishvananda/netlink v1.3.1. The decoded level uses
// its Handle (NewHandleAt the namespace): RouteListFilteredIter (streaming,
// every table), LinkList, LinkByIndex, RouteAdd/RouteDel and
// RouteSubscribeWithOptions. The raw level uses its nl package, the layer the
// Handle is built on: an nl.NetlinkRequest with a socket of our own
// (ExecuteIter hands over each message as bytes) and nl.SubscribeAt.
var vishvanandaLib = library{
	name:        "vishvananda",
	dial:        dialVishvananda,
	subscribe:   subscribeVishvananda,
	concurrent:  true, // a request holds its socket's lock until it is answered
	unsupported: func(workload, level) string { return "" },
}

type vishvanandaClient struct {
	h       *netlink.Handle
	sockets map[int]*nl.SocketHandle // for the raw level
}

func nsHandle(n *ns.NS) netns.NsHandle { return netns.NsHandle(n.FD()) }

func dialVishvananda(tb testing.TB, n *ns.NS) client {
	tb.Helper()
	h, err := netlink.NewHandleAt(nsHandle(n), unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatalf("vishvananda: %v", err)
	}
	tb.Cleanup(h.Close)
	s, err := nl.GetNetlinkSocketAt(nsHandle(n), netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatalf("vishvananda: %v", err)
	}
	tb.Cleanup(s.Close)
	return &vishvanandaClient{h: h, sockets: map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: s}}}
}

// request builds an nl.NetlinkRequest on the raw socket, as the Handle's
// own methods do on theirs.
func (c *vishvanandaClient) request(typ, flags int, payload []byte) *nl.NetlinkRequest {
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: uint16(typ), Flags: unix.NLM_F_REQUEST | uint16(flags)},
		Sockets:  c.sockets,
	}
	if payload != nil {
		req.AddRawData(payload)
	}
	return req
}

func vishvanandaRoute(r netlink.Route) route {
	out := route{OIF: uint32(r.LinkIndex), Table: uint8(r.Table)}
	if r.Dst != nil {
		out.Dst, _ = netip.AddrFromSlice(r.Dst.IP.To4())
		ones, _ := r.Dst.Mask.Size()
		out.DstLen = uint8(ones)
	}
	return out
}

func vishvanandaLink(l netlink.Link) link {
	a := l.Attrs()
	return link{Index: int32(a.Index), Name: a.Name, MTU: uint32(a.MTU)}
}

func (c *vishvanandaClient) routeDump(lv level, fn func(route)) (int, error) {
	n := 0
	if lv == raw {
		err := c.request(unix.RTM_GETROUTE, unix.NLM_F_DUMP, rtmsgIPv4).ExecuteIter(unix.NETLINK_ROUTE, unix.RTM_NEWROUTE, func([]byte) bool {
			n++
			return true
		})
		return n, err
	}
	// Table UNSPEC with RT_FILTER_TABLE keeps every table, as the other
	// libraries do; without a filter it would drop all but main.
	err := c.h.RouteListFilteredIter(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE, func(r netlink.Route) bool {
		n++
		fn(vishvanandaRoute(r))
		return true
	})
	return n, err
}

func (c *vishvanandaClient) linkDump(lv level, fn func(link)) (int, error) {
	if lv == raw {
		n := 0
		err := c.request(unix.RTM_GETLINK, unix.NLM_F_DUMP, ifinfoAll).ExecuteIter(unix.NETLINK_ROUTE, unix.RTM_NEWLINK, func([]byte) bool {
			n++
			return true
		})
		return n, err
	}
	links, err := c.h.LinkList()
	for _, l := range links {
		fn(vishvanandaLink(l))
	}
	return len(links), err
}

func (c *vishvanandaClient) getLink(lv level, index int32) (link, error) {
	if lv == raw {
		// No NLM_F_ACK: ExecuteIter stops at the one reply.
		got := 0
		err := c.request(unix.RTM_GETLINK, 0, ifinfo(index)).ExecuteIter(unix.NETLINK_ROUTE, unix.RTM_NEWLINK, func([]byte) bool {
			got++
			return true
		})
		if err == nil && got != 1 {
			err = errors.New("vishvananda: want one reply")
		}
		return link{}, err
	}
	l, err := c.h.LinkByIndex(int(index))
	if err != nil {
		return link{}, err
	}
	return vishvanandaLink(l), nil
}

// noop works only through the nl layer: the Handle has no call for it.
func (c *vishvanandaClient) noop() error {
	return c.request(unix.NLMSG_NOOP, unix.NLM_F_ACK, nil).ExecuteIter(unix.NETLINK_ROUTE, 0, func([]byte) bool { return true })
}

func (c *vishvanandaClient) bulk(lv level, add bool, rs []route, payloads [][]byte) error {
	typ, flags := unix.RTM_DELROUTE, unix.NLM_F_ACK
	if add {
		typ, flags = unix.RTM_NEWROUTE, flags|unix.NLM_F_CREATE|unix.NLM_F_EXCL
	}
	for i := range rs {
		var err error
		if lv == raw {
			err = c.request(typ, flags, payloads[i]).ExecuteIter(unix.NETLINK_ROUTE, 0, func([]byte) bool { return true })
		} else {
			r := rs[i]
			dst := r.Dst.As4()
			vr := &netlink.Route{
				Dst:       &net.IPNet{IP: net.IP(dst[:]), Mask: net.CIDRMask(int(r.DstLen), 32)},
				LinkIndex: int(r.OIF),
				Scope:     netlink.SCOPE_LINK,
				Protocol:  unix.RTPROT_STATIC,
				Table:     int(r.Table),
			}
			if add {
				err = c.h.RouteAdd(vr)
			} else {
				err = c.h.RouteDel(vr)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *vishvanandaClient) close() error { return nil } // closed by tb's cleanup

// vishvanandaSub is, at the decoded level, a RouteSubscribeWithOptions
// channel (unbuffered, as in the library's examples) and, at the raw level,
// an nl.SubscribeAt socket read with NetlinkSocket.Receive.
type vishvanandaSub struct {
	n      *ns.NS
	rcvbuf int
	raw    *nl.NetlinkSocket // raw level only
	// decoded level: the live subscription
	ch   chan netlink.RouteUpdate
	done chan struct{}
	errs chan error
}

var vishvanandaTimeout = unix.NsecToTimeval(subscriberTimeout.Nanoseconds())

func subscribeVishvananda(tb testing.TB, n *ns.NS, lv level, rcvbuf int) subscriber {
	tb.Helper()
	s := &vishvanandaSub{n: n, rcvbuf: rcvbuf}
	if lv == raw {
		sock, err := nl.SubscribeAt(nsHandle(n), netns.None(), unix.NETLINK_ROUTE, unix.RTNLGRP_IPV4_ROUTE)
		if err != nil {
			tb.Fatalf("vishvananda: %v", err)
		}
		tb.Cleanup(sock.Close)
		if rcvbuf > 0 {
			if err := sock.SetReceiveBufferSize(rcvbuf, true); err != nil {
				tb.Fatalf("vishvananda: %v", err)
			}
		}
		if err := sock.SetReceiveTimeout(&vishvanandaTimeout); err != nil {
			tb.Fatalf("vishvananda: %v", err)
		}
		s.raw = sock
		return s
	}
	if err := s.resubscribe(); err != nil {
		tb.Fatalf("vishvananda: %v", err)
	}
	tb.Cleanup(s.stop)
	return s
}

// resubscribe replaces the subscription with a new one. The library ends a
// subscription at its first receive error, ENOBUFS included, so a program
// that wants to keep listening has to do this.
func (s *vishvanandaSub) resubscribe() error {
	s.stop()
	h := nsHandle(s.n)
	s.ch = make(chan netlink.RouteUpdate)
	s.done = make(chan struct{})
	errs := make(chan error, 64)
	s.errs = errs
	return netlink.RouteSubscribeWithOptions(s.ch, s.done, netlink.RouteSubscribeOptions{
		Namespace:              &h,
		ReceiveBufferSize:      s.rcvbuf,
		ReceiveBufferForceSize: s.rcvbuf > 0,
		ReceiveTimeout:         &vishvanandaTimeout,
		ErrorCallback: func(err error) {
			select {
			case errs <- err:
			default:
			}
		},
	})
}

// stop ends the current subscription (closing done makes the library close
// its socket) and drains its channel so the library's goroutine can exit.
func (s *vishvanandaSub) stop() {
	if s.done == nil {
		return
	}
	close(s.done)
	go func(ch chan netlink.RouteUpdate) {
		for range ch {
		}
	}(s.ch)
	s.done = nil
}

// enobufsText is how ENOBUFS reads once the library has formatted it with
// %v, which errors.Is cannot see through.
var enobufsText = unix.ENOBUFS.Error()

func (s *vishvanandaSub) run(st *eventStats) error {
	if s.raw != nil {
		for {
			msgs, _, err := s.raw.Receive()
			if errors.Is(err, unix.ENOBUFS) {
				st.enobufs++
				continue
			}
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if t := m.Header.Type; t != unix.RTM_NEWROUTE && t != unix.RTM_DELROUTE {
					continue
				}
				if st.rawEvent(m.Data) {
					return nil
				}
			}
		}
	}
	for {
		u, ok := <-s.ch
		if ok {
			if st.event(vishvanandaRoute(u.Route)) {
				return nil
			}
			continue
		}
		// The library closed the channel after reporting an error.
		var err error
		select {
		case err = <-s.errs:
		default:
			err = errors.New("vishvananda: subscription closed without an error")
		}
		if !strings.Contains(err.Error(), enobufsText) {
			return err
		}
		st.enobufs++
		st.resubscribes++
		if err := s.resubscribe(); err != nil {
			return err
		}
	}
}

func (s *vishvanandaSub) close() error {
	s.stop()
	return nil
}
