package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	netnstest "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
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
// sockdiag giving the same result: for SocketDiagTCPInfo it asks the
// kernel for the same (AF_INET, all states, INET_DIAG_INFO and VEGASINFO)
// and decodes tcp_info for every socket; for SocketDiagTCP (which asks for
// the same but returns only the inet_diag_msg fields) it asks for no
// extensions. lib=nlengine is ListInet (an owned []InetSocket, as
// vishvananda returns a slice), lib=nlengine-iter is DumpInet (each socket
// decoded in place).
func BenchmarkSockDiagTCP(b *testing.B) {
	n := netnstest.New(b)
	total := nltest.OpenTCPPairs(b, n, sockdiagPairs)
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
	// What SocketDiagTCPInfo asks the kernel for; SocketDiagTCP asks for the
	// same but returns only the inet_diag_msg fields, which nlengine gets
	// without the extensions.
	reqs := map[string]sockdiag.InetRequest{
		"SocketDiagTCPInfo": {Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP,
			Ext: sockdiag.ExtInfo | sockdiag.Ext(1<<(nlmsg.InetDiagVegasInfo-1))},
		"SocketDiagTCP": {Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP},
	}

	check := func(b *testing.B, cpu0 time.Duration, got int) {
		if got != total {
			b.Fatalf("%d sockets, want %d", got, total)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(got), "ns/socket")
		b.ReportMetric(float64((sockdiagProcessCPU()-cpu0).Nanoseconds())/float64(b.N)/float64(got), "cpu-ns/socket")
	}
	for _, call := range []string{"SocketDiagTCPInfo", "SocketDiagTCP"} {
		req := reqs[call]
		b.Run("call="+call+"/lib=vishvananda", func(b *testing.B) {
			b.ReportAllocs()
			got := 0
			cpu0 := sockdiagProcessCPU()
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
			check(b, cpu0, got)
		})
		b.Run("call="+call+"/lib=nlengine", func(b *testing.B) {
			b.ReportAllocs()
			var list []sockdiag.InetSocket
			cpu0 := sockdiagProcessCPU()
			for b.Loop() {
				var err error
				if list, err = sockdiag.ListInet(ctx, c, req, nil); err != nil {
					b.Fatal(err)
				}
			}
			check(b, cpu0, len(list))
		})
		b.Run("call="+call+"/lib=nlengine-iter", func(b *testing.B) {
			b.ReportAllocs()
			got := 0
			cpu0 := sockdiagProcessCPU()
			for b.Loop() {
				got = 0
				for s, err := range sockdiag.DumpInet(ctx, c, req) {
					if err != nil {
						b.Fatal(err)
					}
					if req.Ext != 0 && s.State == sockdiag.StateEstablished && s.TCPInfo.SndCwnd == 0 {
						b.Fatal("no tcp_info")
					}
					got++
				}
			}
			check(b, cpu0, got)
		})
	}
}

// sockdiagProcessCPU is the user and system time this process has used, on
// every thread: what a dump costs in CPU, whatever else runs on the
// machine (wall time on a loaded machine mostly measures waiting for a CPU).
func sockdiagProcessCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
