//go:build linux

package netnstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// ifOperUp is IF_OPER_UP from linux/if.h (RFC 2863 operational state "up").
const ifOperUp = 6

// vethInfoPeer is VETH_INFO_PEER from linux/veth.h, which x/sys/unix does not
// define: the attribute inside IFLA_INFO_DATA that describes the peer end.
const vethInfoPeer = 1

// rtconn is a minimal NETLINK_ROUTE client for the helpers in this package.
// It lives in the network namespace of the thread that called dialRoute (a
// netlink socket's namespace is fixed when it is created). Not safe for
// concurrent use; one request is in flight at a time.
type rtconn struct {
	fd  int
	seq uint32
	buf []byte
}

// dialRoute opens a NETLINK_ROUTE socket in the calling thread's network
// namespace. Extended acks are asked for so that errors carry the kernel's
// explanation; capped acks keep error replies small.
func dialRoute() (*rtconn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netnstest: socket(NETLINK_ROUTE): %w", err)
	}
	// Both options are best effort: without them errors lose their text, nothing more.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	// 64 KiB is above the kernel's ~32 KiB dump chunk, so a datagram never truncates.
	return &rtconn{fd: fd, buf: make([]byte, 64<<10)}, nil
}

func (c *rtconn) close() { unix.Close(c.fd) }

// nlmsg is one reply message.
type nlmsg struct {
	typ  uint16
	data []byte // payload after the nlmsghdr; a copy, not the receive buffer
}

// execute sends one request and collects its replies. For a dump
// (NLM_F_DUMP in flags) it reads until NLMSG_DONE; otherwise it asks for an
// ack and reads until it. Returned payloads are copies owned by the caller.
//
// NB: an error reported by the kernel wraps its errno (errors.Is(err,
// unix.ENODEV) works) and carries the extended-ack text when there is one.
func (c *rtconn) execute(op string, typ, flags uint16, body []byte) ([]nlmsg, error) {
	dump := flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	flags |= unix.NLM_F_REQUEST
	if !dump {
		flags |= unix.NLM_F_ACK
	}
	c.seq++
	req := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	req = append(req, body...)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:4], uint32(len(req)))
	ne.PutUint16(req[4:6], typ)
	ne.PutUint16(req[6:8], flags)
	ne.PutUint32(req[8:12], c.seq)
	// nlmsg_pid 0: the kernel fills in our port id.
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netnstest: %s: send: %w", op, err)
	}

	var out []nlmsg
	for {
		n, from, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_TRUNC)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, fmt.Errorf("netnstest: %s: receive: %w", op, err)
		}
		if n > len(c.buf) {
			return nil, fmt.Errorf("netnstest: %s: reply of %d bytes truncated to %d", op, n, len(c.buf))
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		b := c.buf[:n]
		for len(b) >= unix.SizeofNlMsghdr {
			l := int(ne.Uint32(b[0:4]))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return nil, fmt.Errorf("netnstest: %s: malformed reply header (len %d of %d)", op, l, len(b))
			}
			mtyp, mflags, mseq := ne.Uint16(b[4:6]), ne.Uint16(b[6:8]), ne.Uint32(b[8:12])
			payload := b[unix.SizeofNlMsghdr:l]
			b = b[min(nlAlign(l), len(b)):]
			if mseq != c.seq {
				continue // a stale reply; there are no notifications on an unbound socket
			}
			switch mtyp {
			case unix.NLMSG_ERROR:
				if err := ackError(mflags, payload); err != nil {
					return nil, fmt.Errorf("netnstest: %s: %w", op, err)
				}
				return out, nil
			case unix.NLMSG_DONE:
				if len(payload) >= 4 {
					if errno := int32(ne.Uint32(payload[:4])); errno != 0 {
						return nil, fmt.Errorf("netnstest: %s: %w", op, unix.Errno(-errno))
					}
				}
				return out, nil
			default:
				out = append(out, nlmsg{typ: mtyp, data: append([]byte(nil), payload...)})
			}
		}
	}
}

// ackError decodes an NLMSG_ERROR payload: nil for an ack, otherwise the errno
// wrapped together with the extended-ack message when the kernel sent one.
func ackError(flags uint16, p []byte) error {
	ne := binary.NativeEndian
	if len(p) < 4 {
		return errors.New("short NLMSG_ERROR")
	}
	errno := int32(ne.Uint32(p[:4]))
	if errno == 0 {
		return nil
	}
	err := error(unix.Errno(-errno))
	if flags&unix.NLM_F_ACK_TLVS == 0 || len(p) < 4+unix.SizeofNlMsghdr {
		return err
	}
	// The TLVs follow the echoed request: just its header when capped,
	// the whole request otherwise.
	off := 4 + unix.SizeofNlMsghdr
	if flags&unix.NLM_F_CAPPED == 0 {
		off = 4 + nlAlign(int(ne.Uint32(p[4:8])))
	}
	for a := p[min(off, len(p)):]; len(a) >= unix.SizeofRtAttr; {
		l := int(ne.Uint16(a[0:2]))
		if l < unix.SizeofRtAttr || l > len(a) {
			break
		}
		if ne.Uint16(a[2:4]) == unix.NLMSGERR_ATTR_MSG {
			return fmt.Errorf("%w (%s)", err, cstring(a[unix.SizeofRtAttr:l]))
		}
		a = a[min(nlAlign(l), len(a)):]
	}
	return err
}

// cstring trims the NUL terminators of a string attribute.
func cstring(b []byte) string {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

func nlAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// msgBuilder appends a fixed family header and route attributes to a request body.
type msgBuilder struct{ b []byte }

// attr appends one attribute, padded to the 4-byte boundary.
func (m *msgBuilder) attr(typ uint16, data []byte) {
	m.b = binary.NativeEndian.AppendUint16(m.b, uint16(unix.SizeofRtAttr+len(data)))
	m.b = binary.NativeEndian.AppendUint16(m.b, typ)
	m.b = append(m.b, data...)
	m.pad()
}

// str appends a NUL-terminated string attribute, as the kernel's NLA_STRING expects.
func (m *msgBuilder) str(typ uint16, s string) {
	m.attr(typ, append([]byte(s), 0))
}

// nest appends an attribute whose payload is whatever fn appends; the length
// is patched in afterwards.
func (m *msgBuilder) nest(typ uint16, fn func()) {
	start := len(m.b)
	m.b = append(m.b, 0, 0, 0, 0)
	binary.NativeEndian.PutUint16(m.b[start+2:], typ)
	fn()
	binary.NativeEndian.PutUint16(m.b[start:], uint16(len(m.b)-start))
	m.pad()
}

func (m *msgBuilder) pad() {
	for len(m.b)%unix.RTA_ALIGNTO != 0 {
		m.b = append(m.b, 0)
	}
}

// ifinfomsg appends a struct ifinfomsg.
func (m *msgBuilder) ifinfomsg(index int32, flags, change uint32) {
	ne := binary.NativeEndian
	m.b = append(m.b, unix.AF_UNSPEC, 0) // family, pad
	m.b = ne.AppendUint16(m.b, 0)        // type
	m.b = ne.AppendUint32(m.b, uint32(index))
	m.b = ne.AppendUint32(m.b, flags)
	m.b = ne.AppendUint32(m.b, change)
}

// linkInfo is what the helpers need to know about one link.
type linkInfo struct {
	index     int
	flags     uint32
	name      string
	operstate uint8  // IFLA_OPERSTATE
	qdisc     string // IFLA_QDISC: "noop" until the kernel activates the link's queues
}

// ready reports whether traffic can flow on the link: it is up, the kernel's
// link watcher has seen its carrier (operstate UP) and attached a real qdisc.
// Until then packets routed over it, even to its own IPv6 address, are dropped.
func (li linkInfo) ready() bool {
	return li.flags&unix.IFF_UP != 0 && li.operstate == ifOperUp && li.qdisc != "noop"
}

// parseLink decodes an RTM_NEWLINK payload.
func parseLink(p []byte) (linkInfo, bool) {
	if len(p) < unix.SizeofIfInfomsg {
		return linkInfo{}, false
	}
	ne := binary.NativeEndian
	li := linkInfo{index: int(int32(ne.Uint32(p[4:8]))), flags: ne.Uint32(p[8:12])}
	for a := p[unix.SizeofIfInfomsg:]; len(a) >= unix.SizeofRtAttr; {
		l := int(ne.Uint16(a[0:2]))
		if l < unix.SizeofRtAttr || l > len(a) {
			break
		}
		v := a[unix.SizeofRtAttr:l]
		switch ne.Uint16(a[2:4]) &^ unix.NLA_F_NESTED {
		case unix.IFLA_IFNAME:
			li.name = cstring(v)
		case unix.IFLA_QDISC:
			li.qdisc = cstring(v)
		case unix.IFLA_OPERSTATE:
			if len(v) > 0 {
				li.operstate = v[0]
			}
		}
		a = a[min(nlAlign(l), len(a)):]
	}
	return li, true
}

// getLink looks one link up by name in the connection's namespace.
// A missing link is an error wrapping unix.ENODEV.
func (c *rtconn) getLink(name string) (linkInfo, error) {
	var m msgBuilder
	m.ifinfomsg(0, 0, 0)
	m.str(unix.IFLA_IFNAME, name)
	msgs, err := c.execute("RTM_GETLINK "+name, unix.RTM_GETLINK, 0, m.b)
	if err != nil {
		return linkInfo{}, err
	}
	for _, msg := range msgs {
		if msg.typ != unix.RTM_NEWLINK {
			continue
		}
		if li, ok := parseLink(msg.data); ok {
			return li, nil
		}
	}
	return linkInfo{}, fmt.Errorf("netnstest: RTM_GETLINK %s: no link in reply", name)
}

// setLinkUp sets IFF_UP on the named link, leaving its other flags alone.
func (c *rtconn) setLinkUp(name string) error {
	var m msgBuilder
	m.ifinfomsg(0, unix.IFF_UP, unix.IFF_UP)
	m.str(unix.IFLA_IFNAME, name)
	_, err := c.execute("set "+name+" up", unix.RTM_NEWLINK, 0, m.b)
	return err
}

// settleTimeout bounds the wait for the kernel to finish a change in the
// background, so a kernel that never reports it fails the test instead of
// hanging it. Both waits here normally take milliseconds.
const settleTimeout = 10 * time.Second

// settle runs change and then waits until done reports true, re-checking after
// each notification from the given rtnetlink multicast groups. Some changes
// complete after the kernel has acked them (a veth's carrier, an IPv6 address's
// local route), and traffic sent before that is lost.
func (c *rtconn) settle(groups uint32, change func() error, done func() (ok bool, state string, err error)) error {
	// Subscribe before changing anything, so no notification can be missed
	// between a check and the wait.
	w, err := dialRoute()
	if err != nil {
		return err
	}
	defer w.close()
	if err := unix.Bind(w.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		return fmt.Errorf("netnstest: subscribe to groups %#x: %w", groups, err)
	}
	tv := unix.NsecToTimeval(settleTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(w.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("netnstest: SO_RCVTIMEO: %w", err)
	}
	if err := change(); err != nil {
		return err
	}
	for {
		ok, state, err := done()
		if err != nil || ok {
			return err
		}
		_, _, err = unix.Recvfrom(w.fd, w.buf, 0)
		switch {
		case err == nil, errors.Is(err, unix.EINTR), errors.Is(err, unix.ENOBUFS):
			// Something changed (ENOBUFS: many things did); look again.
		case errors.Is(err, unix.EAGAIN):
			return fmt.Errorf("netnstest: not settled after %v: %s", settleTimeout, state)
		default:
			return fmt.Errorf("netnstest: waiting for %s: %w", state, err)
		}
	}
}

// addVeth creates a veth pair and brings both ends up, returning once both
// are ready. NB: IFF_UP cannot ride in the create request for the peer: the
// kernel opens the peer before it is linked to its other end, and veth_open
// then fails with ENOTCONN.
func (c *rtconn) addVeth(name, peer string) error {
	var m msgBuilder
	m.ifinfomsg(0, 0, 0)
	m.str(unix.IFLA_IFNAME, name)
	m.nest(unix.IFLA_LINKINFO|unix.NLA_F_NESTED, func() {
		m.str(unix.IFLA_INFO_KIND, "veth")
		m.nest(unix.IFLA_INFO_DATA|unix.NLA_F_NESTED, func() {
			// The peer is not a plain nest: an ifinfomsg comes before its attributes.
			m.nest(vethInfoPeer, func() {
				m.ifinfomsg(0, 0, 0)
				m.str(unix.IFLA_IFNAME, peer)
			})
		})
	})
	change := func() error {
		if _, err := c.execute("add veth "+name+" peer "+peer, unix.RTM_NEWLINK,
			unix.NLM_F_CREATE|unix.NLM_F_EXCL, m.b); err != nil {
			return err
		}
		if err := c.setLinkUp(name); err != nil {
			return err
		}
		return c.setLinkUp(peer)
	}
	ready := func() (bool, string, error) {
		for _, n := range []string{name, peer} {
			li, err := c.getLink(n)
			if err != nil {
				return false, "", err
			}
			if !li.ready() {
				return false, fmt.Sprintf("link %s not ready (flags %#x, operstate %d, qdisc %q)",
					n, li.flags, li.operstate, li.qdisc), nil
			}
		}
		return true, "", nil
	}
	return c.settle(unix.RTMGRP_LINK, change, ready)
}

// addAddr adds addr/bits to the link with the given index and returns once
// the kernel routes addr locally. IPv6 addresses get IFA_F_NODAD so they are
// usable at once instead of tentative for a second; even so the kernel
// installs an IPv6 address's local route from a work queue after acking the
// add, and until then packets to the address leave through the link and are
// lost.
func (c *rtconn) addAddr(index int, family uint8, addr []byte, bits int) error {
	var m msgBuilder
	var flags uint8
	if family == unix.AF_INET6 {
		flags = unix.IFA_F_NODAD
	}
	m.b = append(m.b, family, uint8(bits), flags, unix.RT_SCOPE_UNIVERSE)
	m.b = binary.NativeEndian.AppendUint32(m.b, uint32(index))
	m.attr(unix.IFA_LOCAL, addr)
	m.attr(unix.IFA_ADDRESS, addr)
	change := func() error {
		_, err := c.execute("add address", unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, m.b)
		return err
	}
	local := func() (bool, string, error) {
		typ, err := c.routeType(family, addr)
		if err != nil {
			return false, "", err
		}
		return typ == unix.RTN_LOCAL, fmt.Sprintf("route to the new address has type %d, want RTN_LOCAL", typ), nil
	}
	return c.settle(unix.RTMGRP_IPV4_ROUTE|unix.RTMGRP_IPV6_ROUTE, change, local)
}

// routeType asks the kernel how it would route a packet to addr ("ip route
// get") and returns the route's type, such as RTN_LOCAL or RTN_UNICAST.
// An unreachable address is type 0 (RTN_UNSPEC), not an error.
func (c *rtconn) routeType(family uint8, addr []byte) (uint8, error) {
	var m msgBuilder
	m.b = append(m.b, family, uint8(8*len(addr)), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // struct rtmsg
	m.attr(unix.RTA_DST, addr)
	msgs, err := c.execute("RTM_GETROUTE", unix.RTM_GETROUTE, 0, m.b)
	if errors.Is(err, unix.ENETUNREACH) || errors.Is(err, unix.EHOSTUNREACH) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, msg := range msgs {
		if msg.typ == unix.RTM_NEWROUTE && len(msg.data) >= unix.SizeofRtMsg {
			return msg.data[7], nil // rtm_type
		}
	}
	return 0, errors.New("netnstest: RTM_GETROUTE: no route in reply")
}
