package rtnl

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

func sampleRoutes() []Route {
	pfx, addr := netip.MustParsePrefix, netip.MustParseAddr
	return []Route{
		{Family: FamilyIPv4, Dst: pfx("0.0.0.0/0"), Gateway: addr("10.0.0.254"), OIF: 2, Table: TableMain, Protocol: ProtocolBoot, Type: RouteTypeUnicast},
		{Family: FamilyIPv4, Dst: pfx("192.168.1.0/24"), Gateway: addr("10.0.0.2"), OIF: 2, Table: 1000, Protocol: ProtocolBird, Type: RouteTypeUnicast, Priority: 10,
			Metrics: Metrics{MTU: 1400, AdvMSS: 1360, Lock: 1 << nlmsg.RTAXMTU, Congestion: "cubic"}},
		{Family: FamilyIPv4, Dst: pfx("10.6.0.0/16"), Table: TableMain, Protocol: ProtocolStatic, Type: RouteTypeUnicast, Multipath: []NextHop{
			{Gateway: addr("10.0.0.2"), OIF: 2, Weight: 3, Realms: MakeRealms(0, 5)}, {Gateway: addr("fe80::1"), OIF: 3, Weight: 256, Flags: RouteFlagOnlink}}},
		{Family: FamilyIPv4, Dst: pfx("10.11.0.0/16"), Gateway: addr("fe80::1"), OIF: 2, Table: TableMain, Protocol: ProtocolBoot, Type: RouteTypeUnicast,
			Realms: MakeRealms(3, 4)},
		{Family: FamilyIPv6, Dst: pfx("2001:db8::/32"), Src: pfx("2001:db8:1::/48"), Gateway: addr("fd00::2"), OIF: 2, Table: TableMain, Protocol: ProtocolRA,
			Type: RouteTypeUnicast, Priority: 1024, Pref: RoutePrefHigh, HasPref: true, PrefSrc: addr("fd00::1"), NextHopID: 7},
		{Family: FamilyIPv6, Dst: pfx("::/0"), Type: RouteTypeBlackhole, Table: 70000, Protocol: ProtocolBoot, Scope: ScopeUniverse, TOS: 0, Flags: RouteFlagOnlink},
	}
}

// encoded returns the RTM_NEWROUTE payload of r, as RouteAdd sends it.
func encoded(t testing.TB, r *Route) []byte {
	b, err := appendRoute(nil, r, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRouteDecodeReadsBackWhatEncodingWrote(t *testing.T) {
	var got Route
	for _, want := range sampleRoutes() {
		p := encoded(t, &want)
		if err := got.Decode(p); err != nil {
			t.Fatalf("%v: %v", want.Dst, err)
		}
		if !reflect.DeepEqual(comparable([]Route{got}), comparable([]Route{want})) {
			t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
		}
		if len(got.Attrs) != len(p)-nlmsg.RtMsgLen {
			t.Errorf("Attrs has %d bytes, want %d", len(got.Attrs), len(p)-nlmsg.RtMsgLen)
		}
	}
}

func TestRouteDecodeOfADefaultRouteWithoutRTADstIsTheZeroPrefix(t *testing.T) {
	for fam, want := range map[Family]string{FamilyIPv4: "0.0.0.0/0", FamilyIPv6: "::/0"} {
		var r Route
		if err := r.Decode(nlmsg.RtMsg{Family: uint8(fam), Table: 254, Type: 1}.AppendTo(nil)); err != nil {
			t.Fatal(err)
		}
		if r.Dst.String() != want || r.Table != TableMain || r.Src.IsValid() {
			t.Errorf("%v: Dst %v Src %v Table %v, want %s, no source, main", fam, r.Dst, r.Src, r.Table, want)
		}
	}
}

func TestRouteDecodeTakesTheTableFromRTATable(t *testing.T) {
	var r Route
	p := nlmsg.RtMsg{Family: uint8(FamilyIPv4), Table: nlmsg.RTTableCompat}.AppendTo(nil)
	p = appendU32Attr(p, nlmsg.RTATable, 1000)
	if err := r.Decode(p); err != nil || r.Table != 1000 || r.Table.String() != "1000" {
		t.Fatalf("table %v (%v), want 1000", r.Table, err)
	}
}

func TestRouteDecodeExpiresIsInUserHz(t *testing.T) {
	ci := make([]byte, nlmsg.RtaCacheInfoLen)
	ci[8] = 0x2c // rta_expires = 300 (0x12c) hundredths of a second
	ci[9] = 0x01
	p := appendAttr(nlmsg.RtMsg{Family: uint8(FamilyIPv6)}.AppendTo(nil), nlmsg.RTACacheInfo, ci)
	var r Route
	if err := r.Decode(p); err != nil || r.Expires != 3*time.Second {
		t.Fatalf("Expires %v (%v), want 3s", r.Expires, err)
	}
}

// malformed returns an IPv4 rtmsg followed by one attribute.
func malformedRoute(typ uint16, data []byte) []byte {
	return appendAttr(nlmsg.RtMsg{Family: uint8(FamilyIPv4), DstLen: 24}.AppendTo(nil), typ, data)
}

func TestRouteDecodeNamesTheMalformedAttribute(t *testing.T) {
	mp := []byte{8, 0, 0, 0, 2, 0, 0, 0, 0xff, 0} // a second rtnexthop cut short
	for _, c := range []struct {
		name    string
		payload []byte
		attr    string
		offset  int
	}{
		{"short header", []byte{2, 24, 0}, "rtmsg", 0},
		{"dst_len 33", nlmsg.RtMsg{Family: uint8(FamilyIPv4), DstLen: 33}.AppendTo(nil), "rtmsg", 1},
		{"6-byte RTA_DST", malformedRoute(nlmsg.RTADst, []byte{1, 2, 3, 4, 5, 6}), "RTA_DST", 12},
		{"16-byte gateway in IPv4", malformedRoute(nlmsg.RTAGateway, make([]byte, 16)), "RTA_GATEWAY", 12},
		{"2-byte RTA_OIF", malformedRoute(nlmsg.RTAOIF, []byte{1, 0}), "RTA_OIF", 12},
		{"5-byte RTA_TABLE", malformedRoute(nlmsg.RTATable, []byte{1, 0, 0, 0, 0}), "RTA_TABLE", 12},
		{"short rtvia", malformedRoute(nlmsg.RTAVia, []byte{10}), "RTA_VIA", 12},
		{"rtvia with a 4-byte IPv6", malformedRoute(nlmsg.RTAVia, []byte{10, 0, 1, 2, 3, 4}), "RTA_VIA", 12},
		{"short cacheinfo", malformedRoute(nlmsg.RTACacheInfo, make([]byte, 12)), "RTA_CACHEINFO", 12},
		{"metric of 2 bytes", malformedRoute(nlmsg.RTAMetrics, appendU16Attr(nil, nlmsg.RTAXMTU, 1400)), "RTA_METRICS", 12},
		{"truncated rtnexthop", malformedRoute(nlmsg.RTAMultipath, mp), "RTA_MULTIPATH", 12},
		{"rtnexthop longer than its attribute", malformedRoute(nlmsg.RTAMultipath, []byte{64, 0, 0, 0, 2, 0, 0, 0}), "RTA_MULTIPATH", 12},
		{"attribute longer than the message", append(nlmsg.RtMsg{Family: 2}.AppendTo(nil), 40, 0, 1, 0, 10, 0, 0, 1), "rtattr", 12},
		{"2-byte RTA_PREF", malformedRoute(nlmsg.RTAPref, []byte{1, 0}), "RTA_PREF", 12},
		{"2-byte RTA_FLOW", malformedRoute(nlmsg.RTAFlow, []byte{1, 0}), "RTA_FLOW", 12},
	} {
		var r Route
		err := r.Decode(c.payload)
		var ae *AttrError
		if !errors.As(err, &ae) || ae.Object != "route" || ae.Attr != c.attr || ae.Offset != c.offset {
			t.Errorf("%s: %v, want an AttrError for %s at %d", c.name, err, c.attr, c.offset)
		}
	}
}

func TestRouteDecodeAllocatesNothingOnceWarm(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var payloads [][]byte
	for _, r := range sampleRoutes() {
		payloads = append(payloads, encoded(t, &r))
	}
	var r Route
	for _, p := range payloads {
		_ = r.Decode(p)
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, p := range payloads {
			if err := r.Decode(p); err != nil {
				t.Fatal(err)
			}
		}
	}); n != 0 {
		t.Fatalf("decoding %d routes allocates %.1f times", len(payloads), n)
	}
}

func TestRouteFilterRequestCarriesTheFilterOnlyForAStrictKernel(t *testing.T) {
	f := RouteFilter{Family: FamilyIPv6, Table: 1000, Protocol: ProtocolBird, Type: RouteTypeUnicast, OIF: 3, Cloned: true}
	strict := f.dumpRequest(nil, true)
	h, attrs, _ := nlmsg.DecodeRtMsg(strict)
	if h.Family != uint8(FamilyIPv6) || h.Protocol != 12 || h.Type != 1 || h.Flags != nlmsg.RTMFCloned || len(attrs) != 16 {
		t.Errorf("strict request: %+v with %d bytes of attributes", h, len(attrs))
	}
	plain := f.dumpRequest(nil, false)
	if h, attrs, _ := nlmsg.DecodeRtMsg(plain); h != (nlmsg.RtMsg{Family: uint8(FamilyIPv6), Flags: nlmsg.RTMFCloned}) || len(attrs) != 0 {
		t.Errorf("non-strict request: %+v with %d bytes of attributes", h, len(attrs))
	}
}

func TestRouteFilterMatchesAMultipathNextHopsInterface(t *testing.T) {
	r := sampleRoutes()[2]
	for oif, want := range map[int]bool{2: true, 3: true, 4: false} {
		f := RouteFilter{OIF: oif}
		if f.Match(&r) != want {
			t.Errorf("OIF %d: Match = %v", oif, !want)
		}
	}
	cl := Route{Flags: RouteFlagCloned}
	if (&RouteFilter{}).Match(&cl) || !(&RouteFilter{Cloned: true}).Match(&cl) {
		t.Error("a cached route must pass only a filter asking for cached routes")
	}
}

func TestRouteEncodeRefusesAFamilyItsAddressesContradict(t *testing.T) {
	for _, r := range []Route{
		{},
		{Family: FamilyIPv4, Dst: netip.MustParsePrefix("fd00::/64")},
		{Dst: netip.MustParsePrefix("10.0.0.0/8"), PrefSrc: netip.MustParseAddr("fd00::1")},
	} {
		if _, err := appendRoute(nil, &r, false); !errors.Is(err, ErrInvalidRoute) {
			t.Errorf("%+v: %v, want ErrInvalidRoute", r, err)
		}
	}
}

func TestEnumNamesAreIproute2s(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{TableMain.String(), "main"}, {TableLocal.String(), "local"}, {TableDefault.String(), "default"},
		{TableUnspec.String(), "unspec"}, {Table(1000).String(), "1000"}, {Table(252).String(), "252"},
		{ProtocolKernel.String(), "kernel"}, {ProtocolBoot.String(), "boot"}, {ProtocolStatic.String(), "static"},
		{ProtocolDHCP.String(), "dhcp"}, {ProtocolRA.String(), "ra"}, {ProtocolBird.String(), "bird"},
		{ProtocolZebra.String(), "zebra"}, {ProtocolBGP.String(), "bgp"}, {Protocol(77).String(), "77"},
		{RouteTypeUnicast.String(), "unicast"}, {RouteTypeBlackhole.String(), "blackhole"},
		{RouteTypeUnreachable.String(), "unreachable"}, {RouteTypeProhibit.String(), "prohibit"},
		{RouteTypeThrow.String(), "throw"}, {RouteTypeNAT.String(), "nat"}, {RouteTypeLocal.String(), "local"},
		{RouteTypeBroadcast.String(), "broadcast"}, {RouteTypeAnycast.String(), "anycast"}, {RouteTypeMulticast.String(), "multicast"},
		{(RouteFlagOnlink | RouteFlagDead).String(), "dead,onlink"}, {RouteFlags(0x80000).String(), "0x80000"},
		{RoutePrefHigh.String(), "high"}, {RoutePrefLow.String(), "low"}, {RoutePrefMedium.String(), "medium"},
		{RuleActionToTable.String(), "to_tbl"}, {RuleActionBlackhole.String(), "blackhole"}, {RuleActionGoto.String(), "goto"},
		{EncapMPLS.String(), "mpls"}, {EncapSeg6Local.String(), "seg6local"},
		{ChangeAdd.String(), "add"}, {ChangeDel.String(), "del"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestRealmsPackAsTheKernelDoes(t *testing.T) {
	r := MakeRealms(3, 4)
	if uint32(r) != 3<<16|4 || r.From() != 3 || r.To() != 4 || r.String() != "3/4" || MakeRealms(0, 5).String() != "5" {
		t.Errorf("MakeRealms(3, 4) = %#x %d/%d %q; MakeRealms(0, 5) %q", uint32(r), r.From(), r.To(), r, MakeRealms(0, 5))
	}
}
