package rtnl

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIntegrationRouteWritesShowInIproute2AsWritten(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := dialIn(t, ns)
	ctx := context.Background()
	v0 := ns.LinkIndex(t, "v0")
	pfx, addr := netip.MustParsePrefix, netip.MustParseAddr
	written := []Route{
		{Dst: pfx("0.0.0.0/0"), Gateway: addr("10.0.0.254"), OIF: v0, Table: 1000, Protocol: ProtocolStatic},
		{Dst: pfx("10.20.0.0/16"), Gateway: addr("10.0.0.2"), OIF: v0, Table: 1000, Protocol: ProtocolStatic, Priority: 5,
			Metrics: Metrics{MTU: 1400, AdvMSS: 1360, Window: 5000, HopLimit: 33, InitCWnd: 10, Congestion: "cubic"}},
		{Dst: pfx("10.21.0.0/16"), Table: 1000, Protocol: ProtocolBird, Multipath: []NextHop{
			{Gateway: addr("10.0.0.2"), OIF: v0, Weight: 3},
			{Gateway: addr("10.0.0.3"), OIF: v0, Weight: 1, Flags: RouteFlagOnlink},
		}},
		{Dst: pfx("10.22.0.0/16"), Type: RouteTypeBlackhole, Table: 1000},
		{Dst: pfx("10.24.0.0/16"), Type: RouteTypeUnreachable, Table: 1000},
		{Dst: pfx("10.25.0.0/16"), Type: RouteTypeProhibit, Table: 1000},
		{Dst: pfx("10.23.0.0/16"), Gateway: addr("fe80::1"), OIF: v0, Table: 1000},
		{Dst: pfx("10.26.0.1/32"), OIF: v0, Scope: ScopeLink, PrefSrc: addr("10.0.0.1"), TOS: 0x10, Table: 1000},
		{Dst: pfx("10.27.0.0/16"), Gateway: addr("10.0.0.2"), OIF: v0, Table: 1000, Realms: MakeRealms(3, 4)},
		{Dst: pfx("10.28.0.0/16"), Table: 1000, Multipath: []NextHop{
			{Gateway: addr("10.0.0.2"), OIF: v0, Weight: 1, Realms: MakeRealms(0, 5)},
			{Gateway: addr("10.0.0.3"), OIF: v0, Weight: 1, Realms: MakeRealms(2, 6)},
		}},
	}
	for i := range written {
		if err := c.RouteAdd(ctx, &written[i]); err != nil {
			t.Fatalf("RouteAdd %v: %v", written[i].Dst, err)
		}
	}
	// What ip shows is what was written, with the defaults RouteAdd documents.
	want := make([]Route, len(written))
	for i, r := range written {
		r.Family = FamilyIPv4
		if r.Type == 0 {
			r.Type = RouteTypeUnicast
		}
		if r.Protocol == 0 {
			r.Protocol = ProtocolBoot
		}
		want[i] = r
	}
	got, err := c.RouteList(ctx, RouteFilter{Table: 1000})
	if err != nil {
		t.Fatal(err)
	}
	names := linkNames(t, ns)
	shown := ipJSON(t, ns, "-d", "-4", "route", "show", "table", "1000")
	if len(shown) != len(want) || len(got) != len(want) {
		t.Fatalf("ip shows %d routes, rtnl lists %d, %d written", len(shown), len(got), len(want))
	}
	for _, w := range want {
		exp := ipView(&w, names)
		delete(exp, "table")
		found := false
		for _, s := range shown {
			if s["dst"] == exp["dst"] {
				found = true
				if g := fromIP(s); !reflect.DeepEqual(g, exp) {
					t.Errorf("%v:\nwritten %v\nip      %v", w.Dst, exp, g)
				}
			}
		}
		if !found {
			t.Errorf("%v: not shown by ip", w.Dst)
		}
	}

	// Replace changes the gateway in place; delete by destination alone.
	rep := written[1]
	rep.Gateway = addr("10.0.0.3")
	if err := c.RouteReplace(ctx, &rep); err != nil {
		t.Fatal(err)
	}
	if err := c.RouteDel(ctx, &Route{Dst: pfx("10.22.0.0/16"), Table: 1000}); err != nil {
		t.Fatal(err)
	}
	after := map[string]map[string]any{}
	for _, s := range ipJSON(t, ns, "-d", "-4", "route", "show", "table", "1000") {
		after[s["dst"].(string)] = s
	}
	if after["10.20.0.0/16"]["gateway"] != "10.0.0.3" {
		t.Errorf("after RouteReplace ip shows %v", after["10.20.0.0/16"])
	}
	if _, ok := after["10.22.0.0/16"]; ok || len(after) != len(written)-1 {
		t.Errorf("after RouteDel ip shows %d routes: %v", len(after), after)
	}
	if err := c.RouteDel(ctx, &Route{Dst: pfx("10.22.0.0/16"), Table: 1000}); !errors.Is(err, unix.ESRCH) {
		t.Errorf("deleting an absent route: %v, want ESRCH", err)
	}

	// IPv6: preference, metric, and append turning a route into multipath.
	r6 := Route{Dst: pfx("2001:db8:5::/48"), Gateway: addr("fd00::2"), OIF: v0, Priority: 1024, Pref: RoutePrefHigh}
	if err := c.RouteAdd(ctx, &r6); err != nil {
		t.Fatal(err)
	}
	r6b := r6
	r6b.Gateway = addr("fd00::3")
	if err := c.RouteAppend(ctx, &r6b); err != nil {
		t.Fatal(err)
	}
	s6 := ipJSON(t, ns, "-d", "-6", "route", "show", "2001:db8:5::/48")
	if len(s6) != 1 || s6[0]["pref"] != "high" || s6[0]["metric"] != 1024.0 || len(s6[0]["nexthops"].([]any)) != 2 {
		t.Errorf("after RouteAdd and RouteAppend ip shows %v", s6)
	}
}

func TestIntegrationApplyRoutesReportsEachFailureByIndex(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := dialIn(t, ns)
	pfx := netip.MustParsePrefix
	changes := []RouteChange{
		{Op: ChangeAdd, Route: Route{Dst: pfx("10.30.0.0/16"), OIF: 1, Scope: ScopeLink}},
		{Op: ChangeAdd, Route: Route{Dst: pfx("10.30.0.0/16"), OIF: 1, Scope: ScopeLink}}, // exists
		{Op: ChangeAdd, Route: Route{}}, // no family
		{Op: ChangeReplace, Route: Route{Dst: pfx("10.31.0.0/16"), OIF: 1, Scope: ScopeLink}},
		{Op: ChangeDel, Route: Route{Dst: pfx("10.32.0.0/16")}}, // absent
		{Op: ChangeDel, Route: Route{Dst: pfx("10.30.0.0/16")}},
	}
	err := c.ApplyRoutes(context.Background(), changes)
	var be *BatchError
	if !errors.As(err, &be) || be.Failed != 3 || be.Index != 1 || be.Total != 6 || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("ApplyRoutes: %v, want 3 of 6 failed, first #1 EEXIST", err)
	}
	for i, want := range []error{nil, unix.EEXIST, ErrInvalidRoute, nil, unix.ESRCH, nil} {
		if got := changes[i].Err; (want == nil) != (got == nil) || want != nil && !errors.Is(got, want) {
			t.Errorf("change %d: %v, want %v", i, got, want)
		}
	}
	if s := ipJSON(t, ns, "-d", "-4", "route", "show", "10.31.0.0/16"); len(s) != 1 {
		t.Errorf("the replace in the batch did not apply: %v", s)
	}
}

// Tunnels, on a route and on one next hop of a multipath route: what ip
// wrote reads back with its encapsulation, and written again under another
// prefix, ip shows it the same (the encapsulation's attributes are carried
// raw, as ip encap prints them).
func TestIntegrationEncapsulationsReadAndWriteBack(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := dialIn(t, ns)
	ctx := context.Background()
	ipRun(t, ns, "route", "add", "10.30.0.0/16", "encap", "ip", "id", "7", "dst", "10.0.0.9", "via", "10.0.0.2", "dev", "v0", "table", "1000")
	ipRun(t, ns, "route", "add", "10.31.0.0/16", "table", "1000",
		"nexthop", "encap", "ip", "id", "8", "dst", "10.0.0.8", "via", "10.0.0.2", "dev", "v0",
		"nexthop", "via", "10.0.0.3", "dev", "v0")
	routes, err := c.RouteList(ctx, RouteFilter{Family: FamilyIPv4, Table: 1000})
	if err != nil || len(routes) != 2 {
		t.Fatalf("RouteList(table 1000) = %d routes, %v; want the two ip wrote", len(routes), err)
	}
	for i := range routes {
		r := routes[i]
		from := r.Dst
		if i == 0 && (r.EncapType == EncapNone || len(r.Encap) == 0) {
			t.Errorf("%v: no encapsulation decoded", from)
		}
		if i == 1 && (len(r.Multipath) != 2 || r.Multipath[0].EncapType == EncapNone || len(r.Multipath[0].Encap) == 0) {
			t.Errorf("%v: the first next hop's encapsulation was not decoded: %+v", from, r.Multipath)
		}
		r.Dst = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 40 + byte(i), 0, 0}), 16)
		if err := c.RouteAdd(ctx, &r); err != nil {
			t.Fatalf("RouteAdd of %v as %v: %v", from, r.Dst, err)
		}
		orig := ipJSON(t, ns, "-d", "route", "show", from.String(), "table", "1000")
		copied := ipJSON(t, ns, "-d", "route", "show", r.Dst.String(), "table", "1000")
		if len(orig) != 1 || len(copied) != 1 {
			t.Fatalf("ip shows %d routes for %v, %d for %v", len(orig), from, len(copied), r.Dst)
		}
		delete(orig[0], "dst")
		delete(copied[0], "dst")
		if !reflect.DeepEqual(orig[0], copied[0]) {
			t.Errorf("written back as %v:\n%v\nip wrote:\n%v", r.Dst, copied[0], orig[0])
		}
	}
}
