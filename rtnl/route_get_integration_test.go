package rtnl

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// routeGetFixtureCmds are the ip commands of routeGetFixture after its
// veth pair: addresses on both ends, default routes, multipath routes,
// tables above 255 reached through rules (by destination, mark, uid and
// ports), and routes and rules that refuse packets.
var routeGetFixtureCmds = []string{
	"addr add 10.0.0.1/24 dev v0",
	"addr add 10.1.0.1/24 dev v1",
	"-6 addr add fd00::1/64 dev v0 nodad",
	"route add default via 10.0.0.254",
	"route add 10.6.0.0/16 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.0.3 weight 1",
	"route add 10.30.0.0/16 via 10.0.0.5 table 1000 proto bird",
	"rule add to 10.30.0.0/16 table 1000 prio 100",
	"route add 10.31.0.0/16 via 10.0.0.6 table 1001",
	"rule add fwmark 0x7 table 1001 prio 101",
	"route add 10.32.0.0/16 via 10.0.0.7 table 1002",
	"rule add uidrange 1000-1000 table 1002 prio 102",
	"route add 10.33.0.0/16 via 10.0.0.8 table 1003",
	"rule add ipproto tcp dport 443 table 1003 prio 103",
	"route add 10.34.0.0/16 via 10.0.0.9 tos 0x10",
	"route add unreachable 10.8.0.0/16",
	"route add prohibit 10.7.0.0/16",
	"route add blackhole 10.9.0.0/16",
	"rule add to 10.98.0.0/16 unreachable prio 50",
	"-6 route add default via fd00::fe",
	"-6 route add 2001:db9::/32 nexthop via fd00::2 weight 2 nexthop via fd00::3 weight 5",
	"-6 route add 2001:db8:30::/48 via fd00::5 table 2000",
	"-6 rule add to 2001:db8:30::/48 table 2000 prio 100",
	"-6 route add unreachable 2001:dbd::/48",
	"-6 route add prohibit 2001:dbb::/48",
	"-6 route add blackhole 2001:dba::/48",
}

func routeGetFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ns.AddVeth(t, "v0", "v1")
	for _, c := range routeGetFixtureCmds {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	// Lookups by input interface are of packets to forward.
	ns.Run(t, "sysctl", "-qw", "net.ipv4.conf.all.forwarding=1")
}

// routeGetView is a route lookup's answer as ip -j -d route get prints it.
func routeGetView(r *Route, names map[int]string) map[string]any {
	m := ipView(r, names)
	cloned := r.Flags&RouteFlagCloned != 0
	if cloned { // ip prints no protocol or scope for a route the lookup made
		delete(m, "protocol")
		delete(m, "scope")
	}
	if r.Table == TableUnspec {
		delete(m, "table")
	}
	if r.IIF != 0 {
		m["iif"] = names[r.IIF]
	}
	if r.HasUID {
		m["uid"] = float64(r.UID)
	}
	if r.Mark != 0 {
		m["mark"] = float64(r.Mark)
	}
	if r.Family == FamilyIPv4 && cloned {
		m["cache"] = fmt.Sprint(r.CacheFlags().Names())
	}
	if r.Cache.Error != 0 {
		m["error"] = float64(uint32(r.Cache.Error))
	}
	if r.Cache.ID != 0 {
		m["ipid"] = fmt.Sprintf("0x%04x", r.Cache.ID)
	}
	if r.Cache.TS != 0 || r.Cache.TSAge != 0 {
		m["ts"], m["tsage"] = fmt.Sprintf("0x%x", r.Cache.TS), float64(r.Cache.TSAge)
	}
	return m
}

// ipRouteGet runs ip -j -d route get args in ns and returns its answer in
// routeGetView's form.
func ipRouteGet(t *testing.T, ns *netnstest.NS, args []string) map[string]any {
	t.Helper()
	shown := ipJSON(t, ns, append([]string{"-d", "route", "get"}, args...)...)
	if len(shown) != 1 {
		t.Fatalf("ip route get %v: %d answers", args, len(shown))
	}
	m := fromIP(shown[0])
	if c, ok := m["cache"]; ok {
		m["cache"] = fmt.Sprint(strsOf(c))
	}
	return m
}

// routeGetCases pairs ip route get's arguments with the RouteQuery that
// says the same.
func routeGetCases(idx func(string) int) []struct {
	args []string
	q    RouteQuery
} {
	a := netip.MustParseAddr
	return []struct {
		args []string
		q    RouteQuery
	}{
		{[]string{"8.8.8.8"}, RouteQuery{Dst: a("8.8.8.8")}},
		{[]string{"10.0.0.1"}, RouteQuery{Dst: a("10.0.0.1")}},
		{[]string{"10.0.0.255"}, RouteQuery{Dst: a("10.0.0.255")}},
		{[]string{"127.0.0.1"}, RouteQuery{Dst: a("127.0.0.1")}},
		{[]string{"224.0.0.5"}, RouteQuery{Dst: a("224.0.0.5")}},
		{[]string{"8.8.8.8", "from", "10.0.0.1"}, RouteQuery{Dst: a("8.8.8.8"), Src: a("10.0.0.1")}},
		{[]string{"8.8.8.8", "oif", "v0"}, RouteQuery{Dst: a("8.8.8.8"), OIF: idx("v0")}},
		{[]string{"10.0.0.7", "from", "10.1.0.9", "iif", "v1"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("10.1.0.9"), IIF: idx("v1")}},
		{[]string{"10.0.0.7", "from", "10.1.0.9", "iif", "v1", "uid", "5"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("10.1.0.9"), IIF: idx("v1"), UID: 5, HasUID: true}},
		{[]string{"10.31.0.1", "mark", "7"}, RouteQuery{Dst: a("10.31.0.1"), Mark: 7}},
		{[]string{"10.32.0.1", "uid", "1000"}, RouteQuery{Dst: a("10.32.0.1"), UID: 1000, HasUID: true}},
		{[]string{"10.33.0.1", "ipproto", "tcp", "sport", "1000", "dport", "443"}, RouteQuery{Dst: a("10.33.0.1"), IPProto: unix.IPPROTO_TCP, SrcPort: 1000, DstPort: 443}},
		{[]string{"10.33.0.1", "ipproto", "udp", "dport", "443"}, RouteQuery{Dst: a("10.33.0.1"), IPProto: unix.IPPROTO_UDP, DstPort: 443}},
		{[]string{"10.34.0.1", "tos", "0x10"}, RouteQuery{Dst: a("10.34.0.1"), TOS: 0x10}},
		{[]string{"8.8.8.8", "fibmatch"}, RouteQuery{Dst: a("8.8.8.8"), FIBMatch: true}},
		{[]string{"10.0.0.1", "fibmatch"}, RouteQuery{Dst: a("10.0.0.1"), FIBMatch: true}},
		{[]string{"10.6.0.1"}, RouteQuery{Dst: a("10.6.0.1")}},
		{[]string{"10.6.0.1", "fibmatch"}, RouteQuery{Dst: a("10.6.0.1"), FIBMatch: true}},
		{[]string{"10.30.0.1"}, RouteQuery{Dst: a("10.30.0.1")}},
		{[]string{"10.30.0.1", "fibmatch"}, RouteQuery{Dst: a("10.30.0.1"), FIBMatch: true}},
		{[]string{"10.34.0.1", "tos", "0x10", "fibmatch"}, RouteQuery{Dst: a("10.34.0.1"), TOS: 0x10, FIBMatch: true}},
		{[]string{"2001:4860::1"}, RouteQuery{Dst: a("2001:4860::1")}},
		{[]string{"fd00::5"}, RouteQuery{Dst: a("fd00::5")}},
		{[]string{"fd00::1"}, RouteQuery{Dst: a("fd00::1")}},
		{[]string{"ff02::1"}, RouteQuery{Dst: a("ff02::1")}},
		{[]string{"fd00::5", "from", "fd00::1"}, RouteQuery{Dst: a("fd00::5"), Src: a("fd00::1")}},
		{[]string{"fd00::5", "from", "fd00::9", "iif", "v1"}, RouteQuery{Dst: a("fd00::5"), Src: a("fd00::9"), IIF: idx("v1")}},
		{[]string{"2001:db9::1"}, RouteQuery{Dst: a("2001:db9::1")}},
		{[]string{"2001:db9::1", "fibmatch"}, RouteQuery{Dst: a("2001:db9::1"), FIBMatch: true}},
		{[]string{"2001:db8:30::1"}, RouteQuery{Dst: a("2001:db8:30::1")}},
		{[]string{"2001:db8:30::1", "fibmatch"}, RouteQuery{Dst: a("2001:db8:30::1"), FIBMatch: true}},
		{[]string{"2001:4860::1", "fibmatch"}, RouteQuery{Dst: a("2001:4860::1"), FIBMatch: true}},
		{[]string{"2001:4860::1", "mark", "9", "uid", "100", "oif", "v0"}, RouteQuery{Dst: a("2001:4860::1"), Mark: 9, UID: 100, HasUID: true, OIF: idx("v0")}},
		{[]string{"2001:4860::1", "ipproto", "ipv6-icmp"}, RouteQuery{Dst: a("2001:4860::1"), IPProto: unix.IPPROTO_ICMPV6}},
		{[]string{"2001:4860::1", "ipproto", "tcp", "sport", "22", "dport", "80"}, RouteQuery{Dst: a("2001:4860::1"), IPProto: unix.IPPROTO_TCP, SrcPort: 22, DstPort: 80}},
		// ip 6.1 has no flowlabel: the kernel takes one and, no rule
		// selecting by it, answers as without.
		{[]string{"2001:db9::1"}, RouteQuery{Dst: a("2001:db9::1"), FlowLabel: 0x12345}},
		// Last: the kernel keeps the mark on the cached route.
		{[]string{"9.9.9.9", "notify"}, RouteQuery{Dst: a("9.9.9.9"), Notify: true}},
	}
}

// TestIntegrationRouteGetAgreesWithIproute2 looks up IPv4 and IPv6
// destinations with every kind of query ip route get has, on a Conn with
// strict checking and on one without (as ip's), and compares each answer
// with ip's, field by field.
func TestIntegrationRouteGetAgreesWithIproute2(t *testing.T) {
	ns := netnstest.New(t)
	routeGetFixture(t, ns)
	strict, plain := dialIn(t, ns), plainConn(t, ns)
	names := linkNames(t, ns)
	idx := func(n string) int { return ns.LinkIndex(t, n) }
	for _, tt := range routeGetCases(idx) {
		want := ipRouteGet(t, ns, tt.args)
		for _, c := range []*Conn{strict, plain} {
			r, err := c.RouteGet(bg, tt.q)
			if err != nil {
				t.Errorf("RouteGet %v (strict %v): %v", tt.args, c.strict, err)
				continue
			}
			if got := routeGetView(&r, names); !reflect.DeepEqual(got, want) {
				t.Errorf("route get %v (strict %v):\nrtnl %v\nip   %v", tt.args, c.strict, got, want)
			}
		}
	}
}

// TestIntegrationRouteGetConnected checks that a connected lookup is the
// lookup from the first answer's preferred source.
func TestIntegrationRouteGetConnected(t *testing.T) {
	ns := netnstest.New(t)
	routeGetFixture(t, ns)
	c := dialIn(t, ns)
	names := linkNames(t, ns)
	for _, dst := range []string{"8.8.8.8", "2001:4860::1"} {
		first, err := c.RouteGet(bg, RouteQuery{Dst: netip.MustParseAddr(dst)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.RouteGet(bg, RouteQuery{Dst: netip.MustParseAddr(dst), Connected: true})
		if err != nil {
			t.Fatal(err)
		}
		got, want := routeGetView(&r, names), ipRouteGet(t, ns, []string{dst, "from", first.PrefSrc.String()})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("route get %s connected:\nrtnl %v\nip   %v", dst, got, want)
		}
		if !r.Src.IsValid() || r.Src.Addr() != first.PrefSrc {
			t.Errorf("connected lookup of %s is from %v, want %v", dst, r.Src, first.PrefSrc)
		}
	}
}

// TestIntegrationRouteGetRefusals checks that destinations the kernel will
// not route give a *NoRouteError naming the route type that refused them,
// where ip route get fails with the same errno.
func TestIntegrationRouteGetRefusals(t *testing.T) {
	ns := netnstest.New(t)
	routeGetFixture(t, ns)
	ns.Run(t, "sysctl", "-qw", "net.ipv4.conf.v1.forwarding=0") // v1 does not forward: unreachable by it
	c := dialIn(t, ns)
	for _, tt := range []struct {
		args  []string
		q     RouteQuery
		errno unix.Errno
		typ   RouteType
	}{
		{[]string{"10.8.0.1"}, RouteQuery{Dst: netip.MustParseAddr("10.8.0.1")}, unix.EHOSTUNREACH, RouteTypeUnreachable},
		{[]string{"10.7.0.1"}, RouteQuery{Dst: netip.MustParseAddr("10.7.0.1")}, unix.EACCES, RouteTypeProhibit},
		{[]string{"10.7.0.1", "fibmatch"}, RouteQuery{Dst: netip.MustParseAddr("10.7.0.1"), FIBMatch: true}, unix.EACCES, RouteTypeProhibit},
		{[]string{"10.9.0.1"}, RouteQuery{Dst: netip.MustParseAddr("10.9.0.1")}, unix.EINVAL, RouteTypeBlackhole},
		{[]string{"10.98.0.1"}, RouteQuery{Dst: netip.MustParseAddr("10.98.0.1")}, unix.ENETUNREACH, RouteTypeUnspec},
		{[]string{"10.0.0.7", "from", "10.1.0.9", "iif", "v1"}, RouteQuery{Dst: netip.MustParseAddr("10.0.0.7"), Src: netip.MustParseAddr("10.1.0.9"), IIF: ns.LinkIndex(t, "v1")}, unix.EHOSTUNREACH, RouteTypeUnreachable},
		{[]string{"2001:dbd::1"}, RouteQuery{Dst: netip.MustParseAddr("2001:dbd::1")}, unix.EHOSTUNREACH, RouteTypeUnreachable},
		{[]string{"2001:dbb::1"}, RouteQuery{Dst: netip.MustParseAddr("2001:dbb::1")}, unix.EACCES, RouteTypeProhibit},
		{[]string{"2001:dba::1"}, RouteQuery{Dst: netip.MustParseAddr("2001:dba::1")}, unix.EINVAL, RouteTypeBlackhole},
	} {
		_, err := c.RouteGet(bg, tt.q)
		var nr *NoRouteError
		if !errors.As(err, &nr) || !errors.Is(err, ErrNoRoute) || !errors.Is(err, tt.errno) || nr.Type != tt.typ || nr.Dst != tt.q.Dst {
			t.Errorf("RouteGet %v: %v (%#v), want a *NoRouteError of %v for %v", tt.args, err, nr, tt.typ, tt.errno)
		}
		out, ipErr := ns.Output("ip", append([]string{"route", "get"}, tt.args...)...)
		if ipErr == nil || !strings.Contains(strings.ToLower(ipErr.Error()), "rtnetlink answers: "+tt.errno.Error()) {
			t.Errorf("ip route get %v: %s %v, want it to fail with %v", tt.args, out, ipErr, tt.errno)
		}
	}
	// An interface that does not exist is no routing answer.
	_, err := c.RouteGet(bg, RouteQuery{Dst: netip.MustParseAddr("8.8.8.8"), OIF: 9999})
	if !errors.Is(err, unix.ENODEV) || errors.Is(err, ErrNoRoute) {
		t.Errorf("RouteGet through oif 9999: %v, want ENODEV and no ErrNoRoute", err)
	}
}

// TestIntegrationRouteGetRefusesBeforeSending checks that a query that
// cannot be encoded sends nothing.
func TestIntegrationRouteGetRefusesBeforeSending(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	before := c.Engine().Stats().RequestsSent
	for _, q := range []RouteQuery{
		{},
		{Dst: netip.MustParseAddr("10.0.0.1"), Src: netip.MustParseAddr("fd00::1")},
		{Family: FamilyIPv6, Dst: netip.MustParseAddr("10.0.0.1")},
		{Dst: netip.MustParseAddr("fd00::1"), Notify: true},
	} {
		if _, err := c.RouteGet(bg, q); !errors.Is(err, ErrInvalidRouteQuery) || !errors.Is(err, ErrInvalid) {
			t.Errorf("RouteGet %+v: %v, want ErrInvalidRouteQuery", q, err)
		}
	}
	if n := c.Engine().Stats().RequestsSent - before; n != 0 {
		t.Errorf("%d requests sent for queries refused", n)
	}
}

// TestIntegrationRouteGetMartianIsNoBlackhole checks that a lookup the
// kernel refuses for its addresses (a martian source or destination), with
// the same bare EINVAL as a blackhole route, is not reported as one: IPv4
// lookups by input interface, and output lookups from a multicast or
// broadcast source, give the kernel's *engine.OpError as it is, as ip
// shows it. IPv6, which has no such refusal, still names its blackhole.
func TestIntegrationRouteGetMartianIsNoBlackhole(t *testing.T) {
	ns := netnstest.New(t)
	routeGetFixture(t, ns)
	c := dialIn(t, ns)
	v1 := ns.LinkIndex(t, "v1")
	a := netip.MustParseAddr
	for _, tt := range []struct {
		args []string
		q    RouteQuery
	}{
		{[]string{"10.0.0.7", "from", "127.0.0.1", "iif", "v1"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("127.0.0.1"), IIF: v1}},
		{[]string{"10.0.0.7", "from", "10.0.0.1", "iif", "v1"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("10.0.0.1"), IIF: v1}},
		{[]string{"224.0.0.7", "from", "10.1.0.9", "iif", "v1"}, RouteQuery{Dst: a("224.0.0.7"), Src: a("10.1.0.9"), IIF: v1}},
		// A blackhole reached by input interface looks the same.
		{[]string{"10.9.0.1", "from", "10.1.0.9", "iif", "v1"}, RouteQuery{Dst: a("10.9.0.1"), Src: a("10.1.0.9"), IIF: v1}},
		{[]string{"10.0.0.7", "from", "224.1.1.1"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("224.1.1.1")}},
		{[]string{"10.0.0.7", "from", "255.255.255.255"}, RouteQuery{Dst: a("10.0.0.7"), Src: a("255.255.255.255")}},
	} {
		_, err := c.RouteGet(bg, tt.q)
		var oe *engine.OpError
		if !errors.As(err, &oe) || !errors.Is(err, unix.EINVAL) || errors.Is(err, ErrNoRoute) {
			t.Errorf("RouteGet %v: %v, want the kernel's EINVAL and no ErrNoRoute", tt.args, err)
		}
		out, ipErr := ns.Output("ip", append([]string{"route", "get"}, tt.args...)...)
		if ipErr == nil || !strings.Contains(ipErr.Error(), "Invalid argument") {
			t.Errorf("ip route get %v: %s %v, want EINVAL", tt.args, out, ipErr)
		}
	}
	// A source that is no address of this host: ENETUNREACH, as if
	// there were no route.
	_, err := c.RouteGet(bg, RouteQuery{Dst: a("8.8.8.8"), Src: a("10.99.0.1")})
	if nr := (*NoRouteError)(nil); !errors.As(err, &nr) || nr.Type != RouteTypeUnspec || !errors.Is(err, unix.ENETUNREACH) {
		t.Errorf("RouteGet 8.8.8.8 from 10.99.0.1: %v, want ENETUNREACH's *NoRouteError", err)
	}
	if _, ipErr := ns.Output("ip", "route", "get", "8.8.8.8", "from", "10.99.0.1"); ipErr == nil || !strings.Contains(ipErr.Error(), "Network is unreachable") {
		t.Errorf("ip route get 8.8.8.8 from 10.99.0.1: %v, want ENETUNREACH", ipErr)
	}
	for _, q := range []RouteQuery{
		{Dst: a("10.9.0.1"), Src: a("10.0.0.1")},
		{Dst: a("2001:dba::1"), Src: a("fd00::9"), IIF: v1},
	} {
		_, err := c.RouteGet(bg, q)
		var nr *NoRouteError
		if !errors.As(err, &nr) || nr.Type != RouteTypeBlackhole {
			t.Errorf("RouteGet %v from %v iif %d: %v, want a blackhole's *NoRouteError", q.Dst, q.Src, q.IIF, err)
		}
	}
}
