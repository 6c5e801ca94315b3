package bench

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// floor is the baseline: one blocking NETLINK_ROUTE socket driven with
// sendto/recvfrom into one reused 64 KiB buffer (above the kernel's ~32 KiB
// dump chunk), no library, no socket options, one request at a time. Bulk
// changes go 64 requests to a datagram with the acks read by recvmmsg. It is
// what a careful hand-written program does; a library can hardly beat it.
// Not safe for concurrent use.
type floor struct {
	fd  int
	seq uint32
	buf []byte // receive buffer, reused by every call
	req []byte // request encoding buffer, reused
	sa  unix.SockaddrNetlink

	// recvmmsg state for bulk, allocated once.
	ackBufs [][]byte
	iovs    []unix.Iovec
	msgs    []unix.Mmsghdr
}

// floorPerDatagram is how many requests bulk packs into one datagram. 64
// acks of ~700 bytes of skb each stay well inside the default receive buffer.
const floorPerDatagram = 64

// newFloor opens a floor socket inside n. rcvbuf > 0 sets SO_RCVBUFFORCE;
// groups are joined with NETLINK_ADD_MEMBERSHIP. The socket is closed by
// tb's cleanup.
func newFloor(tb testing.TB, n *ns.NS, rcvbuf int, groups ...int) *floor {
	tb.Helper()
	fd, err := n.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
			tb.Fatalf("SO_RCVBUFFORCE: %v", err)
		}
	}
	for _, g := range groups {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g); err != nil {
			tb.Fatalf("NETLINK_ADD_MEMBERSHIP %d: %v", g, err)
		}
	}
	f := &floor{fd: fd, buf: make([]byte, 64<<10), sa: unix.SockaddrNetlink{Family: unix.AF_NETLINK}}
	f.ackBufs = make([][]byte, floorPerDatagram)
	f.iovs = make([]unix.Iovec, floorPerDatagram)
	f.msgs = make([]unix.Mmsghdr, floorPerDatagram)
	for i := range f.ackBufs {
		// An ack is 36 bytes; an error ack without NETLINK_CAP_ACK echoes
		// the request (under 100 bytes here).
		f.ackBufs[i] = make([]byte, 1024)
		f.iovs[i] = unix.Iovec{Base: &f.ackBufs[i][0]}
		f.iovs[i].SetLen(len(f.ackBufs[i]))
		f.msgs[i].Hdr.Iov = &f.iovs[i]
		f.msgs[i].Hdr.Iovlen = 1
	}
	return f
}

// appendHeader appends an nlmsghdr for a message with payload length plen.
func (f *floor) appendHeader(b []byte, typ, flags uint16, plen int) []byte {
	f.seq++
	b = ne.AppendUint32(b, uint32(nlmsgHdrLen+plen))
	b = ne.AppendUint16(b, typ)
	b = ne.AppendUint16(b, flags|unix.NLM_F_REQUEST)
	b = ne.AppendUint32(b, f.seq)
	return ne.AppendUint32(b, 0) // the kernel fills in our port id
}

// recv reads one datagram into f.buf with recvfrom(2). It asks for no
// source address: x/sys/unix's Recvfrom would allocate one per call, and
// only the kernel (port 0) can send to this unbound-to-anyone socket.
func (f *floor) recv() (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(n), nil
	}
}

func (f *floor) send(typ, flags uint16, payload []byte) error {
	f.req = f.appendHeader(f.req[:0], typ, flags, len(payload))
	f.req = append(f.req, payload...)
	return unix.Sendto(f.fd, f.req, 0, &f.sa)
}

// errnoOf reads the int error of an NLMSG_ERROR or NLMSG_DONE payload.
func errnoOf(p []byte) error {
	if len(p) < 4 {
		return nil
	}
	if e := int32(ne.Uint32(p)); e != 0 {
		return syscall.Errno(-e)
	}
	return nil
}

// each calls fn for every message in a datagram with its type and payload,
// stopping early when fn returns true (the end of a reply).
func each(dg []byte, fn func(typ uint16, p []byte) (stop bool, err error)) (bool, error) {
	for len(dg) >= nlmsgHdrLen {
		l := int(ne.Uint32(dg))
		if l < nlmsgHdrLen || l > len(dg) {
			return true, fmt.Errorf("bad nlmsg length %d", l)
		}
		stop, err := fn(ne.Uint16(dg[4:]), dg[nlmsgHdrLen:l])
		if stop || err != nil {
			return true, err
		}
		dg = dg[min(align4(l), len(dg)):]
	}
	return false, nil
}

// roundTrip sends one request with NLM_F_ACK and reads until its ack,
// calling fn (if not nil) with the payload of every other message. The
// payload is valid only during fn.
func (f *floor) roundTrip(typ, flags uint16, payload []byte, fn func(p []byte) error) error {
	if err := f.send(typ, flags|unix.NLM_F_ACK, payload); err != nil {
		return err
	}
	for {
		n, err := f.recv()
		if err != nil {
			return err
		}
		stop, err := each(f.buf[:n], func(t uint16, p []byte) (bool, error) {
			switch t {
			case unix.NLMSG_ERROR, unix.NLMSG_DONE:
				return true, errnoOf(p)
			case unix.NLMSG_NOOP:
				return false, nil
			}
			if fn != nil {
				return false, fn(p)
			}
			return false, nil
		})
		if stop {
			return err
		}
	}
}

// single sends one request without NLM_F_ACK and reads the one datagram
// that answers it (the reply, or an NLMSG_ERROR), calling fn with each
// reply message's payload: for a GET of one object, the fewest syscalls.
func (f *floor) single(typ uint16, payload []byte, fn func(p []byte) error) error {
	if err := f.send(typ, 0, payload); err != nil {
		return err
	}
	n, err := f.recv()
	if err != nil {
		return err
	}
	_, err = each(f.buf[:n], func(t uint16, p []byte) (bool, error) {
		if t == unix.NLMSG_ERROR {
			return true, errnoOf(p)
		}
		if fn != nil {
			return false, fn(p)
		}
		return false, nil
	})
	return err
}

// dump runs a dump request, calling fn (if not nil) with each message's
// payload, and returns how many messages there were.
func (f *floor) dump(typ uint16, payload []byte, fn func(p []byte) error) (int, error) {
	if err := f.send(typ, unix.NLM_F_DUMP, payload); err != nil {
		return 0, err
	}
	count := 0
	for {
		n, err := f.recv()
		if err != nil {
			return count, err
		}
		stop, err := each(f.buf[:n], func(t uint16, p []byte) (bool, error) {
			switch t {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				return true, errnoOf(p)
			}
			count++
			if fn != nil {
				return false, fn(p)
			}
			return false, nil
		})
		if stop {
			return count, err
		}
	}
}

// bulk sends n requests of type typ with NLM_F_ACK, floorPerDatagram to a
// datagram, encoding the i-th payload with enc, and reads the acks with
// recvmmsg. It returns the first failure after all acks are in.
func (f *floor) bulk(typ, flags uint16, n int, enc func(b []byte, i int) []byte) error {
	var first error
	for start := 0; start < n; start += floorPerDatagram {
		end := min(start+floorPerDatagram, n)
		dg := f.req[:0]
		for i := start; i < end; i++ {
			at := len(dg)
			dg = f.appendHeader(dg, typ, flags|unix.NLM_F_ACK, 0)
			dg = enc(dg, i)
			ne.PutUint32(dg[at:], uint32(len(dg)-at))
			for len(dg)%4 != 0 {
				dg = append(dg, 0)
			}
		}
		f.req = dg
		if err := unix.Sendto(f.fd, dg, 0, &f.sa); err != nil {
			return err
		}
		for want := end - start; want > 0; {
			got, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(f.fd), uintptr(unsafe.Pointer(&f.msgs[0])), uintptr(want), 0, 0, 0)
			if e != 0 {
				if e == unix.EINTR {
					continue
				}
				return e
			}
			for i := range int(got) {
				b := f.ackBufs[i][:f.msgs[i].Len]
				if len(b) >= nlmsgHdrLen+4 && ne.Uint16(b[4:]) == unix.NLMSG_ERROR && first == nil {
					first = errnoOf(b[nlmsgHdrLen:])
				}
			}
			want -= int(got)
		}
	}
	return first
}

// addRoutes adds rs in the main table with the floor's bulk path; used to
// fill namespaces outside the timer.
func (f *floor) addRoutes(rs []route) error {
	return f.bulk(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, len(rs), func(b []byte, i int) []byte {
		return appendRoutePayload(b, rs[i])
	})
}

// delRoutes deletes rs with the floor's bulk path.
func (f *floor) delRoutes(rs []route) error {
	return f.bulk(unix.RTM_DELROUTE, 0, len(rs), func(b []byte, i int) []byte {
		return appendRoutePayload(b, rs[i])
	})
}

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h), missing from x/sys/unix.
const vethInfoPeer = 1

// vethGroup is the device group (IFLA_GROUP) of the benchmark's veths, so
// that one request deletes them all.
const vethGroup = 7

// addVeths creates pairs veth pairs v<i> <-> p<i>, left down, in device
// group vethGroup, in batches.
func (f *floor) addVeths(pairs int) error {
	group := ne.AppendUint32(nil, vethGroup)
	return f.bulk(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, pairs, func(b []byte, i int) []byte {
		b = append(b, make([]byte, ifinfoLen)...)
		b = appendAttr(b, unix.IFLA_IFNAME, append([]byte(fmt.Sprintf("v%d", i)), 0))
		b = appendAttr(b, unix.IFLA_GROUP, group)
		peer := make([]byte, ifinfoLen)
		peer = appendAttr(peer, unix.IFLA_IFNAME, append([]byte(fmt.Sprintf("p%d", i)), 0))
		peer = appendAttr(peer, unix.IFLA_GROUP, group)
		data := appendAttr(nil, vethInfoPeer, peer)
		info := appendAttr(nil, unix.IFLA_INFO_KIND, []byte("veth"))
		info = appendAttr(info, unix.IFLA_INFO_DATA, data)
		return appendAttr(b, unix.IFLA_LINKINFO|unix.NLA_F_NESTED, info)
	})
}

// delVeths deletes every link of group vethGroup with one RTM_DELLINK: the
// kernel then unregisters them as one batch, which is far quicker than one
// request per link (each of which waits for an RCU grace period).
func (f *floor) delVeths() error {
	req := appendAttr(make([]byte, ifinfoLen), unix.IFLA_GROUP, ne.AppendUint32(nil, vethGroup))
	return f.roundTrip(unix.RTM_DELLINK, 0, req, nil)
}

// floorClient runs the workloads on a floor socket.
type floorClient struct{ f *floor }

func dialFloor(tb testing.TB, n *ns.NS) client { return floorClient{newFloor(tb, n, 0)} }

func (c floorClient) routeDump(lv level, fn func(route)) (int, error) {
	if lv == raw {
		return c.f.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
	}
	return c.f.dump(unix.RTM_GETROUTE, rtmsgIPv4, func(p []byte) error {
		r, err := plainRoute(p)
		fn(r)
		return err
	})
}

func (c floorClient) linkDump(lv level, fn func(link)) (int, error) {
	if lv == raw {
		return c.f.dump(unix.RTM_GETLINK, ifinfo(0), nil)
	}
	return c.f.dump(unix.RTM_GETLINK, ifinfo(0), func(p []byte) error {
		l, err := plainLink(p)
		fn(l)
		return err
	})
}

func (c floorClient) getLink(lv level, index int32) (link, error) {
	var l link
	var req [ifinfoLen]byte
	ne.PutUint32(req[4:], uint32(index))
	// No NLM_F_ACK: the reply itself says the request is over, so one
	// recvfrom suffices.
	if lv == raw {
		return l, c.f.single(unix.RTM_GETLINK, req[:], nil)
	}
	err := c.f.single(unix.RTM_GETLINK, req[:], func(p []byte) error {
		var err error
		l, err = plainLink(p)
		return err
	})
	return l, err
}

func (c floorClient) noop() error { return c.f.roundTrip(unix.NLMSG_NOOP, 0, nil, nil) }

func (c floorClient) bulk(lv level, add bool, rs []route, payloads [][]byte) error {
	typ, flags := uint16(unix.RTM_DELROUTE), uint16(0)
	if add {
		typ, flags = unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL
	}
	if lv == raw {
		return c.f.bulk(typ, flags, len(payloads), func(b []byte, i int) []byte { return append(b, payloads[i]...) })
	}
	return c.f.bulk(typ, flags, len(rs), func(b []byte, i int) []byte { return appendRoutePayload(b, rs[i]) })
}

func (floorClient) close() error { return nil } // the socket closes with tb

// floorSub is a floor socket that joined RTNLGRP_IPV4_ROUTE.
type floorSub struct {
	f  *floor
	lv level
}

func subscribeFloor(tb testing.TB, n *ns.NS, lv level, rcvbuf int) subscriber {
	f := newFloor(tb, n, rcvbuf, unix.RTNLGRP_IPV4_ROUTE)
	tv := unix.NsecToTimeval(subscriberTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(f.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		tb.Fatal(err)
	}
	return floorSub{f, lv}
}

func (s floorSub) run(st *eventStats) error {
	lv := s.lv
	for {
		n, err := s.f.recv()
		if errors.Is(err, unix.ENOBUFS) {
			st.enobufs++
			continue
		}
		if err != nil {
			return err
		}
		done := false
		_, err = each(s.f.buf[:n], func(t uint16, p []byte) (bool, error) {
			if t != unix.RTM_NEWROUTE && t != unix.RTM_DELROUTE {
				return false, nil
			}
			if lv == raw {
				done = st.rawEvent(p)
				return done, nil
			}
			r, err := plainRoute(p)
			done = st.event(r)
			return done, err
		})
		if done || err != nil {
			return err
		}
	}
}

func (floorSub) close() error { return nil }
