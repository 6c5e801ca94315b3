package mirror

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// ipNexthops runs ip -j nexthop show in ns and returns each object as
// "id gateway dev blackhole fdb group type".
func ipNexthops(tb testing.TB, ns *netnstest.NS) []string {
	tb.Helper()
	var objs []map[string]any
	if err := json.Unmarshal(ns.Run(tb, "ip", "-j", "nexthop", "show"), &objs); err != nil {
		tb.Fatalf("ip -j nexthop show: %v", err)
	}
	var out []string
	for _, o := range objs {
		var members []string
		if g, ok := o["group"].([]any); ok {
			for _, e := range g {
				e := e.(map[string]any)
				w := 1.0
				if v, ok := e["weight"].(float64); ok {
					w = v
				}
				members = append(members, fmt.Sprintf("%v/%v", e["id"], w))
			}
		}
		_, bh := o["blackhole"]
		_, fdb := o["fdb"]
		typ := "mpath"
		if t, ok := o["type"].(string); ok {
			typ = t
		}
		if len(members) == 0 {
			typ = ""
		}
		gw, _ := o["gateway"].(string)
		dev, _ := o["dev"].(string)
		out = append(out, fmt.Sprintf("%v %s %s %v %v %v %s", o["id"], gw, dev, bh, fdb, members, typ))
	}
	return sorted(out)
}

// mirrorNexthops prints the mirror's nexthop objects as ipNexthops does.
func mirrorNexthops(m *Mirror) []string {
	names := map[int]string{}
	for _, l := range m.LinkList(rtnl.LinkFilter{}) {
		names[l.Index] = l.Name
	}
	var out []string
	for _, n := range m.NexthopList(rtnl.NexthopFilter{}) {
		var members []string
		for _, e := range n.Group {
			members = append(members, fmt.Sprintf("%d/%d", e.ID, e.Weight))
		}
		typ := ""
		if n.IsGroup() {
			typ = n.GroupType.String()
		}
		gw := ""
		if n.Gateway.IsValid() {
			gw = n.Gateway.String()
		}
		out = append(out, fmt.Sprintf("%d %s %s %v %v %v %s", n.ID, gw, names[n.OIF], n.Blackhole, n.FDB, members, typ))
	}
	return sorted(out)
}

// agree waits for the mirror to equal a fresh dump (every table), a fresh
// rtnl.Snapshot, and ip's nexthop objects and routes.
func agree(t *testing.T, m *Mirror, c *rtnl.Conn, ns *netnstest.NS, d time.Duration) {
	t.Helper()
	converge(t, m, c, d)
	convergeSnapshot(t, m, c, d)
	for t0 := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		gotN, wantN := mirrorNexthops(m), ipNexthops(t, ns)
		gotR, wantR := mirrorRouteKeys(m), ipRouteKeys(t, ns)
		if slices.Equal(gotN, wantN) && slices.Equal(gotR, wantR) {
			return
		}
		if time.Since(t0) > d {
			t.Fatalf("the mirror differs from ip:\n%s", tables{nexthops: gotN, routes: gotR}.diff(tables{nexthops: wantN, routes: wantR}))
		}
	}
}

// exactChanges checks that the nexthop and route changes logged after
// seq are exactly the differences between before and the mirror now:
// one change per object that differs (Added, Updated or Removed, as the
// two states say), none for an object that is the same, and that the
// whole log applied to before gives the mirror's tables.
func exactChanges(t *testing.T, m *Mirror, log *changeLog, before replay, seq uint64) {
	t.Helper()
	after, nowSeq := snapshotReplay(m)
	replayed := replay{}
	for k, v := range before {
		replayed[k] = map[string]string{}
		for kk, vv := range v {
			replayed[k][kk] = vv
		}
	}
	replayed.applyUpTo(t, log, seq, nowSeq)
	if d := replayed.tables().diff(after.tables()); d != "" {
		t.Fatalf("the state before and the changes differ from the mirror:\n%s", d)
	}
	count := map[Kind]map[string][]ChangeOp{KindNexthop: {}, KindRoute: {}}
	log.mu.Lock()
	for _, c := range log.changes {
		if c.seq > seq && c.seq <= nowSeq && count[c.kind] != nil {
			count[c.kind][c.key] = append(count[c.kind][c.key], c.op)
		}
	}
	log.mu.Unlock()
	for _, kind := range []Kind{KindNexthop, KindRoute} {
		keys := map[string]bool{}
		for k := range before[kind] {
			keys[k] = true
		}
		for k := range after[kind] {
			keys[k] = true
		}
		for k := range keys {
			b, inB := before[kind][k]
			a, inA := after[kind][k]
			var want []ChangeOp
			switch {
			case !inB:
				want = []ChangeOp{Added}
			case !inA:
				want = []ChangeOp{Removed}
			case a != b:
				want = []ChangeOp{Updated}
			}
			if got := count[kind][k]; !slices.Equal(got, want) {
				t.Errorf("%v %s: changes %v, want %v (before %q, after %q)", kind, k, got, want, b, a)
			}
		}
	}
}

// nexthopSteps are the steps of TestIntegrationMirrorNexthops: ip
// commands, then what the test checks the kernel did (so that the step
// tests what it says).
var nexthopSteps = []struct {
	name string
	cmds []string
}{
	{"add singles, groups and routes using them", []string{
		"nexthop add id 1 via 10.0.0.2 dev v0",
		"nexthop add id 2 via 10.0.2.2 dev w0",
		"-6 nexthop add id 3 via fd00::2 dev v0",
		"nexthop add id 4 dev w0",
		"nexthop add id 5 blackhole",
		"nexthop add id 6 via 10.0.0.6 dev v0 proto bgp",
		"nexthop add id 10 group 1/2",
		"nexthop add id 11 group 1,2/4,3 type resilient buckets 8 idle_timer 10",
		"nexthop add id 12 group 3",
		"nexthop add id 13 group 6/2",
		"route add 10.50.0.0/16 nhid 10",
		"route add 10.51.0.0/16 nhid 11",
		"route add 10.52.0.0/16 nhid 2",
		"route add 10.53.0.0/16 nhid 13",
		"route add 10.59.0.0/16 nhid 5",
		"-6 route add 2001:db8:50::/48 nhid 12",
		"-6 route add 2001:db8:51::/48 nhid 3",
	}},
	{"replace a single next hop used by routes and groups", []string{"nexthop replace id 1 via 10.0.0.3 dev v0"}},
	{"replace a group (members and weights)", []string{"nexthop replace id 10 group 1,3/2/4"}},
	{"replace a resilient group's timers", []string{"nexthop replace id 11 group 1,2/4,3 type resilient idle_timer 20"}},
	{"replace nothing (the same object)", []string{"nexthop replace id 6 via 10.0.0.6 dev v0 proto bgp"}},
	{"delete a member used by groups", []string{"nexthop del id 1"}},
	{"delete the last member of a group", []string{"nexthop del id 3"}},
	{"link down under nexthops and routes", []string{"link set w0 down"}},
	{"link up, nexthops again", []string{
		"link set w0 up",
		"-6 addr replace fd00:2::1/64 dev w0 nodad", // IPv6 addresses go with the link down
		"nexthop add id 2 via 10.0.2.2 dev w0",
		"nexthop add id 7 via 10.0.0.7 dev v0",
		"nexthop add id 14 group 7/2",
		"route add 10.54.0.0/16 nhid 14",
		"route add 10.55.0.0/16 nhid 2",
		"-6 nexthop add id 8 via fd00:2::2 dev w0",
		"-6 route add 2001:db8:52::/48 nhid 8",
	}},
	{"carrier lost under nexthops and routes", []string{"link set w1 down"}},
	{"carrier back, nexthops again", []string{
		"link set w1 up",
		"-6 addr replace fd00:2::1/64 dev w0 nodad",
		"nexthop add id 2 via 10.0.2.2 dev w0",
		"nexthop replace id 14 group 7/2",
		"route add 10.55.0.0/16 nhid 2",
		"-6 nexthop add id 8 via fd00:2::2 dev w0",
		"-6 route add 2001:db8:52::/48 nhid 8",
	}},
	{"link deleted under nexthops and routes", []string{"link del w0"}},
	{"delete the rest", []string{"nexthop flush"}},
}

// TestIntegrationMirrorNexthops runs nexthopSteps against a mirror, in
// compat mode (routes carry the expanded next hops, and are announced
// again when an object is replaced) and out of it, and after each step
// checks that the mirror equals a fresh dump, a fresh rtnl.Snapshot and
// ip's objects and routes, and that the changes it emitted are exactly
// the differences. The kernel removes without a notification the routes
// of a deleted object (and those of the group its deletion empties), and
// a downed or deleted link's nexthop objects, their members of groups
// and the routes using them; a member leaving a group changes, without
// notification, the routes of the group. A link's carrier lost does to
// its nexthop objects what its going down does.
func TestIntegrationMirrorNexthops(t *testing.T) {
	for _, compat := range []string{"1", "0"} {
		t.Run("compat="+compat, func(t *testing.T) {
			ns := netnstest.New(t)
			var log changeLog
			m, c := nexthopMirror(t, ns, compat, &log)
			for _, step := range nexthopSteps {
				before, seq := snapshotReplay(m)
				for _, cmd := range step.cmds {
					ns.Run(t, "ip", strings.Fields(cmd)...)
				}
				agree(t, m, c, ns, 3*time.Second)
				// A re-read due after the convergence must find nothing.
				time.Sleep(100 * time.Millisecond)
				agree(t, m, c, ns, 3*time.Second)
				exactChanges(t, m, &log, before, seq)
				if t.Failed() {
					t.Fatalf("step %q", step.name)
				}
				checkStep(t, step.name, before, m, compat == "1")
			}
			// (A link deleted goes down first: its re-read counts as a
			// link change.)
			t.Logf("%+v", m.Stats().Resyncs)
			if s := m.Stats(); s.Resyncs[ReasonNexthopGroup] == 0 || s.Resyncs[ReasonLinkChange] < 2 {
				t.Errorf("a re-read the steps need did not run: %+v", s.Resyncs)
			}
		})
	}
}

// checkStep checks that the kernel did what the step is there for.
func checkStep(t *testing.T, name string, before replay, m *Mirror, compat bool) {
	t.Helper()
	held := func(id uint32) bool {
		var ok bool
		m.View(func(s *Snapshot) { _, ok = s.Nexthop(id) })
		return ok
	}
	route := func(dst string) (rtnl.Route, bool) {
		for _, r := range m.RouteList(rtnl.RouteFilter{}) {
			if r.Dst.String() == dst {
				return r, true
			}
		}
		return rtnl.Route{}, false
	}
	switch name {
	case "add singles, groups and routes using them":
		if r, ok := route("10.50.0.0/16"); !ok || r.NextHopID != 10 || compat != (len(r.Multipath) == 2) {
			t.Errorf("route via group 10: %+v", r)
		}
	case "delete a member used by groups":
		if held(1) || !held(10) || !held(11) {
			t.Errorf("nexthop 1 held %v, groups 10, 11 held %v %v", held(1), held(10), held(11))
		}
		if r, ok := route("10.50.0.0/16"); !ok || compat && slices.ContainsFunc(r.Multipath, func(h rtnl.NextHop) bool {
			return h.Gateway.String() == "10.0.0.3"
		}) {
			t.Errorf("route via group 10 still uses nexthop 1: %+v", r)
		}
	case "delete the last member of a group":
		_, r1 := route("2001:db8:50::/48")
		_, r2 := route("2001:db8:51::/48")
		if held(3) || held(12) || r1 || r2 {
			t.Errorf("nexthops 3, 12 held %v %v, their routes %v %v", held(3), held(12), r1, r2)
		}
	case "link down under nexthops and routes":
		r, ok := route("10.53.0.0/16")
		if held(2) || held(4) || !held(13) || !ok || compat && len(r.Multipath) != 0 {
			t.Errorf("nexthops 2, 4 held %v %v, group 13 %v, its route %+v", held(2), held(4), held(13), r)
		}
		if _, ok := route("10.52.0.0/16"); ok {
			t.Error("the route of nexthop 2 is held")
		}
	case "carrier lost under nexthops and routes", "link deleted under nexthops and routes":
		_, r1 := route("10.55.0.0/16")
		_, r2 := route("2001:db8:52::/48")
		if held(2) || held(8) || !held(14) || r1 || r2 {
			t.Errorf("nexthops 2, 8 held %v %v, group 14 %v, routes %v %v", held(2), held(8), held(14), r1, r2)
		}
	case "delete the rest":
		if n := len(m.NexthopList(rtnl.NexthopFilter{})); n != 0 {
			t.Errorf("%d nexthops held", n)
		}
	}
}

// nexthopMirror fills ns with the mirror fixture and a veth w0/w1 with
// addresses of both families on w0, sets nexthop_compat_mode to compat,
// and starts a mirror whose changes go to log, with a Conn to compare it
// with.
func nexthopMirror(t *testing.T, ns *netnstest.NS, compat string, log *changeLog) (*Mirror, *rtnl.Conn) {
	t.Helper()
	fixture(t, ns)
	ns.AddVeth(t, "w0", "w1")
	for _, c := range []string{"addr add 10.0.2.1/24 dev w0", "-6 addr add fd00:2::1/64 dev w0 nodad"} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	if err := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/nexthop_compat_mode", []byte(compat), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	return start(t, ns, Config{OnChange: log.record}), dialIn(t, ns)
}
