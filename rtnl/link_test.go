package rtnl

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// craft encodes a message payload: family header h and the attributes
// attrs appends (raw Attr calls may write any length).
func craft[H nlmsg.FamilyHeader](h H, attrs func(b *nlmsg.Builder)) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	nlmsg.AppendFamilyHeader(&b, h)
	if attrs != nil {
		attrs(&b)
	}
	return append([]byte(nil), b.Bytes()[nlmsg.HeaderLen:]...)
}

// mustEncode returns the payload an encoder of this package returned, failing
// tb on its error: mustEncode(t)(l.appendAttrs(h.AppendTo(nil))).
func mustEncode(tb testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
}

// wantAttrError checks that err is an *AttrError naming attr at offset off.
func wantAttrError(t *testing.T, err error, object, attr string, off int) {
	t.Helper()
	var ae *AttrError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want an *AttrError for %s", err, err, attr)
	}
	if ae.Object != object || ae.Attr != attr || (off >= 0 && ae.Offset != off) {
		t.Fatalf("AttrError %q: object %q attr %q offset %d, want %q %q %d", ae, ae.Object, ae.Attr, ae.Offset, object, attr, off)
	}
}

func TestLinkDecodeOfKernelMessages(t *testing.T) {
	kinds := map[string]int{}
	var l Link
	for _, p := range seeds(t, "FuzzLinkDecode") {
		if err := l.Decode(p); err != nil {
			t.Fatalf("a kernel message does not decode: %v", err)
		}
		kinds[l.Kind]++
		switch l.Name {
		case "vx0":
			if l.VXLAN.ID != 42 || l.VXLAN.Port != 4789 || l.VXLAN.Group.String() != "239.1.1.1" || l.VXLAN.Local.String() != "10.0.0.1" || l.VXLAN.TTL != 9 {
				t.Errorf("vx0: %+v", l.VXLAN)
			}
		case "va":
			if l.MTU != 1400 || l.Alias != "the a end" || l.Group != 7 || l.TxQLen != 321 || l.Flags&LinkUp == 0 {
				t.Errorf("va: %+v", l)
			}
		case "mv0":
			if l.MACVLAN.Mode != MACVLANBridge || l.ParentIndex == 0 {
				t.Errorf("mv0: %+v", l)
			}
		case "br0":
			if l.Bridge.ForwardDelay != 400 || l.Bridge.Priority != 7 {
				t.Errorf("br0: %+v", l.Bridge)
			}
		}
	}
	if kinds["veth"] < 3 || kinds["bridge"] != 1 || kinds["vxlan"] != 2 || kinds["macvlan"] != 1 {
		t.Errorf("the corpus has kinds %v", kinds)
	}
}

func TestLinkDecodeForgetsThePreviousLink(t *testing.T) {
	var vx, lo []byte
	var l Link
	for _, p := range seeds(t, "FuzzLinkDecode") {
		_ = l.Decode(p)
		switch l.Name {
		case "vx0":
			vx = p
		case "lo":
			lo = p
		}
	}
	if err := l.Decode(vx); err != nil {
		t.Fatal(err)
	}
	if err := l.Decode(lo); err != nil {
		t.Fatal(err)
	}
	if l.Kind != "" || l.VXLAN != (VXLANInfo{}) || l.ParentIndex != 0 || l.NetNSID != -1 {
		t.Fatalf("lo decoded after vx0 kept vx0's fields: %+v", l)
	}
}

// A link moved to another namespace leaves with an RTM_DELLINK naming
// where it went; a bridge port's notification has family bridge; a link
// decoded after them keeps neither.
func TestLinkDecodeOfAMoveAndABridgePort(t *testing.T) {
	moved := craft(nlmsg.IfInfoMsg{Index: 7}, func(b *nlmsg.Builder) {
		b.String(nlmsg.IFLAIfName, "mv0")
		b.Uint32(nlmsg.IFLANewNetNSID, 3)
		b.Uint32(nlmsg.IFLANewIfIndex, 12)
	})
	port := craft(nlmsg.IfInfoMsg{Family: uint8(FamilyBridge), Index: 8}, func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLAMaster, 2) })
	var l Link
	if err := l.Decode(moved); err != nil || l.NewNetNSID != 3 || l.NewIndex != 12 || l.Family != FamilyUnspec {
		t.Errorf("the move decodes as new nsid %d, new index %d, family %v, %v", l.NewNetNSID, l.NewIndex, l.Family, err)
	}
	if err := l.Decode(port); err != nil || l.Family != FamilyBridge || l.MasterIndex != 2 || l.NewNetNSID != -1 || l.NewIndex != 0 {
		t.Errorf("the port decodes as family %v, master %d, new nsid %d, new index %d, %v", l.Family, l.MasterIndex, l.NewNetNSID, l.NewIndex, err)
	}
}

func TestLinkDecodeDoesNotAllocate(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	ps := seeds(t, "FuzzLinkDecode")
	var l Link
	for _, p := range ps {
		_ = l.Decode(p) // intern the names
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, p := range ps {
			if err := l.Decode(p); err != nil {
				t.Fatal(err)
			}
		}
	}); n != 0 {
		t.Fatalf("decoding %d links allocates %.1f times", len(ps), n)
	}
}

func TestLinkDecodeNamesTheMalformedAttribute(t *testing.T) {
	hdr := nlmsg.IfInfoMsg{Index: 3}
	info := func(kind string, data func(b *nlmsg.Builder)) func(b *nlmsg.Builder) {
		return func(b *nlmsg.Builder) {
			b.Uint32(nlmsg.IFLAMTU, 1500) // 8 bytes at offset 16
			n := b.BeginNest(nlmsg.IFLALinkInfo)
			b.String(nlmsg.IFLAInfoKind, kind)
			d := b.BeginNest(nlmsg.IFLAInfoData)
			data(b)
			b.EndNest(d)
			b.EndNest(n)
		}
	}
	// IFLA_LINKINFO at 24, its header 4, IFLA_INFO_KIND "vxlan\0" 12 bytes,
	// IFLA_INFO_DATA header 4: the kind's first attribute is at 44.
	for _, c := range []struct {
		name    string
		payload []byte
		attr    string
		off     int
	}{
		{"short header", make([]byte, 10), "ifinfomsg", 0},
		{"mtu of 2 bytes", craft(hdr, func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFLAMTU, 1) }), "IFLA_MTU", 16},
		{"operstate of 4 bytes", craft(hdr, func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLAOperState, 6) }), "IFLA_OPERSTATE", 16},
		{"master of 1 byte", craft(hdr, func(b *nlmsg.Builder) { b.Uint8(nlmsg.IFLAMaster, 1) }), "IFLA_MASTER", 16},
		{"netnsid of 8 bytes", craft(hdr, func(b *nlmsg.Builder) { b.Uint64(nlmsg.IFLALinkNetNSID, 1) }), "IFLA_LINK_NETNSID", 16},
		{"new netnsid of 2 bytes", craft(hdr, func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFLANewNetNSID, 1) }), "IFLA_NEW_NETNSID", 16},
		{"new ifindex of 8 bytes", craft(hdr, func(b *nlmsg.Builder) { b.Uint64(nlmsg.IFLANewIfIndex, 1) }), "IFLA_NEW_IFINDEX", 16},
		{"attribute past the end", append(craft(hdr, nil), 40, 0, 3, 0, 'x', 0, 0, 0), "IFLA attributes", 16},
		{"vxlan group of 5 bytes", craft(hdr, info("vxlan", func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLAVXLANGroup, make([]byte, 5)) })), "IFLA_VXLAN_GROUP", 44},
		{"vxlan group6 of 4 bytes", craft(hdr, info("vxlan", func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLAVXLANGroup6, make([]byte, 4)) })), "IFLA_VXLAN_GROUP", 44},
		{"vxlan port of 4 bytes", craft(hdr, info("vxlan", func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLAVXLANPort, 1) })), "IFLA_VXLAN_PORT", 44},
		{"bridge priority of 4 bytes", craft(hdr, info("bridge", func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLABRPriority, 1) })), "IFLA_BR_PRIORITY", 44},
		{"macvlan mode of 2 bytes", craft(hdr, info("macvlan", func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFLAMACVLANMode, 1) })), "IFLA_MACVLAN_MODE", 44},
		{"macvtap bcqueuelen of 2 bytes", craft(hdr, info("macvtap", func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFLAMACVLANBCQueueLen, 1) })), "IFLA_MACVLAN_BC_QUEUE_LEN", 44},
		// IFLA_INFO_KIND "tun\0" is 8 bytes: the tun's first attribute is at 40.
		{"tun type of 4 bytes", craft(hdr, info("tun", func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLATunType, 1) })), "IFLA_TUN_TYPE", 40},
		{"tun owner of 1 byte", craft(hdr, info("tun", func(b *nlmsg.Builder) { b.Uint8(nlmsg.IFLATunOwner, 1) })), "IFLA_TUN_OWNER", 40},
		{"tun pi of 4 bytes", craft(hdr, info("tun", func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFLATunPI, 1) })), "IFLA_TUN_PI", 40},
		{"broken nest in linkinfo", craft(hdr, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLALinkInfo, []byte{9, 0, 1, 0}) }), "IFLA_LINKINFO", 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			var l Link
			wantAttrError(t, l.Decode(c.payload), "link", c.attr, c.off)
		})
	}
}

// A tap's data decodes field by field; a uid the kernel leaves out reads
// as -1, and a later link's decode does not keep the earlier one's data.
func TestLinkDecodesTunData(t *testing.T) {
	p := craft(nlmsg.IfInfoMsg{Index: 4}, func(b *nlmsg.Builder) {
		n := b.BeginNest(nlmsg.IFLALinkInfo)
		b.String(nlmsg.IFLAInfoKind, "tun")
		d := b.BeginNest(nlmsg.IFLAInfoData)
		b.Uint8(nlmsg.IFLATunType, nlmsg.TunTypeTap)
		b.Uint32(nlmsg.IFLATunGroup, 5)
		b.Uint8(nlmsg.IFLATunPI, 0)
		b.Uint8(nlmsg.IFLATunVNetHdr, 1)
		b.Uint8(nlmsg.IFLATunPersist, 1)
		b.Uint8(nlmsg.IFLATunMultiQueue, 1)
		b.Uint32(nlmsg.IFLATunNumQueues, 2)
		b.Uint32(nlmsg.IFLATunNumDisabledQueues, 1)
		b.EndNest(d)
		b.EndNest(n)
	})
	var l Link
	if err := l.Decode(p); err != nil {
		t.Fatal(err)
	}
	want := TunInfo{Type: TunTypeTap, Owner: -1, Group: 5, VNetHdr: true, Persist: true, MultiQueue: true, NumQueues: 2, NumDisabledQueues: 1}
	if l.Kind != KindTun || l.Tun != want {
		t.Errorf("kind %q, tun %+v; want %+v", l.Kind, l.Tun, want)
	}
	if err := l.Decode(craft(nlmsg.IfInfoMsg{Index: 5}, nil)); err != nil || l.Tun != (TunInfo{}) {
		t.Errorf("a link without data after the tap: tun %+v, %v", l.Tun, err)
	}
}

func TestLinkDecodeOfTruncatedMessagesFailsCleanly(t *testing.T) {
	var l Link
	for _, p := range seeds(t, "FuzzLinkDecode") {
		for n := range len(p) {
			checkDecodeErr(t, p[:n], l.Decode(p[:n]))
		}
	}
}

func TestLinkEnumNames(t *testing.T) {
	for s, want := range map[OperState]string{OperUnknown: "UNKNOWN", OperNotPresent: "NOTPRESENT", OperDown: "DOWN", OperLowerLayerDown: "LOWERLAYERDOWN", OperTesting: "TESTING", OperDormant: "DORMANT", OperUp: "UP", 9: "9"} {
		if s.String() != want {
			t.Errorf("OperState(%d) = %q, want %q", s, s, want)
		}
	}
	for _, c := range []struct {
		st  OperState
		nlm uint8
	}{{OperUnknown, nlmsg.IFOperUnknown}, {OperNotPresent, nlmsg.IFOperNotPresent}, {OperDown, nlmsg.IFOperDown}, {OperLowerLayerDown, nlmsg.IFOperLowerLayerDown}, {OperTesting, nlmsg.IFOperTesting}, {OperDormant, nlmsg.IFOperDormant}, {OperUp, nlmsg.IFOperUp}} {
		if uint8(c.st) != c.nlm {
			t.Errorf("%v = %d, IF_OPER_* says %d", c.st, c.st, c.nlm)
		}
	}
	for f, want := range map[LinkFlags]string{
		LinkUp | LinkLoopback | LinkRunning | LinkLowerUp: "LOOPBACK,UP,LOWER_UP",
		LinkUp | LinkBroadcast | LinkMulticast:            "NO-CARRIER,BROADCAST,MULTICAST,UP",
		LinkNoARP | LinkPointToPoint | 1<<30:              "POINTOPOINT,NOARP,40000000",
		0:                                                 "",
	} {
		if f.String() != want {
			t.Errorf("LinkFlags(%#x) = %q, want %q", uint32(f), f, want)
		}
	}
	for m, want := range map[MACVLANMode]string{MACVLANPrivate: "private", MACVLANVEPA: "vepa", MACVLANBridge: "bridge", MACVLANPassthru: "passthru", MACVLANSource: "source", 3: "3"} {
		if m.String() != want {
			t.Errorf("MACVLANMode(%d) = %q, want %q", m, m, want)
		}
	}
	for m, want := range map[TunType]string{TunTypeTun: "tun", TunTypeTap: "tap", 3: "3"} {
		if m.String() != want {
			t.Errorf("TunType(%d) = %q, want %q", m, m, want)
		}
	}
}

func TestCloneSharesNothingWithTheMessage(t *testing.T) {
	for _, p := range seeds(t, "FuzzLinkDecode") {
		var l Link
		if err := l.Decode(p); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%v %v %x", l.HardwareAddr, l.Broadcast, l.Attrs)
		o := l.Clone()
		clear(p) // the message's buffer is reused
		if got := fmt.Sprintf("%v %v %x", o.HardwareAddr, o.Broadcast, o.Attrs); got != want {
			t.Fatalf("the clone changed with the message: %s, want %s", got, want)
		}
	}
	// A Link built by hand (for LinkAdd) clones too.
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	l := Link{Name: "x", HardwareAddr: hw}
	o := l.Clone()
	hw[5] = 9
	if o.HardwareAddr.String() != "02:00:00:00:00:01" {
		t.Fatalf("the clone of a hand-made link shares its address: %v", o.HardwareAddr)
	}
	var n Neigh
	ps := seeds(t, "FuzzNeighDecode")
	for _, p := range ps {
		if err := n.Decode(p); err != nil {
			t.Fatal(err)
		}
		want := n.LLAddr.String()
		o := n.Clone()
		clear(p)
		if o.LLAddr.String() != want {
			t.Fatalf("the neighbour's clone changed with the message: %v, want %s", o.LLAddr, want)
		}
	}
}

// A write whose field cannot fit an attribute is refused with ErrInvalid
// before anything is sent (the length would otherwise wrap its 16 bits).
func TestEncodersRefuseOversizedFields(t *testing.T) {
	long := strings.Repeat("x", nlmsg.MaxAttrData+1)
	for name, enc := range map[string]func() ([]byte, error){
		"link name": func() ([]byte, error) { return (&Link{Name: long}).appendAttrs(nil) },
		"link kind": func() ([]byte, error) { return (&Link{Kind: long}).appendAttrs(nil) },
		"veth peer": func() ([]byte, error) {
			return (&Link{Kind: KindVeth, Veth: VethInfo{PeerName: long}}).appendAttrs(nil)
		},
		"link info": func() ([]byte, error) {
			return (&Link{Kind: KindVeth, Veth: VethInfo{PeerName: long[:40000], PeerHardwareAddr: []byte(long[:40000])}}).appendAttrs(nil)
		},
		"addr label": func() ([]byte, error) {
			return (&Addr{Prefix: netip.MustParsePrefix("10.0.0.1/8"), Label: long}).appendTo(nil)
		},
		"addr prefix": func() ([]byte, error) { return (&Addr{}).appendTo(nil) },
		"neigh lladdr": func() ([]byte, error) {
			return (&Neigh{Dst: netip.MustParseAddr("10.0.0.1"), LLAddr: []byte(long)}).appendTo(nil, true)
		},
		"neigh dst":    func() ([]byte, error) { return (&Neigh{}).appendTo(nil, true) },
		"route family": func() ([]byte, error) { return appendRoute(nil, &Route{}, false) },
	} {
		if _, err := enc(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want an error that errors.Is ErrInvalid", name, err)
		}
	}
	if !errors.Is(ErrInvalidRoute, ErrInvalid) || errors.Is(ErrInvalid, ErrInvalidRoute) {
		t.Error("ErrInvalidRoute must be a kind of ErrInvalid, not the reverse")
	}
}

// LinkFilter.Match checks every field a dump selects by, Name included.
func TestLinkFilterMatch(t *testing.T) {
	l := Link{Name: "va", Kind: KindVeth, MasterIndex: 3}
	for f, want := range map[LinkFilter]bool{
		{}: true, {Name: "va"}: true, {Name: "vb"}: false, {Kind: KindVeth}: true, {Kind: KindBridge}: false,
		{MasterIndex: 3}: true, {MasterIndex: 4}: false, {Name: "va", Kind: KindVeth, MasterIndex: 3, Stats: true}: true,
		{NoMaster: true}: false, {MasterIndex: 3, NoMaster: true}: true, // MasterIndex wins
	} {
		if got := f.Match(&l); got != want {
			t.Errorf("%+v.Match: %v, want %v", f, got, want)
		}
	}
	unported := Link{Name: "vb", Kind: KindVeth}
	for f, want := range map[LinkFilter]bool{{NoMaster: true}: true, {MasterIndex: 3}: false} {
		if got := f.Match(&unported); got != want {
			t.Errorf("%+v.Match of a link without master: %v, want %v", f, got, want)
		}
	}
}
