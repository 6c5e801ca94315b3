//go:build linux

package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// floorConn is the baseline every benchmark is compared with: one blocking
// netlink socket driven with plain x/sys/unix calls into a reused 64 KiB
// buffer, no library, no concurrency support.
type floorConn struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
	sa  unix.SockaddrNetlink
}

func newFloor(tb testing.TB, ns *netnstest.NS) *floorConn {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	f := &floorConn{fd: fd, buf: make([]byte, 64<<10), sa: unix.SockaddrNetlink{Family: unix.AF_NETLINK}}
	tb.Cleanup(func() { unix.Close(fd) })
	return f
}

func (f *floorConn) encode(typ nlmsg.Type, flags nlmsg.Flags, payload []byte) []byte {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags | nlmsg.Request, Seq: f.seq}.AppendTo(f.req[:0])
	return append(f.req, payload...)
}

// roundTrip sends one request with ACK and reads until the ack, calling fn
// for every other message.
func (f *floorConn) roundTrip(typ nlmsg.Type, flags nlmsg.Flags, payload []byte, fn func(nlmsg.View)) error {
	if err := unix.Sendto(f.fd, f.encode(typ, flags|nlmsg.Ack, payload), 0, &f.sa); err != nil {
		return err
	}
	for {
		n, _, err := unix.Recvfrom(f.fd, f.buf, 0)
		if err != nil {
			return err
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Error:
				if e := int32(binary.NativeEndian.Uint32(v.Payload())); e != 0 {
					return syscall.Errno(-e)
				}
				return nil
			case nlmsg.Done:
				return nil
			default:
				if fn != nil {
					fn(v)
				}
			}
		}
	}
}

// dump runs a dump, calling fn for each message, and returns how many there were.
func (f *floorConn) dump(typ nlmsg.Type, payload []byte, fn func(nlmsg.View)) (int, error) {
	if err := unix.Sendto(f.fd, f.encode(typ, nlmsg.Dump, payload), 0, &f.sa); err != nil {
		return 0, err
	}
	count := 0
	for {
		n, _, err := unix.Recvfrom(f.fd, f.buf, 0)
		if err != nil {
			return count, err
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done:
				return count, nil
			case nlmsg.Error:
				return count, syscall.Errno(-int32(binary.NativeEndian.Uint32(v.Payload())))
			}
			count++
			if fn != nil {
				fn(v)
			}
		}
	}
}

// bulk sends payloads as typ requests with ACK, 64 to a datagram, and reads
// the acks with recvmmsg: the fastest plain way to apply many changes.
func (f *floorConn) bulk(typ nlmsg.Type, flags nlmsg.Flags, payloads [][]byte) error {
	const per = 64
	bufs, msgs := mmsgBuffers(per, 1024)
	var dg []byte
	var firstErr error
	for start := 0; start < len(payloads); start += per {
		end := min(start+per, len(payloads))
		dg = dg[:0]
		for _, p := range payloads[start:end] {
			f.seq++
			dg = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(p)), Type: typ, Flags: flags | nlmsg.Request | nlmsg.Ack, Seq: f.seq}.AppendTo(dg)
			dg = append(dg, p...)
			for len(dg)%4 != 0 {
				dg = append(dg, 0)
			}
		}
		if err := unix.Sendto(f.fd, dg, 0, &f.sa); err != nil {
			return err
		}
		for want := end - start; want > 0; {
			n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(f.fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(want), 0, 0, 0)
			if e != 0 {
				return e
			}
			for i := 0; i < int(n); i++ {
				p := bufs[i][nlmsg.HeaderLen:]
				if e := int32(binary.NativeEndian.Uint32(p)); e != 0 && firstErr == nil {
					firstErr = syscall.Errno(-e)
				}
			}
			want -= int(n)
		}
	}
	return firstErr
}

// mmsgBuffers returns n buffers of size bytes and the recvmmsg headers that
// point at them, one buffer per datagram.
func mmsgBuffers(n, size int) ([][]byte, []unix.Mmsghdr) {
	bufs := make([][]byte, n)
	iovs := make([]unix.Iovec, n)
	msgs := make([]unix.Mmsghdr, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
		iovs[i] = unix.Iovec{Base: &bufs[i][0]}
		iovs[i].SetLen(size)
		msgs[i].Hdr.Iov = &iovs[i]
		msgs[i].Hdr.SetIovlen(1)
	}
	return bufs, msgs
}

// routeOf decodes what the decoded-level benchmarks want of a route.
type routeOf struct {
	dst    [4]byte
	dstLen uint8
	oif    uint32
}

func decodeRoute(v nlmsg.View) (routeOf, error) {
	var r routeOf
	p := v.Payload()
	if len(p) < 12 {
		return r, errors.New("short rtmsg")
	}
	r.dstLen = p[1]
	s := nlmsg.NewAttrScanner(p[12:])
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case unix.RTA_DST:
			copy(r.dst[:], a.Data())
		case unix.RTA_OIF:
			r.oif, _ = a.Uint32()
		}
	}
	return r, s.Err()
}

func routePayloads(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = routePayload(i, 1)
	}
	return out
}

func mustNoErr(tb testing.TB, err error, what string, args ...any) {
	// NB: Helper only on failure: it walks the stack, which would dominate
	// a per-message check in a benchmark.
	if err != nil {
		tb.Helper()
		tb.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
