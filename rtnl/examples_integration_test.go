package rtnl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// The everyday programs of example_test.go, run for real inside private
// namespaces: the same calls, with the Conn dialed into the namespace and
// the output written to a buffer, checked against what ip -j shows there.

func ipAll(t *testing.T, ns *netnstest.NS, args ...string) []map[string]any {
	t.Helper()
	return ipJSON(t, ns, args...)
}

func TestIntegrationExampleRoutesListsWhatIPShows(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "eth0", "eth1")
	for _, c := range []string{
		"link set eth0 up", "link set eth1 up",
		"addr add 10.0.0.1/24 dev eth0", "-6 addr add fd00::1/64 dev eth0 nodad",
		"route add default via 10.0.0.254",
		"-6 route add default via fd00::fe",
		"route add 192.168.1.0/24 via 10.0.0.2 table 1000 proto bird metric 10",
	} {
		ipRun(t, ns, strings.Fields(c)...)
	}
	c := dialIn(t, ns)
	ctx := context.Background()

	// ExampleRoutes, on a Conn dialed into the namespace (the package-level
	// functions are the methods on a Conn of their own, dialed in the
	// caller's namespace: see convenience_integration_test.go)
	example := func() (out string, n4, n6 int) {
		var b strings.Builder
		for r, err := range c.Routes(ctx, RouteFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, r.Table, r.Type, r.Dst, r.Gateway, r.OIF, r.Protocol, r.Priority)
			switch r.Family {
			case FamilyIPv4:
				n4++
			case FamilyIPv6:
				n6++
			}
		}
		return b.String(), n4, n6
	}

	// The kernel adds the local route of the IPv6 link-local addresses
	// after their duplicate address detection, about a second after the
	// links came up: compare once the tables hold still.
	var out string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n4, n6 int
		out, n4, n6 = example()
		w4 := len(ipAll(t, ns, "-4", "route", "show", "table", "all"))
		w6 := len(ipAll(t, ns, "-6", "route", "show", "table", "all"))
		_, m4, m6 := example()
		if n4 == w4 && n6 == w6 {
			break
		}
		if time.Now().After(deadline) || (n4 == m4 && n6 == m6) && !tentative(t, ns) {
			t.Fatalf("%d IPv4 and %d IPv6 routes; ip route show table all: %d and %d", n4, n6, w4, w6)
		}
	}
	eth0 := ns.LinkIndex(t, "eth0")
	for _, line := range []string{
		fmt.Sprintf("main unicast 0.0.0.0/0 10.0.0.254 %d boot 0", eth0),
		fmt.Sprintf("main unicast ::/0 fd00::fe %d boot 1024", eth0),
		fmt.Sprintf("1000 unicast 192.168.1.0/24 10.0.0.2 %d bird 10", eth0),
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("no line %q in the output:\n%s", line, out)
		}
	}
}

// tentative reports whether an address of ns is still in duplicate
// address detection (its routes may yet change).
func tentative(t *testing.T, ns *netnstest.NS) bool {
	return len(ipAll(t, ns, "addr", "show", "tentative")) > 0
}

// The route example of the README, run in a namespace with default routes
// and a route of table 1000: it prints them as the README says.
func TestIntegrationReadmeRouteExamplePrintsDefaultRoutesAndBigTables(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "eth0", "eth1")
	for _, c := range []string{
		"link set eth0 up", "link set eth1 up",
		"addr add 10.0.0.1/24 dev eth0", "-6 addr add fd00::1/64 dev eth0 nodad",
		"route add default via 10.0.0.254",
		"-6 route add default via fd00::fe",
		"route add 192.168.1.0/24 via 10.0.0.2 table 1000 proto bird metric 10",
		"route add 10.6.0.0/16 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.0.3 weight 1",
	} {
		ipRun(t, ns, strings.Fields(c)...)
	}
	c := dialIn(t, ns)
	ctx := context.Background()

	var out strings.Builder
	for r, err := range c.Routes(ctx, RouteFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%v %v", r.Type, r.Dst)
		if r.Gateway.IsValid() {
			fmt.Fprintf(&out, " via %v", r.Gateway)
		}
		for _, nh := range r.Multipath {
			fmt.Fprintf(&out, " nexthop via %v dev %d weight %d", nh.Gateway, nh.OIF, nh.Weight)
		}
		fmt.Fprintf(&out, " dev %d table %v proto %v metric %d\n", r.OIF, r.Table, r.Protocol, r.Priority)
	}

	eth0 := ns.LinkIndex(t, "eth0")
	for _, line := range []string{
		fmt.Sprintf("unicast 0.0.0.0/0 via 10.0.0.254 dev %d table main proto boot metric 0", eth0),
		fmt.Sprintf("unicast ::/0 via fd00::fe dev %d table main proto boot metric 1024", eth0),
		fmt.Sprintf("unicast 192.168.1.0/24 via 10.0.0.2 dev %d table 1000 proto bird metric 10", eth0),
		fmt.Sprintf("unicast 10.6.0.0/16 nexthop via 10.0.0.2 dev %d weight 3 nexthop via 10.0.0.3 dev %d weight 1 dev 0 table main proto boot metric 0", eth0, eth0),
	} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("no line %q in the output:\n%s", line, out.String())
		}
	}
}

func TestIntegrationExampleLinkListShowsEachLinkWithItsAddresses(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "eth0", "eth1")
	for _, c := range []string{
		"link set eth0 up", "link set eth1 up",
		"addr add 10.0.0.1/24 dev eth0", "addr add 10.0.1.1/24 dev eth0 label eth0:1",
		"-6 addr add fd00::1/64 dev eth0 nodad", "addr add 10.1.0.1/30 dev eth1",
	} {
		ipRun(t, ns, strings.Fields(c)...)
	}
	c := dialIn(t, ns)
	ctx := context.Background()

	// ExampleLinkList, with each link's addresses gathered instead of
	// printed.
	got := map[string][]string{}
	links, err := c.LinkList(ctx, LinkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		_ = fmt.Sprintln(l.Index, l.Name, l.Kind, l.OperState, l.MTU, l.HardwareAddr)
		got[l.Name] = []string{}
		for a, err := range c.Addrs(ctx, AddrFilter{LinkIndex: l.Index}) {
			if err != nil {
				t.Fatal(err)
			}
			got[l.Name] = append(got[l.Name], a.Prefix.String())
		}
	}

	want := map[string][]string{}
	for _, l := range ipAll(t, ns, "addr", "show") {
		name := str(l, "ifname")
		want[name] = []string{}
		for _, ai := range l["addr_info"].([]any) {
			a := ai.(map[string]any)
			want[name] = append(want[name], fmt.Sprintf("%s/%d", str(a, "local"), num(a, "prefixlen")))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d links, ip addr shows %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s: addresses %v, ip addr show: %v", name, g, w)
		}
	}
	if len(got["eth0"]) != 4 { // three given, and the IPv6 link-local one
		t.Errorf("eth0: %v, want 4 addresses", got["eth0"])
	}
}

func TestIntegrationExampleApplyRoutesReportsEachFailureByIndex(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "eth0", "eth1")
	for _, c := range []string{
		"link set eth0 up",
		"route add 10.0.0.0/24 dev eth0 table 100",
		"route add 10.0.7.0/24 dev eth0 table 100",
	} {
		ipRun(t, ns, strings.Fields(c)...)
	}
	c := dialIn(t, ns)
	ctx := context.Background()

	// ExampleApplyRoutes with 2 000 routes (two of them exist).
	link, err := c.LinkByName(ctx, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	changes := make([]RouteChange, 2000)
	for i := range changes {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		changes[i] = RouteChange{Op: ChangeAdd, Route: Route{Dst: dst, OIF: link.Index, Table: 100}}
	}
	err = c.ApplyRoutes(ctx, changes)
	var failed []int
	for i, ch := range changes {
		if ch.Err != nil {
			failed = append(failed, i)
			if !errors.Is(ch.Err, unix.EEXIST) {
				t.Errorf("change %d (%v): %v, want EEXIST", i, ch.Route.Dst, ch.Err)
			}
		}
	}

	var be *BatchError
	if !errors.As(err, &be) || be.Failed != 2 || be.Total != 2000 || be.Index != 0 || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("ApplyRoutes: %v, want a BatchError of 2 of 2000 failed, first #0, EEXIST", err)
	}
	if !slices.Equal(failed, []int{0, 7}) {
		t.Errorf("failed changes %v, want [0 7]", failed)
	}
	if n := len(ipAll(t, ns, "route", "show", "table", "100")); n != 2000 {
		t.Errorf("ip route show table 100: %d routes, want 2000", n)
	}
}

func TestIntegrationExampleVethSetupShowsInBothNamespaces(t *testing.T) {
	hostNS, ctrNS := netnstest.New(t), netnstest.New(t)
	ctx := context.Background()

	// ExampleLinkAdd_veth, with "here" a namespace of its own and the
	// namespace's file descriptor for /run/netns/ctr.
	ctr := ctrNS.FD()
	c := dialIn(t, hostNS)
	veth := &Link{Name: "veth0", Kind: KindVeth, Veth: VethInfo{PeerName: "eth0", PeerNetNSFD: ctr}}
	if err := c.LinkAdd(ctx, veth); err != nil {
		t.Fatal(err)
	}
	host, err := c.LinkByName(ctx, "veth0")
	if err != nil || host.Index != veth.Index || veth.Index == 0 {
		t.Fatalf("LinkAdd set Index %d, LinkByName says %d (%v)", veth.Index, host.Index, err)
	}
	if err := c.AddrAdd(ctx, &Addr{LinkIndex: veth.Index, Prefix: netip.MustParsePrefix("10.0.0.1/24")}); err != nil {
		t.Fatal(err)
	}
	if err := c.LinkSetUp(ctx, veth.Index); err != nil {
		t.Fatal(err)
	}
	cc, err := Dial(ctx, engine.WithNetNSFD(ctr))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	eth0, err := cc.LinkByName(ctx, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.AddrAdd(ctx, &Addr{LinkIndex: eth0.Index, Prefix: netip.MustParsePrefix("10.0.0.2/24")}); err != nil {
		t.Fatal(err)
	}
	if err := cc.LinkSetUp(ctx, eth0.Index); err != nil {
		t.Fatal(err)
	}
	gw := netip.MustParseAddr("10.0.0.1")
	if err := cc.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw, OIF: eth0.Index}); err != nil {
		t.Fatal(err)
	}
	multipath := &Route{Dst: netip.MustParsePrefix("192.168.0.0/16"), Multipath: []NextHop{
		{Gateway: gw, OIF: eth0.Index, Weight: 1},
		{Gateway: netip.MustParseAddr("10.0.0.3"), OIF: eth0.Index, Weight: 2},
	}}
	if err := cc.RouteAdd(ctx, multipath); err != nil {
		t.Fatal(err)
	}

	for _, side := range []struct {
		ns         *netnstest.NS
		name, peer string
		addr       string
	}{{hostNS, "veth0", "eth0", "10.0.0.1"}, {ctrNS, "eth0", "veth0", "10.0.0.2"}} {
		l := ipAll(t, side.ns, "-d", "addr", "show", "dev", side.name)
		if len(l) != 1 {
			t.Fatalf("ip addr show dev %s: %v", side.name, l)
		}
		if kind := str(obj(l[0], "linkinfo"), "info_kind"); kind != "veth" {
			t.Errorf("%s: kind %q, want veth", side.name, kind)
		}
		if !slices.Contains(strs(l[0], "flags"), "UP") {
			t.Errorf("%s: flags %v, want UP", side.name, strs(l[0], "flags"))
		}
		var addrs []string
		for _, ai := range l[0]["addr_info"].([]any) {
			a := ai.(map[string]any)
			if str(a, "family") == "inet" {
				addrs = append(addrs, fmt.Sprintf("%s/%d", str(a, "local"), num(a, "prefixlen")))
			}
		}
		if want := []string{side.addr + "/24"}; !slices.Equal(addrs, want) {
			t.Errorf("%s: IPv4 addresses %v, want %v", side.name, addrs, want)
		}
	}
	if out, err := hostNS.Output("ip", "link", "show", "eth0"); err == nil {
		t.Errorf("eth0 is in the host namespace: %s", out)
	}
	if out, err := ctrNS.Output("ip", "link", "show", "veth0"); err == nil {
		t.Errorf("veth0 is in the container namespace: %s", out)
	}

	def := ipAll(t, ctrNS, "route", "show", "default")
	if len(def) != 1 || str(def[0], "gateway") != "10.0.0.1" || str(def[0], "dev") != "eth0" {
		t.Errorf("ip route show default: %v, want via 10.0.0.1 dev eth0", def)
	}
	mp := ipAll(t, ctrNS, "route", "show", "192.168.0.0/16")
	if len(mp) != 1 {
		t.Fatalf("ip route show 192.168.0.0/16: %v", mp)
	}
	var hops []string
	for _, h := range mp[0]["nexthops"].([]any) {
		m := h.(map[string]any)
		hops = append(hops, fmt.Sprintf("%s dev %s weight %d", str(m, "gateway"), str(m, "dev"), num(m, "weight")))
	}
	if want := []string{"10.0.0.1 dev eth0 weight 1", "10.0.0.3 dev eth0 weight 2"}; !slices.Equal(hops, want) {
		t.Errorf("multipath next hops %v, want %v", hops, want)
	}
}

func TestIntegrationExampleNeighListShowsTheLinksNeighbours(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "eth0", "eth1")
	for _, c := range []string{
		"link set eth0 up", "link set eth1 up",
		"addr add 10.0.0.1/24 dev eth0", "addr add 10.0.1.1/24 dev eth1",
		"neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent",
		"neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev eth0 nud reachable",
		"neigh add fd00::9 lladdr 02:00:00:00:00:19 dev eth0 nud permanent",
		"neigh add 10.0.1.9 lladdr 02:00:00:00:00:29 dev eth1 nud permanent",
	} {
		ipRun(t, ns, strings.Fields(c)...)
	}
	c := dialIn(t, ns)
	ctx := context.Background()

	// ExampleNeighs
	example := func() []string {
		link, err := c.LinkByName(ctx, "eth0")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for n, err := range c.Neighs(ctx, NeighFilter{LinkIndex: link.Index}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintln(n.Dst, n.LLAddr, n.State))
		}
		return got
	}

	// IPv6 multicast entries (ff02::16, NOARP) come and go on their own:
	// compare until two readings agree.
	var got, want []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, want = example(), nil
		for _, n := range ipAll(t, ns, "neigh", "show", "dev", "eth0", "nud", "all") {
			want = append(want, fmt.Sprintln(str(n, "dst"), str(n, "lladdr"), strings.Join(strs(n, "state"), ",")))
		}
		slices.Sort(got)
		slices.Sort(want)
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("neighbours of eth0:\n%v\nip neigh show dev eth0 nud all:\n%v", got, want)
		}
	}
	if !slices.Contains(got, "10.0.0.9 02:00:00:00:00:09 PERMANENT\n") || len(got) < 3 {
		t.Errorf("neighbours of eth0: %v, want the three of the fixture", got)
	}
}
