package mirror

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// snapshotTables is a fresh rtnl.Snapshot as tables, less what the mirror
// leaves out by design: addresses of other families and neighbours of
// multicast destinations. It fails tb on a proxy or FDB entry, which a
// Snapshot must not hold either.
func snapshotTables(tb testing.TB, c *rtnl.Conn) tables {
	tb.Helper()
	s, err := c.Snapshot(bg, rtnl.SnapshotOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var t tables
	for i := range s.Links {
		t.links = append(t.links, linkLine(&s.Links[i]))
	}
	for i := range s.Addrs {
		if mirrored(s.Addrs[i].Family) {
			t.addrs = append(t.addrs, addrLine(&s.Addrs[i]))
		}
	}
	for i := range s.Routes {
		t.routes = append(t.routes, routeLine(&s.Routes[i]))
	}
	for i := range s.Neighs {
		n := &s.Neighs[i]
		if !mirrored(n.Family) || n.Flags&rtnl.NeighProxy != 0 {
			tb.Fatalf("the Snapshot holds %s", neighLine(n))
		}
		if !n.Dst.IsMulticast() {
			t.neighs = append(t.neighs, neighLine(n))
		}
	}
	for i := range s.Nexthops {
		t.nexthops = append(t.nexthops, nexthopLine(&s.Nexthops[i]))
	}
	t.sort()
	return t
}

// convergeSnapshot waits up to d for the mirror to equal a fresh
// rtnl.Snapshot.
func convergeSnapshot(tb testing.TB, m *Mirror, c *rtnl.Conn, d time.Duration) {
	tb.Helper()
	var last string
	for t0 := time.Now(); time.Since(t0) < d; time.Sleep(5 * time.Millisecond) {
		if last = mirrorTables(m).diff(snapshotTables(tb, c)); last == "" {
			return
		}
	}
	tb.Fatalf("the mirror differs from a Snapshot after %v (-1: missing in the mirror, +1: only in the mirror):\n%s", d, last)
}

// TestIntegrationMirrorPortsMovesProxiesFDBAndReplaces: the mirror stays
// equal to a fresh rtnl.Snapshot, in every field it compares, when a port
// leaves its bridge (an RTM_DELLINK of family bridge, which must not
// remove the link), when a link with addresses, routes (one a multipath
// route with a hop through it) and a neighbour moves to another namespace
// (all of them go), when proxy entries and FDB entries come and go (the
// kernel announces no proxy entry; the mirror, like Snapshot, holds
// neither), when a neighbour is replaced by itself (its cache times tick:
// no change) and when addresses are replaced with another protocol (an
// update). Verifications meanwhile correct nothing.
func TestIntegrationMirrorPortsMovesProxiesFDBAndReplaces(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	if err := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/default/accept_dad", []byte("0"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	fixture(t, ns)
	ip := func(cmd string) { t.Helper(); ns.Run(t, "ip", strings.Fields(cmd)...) }
	ns.AddVeth(t, "pm0", "pm1")
	for _, c := range []string{
		// br0's address is set, so that it stays when a port leaves: a
		// bridge that takes its ports' smallest address changes it then,
		// and a verification that reads the change before its notification
		// arrives counts a correction this test would blame on the mirror.
		"link add br0 address 02:00:00:00:b0:01 type bridge", "link set br0 up", "link set pm0 master br0", "link set pm0 up", "link set pm1 up",
		"link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 nolearning", "link set vx0 master br0", "link set vx0 up",
		"addr add 10.7.0.1/24 dev pm1", "-6 addr add fd07::1/64 dev pm1 nodad",
		"route add 10.70.0.0/16 via 10.7.0.2 table 300", "-6 route add 2001:db8:70::/48 via fd07::2 table 300",
		"route add 10.71.0.0/16 nexthop via 10.7.0.2 nexthop via 10.0.0.2",
		"-6 route add 2001:db8:71::/48 nexthop via fd07::2 nexthop via fd00::2",
		"neigh add 10.7.0.2 lladdr 02:00:00:00:07:02 dev pm1",
		"neigh add proxy 10.0.0.77 dev v0", "-6 neigh add proxy fd00::77 dev v0",
	} {
		ip(c)
	}
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:aa:01", "dev", "vx0", "dst", "10.0.0.9")
	var log changeLog
	m := start(t, ns, Config{OnChange: log.record, Verify: 50 * time.Millisecond})
	c := dialIn(t, ns)
	convergeSnapshot(t, m, c, time.Second)
	pm0, pm1, v0 := ns.LinkIndex(t, "pm0"), ns.LinkIndex(t, "pm1"), ns.LinkIndex(t, "v0")

	_, left := snapshotReplay(m)
	ip("link set pm0 nomaster")
	convergeSnapshot(t, m, c, time.Second)
	_, moved := snapshotReplay(m)
	log.mu.Lock()
	for _, ch := range log.changes {
		if ch.seq > left && ch.seq <= moved && (ch.op != Updated || ch.resync) {
			t.Errorf("pm0 leaving br0: change %d %v %v (from a resync %v) %s -> %s", ch.seq, ch.op, ch.kind, ch.resync, ch.old, ch.new)
		}
	}
	log.mu.Unlock()
	if l, ok := m.LinkList(rtnl.LinkFilter{Name: "pm0"}), true; !ok || len(l) != 1 || l[0].Index != pm0 || l[0].MasterIndex != 0 {
		t.Fatalf("pm0 after leaving br0: %+v", l)
	}
	if err := c.LinkSetNetNS(bg, pm1, other.FD()); err != nil {
		t.Fatal(err)
	}
	convergeSnapshot(t, m, c, time.Second)
	m.View(func(s *Snapshot) {
		if _, ok := s.Link(pm1); ok {
			t.Error("the moved link is still held")
		}
		for a := range s.Addrs(rtnl.AddrFilter{LinkIndex: pm1}) {
			t.Errorf("an address of the moved link is held: %s", addrLine(a))
		}
		for n := range s.Neighs(rtnl.NeighFilter{LinkIndex: pm1}) {
			t.Errorf("a neighbour of the moved link is held: %s", neighLine(n))
		}
		for r := range s.Routes(rtnl.RouteFilter{}) {
			if strings.Contains(routeLine(r), "7::/48") && strings.Contains(routeLine(r), "fd07") || r.OIF == pm1 {
				t.Errorf("a route through the moved link is held: %s", routeLine(r))
			}
		}
	})

	_, seq := snapshotReplay(m)
	ip("neigh add proxy 10.0.0.78 dev v0")
	ip("neigh del proxy 10.0.0.77 dev v0")
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:aa:02", "dev", "vx0", "dst", "10.0.0.10")
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:aa:03", "dev", "vx0", "master", "static")
	ns.Run(t, "bridge", "fdb", "del", "02:00:00:00:aa:01", "dev", "vx0", "dst", "10.0.0.9")
	ip("neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev v0")
	ip("neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev v0")
	ip("neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev v0 nud reachable")
	for _, a := range []rtnl.Addr{
		{LinkIndex: v0, Prefix: pfx("10.0.0.1/24"), Protocol: 99},
		{LinkIndex: v0, Prefix: pfx("fd00::1/64"), Flags: rtnl.AddrNoDAD, Protocol: 98},
	} {
		if err := c.AddrReplace(bg, &a); err != nil {
			t.Fatal(err)
		}
	}
	convergeSnapshot(t, m, c, time.Second)
	for _, k := range []AddrKey{
		{Family: rtnl.FamilyIPv4, LinkIndex: v0, Prefix: pfx("10.0.0.1/24")},
		{Family: rtnl.FamilyIPv6, LinkIndex: v0, Prefix: pfx("fd00::1/64")},
	} {
		m.View(func(s *Snapshot) {
			if a, ok := s.Addr(k); !ok || a.Protocol < 98 {
				t.Errorf("address %v after its replace: %v", k, ok)
			}
		})
	}
	// Verifications of the final state, while the cache times tick,
	// correct nothing (the one under way may have seen a change before
	// its notification: count from the next).
	verifies := func(n uint64) uint64 {
		t.Helper()
		v := m.Stats().Resyncs[ReasonVerify]
		for deadline := time.Now().Add(5 * time.Second); m.Stats().Resyncs[ReasonVerify] < v+n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no verification in 5 s: %+v", m.Stats())
			}
		}
		return m.Stats().Corrections[ReasonVerify]
	}
	if before, after := verifies(1), verifies(3); after != before {
		t.Errorf("verifications of a settled copy corrected %d objects", after-before)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	var neighUpdates, addrUpdates int
	for _, ch := range log.changes {
		if ch.seq <= seq {
			continue
		}
		switch {
		case ch.kind == KindNeigh && ch.op == Updated && strings.Contains(ch.key, "10.0.0.2"):
			neighUpdates++
		case ch.kind == KindAddr && ch.op == Updated:
			addrUpdates++
		default:
			t.Errorf("unexpected change %d %v %v %s -> %s", ch.seq, ch.op, ch.kind, ch.old, ch.new)
		}
	}
	if neighUpdates != 1 || addrUpdates != 2 {
		t.Errorf("%d updates of 10.0.0.2 (want 1: to reachable), %d of addresses (want 2: their protocols)", neighUpdates, addrUpdates)
	}
}

// TestIntegrationMirrorNeighbourDelayIsSilent: the kernel puts a stale
// entry that is used into DELAY without a notification, so the mirror
// keeps it STALE (as the package doc says) until the PROBE that the
// kernel does announce, which it then follows.
func TestIntegrationMirrorNeighbourDelayIsSilent(t *testing.T) {
	ns := netnstest.New(t)
	fixture(t, ns)
	for _, c := range []string{
		"ntable change name arp_cache dev v0 delay_probe 300",
		"neigh replace 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0 nud stale",
	} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	m := start(t, ns, Config{})
	c := dialIn(t, ns)
	k := NeighKey{Family: rtnl.FamilyIPv4, LinkIndex: ns.LinkIndex(t, "v0"), Dst: netip.MustParseAddr("10.0.0.9")}
	state := func() (kernel, mirror rtnl.NeighState) {
		for n, err := range c.Neighs(bg, rtnl.NeighFilter{LinkIndex: k.LinkIndex}) {
			if err != nil {
				t.Fatal(err)
			}
			if n.Dst == k.Dst {
				kernel = n.State
			}
		}
		m.View(func(s *Snapshot) {
			if n, ok := s.Neigh(k); ok {
				mirror = n.State
			}
		})
		return kernel, mirror
	}
	if err := ns.Do(func() error {
		u, err := net.Dial("udp4", "10.0.0.9:9")
		if err != nil {
			return err
		}
		defer u.Close()
		_, err = u.Write([]byte("x"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if kernel, mirror := state(); kernel != rtnl.NeighDelay || mirror != rtnl.NeighStale {
		t.Fatalf("after a send: kernel %v, mirror %v; want DELAY and STALE", kernel, mirror)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		kernel, mirror := state()
		if mirror == rtnl.NeighProbe || mirror == rtnl.NeighFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("2 s after the send: kernel %v, mirror %v", kernel, mirror)
		}
	}
}

// TestIntegrationMirrorNeighMasterFiltersAgreeWithIP: the mirror's
// NeighList with NeighFilter.MasterIndex and NoMaster, which it decides
// by its own links, lists what `ip -j neigh show master br0` and `ip -j
// neigh show nomaster` list, before and after a port leaves the bridge.
func TestIntegrationMirrorNeighMasterFiltersAgreeWithIP(t *testing.T) {
	ns := netnstest.New(t)
	fixture(t, ns)
	ns.AddVeth(t, "pm0", "pm1")
	for _, c := range []string{
		"link add br0 type bridge", "link set br0 up", "link set pm0 master br0", "link set pm0 up", "link set pm1 up",
		"neigh add 10.8.0.2 lladdr 02:00:00:00:08:02 dev pm0", "-6 neigh add fd08::2 lladdr 02:00:00:00:08:03 dev pm0",
		"neigh add 10.8.1.2 lladdr 02:00:00:00:08:04 dev pm1",
	} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	m := start(t, ns, Config{})
	c := dialIn(t, ns)
	br0 := ns.LinkIndex(t, "br0")
	check := func(when string) {
		t.Helper()
		convergeSnapshot(t, m, c, time.Second)
		for _, q := range []struct {
			f  rtnl.NeighFilter
			ip string
		}{
			{rtnl.NeighFilter{MasterIndex: br0}, "neigh show master br0"},
			{rtnl.NeighFilter{NoMaster: true}, "neigh show nomaster"},
			{rtnl.NeighFilter{NoMaster: true, Family: rtnl.FamilyIPv6}, "-6 neigh show nomaster"},
		} {
			var want, got []string
			var shown []map[string]any
			if err := json.Unmarshal(ns.Run(t, "ip", append([]string{"-j"}, strings.Fields(q.ip)...)...), &shown); err != nil {
				t.Fatal(err)
			}
			for _, w := range shown {
				want = append(want, fmt.Sprint(w["dst"], " ", w["dev"]))
			}
			for _, n := range m.NeighList(q.f) {
				l, _ := c.LinkByIndex(bg, n.LinkIndex)
				got = append(got, n.Dst.String()+" "+l.Name)
			}
			if slices.Sort(want); len(want) == 0 {
				t.Fatalf("%s: ip %s lists nothing", when, q.ip)
			}
			if slices.Sort(got); !slices.Equal(got, want) {
				t.Errorf("%s: NeighList(%+v) = %v, ip %s lists %v", when, q.f, got, q.ip, want)
			}
		}
	}
	check("pm0 in br0")
	ns.Run(t, "ip", "link", "set", "pm1", "master", "br0")
	check("pm1 joined br0")
	ns.Run(t, "ip", "link", "set", "pm0", "nomaster")
	check("pm0 left br0")
}
