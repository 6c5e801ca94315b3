package rtnl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"golang.org/x/sys/unix"
)

// addrFixture adds to ns a veth pair va/vb (va up, vb down, so va has no
// carrier) with IPv4 and IPv6 addresses of every awkward sort: a label and
// a broadcast, a secondary, finite lifetimes, a point-to-point peer, nodad,
// noprefixroute, a tentative IPv6 address, home and mngtmpaddr, a metric.
func addrFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "link", "set", "va", "up")
	for _, a := range [][]string{
		{"10.0.0.1/24", "brd", "+", "dev", "va", "label", "va:one"},
		{"10.0.0.2/24", "dev", "va"}, // secondary
		{"10.0.1.1/24", "dev", "va", "valid_lft", "1000", "preferred_lft", "500"},
		{"10.9.0.1", "peer", "10.9.0.2/32", "dev", "va"},
		{"10.7.0.1/16", "dev", "va", "metric", "55", "noprefixroute"},
		{"2001:db8::1/64", "dev", "va", "nodad"},
		{"2001:db8:1::1/64", "dev", "va", "nodad", "noprefixroute", "valid_lft", "2000", "preferred_lft", "0"},
		{"2001:db8:2::1/64", "dev", "va"}, // tentative: no carrier, DAD cannot finish
		{"2001:db8:3::1", "peer", "2001:db8:3::2/128", "dev", "va", "nodad"},
		{"2001:db8:4::1/64", "dev", "va", "nodad", "home", "mngtmpaddr"},
		{"192.168.5.5/24", "dev", "vb"},
	} {
		ipRun(t, ns, append([]string{"addr", "add"}, a...)...)
	}
}

// ipAddrFlags are the boolean keys ip -j addr prints for address flags.
var ipAddrFlags = []string{"secondary", "temporary", "nodad", "optimistic", "dadfailed", "home", "deprecated", "tentative", "mngtmpaddr", "noprefixroute", "autojoin", "stable-privacy", "dynamic"}

// ipFlagsOf gives the keys ip would print for a's flags.
func ipFlagsOf(a *Addr) map[string]bool {
	m := map[string]bool{}
	for _, n := range a.Flags.Names() {
		if n == "permanent" {
			continue
		}
		if n == "secondary" && a.Family == FamilyIPv6 {
			n = "temporary"
		}
		m[n] = true
	}
	if a.Flags&AddrPermanent == 0 {
		m["dynamic"] = true
	}
	return m
}

// TestIntegrationAddrsAgreeWithIP compares every address with `ip -j addr
// show`, field by field.
func TestIntegrationAddrsAgreeWithIP(t *testing.T) {
	ns := netnstest.New(t)
	addrFixture(t, ns)
	c := dialIn(t, ns)
	addrs, err := c.AddrList(bg, AddrFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		index int
		local string
	}
	mine := map[key]*Addr{}
	for i := range addrs {
		a := &addrs[i]
		mine[key{a.LinkIndex, a.Prefix.String()}] = a
	}
	n := 0
	for _, link := range ipJSON(t, ns, "addr", "show") {
		infos, _ := link["addr_info"].([]any)
		for _, x := range infos {
			w := x.(map[string]any)
			n++
			k := key{int(num(link, "ifindex")), fmt.Sprintf("%s/%d", str(w, "local"), num(w, "prefixlen"))}
			a := mine[k]
			if a == nil {
				t.Errorf("ip shows %v, rtnl does not", k)
				continue
			}
			checkAddrAgainstIP(t, a, w)
		}
	}
	if n != len(addrs) || n < 12 {
		t.Errorf("rtnl lists %d addresses, ip %d", len(addrs), n)
	}
}

func checkAddrAgainstIP(t *testing.T, a *Addr, w map[string]any) {
	t.Helper()
	eq := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("address %v: %s = %v, ip says %v", a.Prefix, field, got, want)
		}
	}
	near := func(field string, got uint32, want int64) {
		t.Helper()
		// Finite lifetimes tick between ip's dump and ours.
		if d := int64(got) - want; d < -2 || d > 2 {
			t.Errorf("address %v: %s = %d, ip says %d", a.Prefix, field, got, want)
		}
	}
	eq("family", a.Family, str(w, "family"))
	eq("scope", a.Scope, str(w, "scope"))
	eq("label", a.Label, str(w, "label"))
	peer := ""
	if a.Peer.IsValid() {
		peer = a.Peer.String()
	}
	eq("address", peer, str(w, "address"))
	brd := ""
	if a.Broadcast.IsValid() {
		brd = a.Broadcast.String()
	}
	eq("broadcast", brd, str(w, "broadcast"))
	near("valid_life_time", a.ValidLifetime, num(w, "valid_life_time"))
	near("preferred_life_time", a.PreferredLifetime, num(w, "preferred_life_time"))
	metric := num(w, "metric")
	if metric < 0 {
		metric = 0
	}
	eq("metric", a.Metric, metric)
	if _, ok := w["protocol"]; ok { // ip 6.2 and later print IFA_PROTO
		eq("protocol", a.Protocol, str(w, "protocol"))
	}
	flags := ipFlagsOf(a)
	for _, f := range ipAddrFlags {
		_, ipHas := w[f]
		eq(f, flags[f], ipHas)
	}
}

// TestIntegrationAddrFiltersKernelAndUserSpaceAgree wants the same
// addresses from a strict Conn (the kernel filters) and from a Conn without
// strict checking (user space filters), and the ones ip shows.
func TestIntegrationAddrFiltersKernelAndUserSpaceAgree(t *testing.T) {
	ns := netnstest.New(t)
	addrFixture(t, ns)
	strict := dialIn(t, ns)
	loose := plainConn(t, ns)
	va := mustIndex(t, strict, "va")
	for _, c := range []struct {
		f  AddrFilter
		ip []string
	}{
		{AddrFilter{Family: FamilyIPv4}, []string{"-4", "addr", "show"}},
		{AddrFilter{Family: FamilyIPv6}, []string{"-6", "addr", "show"}},
		{AddrFilter{LinkIndex: va}, []string{"addr", "show", "dev", "va"}},
		{AddrFilter{LinkIndex: va, Family: FamilyIPv6}, []string{"-6", "addr", "show", "dev", "va"}},
	} {
		var want []string
		for _, link := range ipJSON(t, ns, c.ip...) {
			infos, _ := link["addr_info"].([]any)
			for _, x := range infos {
				w := x.(map[string]any)
				want = append(want, fmt.Sprintf("%s/%d", str(w, "local"), num(w, "prefixlen")))
			}
		}
		slices.Sort(want)
		// The kernel itself filtered: it sent only the matching addresses.
		if n := kernelCount(t, strict, nlmsg.RTMGetAddr, c.f.dumpRequest(true), nlmsg.RTMNewAddr); n != len(want) {
			t.Errorf("filter %+v: the kernel sent %d addresses, want %d", c.f, n, len(want))
		}
		for _, conn := range []*Conn{strict, loose} {
			var got []string
			for a, err := range conn.Addrs(bg, c.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, a.Prefix.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v (strict %v): %v, want %v", c.f, conn.strict, got, want)
			}
		}
	}
}

// ipAddrInfo returns the addr_info entry that `ip -j addr show dev dev`
// prints for the local address local, or nil when ip shows none.
func ipAddrInfo(t *testing.T, ns *netnstest.NS, dev, local string) map[string]any {
	t.Helper()
	for _, link := range ipJSON(t, ns, "addr", "show", "dev", dev) {
		infos, _ := link["addr_info"].([]any)
		for _, x := range infos {
			if w := x.(map[string]any); str(w, "local") == local {
				return w
			}
		}
	}
	return nil
}

// TestIntegrationAddrWritesShowInIP adds, replaces and deletes addresses
// and reads each back through ip.
func TestIntegrationAddrWritesShowInIP(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	show := func(local string) map[string]any {
		t.Helper()
		return ipAddrInfo(t, ns, "va", local)
	}
	a4 := &Addr{Prefix: netip.MustParsePrefix("10.3.0.1/24"), LinkIndex: va, Label: "va:x", Broadcast: netip.MustParseAddr("10.3.0.255"), ValidLifetime: 900, PreferredLifetime: 300, Metric: 20}
	if err := c.AddrAdd(bg, a4); err != nil {
		t.Fatal(err)
	}
	w := show("10.3.0.1")
	if num(w, "prefixlen") != 24 || str(w, "label") != "va:x" || str(w, "broadcast") != "10.3.0.255" || num(w, "valid_life_time") > 900 || num(w, "valid_life_time") < 890 || num(w, "preferred_life_time") > 300 || num(w, "metric") != 20 {
		t.Errorf("ip shows %v", w)
	}
	if err := c.AddrAdd(bg, a4); err == nil {
		t.Error("adding the same address twice succeeded")
	}
	a4.ValidLifetime, a4.PreferredLifetime = 0, 0 // forever
	if err := c.AddrReplace(bg, a4); err != nil {
		t.Fatal(err)
	}
	if w := show("10.3.0.1"); num(w, "valid_life_time") != LifetimeForever {
		t.Errorf("after replace ip shows %v", w)
	}
	a6 := &Addr{Prefix: netip.MustParsePrefix("2001:db8:9::1/64"), LinkIndex: va, Flags: AddrNoDAD | AddrNoPrefixRoute}
	if err := c.AddrAdd(bg, a6); err != nil {
		t.Fatal(err)
	}
	if w := show("2001:db8:9::1"); w == nil || w["nodad"] != true || w["noprefixroute"] != true || num(w, "prefixlen") != 64 {
		t.Errorf("ip shows %v", w)
	}
	p2p := &Addr{Prefix: netip.MustParsePrefix("10.8.0.1/32"), Peer: netip.MustParseAddr("10.8.0.2"), LinkIndex: va}
	if err := c.AddrAdd(bg, p2p); err != nil {
		t.Fatal(err)
	}
	if w := show("10.8.0.1"); str(w, "address") != "10.8.0.2" {
		t.Errorf("ip shows %v", w)
	}
	for _, a := range []*Addr{a4, a6, p2p} {
		if err := c.AddrDel(bg, a); err != nil {
			t.Fatal(err)
		}
		if w := show(a.Prefix.Addr().String()); w != nil {
			t.Errorf("%v survived AddrDel: %v", a.Prefix, w)
		}
	}
	if err := c.AddrAdd(bg, &Addr{LinkIndex: va}); err == nil {
		t.Error("an address without a prefix was accepted")
	}
}

// TestIntegrationAddrProtocolIsKept writes addresses with a protocol and
// reads them back (ip 6.1 does not print IFA_PROTO): the kernel keeps
// what was written, marks its own loopback address kernel_lo, and a
// replace without a protocol clears it.
func TestIntegrationAddrProtocolIsKept(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	protocols := func() map[string]AddrProtocol {
		t.Helper()
		m := map[string]AddrProtocol{}
		for a, err := range c.Addrs(bg, AddrFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			m[a.Prefix.String()] = a.Protocol
		}
		return m
	}
	a4 := &Addr{Prefix: netip.MustParsePrefix("10.3.0.1/24"), LinkIndex: va, Protocol: 99}
	a6 := &Addr{Prefix: netip.MustParsePrefix("2001:db8::1/64"), LinkIndex: va, Flags: AddrNoDAD, Protocol: 200}
	for _, a := range []*Addr{a4, a6} {
		if err := c.AddrAdd(bg, a); err != nil {
			t.Fatal(err)
		}
	}
	got := protocols()
	for p, want := range map[string]AddrProtocol{"10.3.0.1/24": 99, "2001:db8::1/64": 200, "::1/128": AddrProtocolKernelLo} {
		if got[p] != want {
			t.Errorf("%s: protocol %v, want %v", p, got[p], want)
		}
	}
	a4.Protocol = 0
	if err := c.AddrReplace(bg, a4); err != nil {
		t.Fatal(err)
	}
	if p := protocols()["10.3.0.1/24"]; p != AddrProtocolUnspec {
		t.Errorf("after a replace without a protocol: %v", p)
	}
}

// TestIntegrationAddrReplaceChangesWhatTheKernelChanges replaces an IPv4
// and an IPv6 address with other properties and reads them through ip: an
// IPv4 replace changes the metric and lifetimes and keeps the label, the
// broadcast and the flags; an IPv6 replace changes the flags too. Deleting
// an absent address fails with EADDRNOTAVAIL.
func TestIntegrationAddrReplaceChangesWhatTheKernelChanges(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	show := func(local string) map[string]any {
		t.Helper()
		w := ipAddrInfo(t, ns, "va", local)
		if w == nil {
			t.Fatalf("ip shows no %s", local)
		}
		return w
	}
	a4 := &Addr{Prefix: netip.MustParsePrefix("10.3.0.1/24"), LinkIndex: va, Label: "va:x", Broadcast: netip.MustParseAddr("10.3.0.255"), Metric: 20}
	a6 := &Addr{Prefix: netip.MustParsePrefix("2001:db8::1/64"), LinkIndex: va, Flags: AddrNoDAD, Metric: 20}
	for _, a := range []*Addr{a4, a6} {
		if err := c.AddrAdd(bg, a); err != nil {
			t.Fatal(err)
		}
	}
	r4 := &Addr{Prefix: a4.Prefix, LinkIndex: va, Label: "va:y", Broadcast: netip.MustParseAddr("10.3.0.254"), Metric: 30, Flags: AddrNoPrefixRoute, ValidLifetime: 900, PreferredLifetime: 600}
	r6 := &Addr{Prefix: a6.Prefix, LinkIndex: va, Flags: AddrNoDAD | AddrNoPrefixRoute | AddrManageTempAddr, Metric: 30}
	for _, a := range []*Addr{r4, r6} {
		if err := c.AddrReplace(bg, a); err != nil {
			t.Fatal(err)
		}
	}
	w4 := show("10.3.0.1")
	if str(w4, "label") != "va:x" || str(w4, "broadcast") != "10.3.0.255" || w4["noprefixroute"] != nil {
		t.Errorf("the IPv4 replace changed the label, broadcast or flags: %v", w4)
	}
	if num(w4, "metric") != 30 || num(w4, "valid_life_time") > 900 || num(w4, "preferred_life_time") > 600 {
		t.Errorf("the IPv4 replace did not change the metric and lifetimes: %v", w4)
	}
	w6 := show("2001:db8::1")
	if num(w6, "metric") != 30 || w6["noprefixroute"] != true || w6["mngtmpaddr"] != true || w6["nodad"] != true {
		t.Errorf("the IPv6 replace did not change the metric and flags: %v", w6)
	}
	for _, p := range []string{"10.99.0.1/24", "2001:db8:99::1/64"} {
		err := c.AddrDel(bg, &Addr{Prefix: netip.MustParsePrefix(p), LinkIndex: va})
		var oe *engine.OpError
		if !errors.Is(err, unix.EADDRNOTAVAIL) || !errors.As(err, &oe) || oe.Message == "" {
			t.Errorf("deleting absent %s: %v (%T), want an *engine.OpError for EADDRNOTAVAIL with the kernel's message", p, err, err)
		}
	}
}

// TestIntegrationAddrChangeChangesAndAddsAsIPDoes changes an address's
// metric with AddrChange and reads it through ip, then changes absent
// IPv4 and IPv6 addresses: the kernel adds them, as it does for ip addr
// change, though the request has no NLM_F_CREATE.
func TestIntegrationAddrChangeChangesAndAddsAsIPDoes(t *testing.T) {
	ns := netnstest.New(t)
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "addr", "add", "10.3.0.1/24", "dev", "va", "metric", "20")
	c := dialIn(t, ns)
	va := mustIndex(t, c, "va")
	if err := c.AddrChange(bg, &Addr{Prefix: netip.MustParsePrefix("10.3.0.1/24"), LinkIndex: va, Metric: 30}); err != nil {
		t.Fatal(err)
	}
	if w := ipAddrInfo(t, ns, "va", "10.3.0.1"); num(w, "metric") != 30 {
		t.Errorf("after AddrChange ip shows %v, want metric 30", w)
	}
	for _, p := range []string{"10.4.0.1/24", "2001:db8::4/64"} {
		if err := c.AddrChange(bg, &Addr{Prefix: netip.MustParsePrefix(p), LinkIndex: va, Flags: AddrNoDAD}); err != nil {
			t.Errorf("changing absent %s: %v, want the kernel to add it", p, err)
		}
		if w := ipAddrInfo(t, ns, "va", netip.MustParsePrefix(p).Addr().String()); w == nil {
			t.Errorf("changing absent %s: ip does not show it", p)
		}
	}
}
