package mirror

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/nlengine/nlengine/rtnl"
)

// TestSnapshotFiltersAreRtnlsMatch: the List methods select as the rtnl
// filters' Match does (MatchOnLink for a neighbour's master, by the
// mirror's links); a proxy-table filter (NeighFilter.Proxy) selects
// nothing, since the mirror holds no proxy entries, where it used to be
// ignored and select every neighbour.
func TestSnapshotFiltersAreRtnlsMatch(t *testing.T) {
	m := &Mirror{
		links:  newObjTable(func(l *rtnl.Link) LinkKey { return l.Index }, sameLink, ownLink),
		addrs:  newObjTable(KeyOfAddr, sameAddr, ownAddr),
		neighs: newObjTable(KeyOfNeigh, sameNeigh, ownNeigh),
		routes: newRouteTable(),
	}
	m.links.upsert(&rtnl.Link{Index: 2, Name: "v0", Kind: "veth", MasterIndex: 3}, 0)
	m.links.upsert(&rtnl.Link{Index: 3, Name: "br0", Kind: "bridge"}, 0)
	m.addrs.upsert(&rtnl.Addr{Family: rtnl.FamilyIPv4, LinkIndex: 2, Prefix: pfx("10.0.0.1/24")}, 0)
	m.addrs.upsert(&rtnl.Addr{Family: rtnl.FamilyIPv6, LinkIndex: 3, Prefix: pfx("fd00::1/64")}, 0)
	m.neighs.upsert(&rtnl.Neigh{Family: rtnl.FamilyIPv4, LinkIndex: 2, Dst: netip.MustParseAddr("10.0.0.2"), State: rtnl.NeighReachable}, 0)
	m.neighs.upsert(&rtnl.Neigh{Family: rtnl.FamilyIPv6, LinkIndex: 3, Dst: netip.MustParseAddr("fd00::2"), State: rtnl.NeighStale}, 0)

	links := []rtnl.LinkFilter{{}, {Name: "v0"}, {Name: "v1"}, {Kind: "bridge"}, {MasterIndex: 3}, {MasterIndex: 9}, {NoMaster: true}}
	for _, f := range links {
		want := matching(&m.links, f.Match)
		if got := len(m.LinkList(f)); got != want {
			t.Errorf("LinkList(%+v): %d links, Match keeps %d", f, got, want)
		}
	}
	for _, f := range []rtnl.AddrFilter{{}, {Family: rtnl.FamilyIPv6}, {LinkIndex: 2}, {LinkIndex: 9}} {
		want := matching(&m.addrs, f.Match)
		if got := len(m.AddrList(f)); got != want {
			t.Errorf("AddrList(%+v): %d addresses, Match keeps %d", f, got, want)
		}
	}
	neighs := []rtnl.NeighFilter{{}, {Family: rtnl.FamilyIPv4}, {LinkIndex: 3}, {State: rtnl.NeighStale},
		{Proxy: true}, {Family: rtnl.FamilyIPv4, Proxy: true}}
	for _, f := range neighs {
		want := matching(&m.neighs, f.Match)
		if got := len(m.NeighList(f)); got != want {
			t.Errorf("NeighList(%+v): %d neighbours, Match keeps %d", f, got, want)
		}
	}
	// The master conditions are decided by the mirror's own links: v0's
	// entry is br0's port's, br0's own has no master.
	for f, want := range map[rtnl.NeighFilter][]int{
		{MasterIndex: 3}: {2}, {MasterIndex: 9}: nil, {NoMaster: true}: {3}, {NoMaster: true, Family: rtnl.FamilyIPv4}: nil,
	} {
		var got []int
		for _, n := range m.NeighList(f) {
			got = append(got, n.LinkIndex)
		}
		if !slices.Equal(got, want) {
			t.Errorf("NeighList(%+v): entries of links %v, want %v", f, got, want)
		}
	}
}

// matching counts the objects of t that match keeps.
func matching[K comparable, T any](t *objTable[K, T], match func(*T) bool) int {
	n := 0
	for _, e := range t.m {
		if match(&e.v) {
			n++
		}
	}
	return n
}
