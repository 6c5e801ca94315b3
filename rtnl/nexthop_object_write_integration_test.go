package rtnl

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// writtenNexthops are the objects TestIntegrationNexthopWritesShowInIproute2AsWritten
// adds, each with the scope the kernel gives it.
func writtenNexthops(v0 int) []NexthopObject {
	addr := netip.MustParseAddr
	return []NexthopObject{
		{ID: 1, Gateway: addr("10.0.0.2"), OIF: v0, Protocol: ProtocolStatic, Scope: ScopeLink},
		{ID: 2, Family: FamilyIPv4, Gateway: addr("10.9.0.3"), OIF: v0, Flags: RouteFlagOnlink, Protocol: ProtocolBGP, Scope: ScopeLink},
		{ID: 3, Gateway: addr("fd00::2"), OIF: v0, Scope: ScopeLink},
		{ID: 4, Family: FamilyIPv6, OIF: v0, Protocol: 99, Scope: ScopeLink}, // IPv4's would be host
		{ID: 5, Blackhole: true},
		{ID: 6, Family: FamilyIPv6, Blackhole: true, Protocol: ProtocolZebra},
		{ID: 7, Gateway: addr("10.0.0.5"), FDB: true, Scope: ScopeLink},
		{ID: 8, Gateway: addr("fd00::5"), FDB: true, Scope: ScopeLink},
		{ID: 10, Group: []NexthopMember{{1, 1}, {2, 5}, {3, 256}}, Protocol: ProtocolStatic},
		{ID: 11, Group: []NexthopMember{{1, 3}, {2, 200}}, GroupType: NexthopGroupResilient,
			Resilient: NexthopResilient{Buckets: 32, IdleTimer: 1500 * time.Millisecond, HasIdleTimer: true, UnbalancedTimer: 30 * time.Second, HasUnbalancedTimer: true}},
		{ID: 12, Group: []NexthopMember{{4, 1}}, GroupType: NexthopGroupResilient, Resilient: NexthopResilient{Buckets: 8}}, // the kernel's default timers
		{ID: 13, Group: []NexthopMember{{7, 2}}, FDB: true},
		{ID: 14, Group: []NexthopMember{{5, 1}}},
	}
}

func TestIntegrationNexthopWritesShowInIproute2AsWritten(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := dialIn(t, ns)
	v0 := ns.LinkIndex(t, "v0")
	written := writtenNexthops(v0)
	for i := range written {
		if err := c.NexthopAdd(bg, &written[i]); err != nil {
			t.Fatalf("NexthopAdd %d: %v", written[i].ID, err)
		}
	}
	// What ip shows is what was written, with the family NexthopAdd
	// documents and the kernel's defaults for the group left to them.
	want := make([]NexthopObject, len(written))
	for i, n := range written {
		if !n.IsGroup() {
			n.Family = nexthopFamily(&n)
		}
		if n.ID == 12 {
			n.Resilient.IdleTimer = 120 * time.Second
		}
		want[i] = n
	}
	checkNexthopsAgainstIP(t, ns, want)
	got, err := c.NexthopList(bg, NexthopFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Resilient.HasIdleTimer = want[i].GroupType == NexthopGroupResilient
		want[i].Resilient.HasUnbalancedTimer = want[i].GroupType == NexthopGroupResilient
	}
	if g := comparableNexthops(got); !reflect.DeepEqual(g, want) {
		t.Errorf("read back:\n%+v\nwritten:\n%+v", g, want)
	}

	// A decoded object writes back as it was (its reported scope and
	// kernel flags are not sent): replace every one with itself.
	for i := range got {
		if err := c.NexthopReplace(bg, &got[i]); err != nil {
			t.Errorf("NexthopReplace of %d as read: %v", got[i].ID, err)
		}
	}
	checkNexthopsAgainstIP(t, ns, want)

	// Replace changes a gateway, a group's weights and a resilient timer
	// (the other settings stay), and the routes that use them follow.
	ipRun(t, ns, "route", "add", "10.60.0.0/16", "nhid", "1")
	rep := written[0]
	rep.Gateway = netip.MustParseAddr("10.0.0.3")
	if err := c.NexthopReplace(bg, &rep); err != nil {
		t.Fatal(err)
	}
	grp := NexthopObject{ID: 10, Group: []NexthopMember{{1, 7}, {3, 1}}}
	if err := c.NexthopReplace(bg, &grp); err != nil {
		t.Fatal(err)
	}
	res := NexthopObject{ID: 11, Group: written[9].Group, GroupType: NexthopGroupResilient,
		Resilient: NexthopResilient{IdleTimer: 5 * time.Second, HasIdleTimer: true}}
	if err := c.NexthopReplace(bg, &res); err != nil {
		t.Fatal(err)
	}
	shown := map[float64]map[string]any{}
	for _, s := range ipJSON(t, ns, "-d", "nexthop", "show") {
		shown[s["id"].(float64)] = fromIPNexthop(s)
	}
	if shown[1]["gateway"] != "10.0.0.3" {
		t.Errorf("after replacing 1: %v", shown[1])
	}
	if g := shown[10]["group"]; !reflect.DeepEqual(g, []map[string]any{{"id": 1.0, "weight": 7.0}, {"id": 3.0}}) {
		t.Errorf("after replacing 10: %v", g)
	}
	if r, _ := shown[11]["resilient_args"].(map[string]any); r["idle_timer"] != 5.0 || r["buckets"] != 32.0 || r["unbalanced_timer"] != 30.0 {
		t.Errorf("after replacing 11's idle timer: %v", r)
	}
	if r := ipJSON(t, ns, "route", "show", "10.60.0.0/16"); len(r) != 1 || r[0]["gateway"] != "10.0.0.3" {
		t.Errorf("the route through 1 after its replace: %v", r)
	}

	// A route written with a NextHopID uses the group, as ip route shows.
	if err := c.RouteAdd(bg, &Route{Dst: netip.MustParsePrefix("10.61.0.0/16"), NextHopID: 10}); err != nil {
		t.Fatal(err)
	}
	if r := ipJSON(t, ns, "route", "show", "10.61.0.0/16"); len(r) != 1 || num(r[0], "nhid") != 10 || len(r[0]["nexthops"].([]any)) != 2 {
		t.Errorf("the route written through group 10: %v", r)
	}

	// 16-bit weights (Linux 6.12 and later): iproute2 before 6.12 prints
	// the low byte only, so this reads them back through rtnl.
	wide := NexthopObject{ID: 20, Group: []NexthopMember{{1, 1000}, {3, 65535}}}
	if err := c.NexthopAdd(bg, &wide); err != nil {
		t.Fatal(err)
	}
	if n, err := c.NexthopByID(bg, 20); err != nil || !reflect.DeepEqual(n.Group, wide.Group) {
		t.Errorf("a group of 16-bit weights reads back as %+v, %v", n.Group, err)
	}
	t.Logf("%s shows the group of weights 1000 and 65535 as %v", strings.TrimSpace(string(ns.Run(t, "ip", "-V"))), shown20(t, ns))
}

// shown20 is what ip shows of group 20's members.
func shown20(t *testing.T, ns *netnstest.NS) any {
	for _, s := range ipJSON(t, ns, "nexthop", "show", "id", "20") {
		return s["group"]
	}
	return nil
}

// TestIntegrationNexthopWritesGiveTheKernelsErrors: the kernel's refusals
// come back as *engine.OpError with its errno and message, and deleting a
// member takes it out of its groups, deleting a group it leaves empty and
// the routes through it.
func TestIntegrationNexthopWritesGiveTheKernelsErrors(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := dialIn(t, ns)
	v0 := ns.LinkIndex(t, "v0")
	addr := netip.MustParseAddr
	for _, n := range []NexthopObject{
		{ID: 1, Gateway: addr("10.0.0.2"), OIF: v0},
		{ID: 2, Gateway: addr("10.0.0.3"), OIF: v0},
		{ID: 10, Group: []NexthopMember{{1, 1}, {2, 1}}},
		{ID: 11, Group: []NexthopMember{{2, 1}}},
	} {
		if err := c.NexthopAdd(bg, &n); err != nil {
			t.Fatalf("NexthopAdd %d: %v", n.ID, err)
		}
	}
	ipRun(t, ns, "route", "add", "10.70.0.0/16", "nhid", "11")
	for _, e := range []struct {
		what  string
		err   error
		errno unix.Errno
		msg   string
	}{
		{"an id taken", c.NexthopAdd(bg, &NexthopObject{ID: 1, OIF: v0}), unix.EEXIST, ""},
		{"a group with a member that does not exist", c.NexthopAdd(bg, &NexthopObject{ID: 12, Group: []NexthopMember{{1, 1}, {99, 1}}}), unix.EINVAL, "Invalid nexthop id"},
		{"a group in a group", c.NexthopAdd(bg, &NexthopObject{ID: 12, Group: []NexthopMember{{10, 1}}}), unix.EINVAL, "Hash-threshold group can not be a nexthop within a group"},
		{"a member twice", c.NexthopAdd(bg, &NexthopObject{ID: 12, Group: []NexthopMember{{1, 1}, {1, 2}}}), unix.EINVAL, "Nexthop id can not be used twice in a group"},
		{"a single next hop replaced by a group", c.NexthopReplace(bg, &NexthopObject{ID: 1, Group: []NexthopMember{{2, 1}}}), unix.EINVAL, ""},
		{"a replace without an id", c.NexthopReplace(bg, &NexthopObject{OIF: v0}), unix.EINVAL, "Replace requires nexthop id"},
		{"onlink without a gateway", c.NexthopAdd(bg, &NexthopObject{ID: 12, OIF: v0, Flags: RouteFlagOnlink}), unix.EINVAL, "ONLINK flag can not be set for nexthop without a gateway"},
		{"a device that does not exist", c.NexthopAdd(bg, &NexthopObject{ID: 12, OIF: 9999}), unix.EINVAL, "Invalid device index"},
		{"deleting an id that does not exist", c.NexthopDel(bg, 99), unix.ENOENT, ""},
	} {
		var oe *engine.OpError
		if !errors.Is(e.err, e.errno) || !errors.As(e.err, &oe) || oe.Message != e.msg && e.msg != "" {
			t.Errorf("%s: %v, want %v %q", e.what, e.err, e.errno, e.msg)
		}
	}
	if n := ipJSON(t, ns, "nexthop", "show"); len(n) != 4 {
		t.Errorf("the refused writes left %d objects: %v", len(n), n)
	}

	// Deleting 2, a member of 10 and the only member of 11: 10 keeps 1,
	// 11 goes, and so does the route through 11.
	if err := c.NexthopDel(bg, 2); err != nil {
		t.Fatalf("deleting a member of two groups: %v", err)
	}
	left, err := c.NexthopList(bg, NexthopFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].ID != 1 || left[1].ID != 10 || !reflect.DeepEqual(left[1].Group, []NexthopMember{{1, 1}}) {
		t.Errorf("after deleting 2: %+v", left)
	}
	checkNexthopsAgainstIP(t, ns, left)
	if r := ipJSON(t, ns, "route", "show", "10.70.0.0/16"); len(r) != 0 {
		t.Errorf("the route through the emptied group is still there: %v", r)
	}

	// An ID of 0 lets the kernel pick one, which NexthopAdd reports, as
	// ip then lists it.
	picked := NexthopObject{Gateway: addr("10.0.0.9"), OIF: v0}
	if err := c.NexthopAdd(bg, &picked); err != nil {
		t.Fatal(err)
	}
	if l, err := c.NexthopList(bg, NexthopFilter{Family: FamilyIPv4}); err != nil || len(l) != 2 || l[1].ID == 0 || l[1].Gateway != addr("10.0.0.9") {
		t.Errorf("after adding with ID 0: %+v, %v", l, err)
	}
	if w := ipJSON(t, ns, "nexthop", "show", "id", fmt.Sprint(picked.ID)); picked.ID == 0 || len(w) != 1 || str(w[0], "gateway") != "10.0.0.9" {
		t.Errorf("NexthopAdd set ID %d; ip nexthop show id %d: %v", picked.ID, picked.ID, w)
	}

	// A value the wire cannot hold is refused before anything is sent.
	before := c.Engine().Stats().RequestsSent
	for _, n := range []NexthopObject{
		{ID: 30, Family: FamilyIPv6, Gateway: addr("10.0.0.2"), OIF: v0},
		{ID: 30, Group: []NexthopMember{{1, 70000}}},
	} {
		if err := c.NexthopAdd(bg, &n); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", n, err)
		}
	}
	if sent := c.Engine().Stats().RequestsSent - before; sent != 0 {
		t.Errorf("%d requests sent for values refused", sent)
	}
}
