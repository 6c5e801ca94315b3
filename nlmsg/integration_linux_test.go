package nlmsg_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// These tests check the package against what the real kernel sends and
// accepts: requests built with the Builder, replies read with the Scanner,
// acks, errors with extended-ack TLVs and dumps. Their sockets live in a
// network namespace of their own (netnstest.New), so the host's links and
// routes are never touched.

// rtnl is a bare NETLINK_ROUTE socket for these tests.
type rtnl struct {
	t   *testing.T
	fd  int
	buf []byte
}

func openRtnl(t *testing.T, ns *netnstest.NS, capAck bool) *rtnl {
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1); err != nil {
		t.Fatal(err)
	}
	capped := 0
	if capAck {
		capped = 1
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, capped); err != nil {
		t.Fatal(err)
	}
	// A safety net so a missing reply fails the test instead of hanging it.
	tv := unix.NsecToTimeval((10 * time.Second).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return &rtnl{t: t, fd: fd, buf: make([]byte, 64*1024)}
}

func (c *rtnl) send(b []byte) {
	c.t.Helper()
	if err := unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		c.t.Fatal(err)
	}
}

// recv returns one datagram; the slice is valid until the next recv.
func (c *rtnl) recv() []byte {
	c.t.Helper()
	n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.buf[:n]
}

// acks reads datagrams until it has the NLMSG_ERROR of every seq in
// [first, first+n), and returns their bodies by seq offset. The bodies point
// into the receive buffer, so it checks them here and returns copies of the
// fields the tests need.
func (c *rtnl) acks(first uint32, n int) []nlmsg.ErrorBody {
	c.t.Helper()
	out := make([]nlmsg.ErrorBody, n)
	got := 0
	for got < n {
		s := nlmsg.NewScanner(c.recv())
		for s.Next() {
			v := s.View()
			if v.Type() != nlmsg.Error {
				c.t.Fatalf("got a %v message, want an ack", v.Type())
			}
			body, err := nlmsg.ParseError(v)
			if err != nil {
				c.t.Fatal(err)
			}
			i := int(v.Seq() - first)
			if i < 0 || i >= n || body.Request.Seq != v.Seq() {
				c.t.Fatalf("ack for seq %d (echoed %d), want %d..%d", v.Seq(), body.Request.Seq, first, first+uint32(n)-1)
			}
			body.Ext.Msg = append([]byte(nil), body.Ext.Msg...)
			body.RequestPayload = append([]byte(nil), body.RequestPayload...)
			out[i] = body
			got++
		}
		if s.Err() != nil {
			c.t.Fatal(s.Err())
		}
	}
	return out
}

func TestIntegrationRouteBatchAndDump(t *testing.T) {
	ns := netnstest.New(t)
	{
		c := openRtnl(t, ns, true)
		var b nlmsg.Builder
		defer b.Release()

		// Bring lo up: one request, one ack.
		b.Begin(nlmsg.RTMNewLink, nlmsg.Request|nlmsg.Ack, 1)
		nlmsg.AppendFamilyHeader(&b, nlmsg.IfInfoMsg{Index: 1, Flags: unix.IFF_UP, Change: unix.IFF_UP})
		c.send(b.Bytes())
		if ack := c.acks(1, 1)[0]; ack.Errno != 0 || !ack.Capped || ack.Request.Type != nlmsg.RTMNewLink {
			t.Fatalf("lo up: %+v", ack)
		}

		// 100 routes in one datagram, each with its own seq and ack.
		const routes = 100
		b.Reset()
		for i := 0; i < routes; i++ {
			b.Begin(nlmsg.RTMNewRoute, nlmsg.Request|nlmsg.Ack|nlmsg.Create|nlmsg.Excl, uint32(100+i))
			nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{
				Family: unix.AF_INET, DstLen: 24, Table: nlmsg.RTTableMain,
				Protocol: nlmsg.RTProtStatic, Scope: nlmsg.RTScopeLink, Type: nlmsg.RTNUnicast,
			})
			b.Attr(nlmsg.RTADst, []byte{10, 201, byte(i), 0})
			b.Uint32(nlmsg.RTAOIF, 1)
			b.Uint32(nlmsg.RTAPriority, uint32(i))
		}
		if b.Messages() != routes {
			t.Fatalf("batch of %d messages", b.Messages())
		}
		c.send(b.Bytes())
		for i, ack := range c.acks(100, routes) {
			if ack.Errno != 0 {
				t.Fatalf("route %d: %v %q", i, ack.Errno, ack.Ext.Msg)
			}
		}

		// Dump the IPv4 routes and find ours.
		b.Reset()
		b.Begin(nlmsg.RTMGetRoute, nlmsg.Request|nlmsg.Dump, 500)
		nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{Family: unix.AF_INET})
		c.send(b.Bytes())
		found := map[byte]uint32{} // third octet -> priority
		var done bool
		for !done {
			s := nlmsg.NewScanner(c.recv())
			for s.Next() {
				v := s.View()
				if v.Seq() != 500 {
					t.Fatalf("dump message with seq %d", v.Seq())
				}
				switch v.Type() {
				case nlmsg.Done:
					d, err := nlmsg.ParseDone(v)
					if err != nil || d.Errno != 0 {
						t.Fatalf("DONE: %+v, %v", d, err)
					}
					done = true
					continue
				case nlmsg.RTMNewRoute:
				default:
					t.Fatalf("dump message of type %v", v.Type())
				}
				if v.Flags()&nlmsg.Multi == 0 {
					t.Errorf("dump message without NLM_F_MULTI: %v", v.Flags())
				}
				h, attrs, err := nlmsg.DecodeRtMsg(v.Payload())
				if err != nil {
					t.Fatal(err)
				}
				var dst []byte
				var oif, prio, table uint32
				as := nlmsg.NewAttrScanner(attrs)
				for as.Next() {
					a := as.Attr()
					switch a.Type() {
					case nlmsg.RTADst:
						dst = a.Data()
					case nlmsg.RTAOIF:
						oif, err = a.Uint32()
					case nlmsg.RTAPriority:
						prio, err = a.Uint32()
					case nlmsg.RTATable:
						table, err = a.Uint32()
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if as.Err() != nil {
					t.Fatal(as.Err())
				}
				if h.Table == nlmsg.RTTableMain && h.DstLen == 24 && len(dst) == 4 && dst[0] == 10 && dst[1] == 201 {
					if oif != 1 || table != uint32(nlmsg.RTTableMain) || h.Protocol != nlmsg.RTProtStatic {
						t.Errorf("route %v: oif %d table %d proto %d", dst, oif, table, h.Protocol)
					}
					found[dst[2]] = prio
				}
			}
			if s.Err() != nil {
				t.Fatal(s.Err())
			}
		}
		if len(found) != routes {
			t.Fatalf("dump found %d of our %d routes", len(found), routes)
		}
		for i := 0; i < routes; i++ {
			if found[byte(i)] != uint32(i) {
				t.Errorf("route 10.201.%d.0/24 has priority %d", i, found[byte(i)])
			}
		}

		// Adding one again fails with EEXIST, echoed capped.
		b.Reset()
		b.Begin(nlmsg.RTMNewRoute, nlmsg.Request|nlmsg.Ack|nlmsg.Create|nlmsg.Excl, 600)
		nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 24, Table: nlmsg.RTTableMain,
			Protocol: nlmsg.RTProtStatic, Scope: nlmsg.RTScopeLink, Type: nlmsg.RTNUnicast})
		b.Attr(nlmsg.RTADst, []byte{10, 201, 0, 0})
		b.Uint32(nlmsg.RTAOIF, 1)
		b.Uint32(nlmsg.RTAPriority, 0)
		c.send(b.Bytes())
		ack := c.acks(600, 1)[0]
		if !errors.Is(ack.Errno, unix.EEXIST) || !ack.Capped || len(ack.RequestPayload) != 0 {
			t.Errorf("duplicate route: errno %v capped %v echoed %d bytes", ack.Errno, ack.Capped, len(ack.RequestPayload))
		}
	}
}

func TestIntegrationExtAck(t *testing.T) {
	ns := netnstest.New(t)
	{
		c := openRtnl(t, ns, false) // without NETLINK_CAP_ACK: the whole request is echoed

		// RTA_OIF is a u32; a 2-byte one fails policy validation and the
		// kernel points at it with NLMSGERR_ATTR_OFFS.
		var b nlmsg.Builder
		defer b.Release()
		b.Begin(nlmsg.RTMNewRoute, nlmsg.Request|nlmsg.Ack|nlmsg.Create, 9)
		nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 24, Table: nlmsg.RTTableMain,
			Protocol: nlmsg.RTProtStatic, Scope: nlmsg.RTScopeLink, Type: nlmsg.RTNUnicast})
		b.Attr(nlmsg.RTADst, []byte{10, 202, 0, 0})
		badAttr := b.Len()
		b.Uint16(nlmsg.RTAOIF, 1)
		req := append([]byte(nil), b.Bytes()...)
		c.send(req)

		ack := c.acks(9, 1)[0]
		// The errno depends on the kernel's policy code: EINVAL or ERANGE.
		if !errors.Is(ack.Errno, unix.EINVAL) && !errors.Is(ack.Errno, unix.ERANGE) {
			t.Fatalf("errno %v, want EINVAL or ERANGE", ack.Errno)
		}
		if ack.Capped || string(ack.RequestPayload) != string(req[nlmsg.HeaderLen:]) {
			t.Errorf("echoed payload % x, want the request's % x", ack.RequestPayload, req[nlmsg.HeaderLen:])
		}
		if !ack.Ext.HasOffset || int(ack.Ext.Offset) != badAttr {
			t.Errorf("NLMSGERR_ATTR_OFFS = %d (present %v), want %d, the offset of the bad RTA_OIF", ack.Ext.Offset, ack.Ext.HasOffset, badAttr)
		}
		if len(ack.Ext.Msg) == 0 {
			t.Error("no NLMSGERR_ATTR_MSG text")
		}
		t.Logf("kernel says: %v, %q at offset %d", ack.Errno, ack.Ext.Msg, ack.Ext.Offset)
	}
}
