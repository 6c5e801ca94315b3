package rtnl

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"golang.org/x/sys/unix"
)

// neighFixture makes veth pairs va/vb and wa/wb and neighbours of every
// state ip can set: permanent, reachable, stale (an IPv6 router), noarp,
// on two links; one managed, one extern_learn, two with a protocol; and
// proxy entries (ip neigh add proxy) of both families.
func neighFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "link", "add", "wa", "type", "veth", "peer", "name", "wb")
	// No link-local addresses: no MLD report makes a neighbour (ff02::16)
	// appear between two dumps of a test.
	for _, l := range []string{"va", "vb", "wa", "wb"} {
		ipRun(t, ns, "link", "set", l, "addrgenmode", "none")
	}
	ipRun(t, ns, "link", "set", "va", "up")
	ipRun(t, ns, "link", "set", "vb", "up")
	ipRun(t, ns, "link", "set", "wa", "up")
	// A reachable entry turns stale after reachable_time (15 to 45 s by
	// default), which a slow run under -race reaches between two dumps;
	// an hour keeps it reachable for the test.
	// And the managed entry, which the kernel resolves (in vain: vb does
	// not answer), stays incomplete for an hour between its probes.
	for _, l := range []string{"va", "wa"} {
		ipRun(t, ns, "ntable", "change", "name", "arp_cache", "dev", l, "base_reachable", "3600000", "retrans", "3600000")
	}
	for _, n := range [][]string{
		{"10.0.0.2", "lladdr", "02:00:00:00:00:02", "dev", "va", "nud", "permanent"},
		{"10.0.0.3", "lladdr", "02:00:00:00:00:03", "dev", "va", "nud", "reachable"},
		{"2001:db8::2", "lladdr", "02:00:00:00:00:04", "dev", "va", "nud", "stale", "router"},
		{"10.0.0.4", "lladdr", "02:00:00:00:00:08", "dev", "va", "nud", "noarp"},
		{"fe80::7", "lladdr", "02:00:00:00:00:07", "dev", "wa", "nud", "permanent"},
		{"10.1.0.9", "lladdr", "02:00:00:00:01:09", "dev", "wa", "nud", "reachable"},
		{"10.0.0.10", "dev", "va", "managed"},
		{"10.0.0.11", "lladdr", "02:00:00:00:00:0b", "dev", "va", "protocol", "77"},
		{"10.0.0.12", "lladdr", "02:00:00:00:00:0c", "dev", "va", "nud", "reachable", "extern_learn", "protocol", "static"},
		{"proxy", "10.0.0.99", "dev", "va"},
		{"proxy", "10.1.0.99", "dev", "wa"},
		// On wb, which is down: an IPv6 proxy entry joins its
		// solicited-node group, and the MLD report of a link that is up
		// makes a neighbour (ff02::16).
		{"proxy", "2001:db8::99", "dev", "wb"},
	} {
		ipRun(t, ns, append([]string{"neigh", "add"}, n...)...)
	}
}

// TestIntegrationNeighsAgreeWithIP compares every neighbour with `ip -j -s
// neigh show nud all`, and every proxy entry with `ip -j -s neigh show
// proxy`, field by field.
func TestIntegrationNeighsAgreeWithIP(t *testing.T) {
	ns := netnstest.New(t)
	neighFixture(t, ns)
	c := dialIn(t, ns)
	names := map[int]string{}
	links, _ := c.LinkList(bg, LinkFilter{})
	for _, l := range links {
		names[l.Index] = l.Name
	}
	for _, view := range []struct {
		f     NeighFilter
		ip    []string
		least int
	}{
		{NeighFilter{}, []string{"-s", "neigh", "show", "nud", "all"}, 9},
		{NeighFilter{Proxy: true}, []string{"-s", "neigh", "show", "proxy"}, 3},
	} {
		list, err := c.NeighList(bg, view.f)
		if err != nil {
			t.Fatal(err)
		}
		mine := map[string]*Neigh{}
		for i := range list {
			n := &list[i]
			mine[names[n.LinkIndex]+" "+n.Dst.String()] = n
		}
		want := ipJSON(t, ns, view.ip...)
		if len(want) != len(list) || len(want) < view.least {
			t.Errorf("%+v: rtnl lists %d neighbours, ip %d", view.f, len(list), len(want))
		}
		for _, w := range want {
			k := str(w, "dev") + " " + str(w, "dst")
			n := mine[k]
			if n == nil {
				t.Errorf("ip shows %s, rtnl does not", k)
				continue
			}
			checkNeighAgainstIP(t, k, n, w)
		}
	}
}

// checkNeighAgainstIP compares n with ip's object w for it.
func checkNeighAgainstIP(t *testing.T, k string, n *Neigh, w map[string]any) {
	t.Helper()
	eq := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("neighbour %s: %s = %v, ip says %v", k, field, got, want)
		}
	}
	if _, ok := w["state"]; ok {
		eq("state", n.State.Names(), strs(w, "state"))
	} else {
		// ip prints no state for a proxy entry; the kernel says NONE.
		eq("state", n.State, NeighNone)
	}
	eq("lladdr", n.LLAddr, str(w, "lladdr"))
	for _, f := range []string{"router", "proxy", "extern_learn", "offload"} {
		_, ipHas := w[f]
		eq(f, slices.Contains(n.Flags.Names(), f), ipHas)
	}
	for _, f := range []string{"managed", "locked"} {
		_, ipHas := w[f]
		eq(f, slices.Contains(n.FlagsExt.Names(), f), ipHas)
	}
	proto := ""
	if n.Protocol != 0 {
		proto = n.Protocol.String()
	}
	eq("protocol", proto, str(w, "protocol"))
	if _, ok := w["used"]; !ok {
		return // ip -s prints no cache info for a proxy entry
	}
	eq("probes", n.Probes, num(w, "probes"))
	eq("refcnt", n.RefCount, max(num(w, "refcnt"), 0))
	for _, c := range []struct {
		field string
		got   time.Duration
	}{{"used", n.Used}, {"confirmed", n.Confirmed}, {"updated", n.Updated}} {
		// ip prints whole seconds, which tick between its dump and ours.
		if d := int64(c.got/time.Second) - num(w, c.field); d < -1 || d > 1 {
			t.Errorf("neighbour %s: %s = %v, ip says %ds", k, c.field, c.got, num(w, c.field))
		}
	}
}

// TestIntegrationNeighFiltersKernelAndUserSpaceAgree wants the same
// neighbours from a strict Conn (the kernel filters the link) and from a
// Conn without strict checking, and the ones ip shows.
func TestIntegrationNeighFiltersKernelAndUserSpaceAgree(t *testing.T) {
	ns := netnstest.New(t)
	neighFixture(t, ns)
	strict := dialIn(t, ns)
	loose := plainConn(t, ns)
	va := mustIndex(t, strict, "va")
	for _, c := range []struct {
		f  NeighFilter
		ip []string
	}{
		{NeighFilter{LinkIndex: va}, []string{"neigh", "show", "dev", "va", "nud", "all"}},
		{NeighFilter{State: NeighPermanent}, []string{"neigh", "show", "nud", "permanent"}},
		{NeighFilter{State: NeighReachable | NeighStale}, []string{"neigh", "show", "nud", "reachable", "nud", "stale"}},
		{NeighFilter{Family: FamilyIPv6}, []string{"-6", "neigh", "show", "nud", "all"}},
		{NeighFilter{LinkIndex: va, Family: FamilyIPv4, State: NeighReachable}, []string{"-4", "neigh", "show", "dev", "va", "nud", "reachable"}},
		{NeighFilter{Proxy: true}, []string{"neigh", "show", "proxy"}},
		{NeighFilter{Proxy: true, LinkIndex: va}, []string{"neigh", "show", "proxy", "dev", "va"}},
		{NeighFilter{Proxy: true, Family: FamilyIPv6}, []string{"-6", "neigh", "show", "proxy"}},
	} {
		var want []string
		for _, w := range ipJSON(t, ns, c.ip...) {
			if _, ext := w["extern_learn"]; ext && c.f.State != 0 && !slices.ContainsFunc(strs(w, "state"), func(s string) bool { return slices.Contains(c.f.State.Names(), s) }) {
				// ip shows an extern_learn entry whatever nud asks
				// for; State does not.
				continue
			}
			want = append(want, str(w, "dst"))
		}
		slices.Sort(want)
		if c.f.State == 0 {
			// The kernel itself filtered (it has no state filter).
			if n := kernelCount(t, strict, nlmsg.RTMGetNeigh, c.f.dumpRequest(true), nlmsg.RTMNewNeigh); n != len(want) {
				t.Errorf("filter %+v: the kernel sent %d neighbours, want %d", c.f, n, len(want))
			}
		}
		for _, conn := range []*Conn{strict, loose} {
			var got []string
			for n, err := range conn.Neighs(bg, c.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, n.Dst.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v (strict %v): %v, want %v", c.f, conn.strict, got, want)
			}
		}
	}
}

// TestIntegrationNeighWritesShowInIP adds, replaces and deletes
// neighbours and reads each back through ip.
func TestIntegrationNeighWritesShowInIP(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "link", "set", "va", "up")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	show := func(dst string) map[string]any {
		t.Helper()
		for _, w := range ipJSON(t, ns, "neigh", "show", "dev", "va", "nud", "all") {
			if str(w, "dst") == dst {
				return w
			}
		}
		return nil
	}
	n := &Neigh{Dst: netip.MustParseAddr("10.0.0.5"), LinkIndex: va, LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 5}}
	if err := c.NeighAdd(bg, n); err != nil {
		t.Fatal(err)
	}
	if w := show("10.0.0.5"); str(w, "lladdr") != "02:00:00:00:00:05" || !slices.Equal(strs(w, "state"), []string{"PERMANENT"}) {
		t.Errorf("ip shows %v", w)
	}
	if err := c.NeighAdd(bg, n); err == nil {
		t.Error("adding the same neighbour twice succeeded")
	}
	n.LLAddr, n.State = net.HardwareAddr{2, 0, 0, 0, 0, 6}, NeighReachable
	if err := c.NeighReplace(bg, n); err != nil {
		t.Fatal(err)
	}
	if w := show("10.0.0.5"); str(w, "lladdr") != "02:00:00:00:00:06" || !slices.Equal(strs(w, "state"), []string{"REACHABLE"}) {
		t.Errorf("after replace ip shows %v", w)
	}
	n6 := &Neigh{Dst: netip.MustParseAddr("2001:db8::9"), LinkIndex: va, LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 9}, State: NeighStale, Flags: NeighRouter}
	if err := c.NeighAdd(bg, n6); err != nil {
		t.Fatal(err)
	}
	if w := show("2001:db8::9"); w == nil || !slices.Equal(strs(w, "state"), []string{"STALE"}) {
		t.Errorf("ip shows %v", w)
	} else if _, ok := w["router"]; !ok {
		t.Errorf("ip shows no router flag: %v", w)
	}
	// A managed entry with a protocol: NeighAdd sends it in state NONE,
	// as ip does (the kernel refuses a permanent managed entry).
	m := &Neigh{Dst: netip.MustParseAddr("10.0.0.7"), LinkIndex: va, FlagsExt: NeighManaged, Protocol: ProtocolZebra}
	if err := c.NeighAdd(bg, m); err != nil {
		t.Fatal(err)
	}
	if w := show("10.0.0.7"); w == nil || str(w, "protocol") != "zebra" {
		t.Errorf("ip shows %v", w)
	} else if _, ok := w["managed"]; !ok {
		t.Errorf("ip shows no managed flag: %v", w)
	}
	for _, x := range []*Neigh{n, n6, m} {
		if err := c.NeighDel(bg, x); err != nil {
			t.Fatal(err)
		}
		if w := show(x.Dst.String()); w != nil {
			t.Errorf("%v survived NeighDel: %v", x.Dst, w)
		}
	}
	if err := c.NeighAdd(bg, &Neigh{LinkIndex: va}); err == nil {
		t.Error("a neighbour without a destination was accepted")
	}
}

// TestIntegrationProxyNeighWritesShowInIP adds proxy entries with NeighAdd
// (Flags NeighProxy, no link-layer address) and deletes them, as ip neigh
// add proxy and ip neigh del proxy do; deleting an absent entry, proxy or
// not, fails with the kernel's ENOENT.
func TestIntegrationProxyNeighWritesShowInIP(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	proxies := func() []string {
		t.Helper()
		var dsts []string
		for _, w := range ipJSON(t, ns, "neigh", "show", "proxy", "dev", "va") {
			dsts = append(dsts, str(w, "dst"))
		}
		slices.Sort(dsts)
		return dsts
	}
	p4 := &Neigh{Dst: netip.MustParseAddr("10.0.0.77"), LinkIndex: va, Flags: NeighProxy}
	p6 := &Neigh{Dst: netip.MustParseAddr("2001:db8::77"), LinkIndex: va, Flags: NeighProxy}
	for _, p := range []*Neigh{p4, p6} {
		if err := c.NeighAdd(bg, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := proxies(); !slices.Equal(got, []string{"10.0.0.77", "2001:db8::77"}) {
		t.Errorf("ip neigh show proxy: %v", got)
	}
	if cache := ipJSON(t, ns, "neigh", "show", "dev", "va", "nud", "all"); len(cache) != 0 {
		t.Errorf("the proxy entries went to the cache: %v", cache)
	}
	if err := c.NeighDel(bg, p4); err != nil {
		t.Fatal(err)
	}
	if got := proxies(); !slices.Equal(got, []string{"2001:db8::77"}) {
		t.Errorf("after NeighDel ip neigh show proxy: %v", got)
	}
	for _, absent := range []*Neigh{p4, {Dst: netip.MustParseAddr("10.0.0.78"), LinkIndex: va}} {
		err := c.NeighDel(bg, absent)
		var oe *engine.OpError
		if !errors.Is(err, unix.ENOENT) || !errors.As(err, &oe) {
			t.Errorf("deleting absent %v (flags %v): %v (%T), want an *engine.OpError for ENOENT", absent.Dst, absent.Flags, err, err)
		}
	}
}

// TestIntegrationNeighChangeChangesOnlyWhatIsThere changes an entry ip
// made and reads it back through ip, and changes absent IPv4 and IPv6
// entries: each fails with ENOENT and ip shows none of them, as ip neigh
// change does.
func TestIntegrationNeighChangeChangesOnlyWhatIsThere(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "link", "set", "va", "up")
	ipRun(t, ns, "neigh", "add", "10.0.0.5", "lladdr", "02:00:00:00:00:05", "dev", "va", "nud", "permanent")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	n := &Neigh{Dst: netip.MustParseAddr("10.0.0.5"), LinkIndex: va, LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 6}, State: NeighStale}
	if err := c.NeighChange(bg, n); err != nil {
		t.Fatal(err)
	}
	if w := ipJSON(t, ns, "neigh", "show", "10.0.0.5", "dev", "va"); len(w) != 1 || str(w[0], "lladdr") != "02:00:00:00:00:06" || !slices.Equal(strs(w[0], "state"), []string{"STALE"}) {
		t.Errorf("after NeighChange ip shows %v", w)
	}
	for _, dst := range []string{"10.0.0.6", "2001:db8::6"} {
		err := c.NeighChange(bg, &Neigh{Dst: netip.MustParseAddr(dst), LinkIndex: va, LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 7}})
		var oe *engine.OpError
		if !errors.Is(err, unix.ENOENT) || !errors.As(err, &oe) {
			t.Errorf("changing absent %s: %v (%T), want an *engine.OpError for ENOENT", dst, err, err)
		}
	}
	if w := ipJSON(t, ns, "neigh", "show", "dev", "va", "nud", "all"); len(w) != 1 {
		t.Errorf("ip shows %d entries, want only 10.0.0.5: %v", len(w), w)
	}
}

// TestIntegrationNeighFilterByMasterAgreesWithIP puts wa under a bridge
// and compares the entries NeighFilter.MasterIndex and NoMaster select,
// through a strict Conn (the kernel's NDA_MASTER) and a loose one (user
// space), with `ip -j neigh show master br0` and `ip -j neigh show
// nomaster`, and those of the proxy table with `ip -j neigh show proxy
// master br0` and `… proxy nomaster`.
func TestIntegrationNeighFilterByMasterAgreesWithIP(t *testing.T) {
	ns := netnstest.New(t)
	neighFixture(t, ns)
	ipRun(t, ns, "link", "add", "br0", "type", "bridge")
	ipRun(t, ns, "link", "set", "wa", "master", "br0")
	ipRun(t, ns, "neigh", "replace", "10.1.0.8", "lladdr", "02:00:00:00:01:08", "dev", "wa", "nud", "permanent")
	strict := dialIn(t, ns)
	loose := plainConn(t, ns)
	br0 := mustIndex(t, strict, "br0")
	for _, c := range []struct {
		f  NeighFilter
		ip []string
	}{
		{NeighFilter{MasterIndex: br0}, []string{"neigh", "show", "master", "br0", "nud", "all"}},
		{NeighFilter{MasterIndex: br0, Family: FamilyIPv4}, []string{"-4", "neigh", "show", "master", "br0", "nud", "all"}},
		{NeighFilter{MasterIndex: br0, Proxy: true}, []string{"neigh", "show", "proxy", "master", "br0"}},
		{NeighFilter{NoMaster: true}, []string{"neigh", "show", "nomaster", "nud", "all"}},
		{NeighFilter{NoMaster: true, Family: FamilyIPv6}, []string{"-6", "neigh", "show", "nomaster", "nud", "all"}},
		{NeighFilter{NoMaster: true, Proxy: true}, []string{"neigh", "show", "proxy", "nomaster"}},
	} {
		var want []string
		for _, w := range ipJSON(t, ns, c.ip...) {
			want = append(want, str(w, "dst")+" "+str(w, "dev"))
		}
		slices.Sort(want)
		if len(want) == 0 {
			t.Fatalf("%v shows nothing: the fixture has no entry under br0", c.ip)
		}
		if n := kernelCount(t, strict, nlmsg.RTMGetNeigh, c.f.dumpRequest(true), nlmsg.RTMNewNeigh); n != len(want) {
			t.Errorf("filter %+v: the kernel sent %d neighbours, want %d", c.f, n, len(want))
		}
		names := map[int]string{}
		for _, l := range []string{"va", "vb", "wa", "wb"} {
			names[mustIndex(t, strict, l)] = l
		}
		for _, conn := range []*Conn{strict, loose} {
			var got []string
			for n, err := range conn.Neighs(bg, c.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, n.Dst.String()+" "+names[n.LinkIndex])
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v (strict %v): %v, want %v", c.f, conn.strict, got, want)
			}
		}
	}
}
