package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

var bg = context.Background()

var debugLog func(testing.TB)

// start runs a mirror of ns with cfg (its Options get ns's fd).
func start(tb testing.TB, ns *netnstest.NS, cfg Config) *Mirror {
	tb.Helper()
	cfg.Options = append(cfg.Options, engine.WithNetNSFD(ns.FD()))
	m, err := New(bg, cfg)
	if err != nil {
		tb.Fatalf("mirror.New: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func dialIn(tb testing.TB, ns *netnstest.NS) *rtnl.Conn {
	tb.Helper()
	c, err := rtnl.Dial(bg, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// routeLine is a route as a comparable line: its identity and what it is
// (expiry aside, which counts down).
func routeLine(r *rtnl.Route) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v t%d %v src=%v tos%d p%d | %v %v %v %v gw=%v oif%d iif%d pref=%v fl=%#x nh%d %v/%v",
		r.Family, r.Table, r.Dst, r.Src, r.TOS, r.Priority, r.Type, r.Protocol, r.Scope, r.PrefSrc,
		r.Gateway, r.OIF, r.IIF, r.Pref, uint32(r.Flags), r.NextHopID, r.EncapType, r.Metrics)
	for _, h := range r.Multipath {
		fmt.Fprintf(&b, " [%v %d w%d %#x]", h.Gateway, h.OIF, h.Weight, uint32(h.Flags))
	}
	return b.String()
}

func linkLine(l *rtnl.Link) string {
	return fmt.Sprintf("%d %s %s fl=%v mtu%d %v %s master%d parent%d f%v nsid%d %s q%d g%d pr%d am%d %+v %+v %+v %+v", l.Index, l.Name, l.Kind, l.Flags, l.MTU,
		l.OperState, l.HardwareAddr, l.MasterIndex, l.ParentIndex, l.Family, l.NetNSID, l.PortKind, l.TxQLen, l.Group,
		l.Promiscuity, l.AllMulti, l.Bridge, l.VXLAN, l.MACVLAN, l.Tun)
}

func addrLine(a *rtnl.Addr) string {
	return fmt.Sprintf("%v %d %v peer=%v %v fl=%#x %q brd=%v m%d p%v", a.Family, a.LinkIndex, a.Prefix, a.Peer, a.Scope,
		uint32(a.Flags), a.Label, a.Broadcast, a.Metric, a.Protocol)
}

func neighLine(n *rtnl.Neigh) string {
	return fmt.Sprintf("%v %d %v %v %v fl=%#x ty%d vlan%d m%d ext%#x p%v", n.Family, n.LinkIndex, n.Dst, n.LLAddr, n.State,
		uint32(n.Flags), n.Type, n.VLAN, n.MasterIndex, uint32(n.FlagsExt), n.Protocol)
}

// nexthopLine is a nexthop object as a comparable line: everything but its
// raw attributes and a resilient group's unbalanced time (it counts up).
func nexthopLine(n *rtnl.NexthopObject) string {
	r := n.Resilient
	return fmt.Sprintf("id%d %v gw=%v oif%d bh%v fdb%v fl=%#x %v %v enc%v/%x grp%v %v res%d/%v/%v/%v/%v",
		n.ID, n.Family, n.Gateway, n.OIF, n.Blackhole, n.FDB, uint32(n.Flags), n.Scope, n.Protocol, n.EncapType, n.Encap,
		n.Group, n.GroupType, r.Buckets, r.IdleTimer, r.HasIdleTimer, r.UnbalancedTimer, r.HasUnbalancedTimer)
}

// tables is a set of lines per kind, the form in which copies are compared.
type tables struct {
	links, addrs, routes, neighs, nexthops []string
}

func sorted(s []string) []string { sort.Strings(s); return s }

// kernelTables dumps ns's tables afresh.
func kernelTables(tb testing.TB, c *rtnl.Conn) tables {
	tb.Helper()
	var t tables
	for l, err := range c.Links(bg, rtnl.LinkFilter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		t.links = append(t.links, linkLine(l))
	}
	for a, err := range c.Addrs(bg, rtnl.AddrFilter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		if mirrored(a.Family) {
			t.addrs = append(t.addrs, addrLine(a))
		}
	}
	for _, f := range []rtnl.Family{rtnl.FamilyIPv4, rtnl.FamilyIPv6} {
		for r, err := range c.Routes(bg, rtnl.RouteFilter{Family: f}) {
			if err != nil {
				tb.Fatal(err)
			}
			t.routes = append(t.routes, routeLine(r))
		}
	}
	for n, err := range c.Neighs(bg, rtnl.NeighFilter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		if mirrorsNeigh(n) {
			t.neighs = append(t.neighs, neighLine(n))
		}
	}
	for n, err := range c.Nexthops(bg, rtnl.NexthopFilter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		t.nexthops = append(t.nexthops, nexthopLine(n))
	}
	t.sort()
	return t
}

func (t *tables) sort() {
	t.links, t.addrs, t.routes, t.neighs, t.nexthops = sorted(t.links), sorted(t.addrs), sorted(t.routes), sorted(t.neighs), sorted(t.nexthops)
}

// mirrorTables reads the mirror's tables in one snapshot.
func mirrorTables(m *Mirror) tables {
	var t tables
	m.View(func(s *Snapshot) {
		for l := range s.Links(rtnl.LinkFilter{}) {
			t.links = append(t.links, linkLine(l))
		}
		for a := range s.Addrs(rtnl.AddrFilter{}) {
			t.addrs = append(t.addrs, addrLine(a))
		}
		for r := range s.Routes(rtnl.RouteFilter{}) {
			t.routes = append(t.routes, routeLine(r))
		}
		for n := range s.Neighs(rtnl.NeighFilter{}) {
			t.neighs = append(t.neighs, neighLine(n))
		}
		for n := range s.Nexthops(rtnl.NexthopFilter{}) {
			t.nexthops = append(t.nexthops, nexthopLine(n))
		}
	})
	t.sort()
	return t
}

// diff describes how b differs from a, "" when equal.
func (a tables) diff(b tables) string {
	var out strings.Builder
	one := func(name string, x, y []string) {
		if slices.Equal(x, y) {
			return
		}
		in := map[string]int{}
		for _, s := range x {
			in[s]++
		}
		for _, s := range y {
			in[s]--
		}
		n := 0
		for s, k := range in {
			if k != 0 && n < 8 {
				fmt.Fprintf(&out, "%s %+d: %s\n", name, k, s)
				n++
			}
		}
		fmt.Fprintf(&out, "%s: %d vs %d\n", name, len(x), len(y))
	}
	one("link", a.links, b.links)
	one("addr", a.addrs, b.addrs)
	one("route", a.routes, b.routes)
	one("neigh", a.neighs, b.neighs)
	one("nexthop", a.nexthops, b.nexthops)
	return out.String()
}

// converge waits up to d for the mirror to equal a fresh dump, and
// returns how long it took; it fails tb with the difference otherwise.
func converge(tb testing.TB, m *Mirror, c *rtnl.Conn, d time.Duration) time.Duration {
	tb.Helper()
	t0 := time.Now()
	var last string
	for {
		k := kernelTables(tb, c)
		last = mirrorTables(m).diff(k)
		if last == "" {
			return time.Since(t0)
		}
		if time.Since(t0) > d {
			if debugLog != nil {
				debugLog(tb)
			}
			// Say whether it is late or wrong: wait up to 10 s more.
			late := "did not converge in 10 s more either"
			for t1 := time.Now(); time.Since(t1) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
				if mirrorTables(m).diff(kernelTables(tb, c)) == "" {
					late = fmt.Sprintf("converged %v after the deadline", time.Since(t1))
					break
				}
			}
			tb.Fatalf("the mirror differs from the kernel after %v (-1: missing in the mirror, +1: only in the mirror); %s:\n%s", d, late, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ipRouteKeys runs ip -j route show table all (IPv4 and IPv6) in ns and
// returns each route as "family dst table metric".
func ipRouteKeys(tb testing.TB, ns *netnstest.NS) []string {
	tb.Helper()
	var keys []string
	for _, fam := range []string{"-4", "-6"} {
		var rs []map[string]any
		out := ns.Run(tb, "ip", "-j", fam, "route", "show", "table", "all")
		if err := json.Unmarshal(out, &rs); err != nil {
			tb.Fatalf("ip -j route: %v", err)
		}
		for _, r := range rs {
			table := "main"
			if t, ok := r["table"]; ok {
				table = fmt.Sprint(t)
			}
			metric := 0.0
			if v, ok := r["metric"].(float64); ok {
				metric = v
			}
			keys = append(keys, fmt.Sprintf("%s %v %s %v", fam, r["dst"], table, metric))
		}
	}
	return sorted(keys)
}

// mirrorRouteKeys prints the mirror's routes as ipRouteKeys does.
func mirrorRouteKeys(m *Mirror) []string {
	var keys []string
	for _, r := range m.RouteList(rtnl.RouteFilter{}) {
		fam := "-4"
		if r.Family == rtnl.FamilyIPv6 {
			fam = "-6"
		}
		dst := r.Dst.String()
		switch {
		case r.Dst.Bits() == 0:
			dst = "default"
		case r.Dst.IsSingleIP():
			dst = r.Dst.Addr().String()
		}
		keys = append(keys, fmt.Sprintf("%s %s %v %v", fam, dst, r.Table, float64(r.Priority)))
	}
	return sorted(keys)
}

// changeLog collects the changes a mirror reports, as owned copies.
type changeLog struct {
	mu      sync.Mutex
	changes []ownedChange
	resyncs []Resync
}

type ownedChange struct {
	op       ChangeOp
	kind     Kind
	seq      uint64
	resync   bool   // found by a resync or re-read (Change.FromResync)
	old, new string // key line and value line
	key      string
}

func (l *changeLog) record(c *Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.Op == Resynced {
		l.resyncs = append(l.resyncs, *c.Resync)
		return
	}
	oc := ownedChange{op: c.Op, kind: c.Kind, seq: c.Seq, resync: c.FromResync}
	switch c.Kind {
	case KindRoute:
		if c.OldRoute != nil {
			oc.old, oc.key = routeLine(c.OldRoute), fmt.Sprint(KeyOfRoute(c.OldRoute))
		}
		if c.NewRoute != nil {
			oc.new, oc.key = routeLine(c.NewRoute), fmt.Sprint(KeyOfRoute(c.NewRoute))
		}
	case KindLink:
		if c.OldLink != nil {
			oc.old, oc.key = linkLine(c.OldLink), fmt.Sprint(c.OldLink.Index)
		}
		if c.NewLink != nil {
			oc.new, oc.key = linkLine(c.NewLink), fmt.Sprint(c.NewLink.Index)
		}
	case KindAddr:
		if c.OldAddr != nil {
			oc.old, oc.key = addrLine(c.OldAddr), fmt.Sprint(KeyOfAddr(c.OldAddr))
		}
		if c.NewAddr != nil {
			oc.new, oc.key = addrLine(c.NewAddr), fmt.Sprint(KeyOfAddr(c.NewAddr))
		}
	case KindNeigh:
		if c.OldNeigh != nil {
			oc.old, oc.key = neighLine(c.OldNeigh), fmt.Sprint(KeyOfNeigh(c.OldNeigh))
		}
		if c.NewNeigh != nil {
			oc.new, oc.key = neighLine(c.NewNeigh), fmt.Sprint(KeyOfNeigh(c.NewNeigh))
		}
	case KindNexthop:
		if c.OldNexthop != nil {
			oc.old, oc.key = nexthopLine(c.OldNexthop), fmt.Sprint(c.OldNexthop.ID)
		}
		if c.NewNexthop != nil {
			oc.new, oc.key = nexthopLine(c.NewNexthop), fmt.Sprint(c.NewNexthop.ID)
		}
	}
	l.changes = append(l.changes, oc)
}

// replay is a copy of the tables keyed by identity, built from a first
// snapshot and then from changes.
type replay map[Kind]map[string]string

// snapshotReplay takes a snapshot of m as a replay, with its Seq.
func snapshotReplay(m *Mirror) (replay, uint64) {
	r := replay{KindLink: {}, KindAddr: {}, KindRoute: {}, KindNeigh: {}, KindNexthop: {}}
	var seq uint64
	m.View(func(s *Snapshot) {
		seq = s.Seq()
		for l := range s.Links(rtnl.LinkFilter{}) {
			r[KindLink][fmt.Sprint(l.Index)] = linkLine(l)
		}
		for a := range s.Addrs(rtnl.AddrFilter{}) {
			r[KindAddr][fmt.Sprint(KeyOfAddr(a))] = addrLine(a)
		}
		for x := range s.Routes(rtnl.RouteFilter{}) {
			r[KindRoute][fmt.Sprint(KeyOfRoute(x))] = routeLine(x)
		}
		for n := range s.Neighs(rtnl.NeighFilter{}) {
			r[KindNeigh][fmt.Sprint(KeyOfNeigh(n))] = neighLine(n)
		}
		for n := range s.Nexthops(rtnl.NexthopFilter{}) {
			r[KindNexthop][fmt.Sprint(n.ID)] = nexthopLine(n)
		}
	})
	return r, seq
}

// apply applies the logged changes after seq, failing tb on a change
// that does not fit (an update or removal of something absent, an
// addition of something present, an old value that is not the held one).
func (r replay) apply(tb testing.TB, l *changeLog, after uint64) {
	tb.Helper()
	r.applyUpTo(tb, l, after, ^uint64(0))
}

// applyUpTo is apply stopping after the change numbered upTo, which it
// waits (up to 1 s) to see logged: OnChange runs after the change applies.
func (r replay) applyUpTo(tb testing.TB, l *changeLog, after, upTo uint64) {
	tb.Helper()
	for t0 := time.Now(); upTo != ^uint64(0); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		n := len(l.changes)
		last := uint64(0)
		if n > 0 {
			last = l.changes[n-1].seq
		}
		l.mu.Unlock()
		if last >= upTo || upTo == after {
			break
		}
		if time.Since(t0) > time.Second {
			tb.Fatalf("change %d not logged after 1 s (last %d)", upTo, last)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	want := after + 1
	for _, c := range l.changes {
		if c.seq <= after {
			continue
		}
		if c.seq > upTo {
			break
		}
		if c.seq != want {
			tb.Fatalf("change seq %d, want %d (a gap or a repeat)", c.seq, want)
		}
		want++
		t := r[c.kind]
		held, ok := t[c.key]
		switch c.op {
		case Added:
			if ok {
				tb.Fatalf("change %d adds %s %s, already held as %s", c.seq, c.kind, c.new, held)
			}
			t[c.key] = c.new
		case Updated, Removed:
			if !ok || held != c.old {
				tb.Fatalf("change %d %v %s: old %q, held %q (held %v)", c.seq, c.op, c.kind, c.old, held, ok)
			}
			if c.op == Updated {
				t[c.key] = c.new
			} else {
				delete(t, c.key)
			}
		}
	}
}

// lines gives the replay as tables.
func (r replay) tables() tables {
	var t tables
	for _, v := range r[KindLink] {
		t.links = append(t.links, v)
	}
	for _, v := range r[KindAddr] {
		t.addrs = append(t.addrs, v)
	}
	for _, v := range r[KindRoute] {
		t.routes = append(t.routes, v)
	}
	for _, v := range r[KindNeigh] {
		t.neighs = append(t.neighs, v)
	}
	for _, v := range r[KindNexthop] {
		t.nexthops = append(t.nexthops, v)
	}
	t.sort()
	return t
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
