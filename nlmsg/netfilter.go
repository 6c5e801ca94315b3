package nlmsg

import "encoding/binary"

// nfnetlink (FamilyNetfilter) constants from <linux/netfilter/nfnetlink.h>
// and the ctnetlink (connection tracking) subsystem's from
// <linux/netfilter/nfnetlink_conntrack.h> and
// <linux/netfilter/nf_conntrack_common.h>. An nfnetlink message type is the
// subsystem id in the high byte and the subsystem's message in the low byte:
// see CTNetlinkType.
const (
	NFNetlinkV0 uint8 = 0 // NFNETLINK_V0: the only version of nfgenmsg

	NFNLSubsysCTNetlink    uint8 = 1 // NFNL_SUBSYS_CTNETLINK: connection tracking entries
	NFNLSubsysCTNetlinkExp uint8 = 2 // NFNL_SUBSYS_CTNETLINK_EXP: expectations
)

// CTNetlinkType returns the nlmsg_type of the ctnetlink message msg (one of
// the IPCTNLMsgCT* values): (NFNL_SUBSYS_CTNETLINK << 8) | msg.
func CTNetlinkType(msg uint8) Type { return Type(uint16(NFNLSubsysCTNetlink)<<8 | uint16(msg)) }

// ctnetlink messages (enum cntl_msg_types), the low byte of the message type.
const (
	IPCTNLMsgCTNew            uint8 = 0 // IPCTNL_MSG_CT_NEW: create or update an entry; also a dump reply or an event
	IPCTNLMsgCTGet            uint8 = 1 // IPCTNL_MSG_CT_GET: get one entry, or dump them
	IPCTNLMsgCTDelete         uint8 = 2 // IPCTNL_MSG_CT_DELETE: delete one entry, or flush; also a destroy event
	IPCTNLMsgCTGetCtrZero     uint8 = 3 // IPCTNL_MSG_CT_GET_CTRZERO: get and zero the counters
	IPCTNLMsgCTGetStatsCPU    uint8 = 4 // IPCTNL_MSG_CT_GET_STATS_CPU: per-CPU statistics (a dump)
	IPCTNLMsgCTGetStats       uint8 = 5 // IPCTNL_MSG_CT_GET_STATS: global statistics
	IPCTNLMsgCTGetDying       uint8 = 6 // IPCTNL_MSG_CT_GET_DYING: dump the dying list
	IPCTNLMsgCTGetUnconfirmed uint8 = 7 // IPCTNL_MSG_CT_GET_UNCONFIRMED: dump the unconfirmed list
)

// nfnetlink multicast groups (enum nfnetlink_groups), for AddMembership.
const (
	NFNLGrpConntrackNew        = 1 // NFNLGRP_CONNTRACK_NEW: entries created
	NFNLGrpConntrackUpdate     = 2 // NFNLGRP_CONNTRACK_UPDATE: entries changed
	NFNLGrpConntrackDestroy    = 3 // NFNLGRP_CONNTRACK_DESTROY: entries removed
	NFNLGrpConntrackExpNew     = 4 // NFNLGRP_CONNTRACK_EXP_NEW
	NFNLGrpConntrackExpUpdate  = 5 // NFNLGRP_CONNTRACK_EXP_UPDATE
	NFNLGrpConntrackExpDestroy = 6 // NFNLGRP_CONNTRACK_EXP_DESTROY
)

// Connection tracking attributes (enum ctattr_type), after an NfGenMsg.
// Integers are big-endian on the wire.
const (
	CTATupleOrig                  uint16 = 1  // CTA_TUPLE_ORIG: nested CTA_TUPLE_*, the original direction
	CTATupleReply                 uint16 = 2  // CTA_TUPLE_REPLY: nested CTA_TUPLE_*, the reply direction
	CTAStatus                     uint16 = 3  // CTA_STATUS: be32, IPS_* bits
	CTAProtoInfo                  uint16 = 4  // CTA_PROTOINFO: nested CTA_PROTOINFO_*
	CTAHelp                       uint16 = 5  // CTA_HELP: nested CTA_HELP_*
	CTANATSrc                     uint16 = 6  // CTA_NAT_SRC: nested CTA_NAT_*
	CTATimeout                    uint16 = 7  // CTA_TIMEOUT: be32, seconds left
	CTAMark                       uint16 = 8  // CTA_MARK: be32
	CTACountersOrig               uint16 = 9  // CTA_COUNTERS_ORIG: nested CTA_COUNTERS_*
	CTACountersReply              uint16 = 10 // CTA_COUNTERS_REPLY: nested CTA_COUNTERS_*
	CTAUse                        uint16 = 11 // CTA_USE: be32, reference count
	CTAID                         uint16 = 12 // CTA_ID: be32, the entry's id
	CTANATDst                     uint16 = 13 // CTA_NAT_DST: nested CTA_NAT_*
	CTATupleMaster                uint16 = 14 // CTA_TUPLE_MASTER: nested CTA_TUPLE_*, the master of an expected entry
	CTASeqAdjOrig                 uint16 = 15 // CTA_SEQ_ADJ_ORIG (CTA_NAT_SEQ_ADJ_ORIG): nested CTA_SEQADJ_*
	CTASeqAdjReply                uint16 = 16 // CTA_SEQ_ADJ_REPLY: nested CTA_SEQADJ_*
	CTASecMark                    uint16 = 17 // CTA_SECMARK: obsolete
	CTAZone                       uint16 = 18 // CTA_ZONE: be16
	CTASecCtx                     uint16 = 19 // CTA_SECCTX: nested CTA_SECCTX_NAME
	CTATimestamp                  uint16 = 20 // CTA_TIMESTAMP: nested CTA_TIMESTAMP_*
	CTAMarkMask                   uint16 = 21 // CTA_MARK_MASK: be32, with CTA_MARK in a dump filter or an update
	CTALabels                     uint16 = 22 // CTA_LABELS: up to 16 bytes, a bitmap of labels
	CTALabelsMask                 uint16 = 23 // CTA_LABELS_MASK: as CTA_LABELS
	CTASynProxy                   uint16 = 24 // CTA_SYNPROXY: nested
	CTAFilter                     uint16 = 25 // CTA_FILTER: nested CTA_FILTER_*, which tuple fields a dump matches
	CTAStatusMask                 uint16 = 26 // CTA_STATUS_MASK: be32, with CTA_STATUS in a dump filter
	CTATimestampEvent             uint16 = 27 // CTA_TIMESTAMP_EVENT: be64
	CTATupleIP                    uint16 = 1  // CTA_TUPLE_IP: nested CTA_IP_*, inside a tuple
	CTATupleProto                 uint16 = 2  // CTA_TUPLE_PROTO: nested CTA_PROTO_*, inside a tuple
	CTATupleZone                  uint16 = 3  // CTA_TUPLE_ZONE: be16, inside a tuple
	CTAIPv4Src                    uint16 = 1  // CTA_IP_V4_SRC: 4 bytes
	CTAIPv4Dst                    uint16 = 2  // CTA_IP_V4_DST: 4 bytes
	CTAIPv6Src                    uint16 = 3  // CTA_IP_V6_SRC: 16 bytes
	CTAIPv6Dst                    uint16 = 4  // CTA_IP_V6_DST: 16 bytes
	CTAProtoNum                   uint16 = 1  // CTA_PROTO_NUM: u8, the L4 protocol number
	CTAProtoSrcPort               uint16 = 2  // CTA_PROTO_SRC_PORT: be16
	CTAProtoDstPort               uint16 = 3  // CTA_PROTO_DST_PORT: be16
	CTAProtoICMPID                uint16 = 4  // CTA_PROTO_ICMP_ID: be16
	CTAProtoICMPType              uint16 = 5  // CTA_PROTO_ICMP_TYPE: u8
	CTAProtoICMPCode              uint16 = 6  // CTA_PROTO_ICMP_CODE: u8
	CTAProtoICMPv6ID              uint16 = 7  // CTA_PROTO_ICMPV6_ID: be16
	CTAProtoICMPv6Type            uint16 = 8  // CTA_PROTO_ICMPV6_TYPE: u8
	CTAProtoICMPv6Code            uint16 = 9  // CTA_PROTO_ICMPV6_CODE: u8
	CTAProtoInfoTCP               uint16 = 1  // CTA_PROTOINFO_TCP: nested CTA_PROTOINFO_TCP_*
	CTAProtoInfoDCCP              uint16 = 2  // CTA_PROTOINFO_DCCP
	CTAProtoInfoSCTP              uint16 = 3  // CTA_PROTOINFO_SCTP
	CTAProtoInfoTCPState          uint16 = 1  // CTA_PROTOINFO_TCP_STATE: u8, TCP_CONNTRACK_*
	CTAProtoInfoTCPWScaleOriginal uint16 = 2  // CTA_PROTOINFO_TCP_WSCALE_ORIGINAL: u8
	CTAProtoInfoTCPWScaleReply    uint16 = 3  // CTA_PROTOINFO_TCP_WSCALE_REPLY: u8
	CTAProtoInfoTCPFlagsOriginal  uint16 = 4  // CTA_PROTOINFO_TCP_FLAGS_ORIGINAL: struct nf_ct_tcp_flags {u8 flags, mask}
	CTAProtoInfoTCPFlagsReply     uint16 = 5  // CTA_PROTOINFO_TCP_FLAGS_REPLY
	CTAProtoInfoSCTPState         uint16 = 1  // CTA_PROTOINFO_SCTP_STATE: u8, SCTP_CONNTRACK_*
	CTAProtoInfoSCTPVTagOriginal  uint16 = 2  // CTA_PROTOINFO_SCTP_VTAG_ORIGINAL: be32
	CTAProtoInfoSCTPVTagReply     uint16 = 3  // CTA_PROTOINFO_SCTP_VTAG_REPLY: be32
	CTACountersPackets            uint16 = 1  // CTA_COUNTERS_PACKETS: be64
	CTACountersBytes              uint16 = 2  // CTA_COUNTERS_BYTES: be64
	CTACounters32Packets          uint16 = 3  // CTA_COUNTERS32_PACKETS: be32, old kernels
	CTACounters32Bytes            uint16 = 4  // CTA_COUNTERS32_BYTES: be32, old kernels
	CTATimestampStart             uint16 = 1  // CTA_TIMESTAMP_START: be64, nanoseconds since the epoch
	CTATimestampStop              uint16 = 2  // CTA_TIMESTAMP_STOP: be64
	CTASeqAdjCorrectionPos        uint16 = 1  // CTA_SEQADJ_CORRECTION_POS: be32
	CTASeqAdjOffsetBefore         uint16 = 2  // CTA_SEQADJ_OFFSET_BEFORE: be32
	CTASeqAdjOffsetAfter          uint16 = 3  // CTA_SEQADJ_OFFSET_AFTER: be32
	CTAHelpName                   uint16 = 1  // CTA_HELP_NAME: string
	CTAFilterOrigFlags            uint16 = 1  // CTA_FILTER_ORIG_FLAGS: u32, CTA_FILTER_FLAG_* for CTA_TUPLE_ORIG
	CTAFilterReplyFlags           uint16 = 2  // CTA_FILTER_REPLY_FLAGS: u32, for CTA_TUPLE_REPLY
)

// CTA_FILTER_FLAG_* bits: which fields of a filter tuple a dump compares.
const (
	CTAFilterFlagIPSrc           uint32 = 1 << 0  // CTA_FILTER_FLAG_CTA_IP_SRC
	CTAFilterFlagIPDst           uint32 = 1 << 1  // CTA_FILTER_FLAG_CTA_IP_DST
	CTAFilterFlagTupleZone       uint32 = 1 << 2  // CTA_FILTER_FLAG_CTA_TUPLE_ZONE
	CTAFilterFlagProtoNum        uint32 = 1 << 3  // CTA_FILTER_FLAG_CTA_PROTO_NUM
	CTAFilterFlagProtoSrcPort    uint32 = 1 << 4  // CTA_FILTER_FLAG_CTA_PROTO_SRC_PORT
	CTAFilterFlagProtoDstPort    uint32 = 1 << 5  // CTA_FILTER_FLAG_CTA_PROTO_DST_PORT
	CTAFilterFlagProtoICMPType   uint32 = 1 << 6  // CTA_FILTER_FLAG_CTA_PROTO_ICMP_TYPE
	CTAFilterFlagProtoICMPCode   uint32 = 1 << 7  // CTA_FILTER_FLAG_CTA_PROTO_ICMP_CODE
	CTAFilterFlagProtoICMPID     uint32 = 1 << 8  // CTA_FILTER_FLAG_CTA_PROTO_ICMP_ID
	CTAFilterFlagProtoICMPv6Type uint32 = 1 << 9  // CTA_FILTER_FLAG_CTA_PROTO_ICMPV6_TYPE
	CTAFilterFlagProtoICMPv6Code uint32 = 1 << 10 // CTA_FILTER_FLAG_CTA_PROTO_ICMPV6_CODE
	CTAFilterFlagProtoICMPv6ID   uint32 = 1 << 11 // CTA_FILTER_FLAG_CTA_PROTO_ICMPV6_ID
)

// Per-CPU statistics attributes (enum ctattr_stats_cpu), be32 each, in the
// replies to IPCTNL_MSG_CT_GET_STATS_CPU; and the global ones (enum
// ctattr_stats_global) in the reply to IPCTNL_MSG_CT_GET_STATS.
const (
	CTAStatsSearched      uint16 = 1  // CTA_STATS_SEARCHED: no longer counted (0)
	CTAStatsFound         uint16 = 2  // CTA_STATS_FOUND
	CTAStatsNew           uint16 = 3  // CTA_STATS_NEW: no longer counted
	CTAStatsInvalid       uint16 = 4  // CTA_STATS_INVALID
	CTAStatsIgnore        uint16 = 5  // CTA_STATS_IGNORE: no longer counted
	CTAStatsDelete        uint16 = 6  // CTA_STATS_DELETE: no longer counted
	CTAStatsDeleteList    uint16 = 7  // CTA_STATS_DELETE_LIST: no longer counted
	CTAStatsInsert        uint16 = 8  // CTA_STATS_INSERT
	CTAStatsInsertFailed  uint16 = 9  // CTA_STATS_INSERT_FAILED
	CTAStatsDrop          uint16 = 10 // CTA_STATS_DROP
	CTAStatsEarlyDrop     uint16 = 11 // CTA_STATS_EARLY_DROP
	CTAStatsError         uint16 = 12 // CTA_STATS_ERROR
	CTAStatsSearchRestart uint16 = 13 // CTA_STATS_SEARCH_RESTART
	CTAStatsClashResolve  uint16 = 14 // CTA_STATS_CLASH_RESOLVE
	CTAStatsChainTooLong  uint16 = 15 // CTA_STATS_CHAIN_TOOLONG

	CTAStatsGlobalEntries    uint16 = 1 // CTA_STATS_GLOBAL_ENTRIES: entries in the table
	CTAStatsGlobalMaxEntries uint16 = 2 // CTA_STATS_GLOBAL_MAX_ENTRIES: nf_conntrack_max
)

// Connection status bits (enum ip_conntrack_status), in CTA_STATUS.
const (
	IPSExpected     uint32 = 1 << 0  // IPS_EXPECTED: an expected connection
	IPSSeenReply    uint32 = 1 << 1  // IPS_SEEN_REPLY: packets seen both ways
	IPSAssured      uint32 = 1 << 2  // IPS_ASSURED: not to be early-dropped
	IPSConfirmed    uint32 = 1 << 3  // IPS_CONFIRMED: in the table
	IPSSrcNAT       uint32 = 1 << 4  // IPS_SRC_NAT
	IPSDstNAT       uint32 = 1 << 5  // IPS_DST_NAT
	IPSSeqAdjust    uint32 = 1 << 6  // IPS_SEQ_ADJUST: TCP sequence numbers adjusted
	IPSSrcNATDone   uint32 = 1 << 7  // IPS_SRC_NAT_DONE
	IPSDstNATDone   uint32 = 1 << 8  // IPS_DST_NAT_DONE
	IPSDying        uint32 = 1 << 9  // IPS_DYING
	IPSFixedTimeout uint32 = 1 << 10 // IPS_FIXED_TIMEOUT
	IPSTemplate     uint32 = 1 << 11 // IPS_TEMPLATE
	IPSUntracked    uint32 = 1 << 12 // IPS_UNTRACKED (now IPS_NAT_CLASH)
	IPSHelper       uint32 = 1 << 13 // IPS_HELPER: a helper was assigned explicitly
	IPSOffload      uint32 = 1 << 14 // IPS_OFFLOAD: in a flow table
	IPSHWOffload    uint32 = 1 << 15 // IPS_HW_OFFLOAD
)

// NfGenMsgLen is the wire size of struct nfgenmsg.
const NfGenMsgLen = 4

// NfGenMsg is struct nfgenmsg, the family header of every nfnetlink message.
type NfGenMsg struct {
	Family  uint8  // nfgen_family: AF_INET, AF_INET6, or AF_UNSPEC for both
	Version uint8  // NFNETLINK_V0
	ResID   uint16 // res_id, big-endian on the wire: the CPU of a per-CPU statistics reply, else 0
}

// AppendTo appends the 4-byte wire form of h to b and returns it.
func (h NfGenMsg) AppendTo(b []byte) []byte {
	return binary.BigEndian.AppendUint16(append(b, h.Family, h.Version), h.ResID)
}

// DecodeNfGenMsg decodes the nfgenmsg at the start of payload and returns
// the attributes after it, a subslice of payload. It fails with a
// *FormatError wrapping ErrBadSize when payload is shorter than NfGenMsgLen.
// It does not allocate unless it fails.
func DecodeNfGenMsg(payload []byte) (NfGenMsg, []byte, error) {
	if len(payload) < NfGenMsgLen {
		return NfGenMsg{}, nil, headerSizeErr("nfgenmsg", len(payload), NfGenMsgLen)
	}
	h := NfGenMsg{Family: payload[0], Version: payload[1], ResID: binary.BigEndian.Uint16(payload[2:4])}
	return h, payload[NfGenMsgLen:], nil
}
