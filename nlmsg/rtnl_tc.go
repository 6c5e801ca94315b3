package nlmsg

import "encoding/binary"

// rtnetlink traffic control message types, for FamilyRoute.
const (
	RTMNewQdisc  Type = 36 // RTM_NEWQDISC: a queueing discipline, in a dump or a notification; or add one
	RTMDelQdisc  Type = 37 // RTM_DELQDISC
	RTMGetQdisc  Type = 38 // RTM_GETQDISC: get one by handle, or dump them with Dump
	RTMNewTClass Type = 40 // RTM_NEWTCLASS: a traffic class of a classful qdisc
	RTMDelTClass Type = 41 // RTM_DELTCLASS
	RTMGetTClass Type = 42 // RTM_GETTCLASS: dump the classes of one device
)

// Traffic control attributes (TCA_*), after a TcMsg.
const (
	TCAKind          uint16 = 1  // TCA_KIND: the qdisc's kind, a string ("htb", "tbf", ...)
	TCAOptions       uint16 = 2  // TCA_OPTIONS: the kind's options, a nest or a struct
	TCAStats         uint16 = 3  // TCA_STATS: struct tc_stats (the old statistics)
	TCAXStats        uint16 = 4  // TCA_XSTATS: the kind's own statistics
	TCARate          uint16 = 5  // TCA_RATE: struct tc_estimator
	TCAFCnt          uint16 = 6  // TCA_FCNT
	TCAStats2        uint16 = 7  // TCA_STATS2: nest of TCA_STATS_*
	TCAStab          uint16 = 8  // TCA_STAB: size table
	TCAPad           uint16 = 9  // TCA_PAD
	TCADumpInvisible uint16 = 10 // TCA_DUMP_INVISIBLE: flag, in a dump request: include invisible qdiscs
	TCAChain         uint16 = 11 // TCA_CHAIN: u32, filter chain index
	TCAHWOffload     uint16 = 12 // TCA_HW_OFFLOAD: u8, offloaded to hardware
	TCAIngressBlock  uint16 = 13 // TCA_INGRESS_BLOCK: u32, shared block index
	TCAEgressBlock   uint16 = 14 // TCA_EGRESS_BLOCK: u32, shared block index
	TCADumpFlags     uint16 = 15 // TCA_DUMP_FLAGS: bitfield32
	TCAExtWarnMsg    uint16 = 16 // TCA_EXT_WARN_MSG: string, a warning about the request
)

// Statistics attributes (TCA_STATS_*), inside TCA_STATS2.
const (
	TCAStatsBasic     uint16 = 1 // TCA_STATS_BASIC: struct gnet_stats_basic
	TCAStatsRateEst   uint16 = 2 // TCA_STATS_RATE_EST: struct gnet_stats_rate_est
	TCAStatsQueue     uint16 = 3 // TCA_STATS_QUEUE: struct gnet_stats_queue
	TCAStatsApp       uint16 = 4 // TCA_STATS_APP: the kind's own statistics
	TCAStatsRateEst64 uint16 = 5 // TCA_STATS_RATE_EST64: struct gnet_stats_rate_est64
	TCAStatsPad       uint16 = 6 // TCA_STATS_PAD
	TCAStatsBasicHW   uint16 = 7 // TCA_STATS_BASIC_HW: struct gnet_stats_basic, offloaded traffic
	TCAStatsPkt64     uint16 = 8 // TCA_STATS_PKT64: u64, the packet count when it passes 32 bits
)

// Special handles and parents (TC_H_*).
const (
	TCHUnspec     uint32 = 0          // TC_H_UNSPEC
	TCHRoot       uint32 = 0xffffffff // TC_H_ROOT: the parent of a device's root qdisc
	TCHIngress    uint32 = 0xfffffff1 // TC_H_INGRESS: the parent of an ingress or clsact qdisc
	TCHClsact     uint32 = TCHIngress // TC_H_CLSACT
	TCHMinIngress uint16 = 0xfff2     // TC_H_MIN_INGRESS
	TCHMinEgress  uint16 = 0xfff3     // TC_H_MIN_EGRESS
)

// RTNLGrpTC is RTNLGRP_TC, the multicast group of qdisc, class and filter
// changes.
const RTNLGrpTC = 4

// HTB attributes (TCA_HTB_*), inside TCA_OPTIONS of an htb qdisc or class.
const (
	TCAHTBParms      uint16 = 1 // TCA_HTB_PARMS: struct tc_htb_opt (a class)
	TCAHTBInit       uint16 = 2 // TCA_HTB_INIT: struct tc_htb_glob (the qdisc)
	TCAHTBCtab       uint16 = 3 // TCA_HTB_CTAB: the ceil rate table, 256 u32
	TCAHTBRtab       uint16 = 4 // TCA_HTB_RTAB: the rate table, 256 u32
	TCAHTBDirectQlen uint16 = 5 // TCA_HTB_DIRECT_QLEN: u32
	TCAHTBRate64     uint16 = 6 // TCA_HTB_RATE64: u64 bytes/s, for a rate of 2^32 or more
	TCAHTBCeil64     uint16 = 7 // TCA_HTB_CEIL64: u64 bytes/s
	TCAHTBPad        uint16 = 8 // TCA_HTB_PAD
	TCAHTBOffload    uint16 = 9 // TCA_HTB_OFFLOAD: flag
)

// TBF attributes (TCA_TBF_*), inside TCA_OPTIONS of a tbf qdisc.
const (
	TCATBFParms   uint16 = 1 // TCA_TBF_PARMS: struct tc_tbf_qopt
	TCATBFRtab    uint16 = 2 // TCA_TBF_RTAB: the rate table, 256 u32
	TCATBFPtab    uint16 = 3 // TCA_TBF_PTAB: the peak rate table, 256 u32
	TCATBFRate64  uint16 = 4 // TCA_TBF_RATE64: u64 bytes/s
	TCATBFPrate64 uint16 = 5 // TCA_TBF_PRATE64: u64 bytes/s
	TCATBFBurst   uint16 = 6 // TCA_TBF_BURST: u32 bytes
	TCATBFPburst  uint16 = 7 // TCA_TBF_PBURST: u32 bytes
	TCATBFPad     uint16 = 8 // TCA_TBF_PAD
)

// TCHTBProtoVer is TC_HTB_PROTOVER, the HTB version tc writes in
// tc_htb_glob.version (3; tc sends 3 and the kernel reports 3.17).
const TCHTBProtoVer = 3

// TCLinklayerEthernet is TC_LINKLAYER_ETHERNET, the link layer tc writes in
// a tc_ratespec (the kernel then needs no rate table to learn it).
const TCLinklayerEthernet = 1

// Wire sizes of the traffic control structures.
const (
	TcMsgLen          = 20   // struct tcmsg
	TcRateSpecLen     = 12   // struct tc_ratespec
	TcHTBOptLen       = 44   // struct tc_htb_opt
	TcHTBGlobLen      = 20   // struct tc_htb_glob
	TcTBFQoptLen      = 36   // struct tc_tbf_qopt
	TcFifoQoptLen     = 4    // struct tc_fifo_qopt
	TcRateTableLen    = 1024 // a rate table: 256 u32
	GnetStatsQueueLen = 20   // struct gnet_stats_queue
	// GnetStatsBasicLen is the size of struct gnet_stats_basic (a u64
	// and a u32) without its tail padding: 16 on 64-bit kernels, which
	// pad it, 12 on 32-bit x86.
	GnetStatsBasicLen = 12
)

// TcMsg is struct tcmsg, the family header of RTM_*QDISC, RTM_*TCLASS and
// RTM_*TFILTER messages.
type TcMsg struct {
	Family  uint8  // tcm_family: AF_UNSPEC
	IfIndex int32  // tcm_ifindex: the device
	Handle  uint32 // tcm_handle: the qdisc's or class's handle (major:minor)
	Parent  uint32 // tcm_parent: the parent's handle, or TC_H_ROOT, TC_H_INGRESS
	Info    uint32 // tcm_info: the qdisc's reference count in a reply; a filter's priority and protocol
}

// AppendTo appends the 20-byte wire form of h to b and returns it.
func (h TcMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, 0, 0, 0) // tcm__pad1, tcm__pad2
	b = binary.NativeEndian.AppendUint32(b, uint32(h.IfIndex))
	b = binary.NativeEndian.AppendUint32(b, h.Handle)
	b = binary.NativeEndian.AppendUint32(b, h.Parent)
	return binary.NativeEndian.AppendUint32(b, h.Info)
}

// Decode reads the tcmsg at the start of payload into h and returns the
// attributes after it, as IfInfoMsg.Decode does; on error h is unchanged.
func (h *TcMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < TcMsgLen {
		return nil, headerSizeErr("tcmsg", len(payload), TcMsgLen)
	}
	p := payload[:TcMsgLen]
	ne := binary.NativeEndian
	h.Family = p[0]
	h.IfIndex = int32(ne.Uint32(p[4:8]))
	h.Handle = ne.Uint32(p[8:12])
	h.Parent = ne.Uint32(p[12:16])
	h.Info = ne.Uint32(p[16:20])
	return afterHeader(payload, TcMsgLen), nil
}

// TcRateSpec is struct tc_ratespec, a rate as the schedulers take it.
type TcRateSpec struct {
	CellLog   uint8  // cell_log: log2 of the rate table's cell size
	Linklayer uint8  // linklayer: TC_LINKLAYER_*
	Overhead  uint16 // overhead: bytes added to each packet's size
	CellAlign int16  // cell_align
	MPU       uint16 // mpu: the minimum packet size
	Rate      uint32 // rate: bytes/s, 0xffffffff when a 64-bit attribute carries it
}

// AppendTo appends the 12-byte wire form of r to b.
func (r TcRateSpec) AppendTo(b []byte) []byte {
	ne := binary.NativeEndian
	b = append(b, r.CellLog, r.Linklayer)
	b = ne.AppendUint16(b, r.Overhead)
	b = ne.AppendUint16(b, uint16(r.CellAlign))
	b = ne.AppendUint16(b, r.MPU)
	return ne.AppendUint32(b, r.Rate)
}

// DecodeTcRateSpec reads the tc_ratespec at the start of b; ok is false
// when b is shorter than TcRateSpecLen.
func DecodeTcRateSpec(b []byte) (r TcRateSpec, ok bool) {
	if len(b) < TcRateSpecLen {
		return r, false
	}
	ne := binary.NativeEndian
	return TcRateSpec{CellLog: b[0], Linklayer: b[1], Overhead: ne.Uint16(b[2:4]),
		CellAlign: int16(ne.Uint16(b[4:6])), MPU: ne.Uint16(b[6:8]), Rate: ne.Uint32(b[8:12])}, true
}
