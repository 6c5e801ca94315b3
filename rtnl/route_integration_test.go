package rtnl

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// routeFixture fills ns with the awkward routes: IPv4 and IPv6, default
// routes, tables main, local, 100 and 1000, multipath with weights,
// blackhole, unreachable, prohibit and throw, metrics, a TOS, an onlink
// next hop, a gateway of the other family (RTA_VIA), a nexthop object, an
// expiring IPv6 route, IPv6 preferences, and realms on a route and on
// next hops.
func routeFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ns.AddVeth(t, "v0", "v1")
	for _, c := range routeFixtureCmds {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
}

// routeFixtureCmds are the ip commands of routeFixture after its veth pair.
var routeFixtureCmds = []string{
	"addr add 10.0.0.1/24 dev v0",
	"-6 addr add fd00::1/64 dev v0 nodad",
	"route add default via 10.0.0.254",
	"route add 192.168.1.0/24 via 10.0.0.2 table 1000 proto bird metric 10 mtu 1400 advmss 1360",
	"route add blackhole 10.9.0.0/16",
	"route add unreachable 10.8.0.0/16 table 100",
	"route add throw 10.4.0.0/16 table 100",
	"route add prohibit 10.7.0.0/16 proto static",
	"route add 10.6.0.0/16 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.0.3 dev v0 weight 1 onlink",
	"route add 10.5.0.1 dev v0 src 10.0.0.1 scope link tos 0x10",
	"route add 10.3.0.0/16 via 10.0.0.2 window 5000 hoplimit 33 initcwnd 10 mtu lock 1300 congctl cubic",
	"route add 10.10.0.0/16 via 10.0.0.5 dev v0 onlink",
	"route add 10.11.0.0/16 via inet6 fe80::1 dev v0",
	"nexthop add id 5 via 10.0.0.2 dev v0",
	"route add 10.12.0.0/16 nhid 5",
	"-6 route add default via fd00::fe pref high",
	"-6 route add 2001:db8::/32 via fd00::2 expires 300",
	"-6 route add 2001:db9::/32 nexthop via fd00::2 weight 2 nexthop via fd00::3 weight 5",
	"-6 route add blackhole 2001:dba::/48 table 1000",
	"-6 route add 2001:dbb::/48 dev v0 metric 77 mtu 1280 pref low",
	"-6 route add 2001:dbc::/48 from 2001:db8:1::/48 via fd00::9",
	"route add 10.13.0.0/16 via 10.0.0.2 realms 3/4 table 1000",
	"route add 10.14.0.0/16 nexthop via 10.0.0.2 realms 5 nexthop via 10.0.0.3 realms 2/6",
}

// linkNames maps interface indexes to names, as ip prints them.
func linkNames(t *testing.T, ns *netnstest.NS) map[int]string {
	names := map[int]string{}
	for _, l := range ipJSON(t, ns, "-d", "link") {
		names[int(l["ifindex"].(float64))] = l["ifname"].(string)
	}
	return names
}

// ipDst prints a route's destination as ip does: "default", an address
// without its length for a host route, a prefix otherwise.
func ipPrefix(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return ""
	case p.Bits() == 0:
		return "default"
	case p.Bits() == p.Addr().BitLen():
		return p.Addr().String()
	}
	return p.String()
}

// ipView is a Route as ip -j -d prints it, so the two compare key by key.
func ipView(r *Route, names map[int]string) map[string]any {
	m := map[string]any{
		"type":     r.Type.String(),
		"dst":      ipPrefix(r.Dst),
		"table":    r.Table.String(),
		"protocol": r.Protocol.String(),
		"scope":    r.Scope.String(),
		"flags":    fmt.Sprint(r.Flags.Names()),
	}
	if r.Src.IsValid() {
		m["from"] = ipPrefix(r.Src)
	}
	if r.Gateway.IsValid() {
		if gatewayIsVia(r.Family, r.Gateway) {
			m["via"] = r.Gateway.String()
		} else {
			m["gateway"] = r.Gateway.String()
		}
	}
	if r.OIF != 0 {
		m["dev"] = names[r.OIF]
	}
	if r.PrefSrc.IsValid() {
		m["prefsrc"] = r.PrefSrc.String()
	}
	if r.TOS != 0 {
		m["tos"] = "0x" + strconv.FormatUint(uint64(r.TOS), 16)
	}
	if r.Family == FamilyIPv6 || r.Priority != 0 {
		m["metric"] = float64(r.Priority)
	}
	if r.HasPref {
		m["pref"] = r.Pref.String()
	}
	if r.Expires > 0 {
		m["expires"] = float64(int(r.Expires.Seconds()))
	}
	if r.NextHopID != 0 {
		m["nhid"] = float64(r.NextHopID)
	}
	if r.Realms != 0 {
		m["flow"] = realmsView(r.Realms)
	}
	if !r.Metrics.IsZero() {
		mm := map[string]any{}
		for k, v := range map[string]uint32{"mtu": r.Metrics.MTU, "advmss": r.Metrics.AdvMSS, "window": r.Metrics.Window, "hoplimit": r.Metrics.HopLimit, "initcwnd": r.Metrics.InitCWnd} {
			if v != 0 {
				mm[k] = float64(v)
			}
		}
		if r.Metrics.Congestion != "" {
			mm["congestion"] = r.Metrics.Congestion
		}
		m["metrics"] = mm
	}
	if len(r.Multipath) > 0 {
		var hops []map[string]any
		for _, nh := range r.Multipath {
			h := map[string]any{"dev": names[nh.OIF], "weight": float64(nh.Weight), "flags": fmt.Sprint(nh.Flags.Names())}
			if nh.Gateway.IsValid() {
				h["gateway"] = nh.Gateway.String()
			}
			if nh.Realms != 0 {
				h["flow"] = realmsView(nh.Realms)
			}
			hops = append(hops, h)
		}
		m["nexthops"] = hops
	}
	return m
}

// realmsView is realms as ip -j prints them: {"from": "3", "to": "4"},
// without "from" when there is no source realm.
func realmsView(r Realms) map[string]any {
	m := map[string]any{"to": strconv.Itoa(int(r.To()))}
	if r.From() != 0 {
		m["from"] = strconv.Itoa(int(r.From()))
	}
	return m
}

// fromIP normalises what ip printed to ipView's form: flags as one string,
// metrics as one object, RTA_VIA as its host.
func fromIP(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "flags":
			out[k] = fmt.Sprint(strsOf(v))
		case "nh_info":
			// ip -d asks for the nexthop object separately (RTM_GETNEXTHOP):
			// not part of the route.
		case "via":
			out[k] = v.(map[string]any)["host"]
		case "metrics":
			mm := map[string]any{}
			for _, e := range v.([]any) {
				for mk, mv := range e.(map[string]any) {
					if mk == "mtu" || mk == "advmss" || mk == "window" || mk == "hoplimit" || mk == "initcwnd" || mk == "congestion" {
						mm[mk] = mv
					}
				}
			}
			out[k] = mm
		case "nexthops":
			var hops []map[string]any
			for _, e := range v.([]any) {
				h := map[string]any{}
				for hk, hv := range e.(map[string]any) {
					if hk == "flags" {
						hv = fmt.Sprint(strsOf(hv))
					}
					h[hk] = hv
				}
				hops = append(hops, h)
			}
			out[k] = hops
		default:
			out[k] = v
		}
	}
	return out
}

// checkAgainstIP compares routes with what ip -j -d route show prints for
// args, route by route (in the kernel's order, which both follow) and
// field by field.
func checkAgainstIP(t *testing.T, ns *netnstest.NS, routes []Route, famFlag string, args ...string) {
	t.Helper()
	names := linkNames(t, ns)
	want := ipJSON(t, ns, append([]string{"-d", famFlag, "route", "show"}, args...)...)
	if len(routes) != len(want) {
		t.Fatalf("ip route show %v: %d routes, rtnl: %d", args, len(want), len(routes))
	}
	for i := range routes {
		got, exp := ipView(&routes[i], names), fromIP(want[i])
		if e, ok := exp["expires"].(float64); ok { // a second may pass between the two dumps
			if g, _ := got["expires"].(float64); g-e <= 1 && e-g <= 1 {
				got["expires"] = e
			}
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("route %d:\nrtnl %v\nip   %v", i, got, exp)
		}
	}
}

func TestIntegrationRoutesAgreeWithIproute2(t *testing.T) {
	ns := netnstest.New(t)
	routeFixture(t, ns)
	c := dialIn(t, ns)
	ctx := context.Background()
	for _, fam := range []struct {
		f    Family
		flag string
	}{{FamilyIPv4, "-4"}, {FamilyIPv6, "-6"}} {
		routes, err := c.RouteList(ctx, RouteFilter{Family: fam.f})
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstIP(t, ns, routes, fam.flag, "table", "all")
		if len(routes) < 10 {
			t.Errorf("%v: only %d routes; the fixture has more", fam.f, len(routes))
		}
	}
}

// comparable drops what changes between two dumps (the cache info's clocks
// in Attrs, the seconds left of an expiring route).
func comparable(rs []Route) []Route {
	out := make([]Route, len(rs))
	for i, r := range rs {
		r.Attrs, r.Expires = nil, 0
		if len(r.Multipath) == 0 {
			r.Multipath = nil
		}
		for j := range r.Multipath {
			r.Multipath[j].Attrs = nil
		}
		out[i] = r
	}
	return out
}

func TestIntegrationRouteFiltersGiveTheSameRoutesInTheKernelAndInUserSpace(t *testing.T) {
	ns := netnstest.New(t)
	routeFixture(t, ns)
	strict, plain := dialIn(t, ns), plainConn(t, ns)
	ctx := context.Background()
	all, err := plain.RouteList(ctx, RouteFilter{})
	if err != nil {
		t.Fatal(err)
	}
	v0 := ns.LinkIndex(t, "v0")
	for _, f := range []RouteFilter{
		{},
		{Family: FamilyIPv4},
		{Family: FamilyIPv6},
		{Table: TableMain},
		{Table: 100},
		{Table: 1000},
		{Family: FamilyIPv6, Table: 1000},
		{Protocol: ProtocolBird},
		{Protocol: ProtocolKernel, Family: FamilyIPv4},
		{Type: RouteTypeBlackhole},
		{Type: RouteTypeLocal, Table: TableLocal},
		{OIF: v0},
		{OIF: v0, Family: FamilyIPv4, Table: TableMain},
		{Table: 4242}, // no such table: ENOENT from a strict IPv4 dump
		{Family: FamilyIPv4, Table: 4242},
		{OIF: 9999}, // no such link: ENODEV from a strict dump
	} {
		k, err := strict.RouteList(ctx, f)
		if err != nil {
			t.Fatalf("%+v, kernel filter: %v", f, err)
		}
		u, err := plain.RouteList(ctx, f)
		if err != nil {
			t.Fatalf("%+v, user-space filter: %v", f, err)
		}
		var want []Route
		for i := range all {
			if f.Match(&all[i]) {
				want = append(want, all[i])
			}
		}
		if !reflect.DeepEqual(comparable(k), comparable(u)) || !reflect.DeepEqual(comparable(k), comparable(want)) {
			t.Errorf("%+v: kernel filter %d routes, user space %d, Match over all %d", f, len(k), len(u), len(want))
		}
		if f.Table == 1000 && len(k) == 0 || f.OIF == v0 && len(k) < 5 {
			t.Errorf("%+v: %d routes, the fixture has more", f, len(k))
		}
	}
}

func TestIntegrationTenThousandRoutesInTableTwoThousand(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	ctx := context.Background()
	const n = 10_000
	changes := make([]RouteChange, n)
	for i := range changes {
		changes[i] = RouteChange{Op: ChangeAdd, Route: Route{
			Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
			OIF: 1, Table: 2000, Scope: ScopeLink, Protocol: ProtocolStatic, Priority: uint32(i % 7),
		}}
	}
	if err := c.ApplyRoutes(ctx, changes); err != nil {
		t.Fatal(err)
	}
	routes, err := c.RouteList(ctx, RouteFilter{Table: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != n {
		t.Fatalf("%d routes in table 2000, want %d", len(routes), n)
	}
	ip := ipJSON(t, ns, "-d", "route", "show", "table", "2000")
	if len(ip) != n {
		t.Fatalf("ip shows %d routes in table 2000, want %d", len(ip), n)
	}
	names := linkNames(t, ns)
	for _, i := range []int{0, 1, 255, 256, 4097, n - 1} {
		got, exp := ipView(&routes[i], names), fromIP(ip[i])
		if got["table"] != "2000" {
			t.Errorf("route %d: table %v", i, got["table"])
		}
		delete(got, "table") // ip does not print the table it was asked for
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("route %d:\nrtnl %v\nip   %v", i, got, exp)
		}
	}
}

// netnstestWithVeth makes a namespace with veth v0 (10.0.0.1/24,
// fd00::1/64) and v1.
func netnstestWithVeth(t *testing.T) *netnstest.NS {
	ns := netnstest.New(t)
	ns.AddVeth(t, "v0", "v1")
	ns.AddAddr(t, "v0", "10.0.0.1/24")
	ns.AddAddr(t, "v0", "fd00::1/64")
	return ns
}
