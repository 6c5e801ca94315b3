package rtnl

import (
	"encoding/binary"

	"github.com/nlengine/nlengine/nlmsg"
)

// LinkStats is a link's counters (struct rtnl_link_stats64, IFLA_STATS64),
// as `ip -s -s link show` prints them. RxNoHandler and RxOtherHostDropped
// stay 0 on kernels that do not send them (before Linux 4.6 and 5.19).
type LinkStats struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64 // dropped for want of space in Linux
	Multicast            uint64 // multicast packets received
	Collisions           uint64

	// The receive errors in detail.
	RxLengthErrors, RxOverErrors, RxCRCErrors, RxFrameErrors, RxFIFOErrors, RxMissedErrors uint64
	// The transmit errors in detail.
	TxAbortedErrors, TxCarrierErrors, TxFIFOErrors, TxHeartbeatErrors, TxWindowErrors uint64

	RxCompressed, TxCompressed uint64
	RxNoHandler                uint64 // dropped: no protocol handler (ip's nohandler)
	RxOtherHostDropped         uint64 // dropped: addressed to another host (ip's otherhost)
}

// Stats returns the link's counters and true when its message carried
// them (IFLA_STATS64), as the kernel's dumps, gets and notifications all
// do, with the counters of their moment. It reads them from Attrs,
// allocating nothing; Decode has checked their length.
func (l *Link) Stats() (LinkStats, bool) {
	if l.statsAt < 0 || int(l.statsAt)+nlmsg.AttrHeaderLen > len(l.Attrs) {
		return LinkStats{}, false
	}
	s := nlmsg.NewAttrScanner(l.Attrs[l.statsAt:])
	if !s.Next() {
		return LinkStats{}, false
	}
	d := s.Attr().Data()
	var v [25]uint64
	for i := range v {
		if 8*i+8 <= len(d) {
			v[i] = binary.NativeEndian.Uint64(d[8*i:])
		}
	}
	// The order of struct rtnl_link_stats64.
	return LinkStats{
		RxPackets: v[0], TxPackets: v[1], RxBytes: v[2], TxBytes: v[3],
		RxErrors: v[4], TxErrors: v[5], RxDropped: v[6], TxDropped: v[7],
		Multicast: v[8], Collisions: v[9],
		RxLengthErrors: v[10], RxOverErrors: v[11], RxCRCErrors: v[12], RxFrameErrors: v[13], RxFIFOErrors: v[14], RxMissedErrors: v[15],
		TxAbortedErrors: v[16], TxCarrierErrors: v[17], TxFIFOErrors: v[18], TxHeartbeatErrors: v[19], TxWindowErrors: v[20],
		RxCompressed: v[21], TxCompressed: v[22], RxNoHandler: v[23], RxOtherHostDropped: v[24],
	}, true
}

// checkStats64 checks the length of an IFLA_STATS64 payload.
func checkStats64(a nlmsg.Attr) error {
	if d := a.Data(); len(d) < nlmsg.LinkStats64MinLen {
		return &nlmsg.FormatError{What: "attribute", Offset: a.Offset(), Len: len(d), Left: nlmsg.LinkStats64MinLen, Err: nlmsg.ErrBadSize}
	}
	return nil
}
