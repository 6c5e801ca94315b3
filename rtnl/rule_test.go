package rtnl

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

func TestRuleDecodeReadsBackWhatEncodingWrote(t *testing.T) {
	want := Rule{Family: FamilyIPv4, Priority: 200, Table: 1000, Action: RuleActionToTable,
		Src: netip.MustParsePrefix("10.0.0.0/8"), Dst: netip.MustParsePrefix("192.168.0.0/16"),
		Invert: true, IIFName: "v0", OIFName: "v1", Mark: 0x10, Mask: 0xff, TOS: 0x10,
		HasSuppressPrefixLen: true, SuppressPrefixLen: 0, L3MDev: false, Protocol: ProtocolBird,
		HasUIDRange: true, UIDStart: 1000, UIDEnd: 1999, IPProto: 6, SrcPorts: PortRange{1, 1023},
		DstPorts: PortRange{443, 443}, Realms: MakeRealms(1, 2), TunID: 0x0102030405060708,
		HasSuppressIfGroup: true, SuppressIfGroup: 9}
	p, err := appendRule(nil, &want, false)
	if err != nil {
		t.Fatal(err)
	}
	var got Rule
	if err := got.Decode(p); err != nil {
		t.Fatal(err)
	}
	got.Attrs, got.Flags = nil, 0
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
	if skipAllocs {
		return
	}
	if n := testing.AllocsPerRun(100, func() { _ = got.Decode(p) }); n != 0 {
		t.Errorf("decoding a rule allocates %.1f times", n)
	}
}

func TestRuleDecodeNamesTheMalformedAttribute(t *testing.T) {
	hdr := nlmsg.FibRuleHdr{Family: uint8(FamilyIPv4), SrcLen: 8}.AppendTo(nil)
	for _, c := range []struct {
		payload []byte
		attr    string
	}{
		{hdr[:6], "fib_rule_hdr"},
		{nlmsg.FibRuleHdr{Family: uint8(FamilyIPv6), DstLen: 129}.AppendTo(nil), "fib_rule_hdr"},
		{appendAttr(hdr, nlmsg.FRASrc, make([]byte, 16)), "FRA_SRC"},
		{appendAttr(hdr, nlmsg.FRAFwMark, []byte{1}), "FRA_FWMARK"},
		{appendAttr(hdr, nlmsg.FRATable, []byte{1, 2}), "FRA_TABLE"},
		{appendAttr(hdr, nlmsg.FRASuppressPrefixLen, []byte{200, 0, 0, 0}), "FRA_SUPPRESS_PREFIXLEN"},
		{appendAttr(hdr, nlmsg.FRAUIDRange, make([]byte, 4)), "FRA_UID_RANGE"},
		{appendAttr(hdr, nlmsg.FRADportRange, make([]byte, 2)), "FRA_DPORT_RANGE"},
		{appendAttr(hdr, nlmsg.FRAIPProto, make([]byte, 2)), "FRA_IP_PROTO"},
		{appendAttr(hdr, nlmsg.FRATunID, make([]byte, 4)), "FRA_TUN_ID"},
		{append(hdr, 9, 0, 6, 0), "nlattr"},
	} {
		var u Rule
		var ae *AttrError
		if err := u.Decode(c.payload); !errors.As(err, &ae) || ae.Object != "rule" || ae.Attr != c.attr {
			t.Errorf("%x: %v, want an AttrError for %s", c.payload, err, c.attr)
		}
	}
}
