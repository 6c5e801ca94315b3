//go:build linux

package nltest

import (
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Floor is the baseline of a benchmark: one blocking netlink socket with
// the options an engine.Conn sets by default (extended and capped acks),
// driven by raw sendto/recvfrom system calls (unix.Syscall6, no sockaddr
// allocated per call) into one reused 64 KiB buffer, the engine's receive
// buffer size. It has no sequence table, no event loop and no concurrency
// support, so what a benchmark measures above it is the engine's cost.
//
// A Floor is not safe for concurrent use.
type Floor struct {
	fd  int
	seq uint32
	buf []byte // receive buffer, reused by every RoundTrip
	req []byte // request buffer, reused by every RoundTrip
	sa  unix.RawSockaddrNetlink
}

// NewFloor opens a Floor socket of netlink protocol proto (for example
// unix.NETLINK_GENERIC) inside ns and binds it; tb's cleanup closes it. It
// fails tb when the socket cannot be opened.
func NewFloor(tb testing.TB, ns *netnstest.NS, proto int) *Floor {
	tb.Helper()
	fd, err := ns.Socket(proto)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	return &Floor{
		fd:  fd,
		buf: make([]byte, 64<<10),
		req: make([]byte, 0, 512),
		sa:  unix.RawSockaddrNetlink{Family: unix.AF_NETLINK},
	}
}

// RoundTrip sends one message of type typ with payload and flags
// (NLM_F_REQUEST and NLM_F_ACK are always added, as the engine adds them),
// then calls fn (if not nil) for every reply message until the answer ends: at the ack
// (NLMSG_ERROR), or at NLMSG_DONE for a dump (flags with nlmsg.Dump).
//
// The View given to fn points into the Floor's receive buffer and is valid
// only until fn returns. RoundTrip returns the kernel's error as a
// syscall.Errno, fn's first error, or a framing error of nlmsg.Scanner. It
// allocates nothing (provided fn does not).
func (f *Floor) RoundTrip(typ nlmsg.Type, flags nlmsg.Flags, payload []byte, fn func(nlmsg.View) error) error {
	f.seq++
	f.req = nlmsg.Header{
		Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ,
		Flags: flags | nlmsg.Request | nlmsg.Ack, Seq: f.seq,
	}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0,
		uintptr(unsafe.Pointer(&f.sa)), unsafe.Sizeof(f.sa)); e != 0 {
		return e
	}
	dump := flags&nlmsg.Dump == nlmsg.Dump
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Error:
				return errnoOf(v)
			case nlmsg.Done:
				if dump {
					// The end of a dump is NLMSG_DONE, with the dump's
					// error, if any, in its payload.
					return errnoOf(v)
				}
			default:
				if fn == nil {
					continue
				}
				if err := fn(v); err != nil {
					return err
				}
			}
		}
		if err := s.Err(); err != nil {
			return err
		}
	}
}

// errnoOf returns the error an NLMSG_ERROR or NLMSG_DONE message carries:
// nil for an ack or an error code of 0.
func errnoOf(v nlmsg.View) error {
	p := v.Payload()
	if len(p) < 4 {
		return nil
	}
	if e := int32(binary.NativeEndian.Uint32(p)); e != 0 {
		return syscall.Errno(-e)
	}
	return nil
}
