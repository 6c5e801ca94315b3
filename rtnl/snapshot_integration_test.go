package rtnl

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// snapshotFixture makes a namespace with a bridge and its ports, a second veth pair,
// IPv4 and IPv6 addresses, routes in main and tables 100 and 200 of both
// families (a multipath one and a blackhole among them), neighbours of
// both families and policy rules of both families, plus extra host routes
// in table 300.
func snapshotFixture(t *testing.T, ns *netnstest.NS, extraRoutes int) {
	t.Helper()
	for _, args := range [][]string{
		{"link", "add", "br0", "type", "bridge"},
		{"link", "add", "va", "type", "veth", "peer", "name", "vb"},
		{"link", "set", "va", "master", "br0"},
		{"link", "add", "d0", "type", "veth", "peer", "name", "d1"},
		// no link-local addresses: no router solicitation makes
		// neighbours appear while the test compares dumps
		{"link", "set", "br0", "addrgenmode", "none"}, {"link", "set", "va", "addrgenmode", "none"},
		{"link", "set", "vb", "addrgenmode", "none"}, {"link", "set", "d0", "addrgenmode", "none"},
		{"link", "set", "d1", "addrgenmode", "none"},
		{"link", "set", "lo", "up"}, {"link", "set", "br0", "up"}, {"link", "set", "va", "up"},
		{"link", "set", "vb", "up"}, {"link", "set", "d0", "up"},
		{"addr", "add", "10.0.0.1/24", "dev", "vb"},
		{"addr", "add", "10.0.1.1/24", "dev", "vb", "label", "vb:one"},
		{"addr", "add", "2001:db8::1/64", "dev", "vb", "nodad"},
		{"addr", "add", "192.168.7.1/24", "dev", "d0"},
		{"addr", "add", "2001:db8:7::1/64", "dev", "d0", "nodad"},
		{"route", "add", "10.9.0.0/16", "via", "10.0.0.254", "table", "100"},
		{"route", "add", "10.8.0.0/16", "nexthop", "via", "10.0.0.2", "nexthop", "via", "10.0.0.3", "weight", "3"},
		{"route", "add", "blackhole", "10.7.0.0/16", "table", "200", "metric", "7"},
		{"-6", "route", "add", "2001:db8:9::/48", "via", "2001:db8::fe", "table", "100"},
		{"-6", "route", "add", "2001:db8:8::/48", "dev", "d0", "table", "200", "metric", "1024"},
		{"neigh", "add", "10.0.0.2", "lladdr", "02:00:00:00:00:02", "dev", "vb", "nud", "permanent"},
		// An hour of reachable_time, not 15 to 45 s: the reachable entry
		// must not turn stale between two dumps of a slow run.
		{"ntable", "change", "name", "arp_cache", "dev", "vb", "base_reachable", "3600000"},
		{"neigh", "add", "10.0.0.3", "lladdr", "02:00:00:00:00:03", "dev", "vb", "nud", "reachable"},
		{"neigh", "add", "2001:db8::2", "lladdr", "02:00:00:00:00:04", "dev", "vb", "nud", "stale", "router"},
		// The entries of the IGMP and MLD report groups, made now rather
		// than by the kernel's first report, which may come between two
		// dumps of a test.
		{"neigh", "replace", "224.0.0.22", "lladdr", "01:00:5e:00:00:16", "dev", "br0", "nud", "noarp"},
		{"-6", "neigh", "replace", "ff02::16", "lladdr", "33:33:00:00:00:16", "dev", "br0", "nud", "noarp"},
		{"-6", "neigh", "replace", "ff02::16", "lladdr", "33:33:00:00:00:16", "dev", "vb", "nud", "noarp"},
		{"-6", "neigh", "replace", "ff02::16", "lladdr", "33:33:00:00:00:16", "dev", "d0", "nud", "noarp"},
		{"rule", "add", "from", "10.9.0.0/16", "table", "100", "priority", "100"},
		{"rule", "add", "fwmark", "7", "table", "200", "priority", "200"},
		{"-6", "rule", "add", "from", "2001:db8:9::/48", "table", "100", "priority", "100"},
		{"nexthop", "add", "id", "1", "via", "10.0.0.2", "dev", "vb"},
		{"nexthop", "add", "id", "2", "via", "2001:db8::2", "dev", "vb", "proto", "bgp"},
		{"nexthop", "add", "id", "3", "blackhole"},
		{"nexthop", "add", "id", "10", "group", "1/2,3"},
		{"nexthop", "add", "id", "11", "group", "1,2/2", "type", "resilient", "buckets", "8"},
		{"nexthop", "add", "id", "12", "group", "3"},
		{"route", "add", "10.60.0.0/16", "nhid", "10"},
	} {
		ipRun(t, ns, args...)
	}
	if extraRoutes > 0 {
		c := dialIn(t, ns)
		ch := make([]RouteChange, extraRoutes)
		for i := range ch {
			ch[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, 1, 300)}
		}
		if err := c.ApplyRoutes(bg, ch); err != nil {
			t.Fatal(err)
		}
	}
}

// separateLists is what Snapshot must equal: the lists, one after the other.
func separateLists(t *testing.T, c *Conn) *Snapshot {
	t.Helper()
	var s Snapshot
	var err error
	var r6 []Route
	if s.Links, err = c.LinkList(bg, LinkFilter{}); err == nil {
		if s.Addrs, err = c.AddrList(bg, AddrFilter{}); err == nil {
			if s.Routes, err = c.RouteList(bg, RouteFilter{Family: FamilyIPv4}); err == nil {
				if r6, err = c.RouteList(bg, RouteFilter{Family: FamilyIPv6}); err == nil {
					if s.Neighs, err = c.NeighList(bg, NeighFilter{}); err == nil {
						if s.Rules, err = c.RuleList(bg, RuleFilter{}); err == nil {
							s.Nexthops, err = c.NexthopList(bg, NexthopFilter{})
						}
					}
				}
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Routes = append(s.Routes, r6...)
	return &s
}

// sameSnapshot compares every field of every value. The Attrs of links,
// neighbours and routes are compared by length only, and the cache times
// of neighbours not at all: their timers and cache info (a bridge's hello
// timer, last use, last confirmation) age between two dumps.
func sameSnapshot(t *testing.T, got, want *Snapshot) {
	t.Helper()
	compare(t, "link", got.Links, want.Links, func(l *Link) *[]byte { return &l.Attrs })
	compare(t, "addr", got.Addrs, want.Addrs, nil)
	compare(t, "route", got.Routes, want.Routes, func(r *Route) *[]byte { return &r.Attrs })
	compare(t, "neigh", got.Neighs, want.Neighs, func(n *Neigh) *[]byte {
		n.Confirmed, n.Used, n.Updated = 0, 0, 0
		return &n.Attrs
	})
	compare(t, "rule", got.Rules, want.Rules, nil)
	compare(t, "nexthop", got.Nexthops, want.Nexthops, func(n *NexthopObject) *[]byte {
		n.Resilient.UnbalancedTime = 0
		return &n.Attrs
	})
}

func compare[T any](t *testing.T, what string, got, want []T, aging func(*T) *[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d %ss in the snapshot, %d in the list", len(got), what, len(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if aging != nil {
			ga, wa := aging(&g), aging(&w)
			if len(*ga) != len(*wa) {
				t.Errorf("%s %d: %d bytes of attributes in the snapshot, %d in the list", what, i, len(*ga), len(*wa))
			}
			*ga, *wa = nil, nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s %d:\nsnapshot %+v\nlist     %+v", what, i, g, w)
			return
		}
	}
}

// TestIntegrationSnapshotEqualsLists checks that a Snapshot holds exactly
// what the separate lists return, field by field, and that a second
// Snapshot reusing the first (and a third reusing a smaller selection of
// kinds) still does.
func TestIntegrationSnapshotEqualsLists(t *testing.T) {
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 0)
	c := dialIn(t, ns)
	s, err := c.Snapshot(bg, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := separateLists(t, c)
	if len(want.Links) < 5 || len(want.Addrs) < 5 || len(want.Routes) < 10 || len(want.Neighs) < 3 || len(want.Rules) < 6 || len(want.Nexthops) != 6 {
		t.Fatalf("fixture too small: %d links, %d addrs, %d routes, %d neighs, %d rules, %d nexthops",
			len(want.Links), len(want.Addrs), len(want.Routes), len(want.Neighs), len(want.Rules), len(want.Nexthops))
	}
	sameSnapshot(t, s, want)

	again, err := c.Snapshot(bg, SnapshotOptions{Reuse: s})
	if err != nil || again != s {
		t.Fatalf("Snapshot reusing the first: %p, %v; want %p", again, err, s)
	}
	sameSnapshot(t, again, want)

	only, err := c.Snapshot(bg, SnapshotOptions{Kinds: SnapshotRoutes6 | SnapshotLinks, Reuse: s})
	if err != nil {
		t.Fatal(err)
	}
	var v6 []Route
	for _, r := range want.Routes {
		if r.Family == FamilyIPv6 {
			v6 = append(v6, r)
		}
	}
	sameSnapshot(t, only, &Snapshot{Links: want.Links, Routes: v6})

	nh, err := c.Snapshot(bg, SnapshotOptions{Kinds: SnapshotNexthops | SnapshotRules, Reuse: s})
	if err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, nh, &Snapshot{Rules: want.Rules, Nexthops: want.Nexthops})
	for i := range nh.Nexthops {
		if g := nh.Nexthops[i].Group; len(g) > 0 && cap(g) != len(g) {
			t.Errorf("nexthop %d: the members' capacity %d exceeds their number %d (an append would overwrite the next group's)",
				nh.Nexthops[i].ID, cap(g), len(g))
		}
	}
}

// TestIntegrationSnapshotOwned checks that a Snapshot's values do not
// change while the Conn runs other dumps (they point into the Snapshot's
// memory, not into receive buffers).
func TestIntegrationSnapshotOwned(t *testing.T) {
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 0)
	c := dialIn(t, ns)
	s, err := c.Snapshot(bg, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keep := separateLists(t, c) // owned copies
	for range 3 {
		separateLists(t, c)
	}
	sameSnapshot(t, s, keep)
}

// TestIntegrationSnapshotCancel cancels snapshots while their dumps run
// (once the Conn has received something): each returns ctx.Err() itself,
// or nil when it finished first, and the Conn then takes a whole Snapshot.
func TestIntegrationSnapshotCancel(t *testing.T) {
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 5000)
	c := dialIn(t, ns)
	cancelled := 0
	for range 20 {
		ctx, cancel := context.WithCancel(bg)
		base := c.Engine().Stats().DatagramsReceived
		done := make(chan struct{})
		go func() {
			defer close(done)
			for c.Engine().Stats().DatagramsReceived == base && ctx.Err() == nil {
				runtime.Gosched()
			}
			cancel()
		}()
		s, err := c.Snapshot(ctx, SnapshotOptions{})
		cancel()
		<-done
		switch {
		case err == context.Canceled && s == nil:
			cancelled++
		case err != nil:
			t.Fatalf("cancelled Snapshot: %v (%p), want context.Canceled itself", err, s)
		}
		if cancelled >= 3 {
			break
		}
	}
	if cancelled == 0 {
		t.Fatal("no Snapshot was cancelled while running")
	}
	t.Logf("%d snapshots cancelled", cancelled)
	s, err := c.Snapshot(bg, SnapshotOptions{})
	if err != nil {
		t.Fatalf("Snapshot after cancellations: %v", err)
	}
	sameSnapshot(t, s, separateLists(t, c))
}

// TestIntegrationSnapshotFailure makes one dump fail (a Conn closed under
// the snapshot) and checks the error names a dump and wraps the engine's.
func TestIntegrationSnapshotFailure(t *testing.T) {
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 0)
	c := dialIn(t, ns)
	c.Close()
	s, err := c.Snapshot(bg, SnapshotOptions{})
	var se *SnapshotError
	var oe *engine.OpError
	if s != nil || !errors.As(err, &se) || se.Kind == 0 || !errors.As(err, &oe) {
		t.Fatalf("Snapshot on a closed Conn: %v (%p), want a *SnapshotError wrapping an *engine.OpError", err, s)
	}
}

// TestIntegrationSnapshotWrongFamily checks that a Conn over a
// NETLINK_GENERIC engine.Conn is refused before anything is sent.
func TestIntegrationSnapshotWrongFamily(t *testing.T) {
	c, ec := genericConn(t)
	if _, err := c.Snapshot(bg, SnapshotOptions{}); !errors.Is(err, engine.ErrWrongFamily) {
		t.Fatalf("Snapshot on a NETLINK_GENERIC Conn: %v, want engine.ErrWrongFamily", err)
	}
	if n := ec.Stats().RequestsSent; n != 0 {
		t.Errorf("%d requests sent before refusing", n)
	}
}

// TestIntegrationSnapshotNoGoroutineLeft counts goroutines before and after
// snapshots, whole, failed and cancelled.
func TestIntegrationSnapshotNoGoroutineLeft(t *testing.T) {
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 1000)
	c := dialIn(t, ns)
	if _, err := c.Snapshot(bg, SnapshotOptions{}); err != nil { // opens the extra sockets
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for i := range 10 {
		ctx, cancel := context.WithTimeout(bg, time.Duration(i)*200*time.Microsecond)
		_, err := c.Snapshot(ctx, SnapshotOptions{})
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before the snapshots, %d after", before, after)
	}
}

// TestIntegrationSnapshotAllocs checks that a Snapshot reusing the previous
// one allocates a bounded number of times, however many values it holds.
func TestIntegrationSnapshotAllocs(t *testing.T) {
	if skipAllocs {
		t.Skip("the race detector allocates")
	}
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 2000)
	c := dialIn(t, ns)
	s, err := c.Snapshot(bg, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Routes) + len(s.Links) + len(s.Addrs) + len(s.Neighs) + len(s.Rules)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := c.Snapshot(bg, SnapshotOptions{Reuse: s}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 100 {
		t.Errorf("a reused Snapshot of %d values allocates %.0f times, want at most 100", n, allocs)
	}
	t.Logf("%d values, %.0f allocations", n, allocs)
}

// TestIntegrationSnapshotInterrupted changes addresses while snapshots
// run, until the kernel marks an address dump interrupted
// (NLM_F_DUMP_INTR): that Snapshot is returned whole, with an error that
// errors.Is engine.ErrDumpInterrupted and names the address dump.
func TestIntegrationSnapshotInterrupted(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	index := ns.LinkIndex(t, "va")
	c := dialIn(t, ns)
	ops := make([]engine.Op, 1500)
	for i := range ops {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 32)
		ops[i] = engine.Op{Type: nlmsg.RTMNewAddr, Flags: nlmsg.Create | nlmsg.Excl, Payload: mustEncode(t)((&Addr{Prefix: p, LinkIndex: index}).appendTo(nil))}
	}
	if err := c.Engine().Batch(bg, ops); err != nil {
		t.Fatal(err)
	}
	other := dialIn(t, ns)
	stop := make(chan struct{})
	churned := make(chan struct{})
	churn := mustEncode(t)((&Addr{Prefix: netip.MustParsePrefix("10.2.0.1/32"), LinkIndex: index}).appendTo(nil))
	go func() {
		defer close(churned)
		add := []engine.Op{{Type: nlmsg.RTMNewAddr, Flags: nlmsg.Create | nlmsg.Excl, Payload: churn}}
		del := []engine.Op{{Type: nlmsg.RTMDelAddr, Payload: churn}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			other.Engine().Batch(bg, add)
			other.Engine().Batch(bg, del)
		}
	}()
	defer func() { close(stop); <-churned }()
	for range 200 {
		s, err := c.Snapshot(bg, SnapshotOptions{Kinds: SnapshotAddrs | SnapshotLinks})
		if err == nil {
			continue
		}
		var se *SnapshotError
		if !errors.Is(err, engine.ErrDumpInterrupted) || !errors.As(err, &se) || se.Kind != SnapshotAddrs {
			t.Fatalf("Snapshot: %v, want an interrupted address dump", err)
		}
		if s == nil || len(s.Addrs) < 1500 || len(s.Links) < 3 {
			t.Fatalf("interrupted Snapshot %p: want it whole", s)
		}
		return
	}
	t.Fatal("no address dump was interrupted in 200 snapshots")
}
