package sockdiag_test

import (
	"context"
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// benchPairs TCP connections over loopback, both ends open, plus one
// listener per helper process: 100 006 sockets.
const benchPairs = 50_000

// benchFilter selects 100 of the sockets nltest.OpenTCPPairs makes: the client
// ends from 127.0.0.2 with source ports 20000..20099.
var benchFilter = sockdiag.And(
	sockdiag.SrcPrefix(netip.MustParsePrefix("127.0.0.2/32")),
	sockdiag.SrcPortAtLeast(20000), sockdiag.SrcPortAtMost(20099),
)

// BenchmarkDumpTCP dumps 100 006 TCP sockets (50 000 established pairs
// over loopback and 6 listeners) in a namespace, each decoded into an
// InetSocket: with the raw floor (the same SOCK_DIAG_BY_FAMILY dump
// request, each socket decoded with InetSocket.Decode into one reused
// value, as DumpInet does), DumpInet (impl=iter) and ListInet
// (impl=list); with ext=info the kernel adds tcp_info and the congestion
// control name to each. filter=100 sends a program that selects 100 of
// them, against the same dump unfiltered.
func BenchmarkDumpTCP(b *testing.B) {
	ns := netnstest.New(b)
	total := nltest.OpenTCPPairs(b, ns, benchPairs)
	runtime.GC()
	c := dial(b, ns)
	floor := nltest.NewFloor(b, ns, unix.NETLINK_SOCK_DIAG)
	ctx := context.Background()

	type variant struct {
		name string
		req  sockdiag.InetRequest
		want int
	}
	variants := []variant{
		{"ext=none", sockdiag.InetRequest{Family: unix.AF_INET}, total},
		{"ext=info", sockdiag.InetRequest{Family: unix.AF_INET, Ext: sockdiag.ExtInfo | sockdiag.ExtCong}, total},
		{"filter=100", sockdiag.InetRequest{Family: unix.AF_INET, Filter: benchFilter}, 100},
	}
	for _, v := range variants {
		payload, err := requestPayload(v.req)
		if err != nil {
			b.Fatal(err)
		}
		perSocket := func(b *testing.B, cpu0 int64, n int) {
			if n != v.want {
				b.Fatalf("dumped %d sockets, want %d", n, v.want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/socket")
			b.ReportMetric(float64(nltest.CPUTime()-cpu0)/float64(b.N)/float64(n), "cpu-ns/socket")
		}
		b.Run(v.name+"/impl=floor", func(b *testing.B) {
			b.ReportAllocs()
			var s sockdiag.InetSocket
			n := 0
			decode := func(v nlmsg.View) error { n++; return s.Decode(v.Payload(), unix.IPPROTO_TCP) }
			cpu0 := nltest.CPUTime()
			for b.Loop() {
				n = 0
				if err := floor.RoundTrip(nlmsg.SockDiagByFamily, nlmsg.Dump, payload, decode); err != nil {
					b.Fatal(err)
				}
			}
			perSocket(b, cpu0, n)
		})
		b.Run(v.name+"/impl=iter", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			st0 := c.Stats()
			defer func() { reportEngineCalls(b, st0, c.Stats()) }()
			cpu0 := nltest.CPUTime()
			for b.Loop() {
				n = 0
				for s, err := range sockdiag.DumpInet(ctx, c, v.req) {
					if err != nil {
						b.Fatal(err)
					}
					_ = s
					n++
				}
			}
			perSocket(b, cpu0, n)
		})
		b.Run(v.name+"/impl=list", func(b *testing.B) {
			b.ReportAllocs()
			var list []sockdiag.InetSocket
			cpu0 := nltest.CPUTime()
			for b.Loop() {
				var err error
				// A fresh list each time, as a caller keeping the result would.
				if list, err = sockdiag.ListInet(ctx, c, v.req, nil); err != nil {
					b.Fatal(err)
				}
			}
			perSocket(b, cpu0, len(list))
		})
	}
}

// reportEngineCalls reports the receive calls and datagrams per dump: a
// receive call that found nothing means the Conn waited in epoll_wait.
func reportEngineCalls(b *testing.B, before, after engine.Stats) {
	b.ReportMetric(float64(after.ReceiveCalls-before.ReceiveCalls)/float64(b.N), "recv-calls/op")
	b.ReportMetric(float64(after.DatagramsReceived-before.DatagramsReceived)/float64(b.N), "dgrams/op")
}

// requestPayload is the payload DumpInet sends for req, built by the
// public pieces: the header and the filter's program in an attribute.
func requestPayload(req sockdiag.InetRequest) ([]byte, error) {
	h := nlmsg.InetDiagReqV2{Family: req.Family, Protocol: unix.IPPROTO_TCP, Ext: uint8(req.Ext), States: uint32(sockdiag.AllStates)}
	h.ID.Cookie = [2]uint32{nlmsg.InetDiagNoCookie, nlmsg.InetDiagNoCookie}
	p := h.AppendTo(nil)
	prog, err := req.Filter.Bytecode(nil)
	if err != nil || len(prog) == 0 {
		return p, err
	}
	p = binary.NativeEndian.AppendUint16(p, uint16(4+len(prog)))
	p = binary.NativeEndian.AppendUint16(p, nlmsg.InetDiagReqBytecode)
	return append(p, prog...), nil
}
