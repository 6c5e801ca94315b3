package mirror

import (
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/nlengine/nlengine/rtnl"
)

func newNexthopTable() objTable[NexthopKey, rtnl.NexthopObject] {
	return newObjTable(func(n *rtnl.NexthopObject) NexthopKey { return n.ID }, sameNexthop, ownNexthop)
}

// TestNexthopSameAndOwn: a held object is an owned copy (no Attrs, its
// own Group and Encap), an object that differs only by its raw attributes
// or a resilient group's unbalanced time is the same, and one that differs
// in any other field (a member's weight among them) is not.
func TestNexthopSameAndOwn(t *testing.T) {
	base := rtnl.NexthopObject{ID: 10, Group: []rtnl.NexthopMember{{ID: 1, Weight: 1}, {ID: 2, Weight: 3}},
		GroupType: rtnl.NexthopGroupResilient, Resilient: rtnl.NexthopResilient{Buckets: 8, IdleTimer: time.Second, HasIdleTimer: true},
		Encap: []byte{1, 2}, Attrs: []byte{9, 9, 9}}
	tab := newNexthopTable()
	_, cur, changed := tab.upsert(&base, 1)
	if !changed || cur.v.Attrs != nil || &cur.v.Group[0] == &base.Group[0] || &cur.v.Encap[0] == &base.Encap[0] {
		t.Fatalf("held copy %+v is not owned", cur.v)
	}
	same := base
	same.Attrs = nil
	same.Resilient.UnbalancedTime = time.Minute
	same.Group = slices.Clone(base.Group)
	if _, _, changed := tab.upsert(&same, 2); changed {
		t.Error("an object differing by Attrs and UnbalancedTime changed the table")
	}
	for name, edit := range map[string]func(n *rtnl.NexthopObject){
		"weight":   func(n *rtnl.NexthopObject) { n.Group[1].Weight = 4 },
		"member":   func(n *rtnl.NexthopObject) { n.Group = n.Group[:1] },
		"type":     func(n *rtnl.NexthopObject) { n.GroupType = rtnl.NexthopGroupMpath },
		"buckets":  func(n *rtnl.NexthopObject) { n.Resilient.Buckets = 16 },
		"idle":     func(n *rtnl.NexthopObject) { n.Resilient.IdleTimer = 2 * time.Second },
		"gateway":  func(n *rtnl.NexthopObject) { n.Gateway = netip.MustParseAddr("10.0.0.1") },
		"oif":      func(n *rtnl.NexthopObject) { n.OIF = 3 },
		"protocol": func(n *rtnl.NexthopObject) { n.Protocol = rtnl.ProtocolStatic },
		"flags":    func(n *rtnl.NexthopObject) { n.Flags = rtnl.RouteFlagOnlink },
		"encap":    func(n *rtnl.NexthopObject) { n.Encap = []byte{1, 3} },
		"fdb":      func(n *rtnl.NexthopObject) { n.FDB = true },
	} {
		o := base
		o.Group = slices.Clone(base.Group)
		edit(&o)
		if sameNexthop(&base, &o) {
			t.Errorf("a change of %s is no change", name)
		}
	}
}

func TestNexthopLostMembers(t *testing.T) {
	g := func(ids ...uint32) *rtnl.NexthopObject {
		n := &rtnl.NexthopObject{ID: 10}
		for _, id := range ids {
			n.Group = append(n.Group, rtnl.NexthopMember{ID: id, Weight: 1})
		}
		return n
	}
	for _, c := range []struct {
		old, cur *rtnl.NexthopObject
		lost     bool
	}{
		{g(1, 2), g(2), true}, {g(1, 2), g(1, 2, 3), false}, {g(1, 2), g(2, 1), false}, {g(1, 2), g(3, 4), true}, {g(1), g(), true},
	} {
		if got := lostMembers(c.old, c.cur); got != c.lost {
			t.Errorf("lostMembers(%v, %v) = %v", c.old.Group, c.cur.Group, got)
		}
	}
}

// TestSnapshotNexthopFilters: Nexthops and NexthopList select as
// rtnl.NexthopFilter.Match does, and decide MasterIndex by the mirror's
// own links; NexthopList comes by id.
func TestSnapshotNexthopFilters(t *testing.T) {
	m := &Mirror{
		links:    newObjTable(func(l *rtnl.Link) LinkKey { return l.Index }, sameLink, ownLink),
		nexthops: newNexthopTable(),
	}
	m.links.upsert(&rtnl.Link{Index: 2, Name: "p0", MasterIndex: 3}, 0)
	m.links.upsert(&rtnl.Link{Index: 3, Name: "br0", Kind: "bridge"}, 0)
	m.links.upsert(&rtnl.Link{Index: 4, Name: "v0"}, 0)
	for _, n := range []rtnl.NexthopObject{
		{ID: 9, Family: rtnl.FamilyIPv4, OIF: 2, Gateway: netip.MustParseAddr("10.0.0.2")},
		{ID: 3, Family: rtnl.FamilyIPv6, OIF: 4, Protocol: rtnl.ProtocolStatic},
		{ID: 5, Family: rtnl.FamilyIPv4, Blackhole: true},
		{ID: 7, Family: rtnl.FamilyIPv4, Gateway: netip.MustParseAddr("10.0.0.5"), FDB: true},
		{ID: 20, Group: []rtnl.NexthopMember{{ID: 9, Weight: 1}, {ID: 3, Weight: 1}}},
		{ID: 21, Group: []rtnl.NexthopMember{{ID: 7, Weight: 1}}, FDB: true},
	} {
		m.nexthops.upsert(&n, 0)
	}
	for f, want := range map[rtnl.NexthopFilter][]uint32{
		{}:                              {3, 5, 7, 9, 20, 21},
		{ID: 9}:                         {9},
		{Family: rtnl.FamilyIPv4}:       {5, 7, 9},
		{OIF: 4}:                        {3},
		{OIF: 1}:                        {5}, // the loopback a blackhole is bound to
		{Groups: true}:                  {20, 21},
		{FDB: true}:                     {7, 21},
		{Protocol: rtnl.ProtocolStatic}: {3},
		{MasterIndex: 3}:                {9},
		{MasterIndex: 4}:                nil,
	} {
		var got []uint32
		for _, n := range m.NexthopList(f) {
			got = append(got, n.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("NexthopList(%+v) = %v, want %v", f, got, want)
		}
		if f.MasterIndex == 0 {
			if n := matching(&m.nexthops, f.Match); n != len(want) {
				t.Errorf("NexthopList(%+v): %d objects, Match keeps %d", f, len(want), n)
			}
		}
	}
	var n int
	var ok bool
	m.View(func(s *Snapshot) { n = s.NexthopLen(); _, ok = s.Nexthop(20) })
	if n != 6 || !ok {
		t.Errorf("NexthopLen %d, Nexthop(20) %v", n, ok)
	}
}

func TestNexthopKindAndReasonNames(t *testing.T) {
	if KindNexthop.String() != "nexthop" || ReasonNexthopGroup.String() != "nexthop-group" {
		t.Errorf("names %q, %q", KindNexthop, ReasonNexthopGroup)
	}
}

// nexthopUsers counts the routes of t per NextHopID, walking it.
func nexthopUsers(t *routeTable) map[uint32]uint32 {
	n := map[uint32]uint32{}
	for _, v := range t.all() {
		if v.nhID != 0 {
			n[v.nhID]++
		}
	}
	return n
}

// TestRouteTableCountsNexthopUsers: the count of routes per nexthop object
// follows additions, updates that change a route's object (or drop it)
// and removals, as a walk of the table counts them.
func TestRouteTableCountsNexthopUsers(t *testing.T) {
	tab := newRouteTable()
	var rs []rtnl.Route
	for i := range 50 {
		r := benchRoute(i, 3)
		r.NextHopID = uint32(i % 4) // 0: none
		rs = append(rs, r)
		tab.upsert(keyOf(&r), &r, 1)
	}
	check := func(when string) {
		t.Helper()
		if want := nexthopUsers(&tab); !maps.Equal(tab.nhUsers, want) {
			t.Fatalf("%s: counted %v, the table holds %v", when, tab.nhUsers, want)
		}
	}
	check("added")
	for i := range rs {
		rs[i].NextHopID = uint32(i % 3)
		tab.upsert(keyOf(&rs[i]), &rs[i], 2)
	}
	check("updated")
	if ids := map[uint32]bool{1: true, 7: true}; tab.usersOf(ids) != int(tab.nhUsers[1]) || tab.nhUsers[1] == 0 {
		t.Fatalf("usersOf %v = %d, want %d", ids, tab.usersOf(ids), tab.nhUsers[1])
	}
	for i := range rs[:30] {
		tab.remove(keyOf(&rs[i]))
	}
	check("removed")
}
