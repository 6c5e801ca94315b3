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
// netlink socket driven with raw x/sys/unix syscalls (sendto to a sockaddr
// built once, recvfrom with no source address) into a reused 64 KiB buffer,
// no library, no concurrency support. It allocates nothing per call:
// unix.Sendto and unix.Recvfrom would convert a sockaddr on every call.
// It sets the engine's socket options (NETLINK_EXT_ACK, NETLINK_CAP_ACK) and
// sends each request with the engine's flags.
type floorConn struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
	sa  unix.RawSockaddrNetlink // the kernel: built once

	// bulk's datagram and ack buffers, made on its first call
	dg      []byte
	ackBufs [][]byte
	ackMsgs []unix.Mmsghdr
}

// sendRaw sends b to the kernel with one sendto.
func (f *floorConn) sendRaw(b []byte) error {
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, uintptr(unsafe.Pointer(&f.sa)), unix.SizeofSockaddrNetlink)
	if e != 0 {
		return e
	}
	return nil
}

// recvRaw reads one datagram into f.buf with one recvfrom, asking for no
// source address.
func (f *floorConn) recvRaw() (int, error) {
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
	f := &floorConn{fd: fd, buf: make([]byte, 64<<10), sa: unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}}
	tb.Cleanup(func() { unix.Close(fd) })
	return f
}

func (f *floorConn) encode(typ nlmsg.Type, flags nlmsg.Flags, payload []byte) []byte {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags | nlmsg.Request, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	return f.req
}

// roundTrip sends one request with NLM_F_REQUEST|NLM_F_ACK (the engine's
// flags for a single request) and reads until the ack, calling fn for every
// other message.
func (f *floorConn) roundTrip(typ nlmsg.Type, flags nlmsg.Flags, payload []byte, fn func(nlmsg.View)) error {
	if err := f.sendRaw(f.encode(typ, flags|nlmsg.Ack, payload)); err != nil {
		return err
	}
	for {
		n, err := f.recvRaw()
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

// dump runs a dump with NLM_F_REQUEST|NLM_F_DUMP|NLM_F_ACK, the engine's
// flags (the kernel ends a dump with NLMSG_DONE and no ack), calling fn for
// each message, and returns how many there were.
func (f *floorConn) dump(typ nlmsg.Type, payload []byte, fn func(nlmsg.View)) (int, error) {
	if err := f.sendRaw(f.encode(typ, nlmsg.Dump|nlmsg.Ack, payload)); err != nil {
		return 0, err
	}
	count := 0
	for {
		n, err := f.recvRaw()
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

// bulk sends payloads as typ requests with ACK (the engine's flags for a
// batch), 64 to a datagram, and reads the acks with recvmmsg: the fastest
// plain way to apply many changes. Its buffers are allocated once per call,
// not per change.
func (f *floorConn) bulk(typ nlmsg.Type, flags nlmsg.Flags, payloads [][]byte) error {
	const per = 64
	if f.ackMsgs == nil {
		f.ackBufs, f.ackMsgs = mmsgBuffers(per, 1024)
	}
	bufs, msgs, dg := f.ackBufs, f.ackMsgs, f.dg
	defer func() { f.dg = dg }()
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
		if err := f.sendRaw(dg); err != nil {
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
