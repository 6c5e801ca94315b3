package rtnl

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"golang.org/x/sys/unix"
)

// fdbFixture makes a bridge br0 (not VLAN-aware: the test kernel may lack
// CONFIG_BRIDGE_VLAN_FILTERING) with a veth port pa and a VXLAN port vx0,
// and FDB entries of the sorts bridge fdb writes: a static and an
// extern_learn one in the bridge, two default remotes of the VXLAN device (one
// MAC, two destinations), and a remote with its own port, VNI and via
// link.
func fdbFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ipRun(t, ns, "link", "add", "br0", "type", "bridge")
	ipRun(t, ns, "link", "add", "pa", "type", "veth", "peer", "name", "pb")
	ipRun(t, ns, "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "10.0.0.1", "nolearning")
	for _, l := range []string{"pa", "vx0"} {
		ipRun(t, ns, "link", "set", l, "master", "br0")
	}
	for _, e := range []string{
		"add 02:00:00:00:bb:01 dev pa master static",
		"add 02:00:00:00:bb:02 dev pa master extern_learn",
		"append 00:00:00:00:00:00 dev vx0 dst 10.0.0.50 self permanent",
		"append 00:00:00:00:00:00 dev vx0 dst 10.0.0.52 self permanent",
		"add 02:00:00:00:aa:01 dev vx0 dst 10.0.0.51 port 4790 vni 100 via pa self permanent",
	} {
		ns.Run(t, "bridge", append([]string{"fdb"}, strings.Fields(e)...)...)
	}
}

// bridgeFDB runs `bridge -j fdb show args...` in ns.
func bridgeFDB(t *testing.T, ns *netnstest.NS, args ...string) []map[string]any {
	t.Helper()
	out := ns.Run(t, "bridge", append([]string{"-j", "fdb", "show"}, args...)...)
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("bridge -j fdb show: %v: %s", err, out)
	}
	return v
}

// fdbKey names an FDB entry as bridge prints it: port, MAC, VLAN, remote.
func fdbKey(port, mac string, vlan int64, dst string) string {
	return fmt.Sprintf("%s %s vlan %d dst %s", port, mac, vlan, dst)
}

// bridgeState is the state word bridge fdb prints for s.
func bridgeState(s NeighState) string {
	switch {
	case s&NeighPermanent != 0:
		return "permanent"
	case s&NeighNoARP != 0:
		return "static"
	case s&NeighStale != 0:
		return "stale"
	}
	return ""
}

// TestIntegrationFDBAgreesWithBridge compares every FDB entry (Family
// FamilyBridge) with `bridge -j fdb show`, field by field, the VXLAN
// remotes' port, VNI and via link included.
func TestIntegrationFDBAgreesWithBridge(t *testing.T) {
	ns := netnstest.New(t)
	fdbFixture(t, ns)
	c := dialIn(t, ns)
	names := map[int]string{}
	links, _ := c.LinkList(bg, LinkFilter{})
	for _, l := range links {
		names[l.Index] = l.Name
	}
	list, err := c.NeighList(bg, NeighFilter{Family: FamilyBridge})
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]*Neigh{}
	for i := range list {
		n := &list[i]
		dst := ""
		if n.Dst.IsValid() {
			dst = n.Dst.String()
		}
		mine[fdbKey(names[n.LinkIndex], n.LLAddr.String(), int64(n.VLAN), dst)] = n
	}
	want := bridgeFDB(t, ns)
	if len(want) != len(list) || len(want) < 5 {
		t.Errorf("rtnl lists %d FDB entries, bridge %d", len(list), len(want))
	}
	for _, w := range want {
		vlan := max(num(w, "vlan"), 0)
		k := fdbKey(str(w, "ifname"), str(w, "mac"), vlan, str(w, "dst"))
		n := mine[k]
		if n == nil {
			t.Errorf("bridge shows %s, rtnl does not", k)
			continue
		}
		eq := func(field string, got, want any) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("FDB entry %s: %s = %v, bridge says %v", k, field, got, want)
			}
		}
		eq("master", names[n.MasterIndex], str(w, "master"))
		eq("viaIf", names[n.ViaIndex], str(w, "viaIf"))
		eq("port", n.Port, max(num(w, "port"), 0))
		eq("vni", n.VNI, max(num(w, "vni"), 0))
		eq("src_vni", n.SrcVNI, max(num(w, "src_vni"), 0))
		eq("nhid", n.NHID, max(num(w, "nhid"), 0))
		eq("state", bridgeState(n.State), str(w, "state"))
		var flags []string
		for _, f := range n.Flags.Names() {
			if f != "proxy" && f != "use" {
				flags = append(flags, f)
			}
		}
		ipFlags := strs(w, "flags")
		slices.Sort(flags)
		slices.Sort(ipFlags)
		eq("flags", flags, ipFlags)
	}
}

// TestIntegrationFDBWritesShowInBridge adds FDB entries with NeighAdd and
// NeighAppend (Family FamilyBridge, no Dst but for the VXLAN remotes) and
// deletes them with NeighDel, reading each step through bridge fdb show.
func TestIntegrationFDBWritesShowInBridge(t *testing.T) {
	ns := netnstest.New(t)
	fdbFixture(t, ns)
	c := dialIn(t, ns)
	pa, vx := mustIndex(t, c, "pa"), mustIndex(t, c, "vx0")
	mac := func(s string) net.HardwareAddr {
		m, err := net.ParseMAC(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	find := func(dev, mac, dst string) map[string]any {
		t.Helper()
		for _, w := range bridgeFDB(t, ns, "dev", dev) {
			if str(w, "mac") == mac && str(w, "dst") == dst {
				return w
			}
		}
		return nil
	}
	static := &Neigh{Family: FamilyBridge, LinkIndex: pa, LLAddr: mac("02:00:00:00:cc:01"), Flags: NeighMaster, State: NeighNoARP}
	remote := &Neigh{Family: FamilyBridge, LinkIndex: vx, LLAddr: mac("02:00:00:00:cc:02"), Flags: NeighSelf,
		Dst: netip.MustParseAddr("10.0.0.61"), Port: 4791, VNI: 200, ViaIndex: pa}
	second := &Neigh{Family: FamilyBridge, LinkIndex: vx, LLAddr: mac("00:00:00:00:00:00"), Flags: NeighSelf, Dst: netip.MustParseAddr("10.0.0.62")}
	for _, n := range []*Neigh{static, remote} {
		if err := c.NeighAdd(bg, n); err != nil {
			t.Fatalf("NeighAdd %v: %v", n.LLAddr, err)
		}
	}
	if err := c.NeighAppend(bg, second); err != nil {
		t.Fatal(err)
	}
	if w := find("pa", "02:00:00:00:cc:01", ""); w == nil || str(w, "state") != "static" || str(w, "master") != "br0" {
		t.Errorf("bridge shows %v", w)
	}
	if w := find("vx0", "02:00:00:00:cc:02", "10.0.0.61"); w == nil || num(w, "port") != 4791 || num(w, "vni") != 200 || str(w, "viaIf") != "pa" || str(w, "state") != "permanent" {
		t.Errorf("bridge shows %v", w)
	}
	for _, dst := range []string{"10.0.0.50", "10.0.0.52", "10.0.0.62"} {
		if find("vx0", "00:00:00:00:00:00", dst) == nil {
			t.Errorf("bridge shows no default remote %s after NeighAppend", dst)
		}
	}
	for _, n := range []*Neigh{static, remote, second} {
		if err := c.NeighDel(bg, n); err != nil {
			t.Fatalf("NeighDel %v %v: %v", n.LLAddr, n.Dst, err)
		}
	}
	if find("pa", "02:00:00:00:cc:01", "") != nil || find("vx0", "02:00:00:00:cc:02", "10.0.0.61") != nil || find("vx0", "00:00:00:00:00:00", "10.0.0.62") != nil {
		t.Errorf("an entry survived NeighDel: %v", bridgeFDB(t, ns))
	}
	if find("vx0", "00:00:00:00:00:00", "10.0.0.50") == nil {
		t.Error("deleting one default remote deleted the others")
	}
	if err := c.NeighDel(bg, static); !errors.Is(err, unix.ENOENT) {
		t.Errorf("deleting an absent FDB entry: %v, want ENOENT", err)
	}
	if err := c.NeighAdd(bg, &Neigh{Family: FamilyBridge, LinkIndex: pa}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an FDB entry without a link-layer address: %v, want ErrInvalid", err)
	}
}

// TestIntegrationFDBFilterByPort wants the entries of one port, from a
// strict Conn (the kernel filters, NDA_IFINDEX) and from a loose one, as
// bridge fdb show dev lists them.
func TestIntegrationFDBFilterByPort(t *testing.T) {
	ns := netnstest.New(t)
	fdbFixture(t, ns)
	strict := dialIn(t, ns)
	loose := plainConn(t, ns)
	f := NeighFilter{Family: FamilyBridge, LinkIndex: mustIndex(t, strict, "vx0")}
	var want []string
	for _, w := range bridgeFDB(t, ns, "dev", "vx0") {
		want = append(want, str(w, "mac")+" "+str(w, "dst"))
	}
	slices.Sort(want)
	if n := kernelCount(t, strict, nlmsg.RTMGetNeigh, f.dumpRequest(true), nlmsg.RTMNewNeigh); n != len(want) {
		t.Errorf("the kernel sent %d entries of vx0, want %d", n, len(want))
	}
	for _, c := range []*Conn{strict, loose} {
		got := fdbLines(t, c, f, func(*Neigh) string { return "" })
		if !slices.Equal(got, want) || len(want) < 3 {
			t.Errorf("strict %v: %v, want %v", c.strict, got, want)
		}
	}
}

// fdbWithUnportedLink is fdbFixture plus a veth qa outside the bridge with
// an FDB entry of its own, and a strict and a loose Conn in it.
func fdbWithUnportedLink(t *testing.T) (ns *netnstest.NS, strict, loose *Conn) {
	t.Helper()
	ns = netnstest.New(t)
	fdbFixture(t, ns)
	ipRun(t, ns, "link", "add", "qa", "type", "veth", "peer", "name", "qb")
	ns.Run(t, "bridge", "fdb", "add", "02:00:00:00:cc:01", "dev", "qa", "self", "permanent")
	return ns, dialIn(t, ns), plainConn(t, ns)
}

// TestIntegrationFDBFilterByMaster compares the FDB entries
// NeighFilter{Family: FamilyBridge, MasterIndex: br0} selects, through a
// strict Conn and a loose one, with `bridge -j fdb show br br0`: those of
// the bridge's ports and of the bridge itself.
func TestIntegrationFDBFilterByMaster(t *testing.T) {
	ns, strict, loose := fdbWithUnportedLink(t)
	f := NeighFilter{Family: FamilyBridge, MasterIndex: mustIndex(t, strict, "br0")}
	var want []string
	for _, w := range bridgeFDB(t, ns, "br", "br0") {
		want = append(want, str(w, "ifname")+" "+str(w, "mac")+" "+str(w, "dst"))
	}
	slices.Sort(want)
	if n := kernelCount(t, strict, nlmsg.RTMGetNeigh, f.dumpRequest(true), nlmsg.RTMNewNeigh); n != len(want) {
		t.Errorf("the kernel sent %d entries of br0, want %d", n, len(want))
	}
	names := map[int]string{}
	for _, l := range []string{"br0", "pa", "vx0", "qa"} {
		names[mustIndex(t, strict, l)] = l
	}
	for _, c := range []*Conn{strict, loose} {
		got := fdbLines(t, c, f, func(n *Neigh) string { return names[n.LinkIndex] + " " })
		if !slices.Equal(got, want) || len(want) < 5 || !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "br0 ") }) || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "qa ") }) {
			t.Errorf("strict %v: %v, want %v (the bridge's own among them, none of qa, not a port)", c.strict, got, want)
		}
	}
}

// TestIntegrationFDBFilterNoMaster compares the FDB entries
// NeighFilter{Family: FamilyBridge, NoMaster: true} selects, through a
// strict Conn and a loose one, with those of `bridge -j fdb show` on the
// links `ip -j link show nomaster` lists (bridge fdb show has no such
// filter, nor has the kernel's FDB dump: a strict request must not send
// it NDA_MASTER -1, which it refuses with ENODEV).
func TestIntegrationFDBFilterNoMaster(t *testing.T) {
	ns, strict, loose := fdbWithUnportedLink(t)
	unported := map[string]bool{}
	for _, l := range ipJSON(t, ns, "link", "show", "nomaster") {
		unported[str(l, "ifname")] = true
	}
	var want []string
	for _, w := range bridgeFDB(t, ns) {
		if unported[str(w, "ifname")] {
			want = append(want, str(w, "ifname")+" "+str(w, "mac")+" "+str(w, "dst"))
		}
	}
	slices.Sort(want)
	names := map[int]string{}
	for _, l := range ipJSON(t, ns, "link", "show") {
		names[int(num(l, "ifindex"))] = str(l, "ifname")
	}
	f := NeighFilter{Family: FamilyBridge, NoMaster: true}
	for _, c := range []*Conn{strict, loose} {
		got := fdbLines(t, c, f, func(n *Neigh) string { return names[n.LinkIndex] + " " })
		has := func(dev string) bool {
			return slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, dev+" ") })
		}
		if !slices.Equal(got, want) || !has("qa") || !has("br0") || has("pa") {
			t.Errorf("strict %v: %v, want %v (qa's and the bridge's own among them, none of its port pa)", c.strict, got, want)
		}
	}
}

// fdbLines lists the entries c.Neighs(f) yields as "<prefix(n)>MAC DST"
// lines (DST empty without a remote), sorted, to compare with bridge's.
func fdbLines(t *testing.T, c *Conn, f NeighFilter, prefix func(*Neigh) string) []string {
	t.Helper()
	var got []string
	for n, err := range c.Neighs(bg, f) {
		if err != nil {
			t.Fatal(err)
		}
		dst := ""
		if n.Dst.IsValid() {
			dst = n.Dst.String()
		}
		got = append(got, prefix(n)+n.LLAddr.String()+" "+dst)
	}
	slices.Sort(got)
	return got
}
