package rtnl

import (
	"encoding/binary"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// stats64 is a struct rtnl_link_stats64 of n counters valued 1, 2, 3, ...
func stats64(n int) []byte {
	b := make([]byte, 8*n)
	for i := range n {
		binary.NativeEndian.PutUint64(b[8*i:], uint64(i+1))
	}
	return b
}

// Link.Stats reads the counters in the kernel's order, the two newest
// left 0 when an older kernel's shorter struct lacks them.
func TestLinkStatsReadsTheKernelsOrder(t *testing.T) {
	var l Link
	if err := l.Decode(craft(nlmsg.IfInfoMsg{Index: 2}, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLAStats64, stats64(25)) })); err != nil {
		t.Fatal(err)
	}
	st, ok := l.Stats()
	want := LinkStats{RxPackets: 1, TxPackets: 2, RxBytes: 3, TxBytes: 4, RxErrors: 5, TxErrors: 6, RxDropped: 7, TxDropped: 8,
		Multicast: 9, Collisions: 10, RxLengthErrors: 11, RxOverErrors: 12, RxCRCErrors: 13, RxFrameErrors: 14, RxFIFOErrors: 15,
		RxMissedErrors: 16, TxAbortedErrors: 17, TxCarrierErrors: 18, TxFIFOErrors: 19, TxHeartbeatErrors: 20, TxWindowErrors: 21,
		RxCompressed: 22, TxCompressed: 23, RxNoHandler: 24, RxOtherHostDropped: 25}
	if !ok || st != want {
		t.Errorf("Stats() = %+v, %v; want %+v", st, ok, want)
	}
	if o := l.Clone(); o.Attrs == nil {
		t.Fatal("no Attrs in the clone")
	} else if cst, ok := o.Stats(); !ok || cst != want {
		t.Errorf("the clone's Stats() = %+v, %v", cst, ok)
	}
	if err := l.Decode(craft(nlmsg.IfInfoMsg{Index: 2}, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLAStats64, stats64(23)) })); err != nil {
		t.Fatal(err)
	}
	if st, ok := l.Stats(); !ok || st.TxCompressed != 23 || st.RxNoHandler != 0 || st.RxOtherHostDropped != 0 {
		t.Errorf("from 23 counters: %+v, %v", st, ok)
	}
	if err := l.Decode(craft(nlmsg.IfInfoMsg{Index: 2}, nil)); err != nil {
		t.Fatal(err)
	}
	if st, ok := l.Stats(); ok || st != (LinkStats{}) {
		t.Errorf("a message without counters: %+v, %v", st, ok)
	}
}

// Counters shorter than the oldest struct are a malformed IFLA_STATS64;
// the carrier counters are u32s.
func TestLinkDecodeNamesMalformedCounters(t *testing.T) {
	hdr := nlmsg.IfInfoMsg{Index: 3}
	for _, c := range []struct {
		payload []byte
		attr    string
	}{
		{craft(hdr, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFLAStats64, stats64(22)) }), "IFLA_STATS64"},
		{craft(hdr, func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFLACarrierChanges, 1) }), "IFLA_CARRIER_CHANGES"},
		{craft(hdr, func(b *nlmsg.Builder) { b.Uint64(nlmsg.IFLACarrierUpCount, 1) }), "IFLA_CARRIER_UP_COUNT"},
		{craft(hdr, func(b *nlmsg.Builder) { b.Uint8(nlmsg.IFLACarrierDownCount, 1) }), "IFLA_CARRIER_DOWN_COUNT"},
	} {
		var l Link
		wantAttrError(t, l.Decode(c.payload), "link", c.attr, 16)
	}
}
