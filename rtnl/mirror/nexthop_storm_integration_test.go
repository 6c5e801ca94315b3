package mirror

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// nexthopStormBatch writes an ip -batch file that adds n single next hops
// (a third of them on the flapping link f0, some IPv6), groups of three of
// them (every fourth resilient), routes using groups and singles, then
// replaces half of the singles, deletes a third of them (emptying some
// groups) and a tenth of the groups.
func nexthopStormBatch(t *testing.T, n int) string {
	var b strings.Builder
	single := func(i int) string {
		switch {
		case i%3 == 0:
			return fmt.Sprintf("via 10.77.0.%d dev f0", 2+i%250)
		case i%7 == 0:
			return fmt.Sprintf("via fd00::%x dev v0", 2+i)
		}
		return fmt.Sprintf("via 10.0.0.%d dev v0", 2+i%250)
	}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "nexthop add id %d %s\n", i, single(i))
	}
	groups := n / 3
	for j := 0; j < groups; j++ {
		typ := ""
		if j%4 == 0 {
			typ = " type resilient buckets 8"
		}
		fmt.Fprintf(&b, "nexthop add id %d group %d/%d,2/%d%s\n", 100000+j, 3*j+1, 3*j+2, 3*j+3, typ)
		fmt.Fprintf(&b, "route add 10.200.%d.%d/32 nhid %d\n", j>>8, j&255, 100000+j)
	}
	for i := 1; i <= n; i += 5 {
		if i%7 != 0 {
			fmt.Fprintf(&b, "route add 10.201.%d.%d/32 nhid %d\n", i>>8, i&255, i)
		}
	}
	for i := 2; i <= n; i += 2 {
		fmt.Fprintf(&b, "nexthop replace id %d %s\n", i, single(i+1))
	}
	for i := 1; i <= n; i += 3 {
		fmt.Fprintf(&b, "nexthop del id %d\n", i)
	}
	for j := 0; j < groups; j += 10 {
		fmt.Fprintf(&b, "nexthop del id %d\n", 100000+j)
	}
	p := filepath.Join(t.TempDir(), "nexthops.batch")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIntegrationMirrorNexthopStorm runs ip adding, replacing and deleting
// nexthop objects and routes using them against a mirror with a small
// receive buffer, so that losses are certain and the mirror resyncs:
// alone, with an OnChange that holds the mirror up until ip is done (only
// the full resync after the losses can then correct the objects), and
// during the storm (routes, addresses, neighbours, and a flapping link f0
// with a third of the objects on it, which go silently at each flap).
// Then, within the storm's bound, the mirror equals a fresh dump, a fresh
// rtnl.Snapshot and ip's objects and routes, and its first snapshot with
// the changes applied equals it.
func TestIntegrationMirrorNexthopStorm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		storm  bool
		rcvbuf int
	}{{"alone", false, 8 << 10}, {"with the storm", true, 64 << 10}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := netnstest.New(t)
			stormFixture(t, ns)
			batch := nexthopStormBatch(t, 900)
			var log changeLog
			var hold atomic.Bool
			release := make(chan struct{})
			m := start(t, ns, Config{ReceiveBuffer: tc.rcvbuf, OnChange: func(c *Change) {
				if hold.Load() {
					<-release
				}
				log.record(c)
			}})
			first, seq := snapshotReplay(m)
			hold.Store(!tc.storm) // the storm makes losses of its own
			var wg sync.WaitGroup
			if tc.storm {
				wg.Go(func() { storm(t, ns, *stormRoutes) })
			}
			// Some commands fail (an object gone with a flap of f0): ip
			// then exits 1 after running the rest.
			wg.Go(func() { ns.Output("ip", "-force", "-batch", batch) })
			wg.Wait()
			hold.Store(false)
			close(release)
			c := dialIn(t, ns)
			agree(t, m, c, ns, *within)
			now, nowSeq := snapshotReplay(m)
			first.applyUpTo(t, &log, seq, nowSeq)
			if d := first.tables().diff(now.tables()); d != "" {
				t.Fatalf("first snapshot + changes differ from the mirror:\n%s", d)
			}
			s := m.Stats()
			if s.Losses == 0 || s.Resyncs[ReasonENOBUFS]+s.Resyncs[ReasonOverrun] == 0 {
				t.Fatalf("no loss with a %d-byte buffer: the test tests nothing: %+v", tc.rcvbuf, s)
			}
			if !tc.storm && s.ResyncsTotal() != s.Resyncs[ReasonENOBUFS]+s.Resyncs[ReasonOverrun]+s.Resyncs[ReasonNexthopGroup] {
				t.Errorf("re-reads other than the losses' and the groups' ran: %v", s.Resyncs)
			}
			var n int
			m.View(func(s *Snapshot) { n = s.NexthopLen() })
			log.mu.Lock()
			corrected := slices.ContainsFunc(log.changes, func(c ownedChange) bool { return c.kind == KindNexthop && c.resync })
			log.mu.Unlock()
			if n < 100 || !corrected {
				t.Fatalf("%d nexthop objects held, corrected by a resync %v: the storm did not reach them", n, corrected)
			}
			t.Logf("%d nexthop objects held; losses %d, resyncs %v, changes %d", n, s.Losses, s.Resyncs, s.Changes)
		})
	}
}
