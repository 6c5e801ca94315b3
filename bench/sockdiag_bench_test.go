package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	netnstest "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// sockdiagPairs TCP connections over loopback, both ends open, plus one
// listener per helper process: 100 006 sockets.
const sockdiagPairs = 50_000

// BenchmarkSockDiagTCP dumps the 100 006 TCP sockets of a namespace (50 000
// established loopback pairs held by helper processes, and 6 listeners)
// with vishvananda/netlink's SocketDiagTCPInfo and SocketDiagTCP (a Handle
// from NewHandleAt the namespace, NETLINK_INET_DIAG), and with nlengine's
// sockdiag asking the kernel for the same thing (AF_INET, all states,
// INET_DIAG_INFO and VEGASINFO): lib=nlengine is ListInet (an owned
// []InetSocket, tcp_info decoded for every socket, as SocketDiagTCPInfo
// returns), lib=nlengine-iter is DumpInet (each socket decoded in place).
func BenchmarkSockDiagTCP(b *testing.B) {
	n := netnstest.New(b)
	total := sockdiagOpenConnections(b, n, sockdiagPairs)
	runtime.GC()
	h, err := netlink.NewHandleAt(nsHandle(n), unix.NETLINK_INET_DIAG)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag, engine.WithNetNSFD(n.FD()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	req := sockdiag.InetRequest{Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP,
		Ext: sockdiag.ExtInfo | sockdiag.Ext(1<<(nlmsg.InetDiagVegasInfo-1))}

	check := func(b *testing.B, got int) {
		if got != total {
			b.Fatalf("%d sockets, want %d", got, total)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(got), "ns/socket")
	}
	for _, call := range []string{"SocketDiagTCPInfo", "SocketDiagTCP"} {
		b.Run("call="+call+"/lib=vishvananda", func(b *testing.B) {
			b.ReportAllocs()
			got := 0
			for b.Loop() {
				if call == "SocketDiagTCPInfo" {
					res, err := h.SocketDiagTCPInfo(unix.AF_INET)
					if err != nil {
						b.Fatal(err)
					}
					if res[0].TCPInfo == nil && res[0].InetDiagMsg.State == unix.BPF_TCP_ESTABLISHED {
						b.Fatal("no tcp_info")
					}
					got = len(res)
				} else {
					res, err := h.SocketDiagTCP(unix.AF_INET)
					if err != nil {
						b.Fatal(err)
					}
					got = len(res)
				}
			}
			check(b, got)
		})
		b.Run("call="+call+"/lib=nlengine", func(b *testing.B) {
			b.ReportAllocs()
			var list []sockdiag.InetSocket
			for b.Loop() {
				var err error
				if list, err = sockdiag.ListInet(ctx, c, req, nil); err != nil {
					b.Fatal(err)
				}
			}
			check(b, len(list))
		})
		b.Run("call="+call+"/lib=nlengine-iter", func(b *testing.B) {
			b.ReportAllocs()
			got := 0
			for b.Loop() {
				got = 0
				for s, err := range sockdiag.DumpInet(ctx, c, req) {
					if err != nil {
						b.Fatal(err)
					}
					if s.State == sockdiag.StateEstablished && s.TCPInfo.SndCwnd == 0 {
						b.Fatal("no tcp_info")
					}
					got++
				}
			}
			check(b, got)
		})
	}
}
