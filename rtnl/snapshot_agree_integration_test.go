package rtnl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestIntegrationSnapshotAgreesWithIP compares every value of one Snapshot
// with ip -j, kind by kind, on the union of the route, rule and neighbour
// fixtures (tables 100 and 1000, default routes of both families, IPv6
// multipath, rules with many selectors, proxy entries) plus a bridge with
// FDB entries: what Snapshot holds of neighbours is ip neigh show nud
// all, neither the proxy table (ip neigh show proxy) nor the FDB (bridge
// fdb show), which are other dumps; its rules are ip rule show's of
// both families and the multicast routing rules.
func TestIntegrationSnapshotAgreesWithIP(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "v0", "v1")
	for _, c := range append(append([]string(nil), routeFixtureCmds...), ruleFixtureCmds...) {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	neighFixture(t, ns)
	for _, c := range []string{
		"link add br0 type bridge", "link set br0 addrgenmode none", "link set vb master br0",
		"link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 nolearning", "link set vx0 addrgenmode none",
		"link set vx0 master br0", "-6 route add 2001:dbd::/48 via fd00::2 table 300",
		"route add default via 10.0.0.253 table 300 metric 5",
	} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:aa:01", "dev", "vx0", "dst", "10.0.0.9")
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:aa:02", "dev", "vx0", "master", "static")
	c := dialIn(t, ns)
	// NB: IPv6 multicast neighbours (MLD reports to ff02::16) appear on
	// their own while the links settle: take the snapshot again, a few
	// times at most, until it holds the neighbours ip shows after it.
	var s *Snapshot
	var want []map[string]any
	for try := 0; ; try++ {
		var err error
		if s, err = c.Snapshot(bg, SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		want = ipJSON(t, ns, "-s", "neigh", "show", "nud", "all")
		if len(want) == len(s.Neighs) || try == 4 {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}

	byIndex := map[int]*Link{}
	for i := range s.Links {
		byIndex[s.Links[i].Index] = &s.Links[i]
	}
	links := ipJSON(t, ns, "-d", "link", "show")
	if len(links) != len(s.Links) {
		t.Errorf("%d links, ip shows %d", len(s.Links), len(links))
	}
	for _, w := range links {
		if l := byIndex[int(num(w, "ifindex"))]; l == nil {
			t.Errorf("ip shows link %v, the snapshot does not", w["ifname"])
		} else {
			checkLinkAgainstIP(t, l, w, byIndex)
		}
	}

	addrs := map[string]*Addr{}
	for i := range s.Addrs {
		a := &s.Addrs[i]
		addrs[fmt.Sprint(a.LinkIndex, a.Prefix)] = a
	}
	n := 0
	for _, link := range ipJSON(t, ns, "addr", "show") {
		infos, _ := link["addr_info"].([]any)
		for _, x := range infos {
			w := x.(map[string]any)
			n++
			k := fmt.Sprintf("%d %s/%d", num(link, "ifindex"), str(w, "local"), num(w, "prefixlen"))
			if a := addrs[k]; a == nil {
				t.Errorf("ip shows address %s, the snapshot does not", k)
			} else {
				checkAddrAgainstIP(t, a, w)
			}
		}
	}
	if n != len(s.Addrs) {
		t.Errorf("%d addresses, ip shows %d", len(s.Addrs), n)
	}

	var r4, r6 []Route
	for _, r := range s.Routes {
		if r.Family == FamilyIPv4 {
			r4 = append(r4, r)
		} else {
			r6 = append(r6, r)
		}
	}
	if len(r4)+len(r6) != len(s.Routes) || len(r6) == 0 || s.Routes[len(r4)].Family != FamilyIPv6 {
		t.Errorf("the snapshot's routes are not IPv4 then IPv6")
	}
	checkAgainstIP(t, ns, r4, "-4", "table", "all")
	checkAgainstIP(t, ns, r6, "-6", "table", "all")

	var u4, u6 []Rule
	for _, u := range s.Rules {
		switch u.Family {
		case FamilyIPv4:
			u4 = append(u4, u)
		case FamilyIPv6:
			u6 = append(u6, u)
		case 128, 129: // RTNL_FAMILY_IPMR, RTNL_FAMILY_IP6MR: ip mrule's
		default:
			t.Errorf("rule of family %v: %+v", u.Family, u)
		}
	}
	checkRulesAgainstIP(t, ns, u4, "-4")
	checkRulesAgainstIP(t, ns, u6, "-6")

	names := map[int]string{}
	for _, l := range s.Links {
		names[l.Index] = l.Name
	}
	neighs := map[string]*Neigh{}
	for i := range s.Neighs {
		x := &s.Neighs[i]
		if x.Family == FamilyBridge || x.Flags&NeighProxy != 0 {
			t.Errorf("the snapshot holds %v entry %v %v of %s", x.Family, x.Dst, x.LLAddr, names[x.LinkIndex])
		}
		neighs[names[x.LinkIndex]+" "+x.Dst.String()] = x
	}
	if len(want) != len(s.Neighs) {
		t.Errorf("%d neighbours, ip shows %d", len(s.Neighs), len(want))
	}
	for _, w := range want {
		k := str(w, "dev") + " " + str(w, "dst")
		if x := neighs[k]; x == nil {
			t.Errorf("ip shows neighbour %s, the snapshot does not", k)
		} else {
			checkNeighAgainstIP(t, k, x, w)
		}
	}
	// The fixture has what the test claims to cover.
	if len(ipJSON(t, ns, "neigh", "show", "proxy")) < 3 || len(ipJSON(t, ns, "-d", "-4", "route", "show", "table", "1000")) == 0 {
		t.Fatal("the fixture lacks its proxy entries or table 1000")
	}
	if out := string(ns.Run(t, "bridge", "fdb", "show", "dev", "vx0")); !strings.Contains(out, "02:00:00:00:aa:01") {
		t.Fatalf("the fixture lacks its FDB entries: %s", out)
	}
}

// TestIntegrationSnapshotNexthopsAgreeWithIP compares the nexthop objects
// of a Snapshot with ip -j -d nexthop show, object by object and field by
// field, on the nexthop fixture (single next hops of every shape, FDB
// objects, multipath and resilient groups), fresh and reusing a Snapshot
// of an empty namespace; a namespace without nexthop objects gives an
// empty Nexthops and no error.
func TestIntegrationSnapshotNexthopsAgreeWithIP(t *testing.T) {
	empty := dialIn(t, netnstest.New(t))
	s, err := empty.Snapshot(bg, SnapshotOptions{})
	if err != nil || len(s.Nexthops) != 0 {
		t.Fatalf("Snapshot of an empty namespace: %d nexthops, %v", len(s.Nexthops), err)
	}
	ns := netnstest.New(t)
	nexthopFixture(t, ns)
	c := dialIn(t, ns)
	for _, reuse := range []*Snapshot{nil, s} {
		got, err := c.Snapshot(bg, SnapshotOptions{Reuse: reuse})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Nexthops) != 16 {
			t.Errorf("%d nexthops, the fixture has 16", len(got.Nexthops))
		}
		checkNexthopsAgainstIP(t, ns, got.Nexthops)
	}
}
