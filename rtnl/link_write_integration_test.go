package rtnl

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// ipLink returns `ip -j -d link show dev name` inside ns.
func ipLink(t *testing.T, ns *netnstest.NS, name string) map[string]any {
	t.Helper()
	v := ipJSON(t, ns, "-d", "link", "show", "dev", name)
	if len(v) != 1 {
		t.Fatalf("ip link show %s: %d links", name, len(v))
	}
	return v[0]
}

func mustIndex(t *testing.T, c *Conn, name string) int {
	t.Helper()
	l, err := c.LinkByName(bg, name)
	if err != nil {
		t.Fatalf("LinkByName(%s): %v", name, err)
	}
	return l.Index
}

// TestIntegrationLinkAddShowsInIP creates a link of each kind with LinkAdd
// and checks that ip shows what was written.
func TestIntegrationLinkAddShowsInIP(t *testing.T) {
	ns, peerNS := netnstest.New(t), netnstest.New(t)
	c := dialIn(t, ns)
	hw := net.HardwareAddr{0x02, 0, 0, 0, 0xaa, 1}
	peerHW := net.HardwareAddr{0x02, 0, 0, 0, 0xaa, 2}
	if err := c.LinkAdd(bg, &Link{Name: "v0", Kind: KindVeth, MTU: 1420, HardwareAddr: hw, TxQLen: 77, Group: 3,
		Veth: VethInfo{PeerName: "v0p", PeerHardwareAddr: peerHW, PeerMTU: 1380}}); err != nil {
		t.Fatal(err)
	}
	v0 := ipLink(t, ns, "v0")
	if str(v0, "address") != hw.String() || num(v0, "mtu") != 1420 || num(v0, "txqlen") != 77 || str(v0, "group") != "3" || str(obj(v0, "linkinfo"), "info_kind") != "veth" {
		t.Errorf("ip shows v0 as %v", v0)
	}
	v0p := ipLink(t, ns, "v0p")
	if str(v0p, "address") != peerHW.String() || num(v0p, "mtu") != 1380 || str(v0p, "link") != "v0" {
		t.Errorf("ip shows the peer as %v", v0p)
	}

	// A veth whose peer is born in another namespace.
	if err := c.LinkAdd(bg, &Link{Name: "host0", Kind: KindVeth, Veth: VethInfo{PeerName: "eth0", PeerNetNSFD: peerNS.FD()}}); err != nil {
		t.Fatal(err)
	}
	if p := ipLink(t, peerNS, "eth0"); str(obj(p, "linkinfo"), "info_kind") != "veth" {
		t.Errorf("the peer in the other namespace: %v", p)
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "eth0"); err == nil {
		t.Error("the peer is also in the first namespace")
	}

	if err := c.LinkAdd(bg, &Link{Name: "br0", Kind: KindBridge, Flags: LinkUp, Bridge: BridgeInfo{ForwardDelay: 300, HelloTime: 150, MaxAge: 800, AgeingTime: 6000, Priority: 100}}); err != nil {
		t.Fatal(err)
	}
	br := ipLink(t, ns, "br0")
	bd := obj(obj(br, "linkinfo"), "info_data")
	if num(bd, "forward_delay") != 300 || num(bd, "hello_time") != 150 || num(bd, "max_age") != 800 || num(bd, "ageing_time") != 6000 || num(bd, "priority") != 100 || !slices.Contains(strs(br, "flags"), "UP") {
		t.Errorf("ip shows br0 as %v", br)
	}

	v0i := mustIndex(t, c, "v0")
	if err := c.LinkAdd(bg, &Link{Name: "vx0", Kind: KindVXLAN, VXLAN: VXLANInfo{ID: 4242, Port: 4789, Group: netip.MustParseAddr("239.0.0.9"), Local: netip.MustParseAddr("10.1.1.1"), LinkIndex: v0i, TTL: 5}}); err != nil {
		t.Fatal(err)
	}
	vd := obj(obj(ipLink(t, ns, "vx0"), "linkinfo"), "info_data")
	if num(vd, "id") != 4242 || num(vd, "port") != 4789 || str(vd, "group") != "239.0.0.9" || str(vd, "local") != "10.1.1.1" || str(vd, "link") != "v0" || num(vd, "ttl") != 5 || vd["learning"] != true {
		t.Errorf("ip shows vx0's data as %v", vd)
	}
	if err := c.LinkAdd(bg, &Link{Name: "vx6", Kind: KindVXLAN, VXLAN: VXLANInfo{ID: 6, Group: netip.MustParseAddr("2001:db8::2"), Local: netip.MustParseAddr("2001:db8::1"), NoLearning: true}}); err != nil {
		t.Fatal(err)
	}
	vd6 := obj(obj(ipLink(t, ns, "vx6"), "linkinfo"), "info_data")
	if num(vd6, "id") != 6 || str(vd6, "remote6") != "2001:db8::2" || str(vd6, "local6") != "2001:db8::1" || vd6["learning"] != false {
		t.Errorf("ip shows vx6's data as %v", vd6)
	}

	if err := c.LinkAdd(bg, &Link{Name: "mv0", Kind: KindMACVLAN, ParentIndex: v0i, MACVLAN: MACVLANInfo{Mode: MACVLANPrivate}}); err != nil {
		t.Fatal(err)
	}
	mv := ipLink(t, ns, "mv0")
	if str(mv, "link") != "v0" || str(obj(obj(mv, "linkinfo"), "info_data"), "mode") != "private" {
		t.Errorf("ip shows mv0 as %v", mv)
	}
	if err := c.LinkAdd(bg, &Link{Name: "mt0", Kind: KindMACVTAP, ParentIndex: v0i, MACVLAN: MACVLANInfo{Mode: MACVLANBridge, BCQueueLen: 300}}); err != nil {
		t.Fatal(err)
	}
	mt := ipLink(t, ns, "mt0")
	if md := obj(obj(mt, "linkinfo"), "info_data"); str(mt, "link") != "v0" || str(obj(mt, "linkinfo"), "info_kind") != "macvtap" ||
		str(md, "mode") != "bridge" || num(md, "bcqueuelen") != 300 {
		t.Errorf("ip shows mt0 as %v", mt)
	}
	// tun devices come from /dev/net/tun only.
	if err := c.LinkAdd(bg, &Link{Name: "tn0", Kind: KindTun}); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("LinkAdd of a tun: %v, want EOPNOTSUPP", err)
	}

	if err := c.LinkAdd(bg, &Link{Name: "v0"}); err == nil {
		t.Error("a second link named v0 was accepted")
	}
}

// TestIntegrationLinkSettersShowInIP changes a link in every way LinkSet*
// offers and reads each change back through ip.
func TestIntegrationLinkSettersShowInIP(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	c := dialIn(t, ns)
	ipRun(t, ns, "link", "add", "a0", "type", "veth", "peer", "name", "a1")
	ipRun(t, ns, "link", "add", "br0", "type", "bridge")
	a0, br := mustIndex(t, c, "a0"), mustIndex(t, c, "br0")
	steps := []struct {
		what  string
		do    func() error
		check func(m map[string]any) bool
	}{
		{"up", func() error { return c.LinkSetUp(bg, a0) }, func(m map[string]any) bool { return slices.Contains(strs(m, "flags"), "UP") }},
		{"down", func() error { return c.LinkSetDown(bg, a0) }, func(m map[string]any) bool { return !slices.Contains(strs(m, "flags"), "UP") }},
		{"mtu", func() error { return c.LinkSetMTU(bg, a0, 1333) }, func(m map[string]any) bool { return num(m, "mtu") == 1333 }},
		{"alias", func() error { return c.LinkSetAlias(bg, a0, "uplink") }, func(m map[string]any) bool { return str(m, "ifalias") == "uplink" }},
		{"address", func() error { return c.LinkSetHardwareAddr(bg, a0, []byte{2, 1, 2, 3, 4, 5}) }, func(m map[string]any) bool { return str(m, "address") == "02:01:02:03:04:05" }},
		{"master", func() error { return c.LinkSetMaster(bg, a0, br) }, func(m map[string]any) bool { return str(m, "master") == "br0" }},
		{"nomaster", func() error { return c.LinkSetNoMaster(bg, a0) }, func(m map[string]any) bool { return str(m, "master") == "" }},
		{"txqueuelen", func() error { return c.LinkSetTxQLen(bg, a0, 321) }, func(m map[string]any) bool { return num(m, "txqlen") == 321 }},
		{"group", func() error { return c.LinkSetGroup(bg, a0, 9) }, func(m map[string]any) bool { return str(m, "group") == "9" }},
		{"promisc on", func() error { return c.LinkSetFlags(bg, a0, LinkPromisc, LinkPromisc) }, func(m map[string]any) bool {
			return slices.Contains(strs(m, "flags"), "PROMISC") && num(m, "promiscuity") == 1
		}},
		{"arp off", func() error { return c.LinkSetFlags(bg, a0, LinkNoARP|LinkUp, LinkNoARP) }, func(m map[string]any) bool {
			return slices.Contains(strs(m, "flags"), "NOARP") && slices.Contains(strs(m, "flags"), "PROMISC") && !slices.Contains(strs(m, "flags"), "UP")
		}},
		{"promisc off, arp on", func() error { return c.LinkSetFlags(bg, a0, 0, LinkPromisc|LinkNoARP) }, func(m map[string]any) bool {
			return !slices.Contains(strs(m, "flags"), "PROMISC") && !slices.Contains(strs(m, "flags"), "NOARP")
		}},
		{"up again", func() error { return c.LinkSetUp(bg, a0) }, func(m map[string]any) bool { return slices.Contains(strs(m, "flags"), "UP") }},
		{"name", func() error { return c.LinkSetName(bg, a0, "uplink0") }, func(m map[string]any) bool {
			return str(m, "ifname") == "uplink0" && slices.Contains(strs(m, "flags"), "UP")
		}},
	}
	name := "a0"
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if s.what == "name" {
			name = "uplink0"
		}
		if m := ipLink(t, ns, name); !s.check(m) {
			t.Errorf("after %s ip shows %v", s.what, m)
		}
	}
	if err := c.LinkSetNetNS(bg, a0, other.FD()); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "uplink0"); err == nil {
		t.Error("uplink0 is still in the first namespace")
	}
	if m := ipLink(t, other, "uplink0"); str(m, "ifname") != "uplink0" {
		t.Errorf("the other namespace shows %v", m)
	}
	if err := c.LinkDel(bg, br); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "br0"); err == nil {
		t.Error("br0 survived LinkDel")
	}
}

// TestIntegrationCNIStyleVethSetup does what a CNI plugin does: a veth pair
// with one end created in the container's namespace, renamed eth0 there,
// addresses on both ends, both up; then traffic-free checks through ip in
// each namespace.
func TestIntegrationCNIStyleVethSetup(t *testing.T) {
	host, ctr := netnstest.New(t), netnstest.New(t)
	hc, cc := dialIn(t, host), dialIn(t, ctr)
	if err := hc.LinkAdd(bg, &Link{Name: "veth1234", Kind: KindVeth, MTU: 1450, Veth: VethInfo{PeerName: "tmp1234", PeerNetNSFD: ctr.FD()}}); err != nil {
		t.Fatal(err)
	}
	hostEnd, err := hc.LinkByName(bg, "veth1234")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := cc.LinkByName(bg, "tmp1234")
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.LinkSetName(bg, peer.Index, "eth0"); err != nil {
		t.Fatal(err)
	}
	if err := cc.AddrAdd(bg, &Addr{Prefix: netip.MustParsePrefix("10.22.0.5/16"), LinkIndex: peer.Index}); err != nil {
		t.Fatal(err)
	}
	if err := cc.AddrAdd(bg, &Addr{Prefix: netip.MustParsePrefix("fd00:22::5/64"), LinkIndex: peer.Index, Flags: AddrNoDAD}); err != nil {
		t.Fatal(err)
	}
	if err := hc.AddrAdd(bg, &Addr{Prefix: netip.MustParsePrefix("10.22.0.1/32"), LinkIndex: hostEnd.Index}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		c *Conn
		i int
	}{{hc, hostEnd.Index}, {cc, peer.Index}} {
		if err := s.c.LinkSetUp(bg, s.i); err != nil {
			t.Fatal(err)
		}
	}
	eth0 := ipLink(t, ctr, "eth0")
	if num(eth0, "mtu") != 1450 || !slices.Contains(strs(eth0, "flags"), "UP") || num(eth0, "link_index") != int64(hostEnd.Index) {
		t.Errorf("ip in the container shows %v", eth0)
	}
	got, err := cc.LinkByName(bg, "eth0")
	if err != nil || got.NetNSID < 0 || got.ParentIndex != hostEnd.Index || got.Kind != KindVeth {
		t.Errorf("LinkByName(eth0) in the container: %+v, %v", got, err)
	}
	var locals []string
	for _, link := range ipJSON(t, ctr, "addr", "show", "dev", "eth0") {
		infos, _ := link["addr_info"].([]any)
		for _, x := range infos {
			w := x.(map[string]any)
			locals = append(locals, fmt.Sprintf("%s/%d", str(w, "local"), num(w, "prefixlen")))
		}
	}
	for _, want := range []string{"10.22.0.5/16", "fd00:22::5/64"} {
		if !slices.Contains(locals, want) {
			t.Errorf("the container's eth0 has %v, not %s", locals, want)
		}
	}
	h := ipLink(t, host, "veth1234")
	if !slices.Contains(strs(h, "flags"), "UP") || !slices.Contains(strs(h, "flags"), "LOWER_UP") {
		t.Errorf("the host end is not up with carrier: %v", h)
	}
}

// TestIntegrationLinkAddAtAnIndex: a Link with an Index is created at that
// index (ip link add index N), l.Index stays what was asked, and an index
// already taken is refused with EEXIST.
func TestIntegrationLinkAddAtAnIndex(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	l := &Link{Name: "ix0", Kind: KindBridge, Index: 4242}
	if err := c.LinkAdd(bg, l); err != nil {
		t.Fatal(err)
	}
	if got := num(ipLink(t, ns, "ix0"), "ifindex"); got != 4242 || l.Index != 4242 {
		t.Errorf("ip shows ix0 at index %d, l.Index %d; want 4242", got, l.Index)
	}
	if err := c.LinkSetUp(bg, l.Index); err != nil {
		t.Errorf("LinkSetUp at the asked index: %v", err)
	}
	err := c.LinkAdd(bg, &Link{Name: "ix1", Kind: KindBridge, Index: 4242})
	if !errors.Is(err, unix.EEXIST) {
		t.Errorf("a second link at index 4242: %v, want EEXIST", err)
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "ix1"); err == nil {
		t.Error("ix1 was created at another index")
	}
	if err := c.LinkAdd(bg, &Link{Name: "ix2", Kind: KindBridge, Index: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a negative index: %v, want ErrInvalid", err)
	}
}

// TestIntegrationLinkChangeShowsInIP changes existing links as ip link set
// ... type KIND ... does, by index and by name, and reads each change
// back through ip; what the kernel cannot change is refused with its
// error, and a missing link is ENODEV.
func TestIntegrationLinkChangeShowsInIP(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	ipRun(t, ns, "link", "add", "cb0", "type", "bridge")
	ipRun(t, ns, "link", "add", "cv0", "type", "veth", "peer", "name", "cv1")
	ipRun(t, ns, "link", "add", "cx0", "type", "vxlan", "id", "7", "dstport", "4789", "ttl", "3")
	ipRun(t, ns, "link", "add", "cm0", "link", "cv0", "type", "macvlan", "mode", "vepa")
	br := mustIndex(t, c, "cb0")

	if err := c.LinkChange(bg, &Link{Index: br, Kind: KindBridge, MTU: 1400, Bridge: BridgeInfo{ForwardDelay: 400, Priority: 7}}); err != nil {
		t.Fatal(err)
	}
	m := ipLink(t, ns, "cb0")
	bd := obj(obj(m, "linkinfo"), "info_data")
	if num(m, "mtu") != 1400 || num(bd, "forward_delay") != 400 || num(bd, "priority") != 7 || num(bd, "hello_time") != 200 {
		t.Errorf("after the bridge change ip shows %v", m)
	}
	if err := c.LinkChange(bg, &Link{Name: "cx0", Kind: KindVXLAN, VXLAN: VXLANInfo{TTL: 9, NoLearning: true}}); err != nil {
		t.Fatal(err)
	}
	vd := obj(obj(ipLink(t, ns, "cx0"), "linkinfo"), "info_data")
	if num(vd, "ttl") != 9 || num(vd, "id") != 7 || num(vd, "port") != 4789 || vd["learning"] != false {
		t.Errorf("after the vxlan change ip shows %v", vd)
	}
	if err := c.LinkChange(bg, &Link{Name: "cm0", Kind: KindMACVLAN, MACVLAN: MACVLANInfo{Mode: MACVLANBridge}}); err != nil {
		t.Fatal(err)
	}
	if mode := str(obj(obj(ipLink(t, ns, "cm0"), "linkinfo"), "info_data"), "mode"); mode != "bridge" {
		t.Errorf("after the macvlan change ip shows mode %q", mode)
	}
	// A veth's data is not written, so its other fields can change; a
	// Name with an Index renames.
	if err := c.LinkChange(bg, &Link{Index: mustIndex(t, c, "cv0"), Name: "cv9", Kind: KindVeth, TxQLen: 55, Veth: VethInfo{PeerName: "x"}}); err != nil {
		t.Fatal(err)
	}
	if m := ipLink(t, ns, "cv9"); num(m, "txqlen") != 55 {
		t.Errorf("after the veth change ip shows %v", m)
	}

	for _, tc := range []struct {
		what string
		l    Link
		want error
	}{
		{"another kind's data", Link{Index: br, Kind: KindVXLAN, VXLAN: VXLANInfo{TTL: 4}}, unix.EOPNOTSUPP},
		{"a vxlan's VNI", Link{Name: "cx0", Kind: KindVXLAN, VXLAN: VXLANInfo{ID: 8}}, unix.EOPNOTSUPP},
		{"a missing link", Link{Name: "nosuch0", MTU: 1400}, unix.ENODEV},
		{"neither index nor name", Link{MTU: 1400}, ErrInvalid},
	} {
		if err := c.LinkChange(bg, &tc.l); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "nosuch0"); err == nil {
		t.Error("LinkChange created nosuch0")
	}
}

// TestIntegrationLinkAddLearnsTheIndexAndName: LinkAdd sets l.Index to the
// index ip shows (a veth's, not its peer's), and a name with %d to the
// name the kernel made of it, where the lookup by the pattern used to fail
// with ENODEV after the link was made.
func TestIntegrationLinkAddLearnsTheIndexAndName(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	ipRun(t, ns, "link", "add", "lx0", "type", "bridge")
	for _, tc := range []struct {
		l        Link
		wantName string
	}{
		{Link{Name: "lv0", Kind: KindVeth, Veth: VethInfo{PeerName: "lv0p"}}, "lv0"},
		{Link{Name: "lx%d", Kind: KindBridge}, "lx1"},
		{Link{Name: "lx%d", Kind: KindVeth, Veth: VethInfo{PeerName: "lxp"}}, "lx2"},
	} {
		l := tc.l
		if err := c.LinkAdd(bg, &l); err != nil {
			t.Fatalf("LinkAdd(%s): %v", tc.l.Name, err)
		}
		if l.Name != tc.wantName {
			t.Errorf("LinkAdd(%s) named it %q, want %q", tc.l.Name, l.Name, tc.wantName)
		}
		if got := num(ipLink(t, ns, tc.wantName), "ifindex"); int64(l.Index) != got {
			t.Errorf("LinkAdd(%s) set index %d; ip shows %s at %d", tc.l.Name, l.Index, tc.wantName, got)
		}
	}
}

// TestIntegrationLinkChangeTurnsBridgeOptionsOff changes a bridge ip made
// with STP on, priority 100 and multicast snooping on (its default):
// fields named in BridgeInfo.Set are written though zero, so ip shows
// stp_state 0, priority 0 and mcast_snooping 0, the others as they were;
// snooping and STP then turn on again. VLAN filtering named in Set is
// written too: the kernel refuses it (EOPNOTSUPP) when built without
// bridge VLAN filtering, else ip shows it off.
func TestIntegrationLinkChangeTurnsBridgeOptionsOff(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	ipRun(t, ns, "link", "add", "sb0", "type", "bridge", "stp_state", "1", "priority", "100", "forward_delay", "500")
	data := func() map[string]any {
		t.Helper()
		return obj(obj(ipLink(t, ns, "sb0"), "linkinfo"), "info_data")
	}
	if d := data(); num(d, "stp_state") != 1 || num(d, "mcast_snooping") != 1 {
		t.Fatalf("ip made %v", d)
	}
	off := BridgeInfo{Set: BridgeSetSTPState | BridgeSetPriority | BridgeSetMulticastSnooping}
	if err := c.LinkChange(bg, &Link{Name: "sb0", Kind: KindBridge, Bridge: off}); err != nil {
		t.Fatal(err)
	}
	if d := data(); num(d, "stp_state") != 0 || num(d, "priority") != 0 || num(d, "mcast_snooping") != 0 || num(d, "forward_delay") != 500 {
		t.Errorf("after turning STP, priority and snooping off ip shows %v", d)
	}
	on := BridgeInfo{STPState: 1, MulticastSnooping: true, Set: BridgeSetMulticastSnooping}
	if err := c.LinkChange(bg, &Link{Name: "sb0", Kind: KindBridge, Bridge: on}); err != nil {
		t.Fatal(err)
	}
	if d := data(); num(d, "stp_state") != 1 || num(d, "mcast_snooping") != 1 || num(d, "priority") != 0 {
		t.Errorf("after turning STP and snooping on ip shows %v", d)
	}
	err := c.LinkChange(bg, &Link{Name: "sb0", Kind: KindBridge, Bridge: BridgeInfo{Set: BridgeSetVLANFiltering}})
	switch d := data(); {
	case errors.Is(err, unix.EOPNOTSUPP):
		t.Logf("this kernel has no bridge VLAN filtering: %v", err)
	case err != nil:
		t.Errorf("turning VLAN filtering off: %v", err)
	case num(d, "vlan_filtering") != 0:
		t.Errorf("after turning VLAN filtering off ip shows %v", d)
	}
}
