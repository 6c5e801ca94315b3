package rtnl

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// sampleNexthops are nexthop objects of every shape, as Decode reads them
// back from their encoding (Scope aside, which writes do not send).
func sampleNexthops() []NexthopObject {
	addr := netip.MustParseAddr
	return []NexthopObject{
		{ID: 1, Family: FamilyIPv4, Gateway: addr("10.0.0.2"), OIF: 2, Protocol: ProtocolStatic},
		{ID: 2, Family: FamilyIPv4, Gateway: addr("10.0.0.3"), OIF: 2, Flags: RouteFlagOnlink, Protocol: ProtocolBGP},
		{ID: 3, Family: FamilyIPv6, Gateway: addr("fd00::2"), OIF: 3},
		{ID: 4, Family: FamilyIPv4, OIF: 2},
		{ID: 5, Family: FamilyIPv6, Blackhole: true},
		{ID: 6, Family: FamilyIPv4, Gateway: addr("10.0.0.5"), FDB: true},
		{ID: 7, Family: FamilyIPv4, Gateway: addr("10.0.0.2"), OIF: 2, EncapType: EncapIP, Encap: []byte{12, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7}},
		{ID: 10, Group: []NexthopMember{{1, 1}, {2, 5}, {3, 256}, {4, 1000}, {9, 65535}}},
		{ID: 11, Group: []NexthopMember{{1, 3}, {9, 200}}, GroupType: NexthopGroupResilient, Protocol: ProtocolZebra,
			Resilient: NexthopResilient{Buckets: 16, IdleTimer: 10 * time.Second, HasIdleTimer: true, UnbalancedTimer: 20 * time.Second, HasUnbalancedTimer: true}},
		{ID: 12, Group: []NexthopMember{{6, 1}}, FDB: true},
	}
}

// encodedNexthop is n's RTM_NEWNEXTHOP payload, with NHA_OP_FLAGS saying
// 16-bit weights as a kernel of 6.12 or later adds to a group's.
func encodedNexthop(t testing.TB, n *NexthopObject) []byte {
	b, err := appendNexthop(nil, n)
	if err != nil {
		t.Fatal(err)
	}
	if n.IsGroup() {
		b = appendU32Attr(b, nlmsg.NHAOpFlags, nlmsg.NHAOpFlagRespGrpResvd0)
	}
	return b
}

func TestNexthopDecodeReadsBackWhatEncodingWrote(t *testing.T) {
	var got NexthopObject // reused, as the iterator reuses it
	for _, want := range sampleNexthops() {
		p := encodedNexthop(t, &want)
		if err := got.Decode(p); err != nil {
			t.Fatalf("%d: %v", want.ID, err)
		}
		c := got.Clone()
		c.Attrs = nil
		if len(c.Group) == 0 {
			c.Group = nil
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("decoded\n%+v\nwant\n%+v", c, want)
		}
		if got.IsGroup() != (len(want.Group) > 0) {
			t.Errorf("%d: IsGroup %v", want.ID, got.IsGroup())
		}
	}
	if skipAllocs {
		return
	}
	p := encodedNexthop(t, &sampleNexthops()[7])
	if n := testing.AllocsPerRun(100, func() { _ = got.Decode(p) }); n != 0 {
		t.Errorf("decoding a group allocates %.1f times once warm", n)
	}
}

// TestNexthopDecodeReadsWeightHighOnlyWhenTheKernelSaysSo: without
// NHA_OP_FLAG_RESP_GRP_RESVD_0 (kernels before 6.12, which left the byte
// undefined) only the low byte of a weight counts.
func TestNexthopDecodeReadsWeightHighOnlyWhenTheKernelSaysSo(t *testing.T) {
	n := NexthopObject{ID: 10, Group: []NexthopMember{{1, 1000}, {2, 7}}}
	p, err := appendNexthop(nil, &n)
	if err != nil {
		t.Fatal(err)
	}
	var got NexthopObject
	if err := got.Decode(p); err != nil {
		t.Fatal(err)
	}
	// 1000 is sent as 999 = 0x3e7: the low byte 0xe7 alone is 231, weight 232.
	if want := []NexthopMember{{1, 232}, {2, 7}}; !reflect.DeepEqual(got.Group, want) {
		t.Errorf("without the op flag: %+v, want %+v", got.Group, want)
	}
}

func TestNexthopDecodeNamesTheMalformedAttribute(t *testing.T) {
	hdr := nlmsg.NhMsg{Family: uint8(FamilyIPv4)}.AppendTo(nil)
	grp := nlmsg.NhMsg{}.AppendTo(nil)
	for _, c := range []struct {
		payload []byte
		attr    string
	}{
		{hdr[:5], "nhmsg"},
		{appendAttr(hdr, nlmsg.NHAID, []byte{1, 2}), "NHA_ID"},
		{appendAttr(hdr, nlmsg.NHAOIF, []byte{1}), "NHA_OIF"},
		{appendAttr(hdr, nlmsg.NHAGateway, make([]byte, 16)), "NHA_GATEWAY"},
		{appendAttr(grp, nlmsg.NHAGateway, make([]byte, 5)), "NHA_GATEWAY"},
		{appendAttr(hdr, nlmsg.NHABlackhole, []byte{1}), "NHA_BLACKHOLE"},
		{appendAttr(hdr, nlmsg.NHAFDB, []byte{1, 0, 0, 0}), "NHA_FDB"},
		{appendAttr(hdr, nlmsg.NHAEncapType, []byte{1}), "NHA_ENCAP_TYPE"},
		{appendAttr(grp, nlmsg.NHAGroup, make([]byte, 12)), "NHA_GROUP"},
		{appendAttr(grp, nlmsg.NHAGroupType, make([]byte, 4)), "NHA_GROUP_TYPE"},
		{appendAttr(grp, nlmsg.NHAResGroup, []byte{6, 0, 1, 0, 1, 0, 0, 0, 9, 0, 2, 0}), "NHA_RES_GROUP"},
		{appendAttr(grp, nlmsg.NHAResGroup, []byte{5, 0, 1, 0, 1, 0, 0, 0}), "NHA_RES_GROUP"},
		{appendAttr(grp, nlmsg.NHAOpFlags, []byte{1}), "NHA_OP_FLAGS"},
		{append(hdr, 9, 0, 6, 0), "nlattr"},
	} {
		var n NexthopObject
		var ae *AttrError
		if err := n.Decode(c.payload); !errors.As(err, &ae) || ae.Object != "nexthop" || ae.Attr != c.attr || ae.Offset < 0 || ae.Offset > len(c.payload) {
			t.Errorf("% x: %v, want an AttrError for %s", c.payload, err, c.attr)
		}
	}
}

func TestNexthopEncodeRefusesWhatTheWireCannotHold(t *testing.T) {
	addr := netip.MustParseAddr
	for _, n := range []NexthopObject{
		{Family: FamilyIPv4, Gateway: addr("fd00::1"), OIF: 2},
		{Family: FamilyIPv6, Gateway: addr("10.0.0.1"), OIF: 2},
		{Family: FamilyBridge, OIF: 2},
		{Family: FamilyIPv4, Group: []NexthopMember{{1, 1}}},
		{Group: []NexthopMember{{1, 65536}}},
		{Group: []NexthopMember{{1, -1}}},
		{Group: make([]NexthopMember, 8192)},
		{Group: []NexthopMember{{1, 1}}, GroupType: NexthopGroupResilient, Resilient: NexthopResilient{IdleTimer: -time.Second, HasIdleTimer: true}},
		{Group: []NexthopMember{{1, 1}}, GroupType: NexthopGroupResilient, Resilient: NexthopResilient{UnbalancedTimer: 2 * maxClockTicks, HasUnbalancedTimer: true}},
		{Family: FamilyIPv4, OIF: 2, EncapType: EncapIP, Encap: make([]byte, 70000)},
	} {
		b, err := appendNexthop([]byte{1, 2, 3}, &n)
		if !errors.Is(err, ErrInvalidNexthop) || !errors.Is(err, ErrInvalid) || len(b) != 3 {
			t.Errorf("%+v: %v, %d bytes left; want ErrInvalidNexthop and the buffer as it was", n.Family, err, len(b))
		}
	}
}

// TestNexthopEncodeDefaults: a single next hop takes its gateway's family,
// or IPv4; a write sends only the onlink flag, and no scope; a zero weight
// is 1; a resilient group sends only the settings it has.
func TestNexthopEncodeDefaults(t *testing.T) {
	for _, c := range []struct {
		n   NexthopObject
		fam Family
	}{
		{NexthopObject{Gateway: netip.MustParseAddr("fd00::2"), OIF: 2}, FamilyIPv6},
		{NexthopObject{Gateway: netip.MustParseAddr("10.0.0.2"), OIF: 2}, FamilyIPv4},
		{NexthopObject{Blackhole: true}, FamilyIPv4},
		{NexthopObject{Group: []NexthopMember{{1, 0}}}, FamilyUnspec},
	} {
		c.n.Flags = RouteFlagOnlink | RouteFlagLinkDown | RouteFlagDead
		c.n.Scope = ScopeLink
		p, err := appendNexthop(nil, &c.n)
		if err != nil {
			t.Fatal(err)
		}
		var h nlmsg.NhMsg
		if _, err := h.Decode(p); err != nil || Family(h.Family) != c.fam || h.Scope != 0 || h.Flags != uint32(RouteFlagOnlink) {
			t.Errorf("%+v: header %+v, want family %v, scope 0, onlink only", c.n, h, c.fam)
		}
		var got NexthopObject
		if err := got.Decode(p); err != nil || got.IsGroup() && got.Group[0].Weight != 1 {
			t.Errorf("%+v: decoded %+v, %v", c.n, got, err)
		}
	}
	n := NexthopObject{Group: []NexthopMember{{1, 1}}, GroupType: NexthopGroupResilient, Resilient: NexthopResilient{IdleTimer: time.Second}}
	p, _ := appendNexthop(nil, &n)
	var got NexthopObject
	if err := got.Decode(p); err != nil || got.Resilient != (NexthopResilient{}) {
		t.Errorf("a resilient group without settings decodes to %+v, %v", got.Resilient, err)
	}
}

func TestNexthopFilterMatchesAsTheKernel(t *testing.T) {
	ns := sampleNexthops()
	ids := func(f NexthopFilter) []uint32 {
		var out []uint32
		for i := range ns {
			if f.Match(&ns[i]) {
				out = append(out, ns[i].ID)
			}
		}
		return out
	}
	for _, c := range []struct {
		f    NexthopFilter
		want []uint32
	}{
		{NexthopFilter{}, []uint32{1, 2, 3, 4, 5, 6, 7, 10, 11, 12}},
		{NexthopFilter{ID: 3}, []uint32{3}},
		{NexthopFilter{Family: FamilyIPv6}, []uint32{3, 5}},
		{NexthopFilter{Family: FamilyIPv4}, []uint32{1, 2, 4, 6, 7}},
		{NexthopFilter{OIF: 2}, []uint32{1, 2, 4, 7}},
		{NexthopFilter{OIF: loopbackIndex}, []uint32{5}},
		{NexthopFilter{MasterIndex: 9}, []uint32{1, 2, 3, 4, 7}},
		{NexthopFilter{Groups: true}, []uint32{10, 11, 12}},
		{NexthopFilter{FDB: true}, []uint32{6, 12}},
		{NexthopFilter{Groups: true, FDB: true}, []uint32{12}},
		{NexthopFilter{Protocol: ProtocolBGP}, []uint32{2}},
		{NexthopFilter{Groups: true, OIF: 2}, nil},
	} {
		if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}

func TestNexthopFilterRequests(t *testing.T) {
	f := NexthopFilter{Family: FamilyIPv6, OIF: 3, MasterIndex: 4, Groups: true, FDB: true, Protocol: ProtocolBGP}
	got := f.dumpRequest(nil)
	want := nlmsg.NhMsg{Family: uint8(FamilyIPv6)}.AppendTo(nil)
	want = appendU32Attr(want, nlmsg.NHAOIF, 3)
	want = appendU32Attr(want, nlmsg.NHAMaster, 4)
	want = append(want, 4, 0, byte(nlmsg.NHAGroups), 0, 4, 0, byte(nlmsg.NHAFDB), 0)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dump request % x, want % x", got, want)
	}
	if g := idRequest(nil, 7); !reflect.DeepEqual(g, []byte{0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1, 0, 7, 0, 0, 0}) {
		t.Errorf("id request % x", g)
	}
	if (&NexthopFilter{ID: 1}).byGet() != true || (&NexthopFilter{ID: 1, MasterIndex: 2}).byGet() || (&NexthopFilter{}).byGet() {
		t.Error("byGet: a get only for an id without a master")
	}
}

func TestNexthopGroupTypeNames(t *testing.T) {
	for ty, want := range map[NexthopGroupType]string{NexthopGroupMpath: "mpath", NexthopGroupResilient: "resilient", 7: "7"} {
		if got := ty.String(); got != want {
			t.Errorf("%d: %q, want %q", ty, got, want)
		}
	}
}

// TestEventDecodesNexthopMessages: RTM_NEWNEXTHOP and RTM_DELNEXTHOP are
// events of kind EventNexthop, told apart by Deleted.
func TestEventDecodesNexthopMessages(t *testing.T) {
	body := encodedNexthop(t, &sampleNexthops()[7])
	var e Event
	for _, c := range []struct {
		typ     nlmsg.Type
		deleted bool
	}{{nlmsg.RTMNewNexthop, false}, {nlmsg.RTMDelNexthop, true}} {
		b := nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(body)), Type: c.typ}.AppendTo(nil)
		v, err := nlmsg.ViewOf(append(b, body...))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.DecodeMessage(v); err != nil {
			t.Fatal(err)
		}
		if e.Kind != EventNexthop || e.Deleted != c.deleted || e.Nexthop.ID != 10 || len(e.Nexthop.Group) != 5 {
			t.Errorf("%v: kind %v deleted %v, %+v", c.typ, e.Kind, e.Deleted, e.Nexthop)
		}
	}
	if EventNexthop.String() != "nexthop" || !slices.Contains(EventGroups, GroupNexthop) {
		t.Errorf("EventNexthop is %q; EventGroups %v", EventNexthop, EventGroups)
	}
}

// The id NexthopAdd takes from the kernel's echo is its NHA_ID; a payload
// without one, or too short for an nhmsg, gives 0.
func TestEchoedNexthopID(t *testing.T) {
	with := appendU32Attr(nlmsg.NhMsg{Family: uint8(FamilyIPv4)}.AppendTo(nil), nlmsg.NHAID, 42)
	without := appendU32Attr(nlmsg.NhMsg{Family: uint8(FamilyIPv4)}.AppendTo(nil), nlmsg.NHAOIF, 3)
	for _, c := range []struct {
		payload []byte
		want    uint32
	}{{with, 42}, {without, 0}, {with[:4], 0}} {
		if got := echoedNexthopID(c.payload); got != c.want {
			t.Errorf("echoedNexthopID(% x) = %d, want %d", c.payload, got, c.want)
		}
	}
}
