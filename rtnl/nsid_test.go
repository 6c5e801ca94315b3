package rtnl

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// nsidMsg builds an RTM_NEWNSID payload as the kernel does (rtnl_net_fill):
// an AF_UNSPEC rtgenmsg, NETNSA_NSID, and NETNSA_CURRENT_NSID when current
// is not nil.
func nsidMsg(id int32, current *int32) []byte {
	p := appendU32Attr(nlmsg.RtGenMsg{}.AppendTo(nil), nlmsg.NETNSANSID, uint32(id))
	if current != nil {
		p = appendU32Attr(p, nlmsg.NETNSACurrentNSID, uint32(*current))
	}
	return p
}

func TestNSIDDecode(t *testing.T) {
	five, none := int32(5), int32(-1)
	for _, tt := range []struct {
		p    []byte
		want NSID
	}{
		{nsidMsg(7, nil), NSID{ID: 7}},
		{nsidMsg(-1, nil), NSID{ID: NSIDNotAssigned}},
		{nsidMsg(3, &five), NSID{ID: 3, CurrentID: 5, HasCurrentID: true}},
		{nsidMsg(4, &none), NSID{ID: 4, CurrentID: NSIDNotAssigned, HasCurrentID: true}},
	} {
		var n NSID
		if err := n.Decode(tt.p); err != nil {
			t.Fatal(err)
		}
		if n.ID != tt.want.ID || n.CurrentID != tt.want.CurrentID || n.HasCurrentID != tt.want.HasCurrentID || len(n.Attrs) != len(tt.p)-4 {
			t.Errorf("decoded %+v, want %+v", n, tt.want)
		}
		if c := n.Clone(); string(c.Attrs) != string(n.Attrs) || &c.Attrs[0] == &n.Attrs[0] {
			t.Error("Clone does not own its Attrs")
		}
	}
}

// A message without its id, with a short id, or without its header, is an
// AttrError naming what is wrong, at its offset in the payload.
func TestNSIDDecodeNamesWhatIsMalformed(t *testing.T) {
	short := appendAttr(nlmsg.RtGenMsg{}.AppendTo(nil), nlmsg.NETNSANSID, []byte{1, 2})
	shortCur := appendAttr(nsidMsg(1, nil), nlmsg.NETNSACurrentNSID, []byte{1})
	for _, tt := range []struct {
		p      []byte
		attr   string
		offset int
	}{
		{nil, "rtgenmsg", 0},
		{nlmsg.RtGenMsg{}.AppendTo(nil), "NETNSA_NSID", -1},
		{short, "NETNSA_NSID", 4},
		{shortCur, "NETNSA_CURRENT_NSID", 12},
		{append(nsidMsg(1, nil), 9, 0), "nlattr", 12},
	} {
		var n NSID
		var ae *AttrError
		if err := n.Decode(tt.p); !errors.As(err, &ae) || ae.Object != "nsid" || ae.Attr != tt.attr || ae.Offset != tt.offset {
			t.Errorf("% x: %v, want an AttrError for %s at %d", tt.p, err, tt.attr, tt.offset)
		}
	}
}

// The requests are ip's: the rtgenmsg padded to four bytes, then NETNSA_FD
// or NETNSA_PID, then (to assign) NETNSA_NSID.
func TestNSIDRequestsEncodeAsIP(t *testing.T) {
	u32 := func(b []byte, typ uint16, v uint32) []byte {
		b = binary.NativeEndian.AppendUint16(b, 8)
		b = binary.NativeEndian.AppendUint16(b, typ)
		return binary.NativeEndian.AppendUint32(b, v)
	}
	want := u32([]byte{0, 0, 0, 0}, 3, 12)
	if got := appendNSIDPeer(nil, nlmsg.NETNSAFD, 12); string(got) != string(want) {
		t.Errorf("by fd: % x, want % x", got, want)
	}
	want = u32(u32([]byte{0, 0, 0, 0}, 2, 4242), 1, 0xffffffff)
	if got := appendNSIDAssign(nil, nlmsg.NETNSAPID, 4242, NSIDNotAssigned); string(got) != string(want) {
		t.Errorf("set by pid, kernel's choice: % x, want % x", got, want)
	}
}

func TestNSIDDecodeAllocatesNothing(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	five := int32(5)
	p, q := nsidMsg(7, nil), nsidMsg(3, &five)
	var n NSID
	if a := testing.AllocsPerRun(100, func() {
		if n.Decode(p) != nil || n.Decode(q) != nil {
			t.Fatal("decode failed")
		}
	}); a != 0 {
		t.Errorf("%v allocations per decode", a)
	}
}
