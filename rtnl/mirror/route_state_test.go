package mirror

import (
	"net/netip"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/rtnl"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// sampleRoutes are routes with the fields the compact form must keep.
func sampleRoutes() []rtnl.Route {
	return []rtnl.Route{
		{Family: rtnl.FamilyIPv4, Table: rtnl.TableMain, Dst: pfx("10.1.0.0/16"), Gateway: ip("10.0.0.2"), OIF: 3,
			Protocol: 4, Type: 1, Priority: 10, PrefSrc: ip("10.0.0.1")},
		{Family: rtnl.FamilyIPv4, Table: 1000, Dst: pfx("0.0.0.0/0"), TOS: 0x10, Type: 1,
			Multipath: []rtnl.NextHop{{Gateway: ip("10.0.0.2"), OIF: 3, Weight: 3}, {Gateway: ip("10.0.1.2"), OIF: 4, Weight: 1}},
			Metrics:   rtnl.Metrics{MTU: 1400, AdvMSS: 1360}},
		{Family: rtnl.FamilyIPv4, Table: rtnl.TableMain, Dst: pfx("10.9.0.0/16"), Gateway: ip("fe80::1"), OIF: 3, Type: 1},
		{Family: rtnl.FamilyIPv4, Table: rtnl.TableLocal, Dst: pfx("10.0.0.1/32"), Type: 2, Scope: 254, OIF: 3, Flags: 0x10},
		{Family: rtnl.FamilyIPv6, Table: rtnl.TableMain, Dst: pfx("2001:db8::/48"), Src: pfx("2001:db8:9::/48"),
			Gateway: ip("fd00::3"), OIF: 3, Priority: 1024, Type: 1, Pref: 1, HasPref: true, NextHopID: 7},
		{Family: rtnl.FamilyIPv6, Table: rtnl.TableMain, Dst: pfx("fe80::/64"), OIF: 4, Priority: 256, Type: 1},
		{Family: rtnl.FamilyIPv6, Table: rtnl.TableMain, Dst: pfx("fe80::/64"), OIF: 5, Priority: 256, Type: 1},
		{Family: rtnl.FamilyIPv6, Table: 200, Dst: pfx("2001:db8:3::/48"), Priority: 1024, Type: 1, EncapType: 1, Encap: []byte{8, 0, 1, 0, 0, 0, 0, 1},
			Multipath: []rtnl.NextHop{{Gateway: ip("fd00::2"), OIF: 3, Weight: 2}, {Gateway: ip("fd00::3"), OIF: 3, Weight: 1}}},
	}
}

// TestRouteTableKeepsEveryField: what goes in comes out, field by field,
// under its own key; IPv6 routes that differ only by next hop are two
// routes (fib6 keeps both), and reading one back by its key finds it.
func TestRouteTableKeepsEveryField(t *testing.T) {
	tb := newRouteTable()
	rs := sampleRoutes()
	for i := range rs {
		if ex, ch := tb.upsert(keyOf(&rs[i]), &rs[i], 1); ex || !ch {
			t.Fatalf("route %d: existed %v changed %v", i, ex, ch)
		}
	}
	if tb.len() != len(rs) {
		t.Fatalf("%d routes held, want %d", tb.len(), len(rs))
	}
	var got rtnl.Route
	for i := range rs {
		if !tb.get(keyOf(&rs[i]), &got) {
			t.Fatalf("route %d not found", i)
		}
		if a, b := routeLine(&got), routeLine(&rs[i]); a != b || string(got.Encap) != string(rs[i].Encap) {
			t.Fatalf("route %d:\n got %s\nwant %s", i, a, b)
		}
		if k := KeyOfRoute(&rs[i]); k.compact() != keyOf(&rs[i]) {
			t.Fatalf("route %d: RouteKey %v does not map to its key", i, k)
		}
	}
	if n := tb.sharing(keyOf(&rs[5])); n != 2 {
		t.Fatalf("fe80::/64 routes sharing the key: %d, want 2", n)
	}
}

// TestRouteTableUpdates: the same route again is no change; another
// gateway under the same IPv4 key is an update of that route; removal
// frees it; extras come and go.
func TestRouteTableUpdates(t *testing.T) {
	tb := newRouteTable()
	r := sampleRoutes()[0]
	k := keyOf(&r)
	tb.upsert(k, &r, 1)
	if ex, ch := tb.upsert(k, &r, 2); !ex || ch {
		t.Fatalf("same route: existed %v changed %v", ex, ch)
	}
	r.Gateway = ip("10.0.0.3")
	if keyOf(&r) != k {
		t.Fatal("an IPv4 gateway changed the key")
	}
	if ex, ch := tb.upsert(k, &r, 3); !ex || !ch {
		t.Fatalf("new gateway: existed %v changed %v", ex, ch)
	}
	r.Metrics.MTU = 1300
	tb.upsert(k, &r, 4)
	if len(tb.extras) != 1 {
		t.Fatalf("%d extras", len(tb.extras))
	}
	r.Metrics.MTU = 0
	tb.upsert(k, &r, 5)
	if len(tb.extras) != 0 {
		t.Fatalf("%d extras after the metrics went", len(tb.extras))
	}
	var got rtnl.Route
	tb.get(k, &got)
	if got.Gateway != ip("10.0.0.3") || got.Metrics.MTU != 0 {
		t.Fatalf("held %s", routeLine(&got))
	}
	tb.remove(k)
	if tb.len() != 0 || len(tb.free) != 1 || tb.count != [2]int{} {
		t.Fatalf("after removal: %d routes, %d free, counts %v", tb.len(), len(tb.free), tb.count)
	}
}

// TestApplyRouteUpdateAllocatesNothing: a notification that updates a
// held route (its gateway alternates) is applied without allocating, with
// and without OnChange.
func TestApplyRouteUpdateAllocatesNothing(t *testing.T) {
	if skipAllocs {
		t.Skip("the race detector allocates")
	}
	for _, onChange := range []func(*Change){nil, func(*Change) {}} {
		m := detached(Config{OnChange: onChange})
		var a, b rtnl.Event
		a.Kind, a.Type, a.Route = rtnl.EventRoute, nlmsg.RTMNewRoute, sampleRoutes()[1]
		b = a
		b.Route.Multipath = []rtnl.NextHop{{Gateway: ip("10.0.0.7"), OIF: 3, Weight: 1}, {Gateway: ip("10.0.1.2"), OIF: 4, Weight: 1}}
		m.apply(&a)
		m.apply(&b)
		n := testing.AllocsPerRun(200, func() {
			m.apply(&a)
			m.apply(&b)
		})
		if n != 0 {
			t.Fatalf("OnChange %v: %v allocations per two updates", onChange != nil, n)
		}
		if s := m.Stats(); s.Changes < 400 {
			t.Fatalf("only %d changes: the updates did not apply", s.Changes)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Added.String(), "added"}, {Resynced.String(), "resynced"}, {KindRoute.String(), "route"},
		{ReasonENOBUFS.String(), "enobufs"}, {ReasonLinkDeleted.String(), "link-deleted"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
