package sockdiag_test

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationDumpDoesNotAllocatePerSocket measures the allocations of
// a whole dump (with tcp_info, congestion and memory extensions) of 20 and
// of 220 sockets: they are the same, so a socket costs none. Unix dumps
// likewise.
func TestIntegrationDumpDoesNotAllocatePerSocket(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	small, large := netnstest.New(t), netnstest.New(t)
	open := func(ns *netnstest.NS, pairs int) {
		openIn(t, ns, func(o opener) error {
			l, err := o.listen(netip.AddrPortFrom(lo4, 80))
			if err != nil {
				return err
			}
			for range pairs {
				if _, _, err := o.connect(l, netip.AddrPortFrom(lo4, 80)); err != nil {
					return err
				}
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					return err
				}
				*o.fds = append(*o.fds, fds[0], fds[1])
			}
			return nil
		})
	}
	open(small, 10)
	open(large, 110)
	req := sockdiag.InetRequest{Family: unix.AF_INET, Ext: sockdiag.ExtInfo | sockdiag.ExtCong | sockdiag.ExtSkMemInfo | sockdiag.ExtMemInfo}
	measure := func(ns *netnstest.NS, want int) (inet, unixAllocs float64) {
		c := dial(t, ns)
		ctx := testCtx(t)
		count := func() int {
			n := 0
			for s, err := range sockdiag.DumpInet(ctx, c, req) {
				if err != nil {
					t.Fatal(err)
				}
				if s.TCPInfo.SndCwnd != 0 || s.State == sockdiag.StateListen {
					n++
				}
			}
			return n
		}
		if n := count(); n != want {
			t.Fatalf("dumped %d sockets, want %d", n, want)
		}
		inet = testing.AllocsPerRun(5, func() { count() })
		unixAllocs = testing.AllocsPerRun(5, func() {
			for _, err := range sockdiag.DumpUnix(ctx, c, sockdiag.UnixRequest{}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
		return inet, unixAllocs
	}
	i1, u1 := measure(small, 21)
	i2, u2 := measure(large, 221)
	t.Logf("allocations per dump: inet %v (21 sockets) and %v (221), unix %v (20) and %v (220)", i1, i2, u1, u2)
	if i2 > i1 || u2 > u1 {
		t.Errorf("allocations grow with the socket count: inet %v -> %v, unix %v -> %v", i1, i2, u1, u2)
	}
}
