package rtnl

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// BenchmarkDecode times the typed decoders alone, on the datagrams of one
// real dump each (captured once from the kernel, outside the timed loop):
// 101 000 IPv4 routes, 1 001 links, 1 002 addresses. Each iteration scans
// every datagram and decodes every message of the dump's type into one
// value, as a dump's loop body does; ns/<object> is the time per object.
// It needs a network namespace (it skips without one). Run:
//
//	go test -run '^$' -bench 'Decode$' -count 6 ./rtnl/
func BenchmarkDecode(b *testing.B) {
	b.Run("object=route", func(b *testing.B) {
		f := RouteFilter{Family: FamilyIPv4}
		var r Route
		benchDecode(b, captureDump(b, benchNS(b), nlmsg.RTMGetRoute, f.dumpRequest(nil, true)), "route", nlmsg.RTMNewRoute, func(p []byte) error { return r.Decode(p) })
	})
	b.Run("object=link", func(b *testing.B) {
		var l Link
		benchDecode(b, captureDump(b, linksNS(b), nlmsg.RTMGetLink, linkDump.req), "link", nlmsg.RTMNewLink, func(p []byte) error { return l.Decode(p) })
	})
	b.Run("object=addr", func(b *testing.B) {
		var a Addr
		benchDecode(b, captureDump(b, addrsNS(b), nlmsg.RTMGetAddr, addrDump.req), "addr", nlmsg.RTMNewAddr, func(p []byte) error { return a.Decode(p) })
	})
}

// captureDump runs one dump of typ with payload on a raw socket in ns and
// returns its datagrams, each in its own buffer.
func captureDump(tb testing.TB, ns *netnstest.NS, typ nlmsg.Type, payload []byte) [][]byte {
	tb.Helper()
	f := newRawFloor(tb, ns)
	if err := f.sendDump(typ, payload); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e != 0 {
			tb.Fatal(e)
		}
		out = append(out, append([]byte(nil), f.buf[:n]...))
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			if t := s.View().Type(); t == nlmsg.Done || t == nlmsg.Error {
				return out
			}
		}
	}
}

// benchDecode decodes every message of type want in datagrams with decode,
// once per iteration, and reports the time per object as ns/<unit>.
func benchDecode(b *testing.B, datagrams [][]byte, unit string, want nlmsg.Type, decode func([]byte) error) {
	b.ReportAllocs()
	objects := 0
	for b.Loop() {
		for _, d := range datagrams {
			s := nlmsg.NewScanner(d)
			for s.Next() {
				if v := s.View(); v.Type() == want {
					if err := decode(v.Payload()); err != nil {
						b.Fatal(err)
					}
					objects++
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(objects), "ns/"+unit)
}
