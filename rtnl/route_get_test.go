package rtnl

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// attrsOf lists the attributes of a payload after its rtmsg: type to data.
func attrsOf(t *testing.T, p []byte) map[uint16][]byte {
	t.Helper()
	out := map[uint16][]byte{}
	s := nlmsg.NewAttrScanner(p[nlmsg.RtMsgLen:])
	for s.Next() {
		out[s.Attr().Type()] = s.Attr().Data()
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The request carries what ip route get sends for the same arguments, in
// the form strict checking accepts: the header's lengths are the full
// address length, the ports are in network byte order, and IPv4 asks for
// the table of the match.
func TestRouteQueryEncodesAsIPRouteGet(t *testing.T) {
	a := netip.MustParseAddr
	be16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	for _, tt := range []struct {
		q     RouteQuery
		h     nlmsg.RtMsg
		attrs map[uint16][]byte
	}{
		{RouteQuery{Dst: a("8.8.8.8")}, nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, Flags: nlmsg.RTMFLookupTable},
			map[uint16][]byte{nlmsg.RTADst: {8, 8, 8, 8}}},
		{RouteQuery{Dst: a("8.8.8.8"), Src: a("10.0.0.1"), IIF: 3, Mark: 7, UID: 0, HasUID: true, TOS: 0x10, IPProto: 6, SrcPort: 1000, DstPort: 443, FIBMatch: true, Notify: true},
			nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, SrcLen: 32, TOS: 0x10, Flags: nlmsg.RTMFLookupTable | nlmsg.RTMFFIBMatch | nlmsg.RTMFNotify},
			map[uint16][]byte{nlmsg.RTADst: {8, 8, 8, 8}, nlmsg.RTASrc: {10, 0, 0, 1}, nlmsg.RTAIIF: u32(3), nlmsg.RTAMark: u32(7), nlmsg.RTAUID: u32(0),
				nlmsg.RTAIPProto: {6}, nlmsg.RTASport: be16(1000), nlmsg.RTADport: be16(443)}},
		{RouteQuery{Dst: a("10.20.0.1"), VRF: 9}, nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, Flags: nlmsg.RTMFLookupTable},
			map[uint16][]byte{nlmsg.RTADst: {10, 20, 0, 1}, nlmsg.RTAOIF: u32(9)}},
		{RouteQuery{Dst: a("2001:db8::1"), OIF: 2, FlowLabel: 0x12345, FIBMatch: true}, nlmsg.RtMsg{Family: unix.AF_INET6, DstLen: 128, Flags: nlmsg.RTMFFIBMatch},
			map[uint16][]byte{nlmsg.RTADst: a("2001:db8::1").AsSlice(), nlmsg.RTAOIF: u32(2), nlmsg.RTAFlowLabel: binary.BigEndian.AppendUint32(nil, 0x12345)}},
	} {
		p, err := tt.q.appendTo(nil)
		if err != nil {
			t.Fatalf("%+v: %v", tt.q, err)
		}
		if want := tt.h.AppendTo(nil); string(p[:nlmsg.RtMsgLen]) != string(want) {
			t.Errorf("%+v: header %x, want %x", tt.q, p[:nlmsg.RtMsgLen], want)
		}
		if got := attrsOf(t, p); !reflect.DeepEqual(got, tt.attrs) {
			t.Errorf("%+v: attributes %v, want %v", tt.q, got, tt.attrs)
		}
	}
}

// A query that cannot be encoded is refused with ErrInvalidRouteQuery.
func TestRouteQueryRefusesWhatCannotBeEncoded(t *testing.T) {
	a := netip.MustParseAddr
	for name, q := range map[string]RouteQuery{
		"no dst":             {},
		"mpls":               {Family: FamilyMPLS, Dst: a("10.0.0.1")},
		"dst of the other":   {Family: FamilyIPv6, Dst: a("10.0.0.1")},
		"src of the other":   {Dst: a("10.0.0.1"), Src: a("fd00::1")},
		"oif and vrf":        {Dst: a("10.0.0.1"), OIF: 2, VRF: 3},
		"flow label on IPv4": {Dst: a("10.0.0.1"), FlowLabel: 1},
		"flow label > 20b":   {Dst: a("fd00::1"), FlowLabel: 1 << 20},
		"notify on IPv6":     {Dst: a("fd00::1"), Notify: true},
	} {
		if _, err := q.appendTo(nil); !errors.Is(err, ErrInvalidRouteQuery) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalidRouteQuery", name, err)
		}
	}
	if _, err := (&RouteQuery{Dst: a("10.0.0.1"), OIF: 3, VRF: 3}).appendTo(nil); err != nil {
		t.Errorf("oif and vrf naming the same device: %v", err)
	}
}

// An IPv4 lookup's answer, as the kernel builds it (rt_fill_info), decodes
// with its mark, uid, cache information and cache flags.
func TestRouteDecodeOfALookupAnswer(t *testing.T) {
	h := nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, Table: 254, Type: 3,
		Flags: nlmsg.RTMFCloned | nlmsg.RTCFLocal | nlmsg.RTCFBroadcast | nlmsg.RTCFNotify | nlmsg.RTMFNotify}
	p := h.AppendTo(nil)
	p = appendU32Attr(p, nlmsg.RTATable, 254)
	p = appendAttr(p, nlmsg.RTADst, []byte{10, 0, 0, 255})
	p = appendU32Attr(p, nlmsg.RTAOIF, 2)
	p = appendAttr(p, nlmsg.RTAPrefSrc, []byte{10, 0, 0, 1})
	p = appendU32Attr(p, nlmsg.RTAMark, 7)
	p = appendU32Attr(p, nlmsg.RTAUID, 1000)
	var ci []byte
	for _, v := range []uint32{2, 150, 300, uint32(0xffffff8f), 5, 0x1234, 9, 4} { // clntref, lastuse, expires, error (-113), used, id, ts, tsage
		ci = binary.NativeEndian.AppendUint32(ci, v)
	}
	p = appendAttr(p, nlmsg.RTACacheInfo, ci)
	var r Route
	if err := r.Decode(p); err != nil {
		t.Fatal(err)
	}
	want := RouteCacheInfo{ClntRef: 2, LastUse: 1500 * time.Millisecond, Error: -113, Used: 5, ID: 0x1234, TS: 9, TSAge: 4}
	if r.Mark != 7 || r.UID != 1000 || !r.HasUID || r.Cache != want || r.Expires != 3*time.Second || r.Dst.String() != "10.0.0.255/32" {
		t.Errorf("decoded mark %d uid %d/%v cache %+v expires %v dst %v", r.Mark, r.UID, r.HasUID, r.Cache, r.Expires, r.Dst)
	}
	if got := r.CacheFlags().Names(); !reflect.DeepEqual(got, []string{"local", "brd", "notify"}) {
		t.Errorf("cache flags %v, want ip's [local brd notify]", got)
	}
	if got := r.Flags.Names(); !reflect.DeepEqual(got, []string{"notify"}) {
		t.Errorf("flags %v, want [notify]", got)
	}
	// The same bits in a route of a dump (not cloned) or of IPv6 are no
	// cache flags.
	for _, f := range []func(*Route){func(r *Route) { r.Flags &^= RouteFlagCloned }, func(r *Route) { r.Family = FamilyIPv6 }} {
		o := r
		f(&o)
		if o.CacheFlags() != 0 {
			t.Errorf("cache flags %v of %v/%v", o.CacheFlags().Names(), o.Family, o.Flags)
		}
	}
	if got := (RouteCacheMulticast | 1<<25).Names(); !reflect.DeepEqual(got, []string{"mc", "0x2000000"}) {
		t.Errorf("unknown cache bits: %v", got)
	}
}

// Short RTA_MARK, RTA_UID and RTA_CACHEINFO are AttrErrors naming them.
func TestRouteDecodeNamesMalformedLookupAttributes(t *testing.T) {
	for typ, name := range map[uint16]string{nlmsg.RTAMark: "RTA_MARK", nlmsg.RTAUID: "RTA_UID", nlmsg.RTACacheInfo: "RTA_CACHEINFO"} {
		p := appendAttr(nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32}.AppendTo(nil), typ, []byte{1, 2})
		var r Route
		var ae *AttrError
		if err := r.Decode(p); !errors.As(err, &ae) || ae.Attr != name || ae.Offset != nlmsg.RtMsgLen {
			t.Errorf("%s of 2 bytes: %v, want an AttrError naming it at offset %d", name, err, nlmsg.RtMsgLen)
		}
	}
}

// The kernel's errnos map to the route types that refuse packets; other
// errors, and EINVAL with the kernel's explanation, are no routing answer.
func TestNoRouteReason(t *testing.T) {
	for _, tt := range []struct {
		err  *engine.OpError
		typ  RouteType
		isNo bool
	}{
		{&engine.OpError{Err: unix.ENETUNREACH}, RouteTypeUnspec, true},
		{&engine.OpError{Err: unix.EHOSTUNREACH}, RouteTypeUnreachable, true},
		{&engine.OpError{Err: unix.EACCES}, RouteTypeProhibit, true},
		{&engine.OpError{Err: unix.EAGAIN}, RouteTypeThrow, true},
		{&engine.OpError{Err: unix.EINVAL}, RouteTypeBlackhole, true},
		{&engine.OpError{Err: unix.EINVAL, Message: "ipv4: Invalid values in header for route get request"}, 0, false},
		{&engine.OpError{Err: unix.ENODEV}, 0, false},
	} {
		typ, ok := noRouteReason(tt.err, false)
		if ok != tt.isNo || typ != tt.typ {
			t.Errorf("%v %q: %v %v, want %v %v", tt.err.Err, tt.err.Message, typ, ok, tt.typ, tt.isNo)
		}
	}
	if _, ok := noRouteReason(&engine.OpError{Err: unix.EINVAL}, true); ok {
		t.Error("a bare EINVAL of a query the kernel may refuse as a martian is no blackhole")
	}
	e := &NoRouteError{Dst: netip.MustParseAddr("10.8.0.1"), Type: RouteTypeUnreachable, Err: &engine.OpError{Op: "request", Err: unix.EHOSTUNREACH, Offset: -1, MissType: -1, Index: -1}}
	var oe *engine.OpError
	if !errors.Is(e, ErrNoRoute) || !errors.Is(e, unix.EHOSTUNREACH) || !errors.As(e, &oe) {
		t.Error("a NoRouteError must match ErrNoRoute, its errno and its *engine.OpError")
	}
	if got, want := e.Error(), "rtnl: route get 10.8.0.1: unreachable: nlengine: request: no route to host"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// A lookup's answer, with its cache information, decodes without
// allocating, as a dump's routes do.
func TestRouteDecodeOfALookupAnswerAllocatesNothing(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	p := nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, Type: 1, Flags: nlmsg.RTMFCloned}.AppendTo(nil)
	p = appendU32Attr(appendU32Attr(p, nlmsg.RTAMark, 7), nlmsg.RTAUID, 0)
	p = appendAttr(p, nlmsg.RTACacheInfo, make([]byte, nlmsg.RtaCacheInfoLen))
	var r Route
	if a := testing.AllocsPerRun(100, func() {
		if err := r.Decode(p); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations per decode", a)
	}
}
