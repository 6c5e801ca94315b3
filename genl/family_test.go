package genl

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// familyAttrs encodes f as the controller does (ctrl_fill_info).
func familyAttrs(f Family) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.String(nlmsg.CtrlAttrFamilyName, f.Name)
	b.Uint16(nlmsg.CtrlAttrFamilyID, f.ID)
	b.Uint32(nlmsg.CtrlAttrVersion, f.Version)
	b.Uint32(nlmsg.CtrlAttrHdrSize, f.HdrSize)
	b.Uint32(nlmsg.CtrlAttrMaxAttr, f.MaxAttr)
	if len(f.Ops) > 0 {
		n := b.BeginNest(nlmsg.CtrlAttrOps)
		for i, op := range f.Ops {
			o := b.BeginNest(uint16(i + 1))
			b.Uint32(nlmsg.CtrlAttrOpID, op.Cmd)
			b.Uint32(nlmsg.CtrlAttrOpFlags, uint32(op.Flags))
			b.EndNest(o)
		}
		b.EndNest(n)
	}
	if len(f.Groups) > 0 {
		n := b.BeginNest(nlmsg.CtrlAttrMcastGroups)
		for i, g := range f.Groups {
			o := b.BeginNest(uint16(i + 1))
			b.Uint32(nlmsg.CtrlAttrMcastGrpID, g.ID)
			b.String(nlmsg.CtrlAttrMcastGrpName, g.Name)
			b.EndNest(o)
		}
		b.EndNest(n)
	}
	return append([]byte(nil), b.Bytes()...)
}

var testFamily = Family{
	ID: 0x15, Name: "ethtool", Version: 1, HdrSize: 4, MaxAttr: 9,
	Ops:    []Op{{1, OpFlags(nlmsg.GenlCmdCapDo | nlmsg.GenlCmdCapHasPol)}, {5, OpFlags(nlmsg.GenlAdminPerm | nlmsg.GenlCmdCapDo)}},
	Groups: []Group{{7, "monitor"}, {8, "other"}},
}

func TestDecodeFamilyRoundTrip(t *testing.T) {
	var got Family
	if err := DecodeFamily(familyAttrs(testFamily), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, testFamily) {
		t.Fatalf("decoded %+v, want %+v", got, testFamily)
	}
	// Decoding a smaller family into the same value leaves nothing behind.
	small := Family{ID: 0x10, Name: "nlctrl", Version: 2}
	if err := DecodeFamily(familyAttrs(small), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != small.ID || got.Name != small.Name || got.HdrSize != 0 || len(got.Ops) != 0 || len(got.Groups) != 0 {
		t.Fatalf("decoded %+v over a bigger family, want %+v", got, small)
	}
}

func TestDecodeFamilyMalformedNamesTheAttribute(t *testing.T) {
	attr := func(typ uint16, data []byte) []byte {
		var b nlmsg.Builder
		defer b.Release()
		b.Attr(typ, data)
		return append([]byte(nil), b.Bytes()...)
	}
	nest := func(typ uint16, inner []byte) []byte { return attr(typ|nlmsg.AttrNested, inner) }
	cases := []struct {
		name  string
		attrs []byte
		want  string
	}{
		{"id of 4 bytes", attr(nlmsg.CtrlAttrFamilyID, []byte{1, 0, 0, 0}), "CTRL_ATTR_FAMILY_ID"},
		{"version of 2 bytes", attr(nlmsg.CtrlAttrVersion, []byte{1, 0}), "CTRL_ATTR_VERSION"},
		{"hdrsize of 1 byte", attr(nlmsg.CtrlAttrHdrSize, []byte{1}), "CTRL_ATTR_HDRSIZE"},
		{"op flags of 8 bytes", nest(nlmsg.CtrlAttrOps, nest(1, attr(nlmsg.CtrlAttrOpFlags, make([]byte, 8)))), "CTRL_ATTR_OP_FLAGS"},
		{"op list truncated", nest(nlmsg.CtrlAttrOps, []byte{200, 0, 1, 0}), "CTRL_ATTR_OPS"},
		{"group id of 2 bytes", nest(nlmsg.CtrlAttrMcastGroups, nest(1, attr(nlmsg.CtrlAttrMcastGrpID, []byte{1, 2}))), "CTRL_ATTR_MCAST_GRP_ID"},
	}
	for _, c := range cases {
		var f Family
		err := DecodeFamily(c.attrs, &f)
		var de *DecodeError
		if !errors.As(err, &de) || de.Attr != c.want || de.Msg != "CTRL_CMD_NEWFAMILY" {
			t.Errorf("%s: %v; want a *DecodeError naming %s", c.name, err, c.want)
			continue
		}
		var fe *nlmsg.FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v does not unwrap to the *nlmsg.FormatError", c.name, err)
		}
	}
	// A truncated top-level list is an error too, without an attribute name.
	var f Family
	if err := DecodeFamily([]byte{8, 0, 1}, &f); err == nil {
		t.Error("3 trailing bytes decoded without error")
	}
}

func TestOpFlagsString(t *testing.T) {
	cases := map[OpFlags]string{
		0: "",
		OpFlags(nlmsg.GenlCmdCapDo | nlmsg.GenlCmdCapDump | nlmsg.GenlCmdCapHasPol): "can doit; can dumpit; has policy",
		OpFlags(nlmsg.GenlAdminPerm | nlmsg.GenlCmdCapDo):                           "requires admin permission; can doit",
		OpFlags(nlmsg.GenlUnsAdminPerm):                                             "requires namespace admin permission",
		OpFlags(0x104):                                                              "can dumpit; 0x100",
	}
	for f, want := range cases {
		if got := f.String(); got != want {
			t.Errorf("OpFlags(%#x) = %q, want %q", uint32(f), got, want)
		}
	}
}

func TestAttrTypeString(t *testing.T) {
	for typ, want := range map[uint32]string{
		nlmsg.NLAttrTypeU16: "u16", nlmsg.NLAttrTypeNulString: "nul-string", nlmsg.NLAttrTypeNestedArray: "nested-array",
		nlmsg.NLAttrTypeUint: "uint", 99: "type 99",
	} {
		if got := AttrType(typ).String(); got != want {
			t.Errorf("AttrType(%d) = %q, want %q", typ, got, want)
		}
	}
}

func TestDecodeFamilyDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	attrs := familyAttrs(testFamily)
	var f Family
	if err := DecodeFamily(attrs, &f); err != nil { // warms the intern table and f's slices
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = DecodeFamily(attrs, &f) }); n != 0 {
		t.Fatalf("DecodeFamily into a warm value: %v allocations, want 0", n)
	}
}

func TestGenlWordsFollowGenlPunctuation(t *testing.T) {
	for f, want := range map[OpFlags]string{
		OpFlags(nlmsg.GenlCmdCapDo | nlmsg.GenlCmdCapDump | nlmsg.GenlCmdCapHasPol): "can doit; can dumpit; has policy",
		OpFlags(nlmsg.GenlAdminPerm | nlmsg.GenlCmdCapDo):                           "requires admin permission; can doit;",
	} {
		if got := genlWords(f); got != want {
			t.Errorf("genlWords(%#x) = %q, want %q", uint32(f), got, want)
		}
	}
}
