//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// rawDumper is a dump floor that allocates nothing: one blocking socket,
// sendto to the kernel with a sockaddr built once, recvfrom with no source
// address (so no sockaddr per call, unlike unix.Recvfrom) into a reused
// 64 KiB buffer, headers scanned in place, ended by NLMSG_DONE. The same
// request and flags as the engine's Dump (NLM_F_REQUEST|NLM_F_DUMP|NLM_F_ACK;
// the kernel answers a dump with DONE, not an ack).
type rawDumper struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
	sa  unix.RawSockaddrNetlink
}

func newRawDumper(b *testing.B, f *floorConn) *rawDumper {
	return &rawDumper{fd: f.fd, buf: make([]byte, 64<<10), sa: unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}}
}

func (d *rawDumper) dump(typ nlmsg.Type, payload []byte) (int, error) {
	d.seq++
	d.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: nlmsg.Request | nlmsg.Dump | nlmsg.Ack, Seq: d.seq}.AppendTo(d.req[:0])
	d.req = append(d.req, payload...)
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(d.fd), uintptr(unsafe.Pointer(&d.req[0])), uintptr(len(d.req)), 0, uintptr(unsafe.Pointer(&d.sa)), unix.SizeofSockaddrNetlink)
	if e != 0 {
		return 0, e
	}
	count := 0
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(d.fd), uintptr(unsafe.Pointer(&d.buf[0])), uintptr(len(d.buf)), 0, 0, 0)
		if e != 0 {
			return count, e
		}
		s := nlmsg.NewScanner(d.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done:
				return count, nil
			case nlmsg.Error:
				return count, syscall.Errno(-int32(binary.NativeEndian.Uint32(v.Payload())))
			}
			count++
		}
	}
}

// BenchmarkParallelDumps: two 100 000-route dumps. The floor runs them one
// after the other on one socket, which is all one socket can do; the engine
// runs them from two goroutines on one Conn, which puts the second on an
// extra socket so that the kernel builds both at once.
func BenchmarkParallelDumps(b *testing.B) {
	ns := filledNS(b)
	b.Run("impl=floor", func(b *testing.B) {
		d := newRawDumper(b, newFloor(b, ns))
		b.ReportAllocs()
		for b.Loop() {
			for range 2 {
				n, err := d.dump(unix.RTM_GETROUTE, rtmsgIPv4())
				mustNoErr(b, err, "dump")
				if n < benchRoutes {
					b.Fatalf("dump returned %d routes", n)
				}
			}
		}
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		b.ReportAllocs()
		dump := func() {
			n := 0
			for _, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				mustNoErr(b, err, "dump")
				n++
			}
			if n < benchRoutes {
				b.Fatalf("dump returned %d routes", n)
			}
		}
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Go(dump)
			dump()
			wg.Wait()
		}
	})
}
