package bench

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// filledRouteNS returns a new namespace holding routes 0..n-1 (see
// benchRoute), added with the floor's batched path, and the number of IPv4
// route messages a dump of it returns (the n routes plus the kernel's own
// local-table routes of lo).
func filledRouteNS(tb testing.TB, n int) (*ns.NS, int) {
	tb.Helper()
	nsp := ns.New(tb)
	f := newFloor(tb, nsp, 0)
	if err := f.addRoutes(benchRoutes(n)); err != nil {
		tb.Fatalf("adding %d routes: %v", n, err)
	}
	msgs, err := f.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
	if err != nil {
		tb.Fatalf("dumping routes: %v", err)
	}
	if msgs < n {
		tb.Fatalf("dump after adding %d routes returned %d", n, msgs)
	}
	return nsp, msgs
}

// filledLinkNS returns a new namespace holding pairs veth pairs (v<i>,
// p<i>) and the number of links a dump of it returns (2*pairs + lo). The
// veths are deleted in tb's cleanup, so that tearing the namespace down
// does not go on in the kernel while the next benchmark runs.
func filledLinkNS(tb testing.TB, pairs int) (*ns.NS, int) {
	tb.Helper()
	nsp := ns.New(tb)
	f := newFloor(tb, nsp, 0)
	if err := f.addVeths(pairs); err != nil {
		tb.Fatalf("adding %d veth pairs: %v", pairs, err)
	}
	tb.Cleanup(func() {
		if err := f.delVeths(); err != nil {
			tb.Errorf("deleting veth pairs: %v", err)
		}
	})
	msgs, err := f.dump(unix.RTM_GETLINK, ifinfo(0), nil)
	if err != nil {
		tb.Fatalf("dumping links: %v", err)
	}
	if msgs != 2*pairs+1 {
		tb.Fatalf("dump after adding %d veth pairs returned %d links", pairs, msgs)
	}
	return nsp, msgs
}

// skipUnsupported skips b when lib cannot run w at lv.
func skipUnsupported(tb testing.TB, lib library, w workload, lv level) {
	tb.Helper()
	if why := lib.unsupported(w, lv); why != "" {
		tb.Skip(lib.name + ": " + why)
	}
}

func must(tb testing.TB, err error, what string, args ...any) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
