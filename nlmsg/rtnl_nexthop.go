package nlmsg

import "encoding/binary"

// rtnetlink nexthop object message types, for FamilyRoute.
const (
	RTMNewNexthop Type = 104 // RTM_NEWNEXTHOP: a nexthop object, in a dump or a notification; or add one
	RTMDelNexthop Type = 105 // RTM_DELNEXTHOP
	RTMGetNexthop Type = 106 // RTM_GETNEXTHOP: get one by NHA_ID, or dump them with Dump
)

// Nexthop object attributes (NHA_*), after an NhMsg.
const (
	NHAID            uint16 = 1  // NHA_ID: the object's id, u32 (0 in a request: the kernel picks one)
	NHAGroup         uint16 = 2  // NHA_GROUP: struct nexthop_grp entries back to back
	NHAGroupType     uint16 = 3  // NHA_GROUP_TYPE: u16, NEXTHOP_GRP_TYPE_*
	NHABlackhole     uint16 = 4  // NHA_BLACKHOLE: flag, the next hop drops packets
	NHAOIF           uint16 = 5  // NHA_OIF: output interface index, u32 (also a dump filter)
	NHAGateway       uint16 = 6  // NHA_GATEWAY: the gateway's 4 or 16 bytes
	NHAEncapType     uint16 = 7  // NHA_ENCAP_TYPE: lightweight tunnel type, u16 (LWTUNNEL_ENCAP_*)
	NHAEncap         uint16 = 8  // NHA_ENCAP: lightweight tunnel attributes, a nest
	NHAGroups        uint16 = 9  // NHA_GROUPS: flag, in a dump request: groups only
	NHAMaster        uint16 = 10 // NHA_MASTER: u32, in a dump request: next hops whose device has this master
	NHAFDB           uint16 = 11 // NHA_FDB: flag, the object serves bridge FDB entries
	NHAResGroup      uint16 = 12 // NHA_RES_GROUP: nest of NHA_RES_GROUP_* (a resilient group)
	NHAResBucket     uint16 = 13 // NHA_RES_BUCKET: nest of NHA_RES_BUCKET_* (RTM_*NEXTHOPBUCKET)
	NHAOpFlags       uint16 = 14 // NHA_OP_FLAGS: u32, NHA_OP_FLAG_*
	NHAGroupStats    uint16 = 15 // NHA_GROUP_STATS: nest of per-member statistics
	NHAHWStatsEnable uint16 = 16 // NHA_HW_STATS_ENABLE: u32, hardware statistics asked for
	NHAHWStatsUsed   uint16 = 17 // NHA_HW_STATS_USED: u32, a driver collects hardware statistics
)

// Resilient group attributes (NHA_RES_GROUP_*), inside NHA_RES_GROUP.
const (
	NHAResGroupBuckets uint16 = 1 // NHA_RES_GROUP_BUCKETS: u16, the number of buckets
	// NHA_RES_GROUP_IDLE_TIMER: u32 in clock ticks (USER_HZ), how long a
	// bucket stays unused before it may move to another member.
	NHAResGroupIdleTimer uint16 = 2
	// NHA_RES_GROUP_UNBALANCED_TIMER: u32 in clock ticks, how long the
	// group may stay unbalanced before buckets move even if busy (0: never).
	NHAResGroupUnbalancedTimer uint16 = 3
	// NHA_RES_GROUP_UNBALANCED_TIME: u64 in clock ticks, how long the group
	// has been unbalanced (reported only).
	NHAResGroupUnbalancedTime uint16 = 4
)

// Nexthop group types (NEXTHOP_GRP_TYPE_*), the values of NHA_GROUP_TYPE.
const (
	NexthopGrpTypeMpath uint16 = 0 // NEXTHOP_GRP_TYPE_MPATH: hash-threshold multipath (the default)
	NexthopGrpTypeRes   uint16 = 1 // NEXTHOP_GRP_TYPE_RES: resilient hashing over buckets
)

// Bits of NHA_OP_FLAGS.
const (
	NHAOpFlagDumpStats   uint32 = 1 << 0 // NHA_OP_FLAG_DUMP_STATS: in a request, include NHA_GROUP_STATS
	NHAOpFlagDumpHWStats uint32 = 1 << 1 // NHA_OP_FLAG_DUMP_HW_STATS: and the hardware counters
	// NHA_OP_FLAG_RESP_GRP_RESVD_0: in a reply, the kernel cleared the
	// reserved bytes of every nexthop_grp, so weight_high is meaningful
	// (older kernels left them undefined and had 8-bit weights).
	NHAOpFlagRespGrpResvd0 uint32 = 1 << 31
)

// RTNLGrpNexthop is RTNLGRP_NEXTHOP, the multicast group of nexthop object
// changes (RTM_NEWNEXTHOP, RTM_DELNEXTHOP, RTM_NEWNEXTHOPBUCKET).
const RTNLGrpNexthop = 32

// Wire sizes of the nexthop structures.
const (
	NhMsgLen      = 8 // struct nhmsg
	NexthopGrpLen = 8 // struct nexthop_grp, one member of NHA_GROUP
)

// NhMsg is struct nhmsg, the family header of RTM_*NEXTHOP messages. In a
// request Scope must be 0 (the kernel reports it only), and so must every
// field but Family in a dump, get or delete request.
type NhMsg struct {
	Family   uint8  // nh_family: AF_INET, AF_INET6, or AF_UNSPEC for a group
	Scope    uint8  // nh_scope: RT_SCOPE_* of the next hop, reported only
	Protocol uint8  // nh_protocol: who installed it (RTPROT_*)
	Flags    uint32 // nh_flags: RTNH_F_*
}

// AppendTo appends the 8-byte wire form of h to b and returns it.
func (h NhMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.Scope, h.Protocol, 0) // resvd
	return binary.NativeEndian.AppendUint32(b, h.Flags)
}

// Decode reads the nhmsg at the start of payload into h and returns the
// attributes after it, as IfInfoMsg.Decode does; on error h is unchanged.
func (h *NhMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < NhMsgLen {
		return nil, headerSizeErr("nhmsg", len(payload), NhMsgLen)
	}
	p := payload[:NhMsgLen]
	h.Family, h.Scope, h.Protocol = p[0], p[1], p[2]
	h.Flags = binary.NativeEndian.Uint32(p[4:8])
	return afterHeader(payload, NhMsgLen), nil
}

// NexthopGrp is struct nexthop_grp, one member of NHA_GROUP.
type NexthopGrp struct {
	ID uint32 // the member nexthop's id
	// Weight is the member's weight as the kernel means it: the wire
	// holds Weight-1, its low byte in weight and its high byte in
	// weight_high (Linux 6.12 and later; the kernel takes 1 to 65535).
	Weight uint32
}

// AppendTo appends the 8-byte wire form of g to b: a Weight of 0 is sent
// as 1, and one above 65536 keeps only its low 16 bits of Weight-1.
func (g NexthopGrp) AppendTo(b []byte) []byte {
	w := max(g.Weight, 1) - 1
	b = binary.NativeEndian.AppendUint32(b, g.ID)
	return append(b, uint8(w), uint8(w>>8), 0, 0) // resvd2
}

// DecodeNexthopGrp reads the nexthop_grp at the start of b; ok is false
// when b is shorter than NexthopGrpLen. wide says whether weight_high
// counts, as the reply's NHA_OP_FLAGS tell with NHAOpFlagRespGrpResvd0.
func DecodeNexthopGrp(b []byte, wide bool) (g NexthopGrp, ok bool) {
	if len(b) < NexthopGrpLen {
		return NexthopGrp{}, false
	}
	w := uint32(b[4])
	if wide {
		w |= uint32(b[5]) << 8
	}
	return NexthopGrp{ID: binary.NativeEndian.Uint32(b), Weight: w + 1}, true
}
