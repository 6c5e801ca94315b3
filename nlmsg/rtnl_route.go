package nlmsg

import "encoding/binary"

// rtnetlink rule message types, for FamilyRoute.
const (
	RTMNewRule Type = 32 // RTM_NEWRULE: a policy routing rule, in a dump or a notification; or add one
	RTMDelRule Type = 33 // RTM_DELRULE
	RTMGetRule Type = 34 // RTM_GETRULE: dump the rules with Dump
)

// More route attributes (RTA_*), after an RtMsg.
const (
	RTAMetrics      uint16 = 8  // RTA_METRICS: nest of RTAX_* u32 values
	RTAMultipath    uint16 = 9  // RTA_MULTIPATH: rtnexthop entries back to back
	RTAFlow         uint16 = 11 // RTA_FLOW: realms, u32
	RTACacheInfo    uint16 = 12 // RTA_CACHEINFO: struct rta_cacheinfo
	RTAMark         uint16 = 16 // RTA_MARK: fwmark, u32 (route lookups)
	RTAMFCStats     uint16 = 17 // RTA_MFC_STATS: multicast forwarding statistics
	RTAVia          uint16 = 18 // RTA_VIA: struct rtvia, a gateway of another family
	RTANewDst       uint16 = 19 // RTA_NEWDST: MPLS labels to swap in
	RTAPref         uint16 = 20 // RTA_PREF: IPv6 router preference, u8 (ICMPV6_ROUTER_PREF_*)
	RTAEncapType    uint16 = 21 // RTA_ENCAP_TYPE: lightweight tunnel type, u16 (LWTUNNEL_ENCAP_*)
	RTAEncap        uint16 = 22 // RTA_ENCAP: lightweight tunnel attributes, a nest
	RTAExpires      uint16 = 23 // RTA_EXPIRES: IPv6 route lifetime in seconds, u32 (requests)
	RTAPad          uint16 = 24 // RTA_PAD: alignment padding
	RTAUID          uint16 = 25 // RTA_UID: uid for a route lookup, u32
	RTATTLPropagate uint16 = 26 // RTA_TTL_PROPAGATE: MPLS TTL propagation, u8
	RTAIPProto      uint16 = 27 // RTA_IP_PROTO: IP protocol for a route lookup, u8
	RTASport        uint16 = 28 // RTA_SPORT: source port for a route lookup, u16 big-endian
	RTADport        uint16 = 29 // RTA_DPORT: destination port for a route lookup, u16 big-endian
	RTANHID         uint16 = 30 // RTA_NH_ID: id of a nexthop object, u32
	RTAFlowLabel    uint16 = 31 // RTA_FLOWLABEL: IPv6 flow label for a route lookup, u32 big-endian
)

// Route types (rtm_type, RTN_*) besides RTNUnicast and RTNLocal.
const (
	RTNUnspec      uint8 = 0  // RTN_UNSPEC
	RTNBroadcast   uint8 = 3  // RTN_BROADCAST: accept locally as broadcast, send as broadcast
	RTNAnycast     uint8 = 4  // RTN_ANYCAST: accept locally as broadcast, send as unicast
	RTNMulticast   uint8 = 5  // RTN_MULTICAST: a multicast route
	RTNBlackhole   uint8 = 6  // RTN_BLACKHOLE: drop
	RTNUnreachable uint8 = 7  // RTN_UNREACHABLE: destination is unreachable
	RTNProhibit    uint8 = 8  // RTN_PROHIBIT: administratively prohibited
	RTNThrow       uint8 = 9  // RTN_THROW: not in this table, go on with the next rule
	RTNNAT         uint8 = 10 // RTN_NAT: translate this address
	RTNXResolve    uint8 = 11 // RTN_XRESOLVE: use an external resolver
)

// Route origins (rtm_protocol, RTPROT_*) besides RTProtKernel, RTProtBoot
// and RTProtStatic.
const (
	RTProtUnspec     uint8 = 0   // RTPROT_UNSPEC
	RTProtRedirect   uint8 = 1   // RTPROT_REDIRECT: an ICMP redirect (unused now)
	RTProtGated      uint8 = 8   // RTPROT_GATED
	RTProtRA         uint8 = 9   // RTPROT_RA: router advertisement
	RTProtMRT        uint8 = 10  // RTPROT_MRT
	RTProtZebra      uint8 = 11  // RTPROT_ZEBRA
	RTProtBird       uint8 = 12  // RTPROT_BIRD
	RTProtDNRouted   uint8 = 13  // RTPROT_DNROUTED
	RTProtXORP       uint8 = 14  // RTPROT_XORP
	RTProtNTK        uint8 = 15  // RTPROT_NTK
	RTProtDHCP       uint8 = 16  // RTPROT_DHCP
	RTProtMRouted    uint8 = 17  // RTPROT_MROUTED
	RTProtKeepalived uint8 = 18  // RTPROT_KEEPALIVED
	RTProtBabel      uint8 = 42  // RTPROT_BABEL
	RTProtOVN        uint8 = 84  // RTPROT_OVN
	RTProtOpenR      uint8 = 99  // RTPROT_OPENR
	RTProtBGP        uint8 = 186 // RTPROT_BGP
	RTProtISIS       uint8 = 187 // RTPROT_ISIS
	RTProtOSPF       uint8 = 188 // RTPROT_OSPF
	RTProtRIP        uint8 = 189 // RTPROT_RIP
	RTProtEIGRP      uint8 = 192 // RTPROT_EIGRP
)

// Reserved routing table ids (RT_TABLE_*) besides RTTableMain and RTTableLocal.
const (
	RTTableUnspec  uint8 = 0   // RT_TABLE_UNSPEC: all tables, in a dump filter
	RTTableCompat  uint8 = 252 // RT_TABLE_COMPAT: rtm_table of a route whose table id is above 255
	RTTableDefault uint8 = 253 // RT_TABLE_DEFAULT
)

// Next hop flags (RTNH_F_*), in rtnh_flags and the low byte of rtm_flags.
const (
	RTNHFDead       uint8 = 1  // RTNH_F_DEAD: the next hop is dead (its link is down)
	RTNHFPervasive  uint8 = 2  // RTNH_F_PERVASIVE: do recursive gateway lookup
	RTNHFOnlink     uint8 = 4  // RTNH_F_ONLINK: the gateway is on the link, whatever its prefix
	RTNHFOffload    uint8 = 8  // RTNH_F_OFFLOAD: offloaded to hardware
	RTNHFLinkDown   uint8 = 16 // RTNH_F_LINKDOWN: the carrier is down
	RTNHFUnresolved uint8 = 32 // RTNH_F_UNRESOLVED: the gateway is not resolved (multicast)
	RTNHFTrap       uint8 = 64 // RTNH_F_TRAP: trapped by hardware
)

// Route message flags (RTM_F_*), in rtm_flags.
const (
	RTMFNotify        uint32 = 0x100      // RTM_F_NOTIFY: notify the user of route changes
	RTMFCloned        uint32 = 0x200      // RTM_F_CLONED: a cached route (exception); in a dump request, dump those instead
	RTMFEqualize      uint32 = 0x400      // RTM_F_EQUALIZE
	RTMFPrefix        uint32 = 0x800      // RTM_F_PREFIX: a prefix address route
	RTMFLookupTable   uint32 = 0x1000     // RTM_F_LOOKUP_TABLE: in a get request, report the table of the match
	RTMFFIBMatch      uint32 = 0x2000     // RTM_F_FIB_MATCH: in a get request, report the matching route
	RTMFOffload       uint32 = 0x4000     // RTM_F_OFFLOAD: the route is offloaded
	RTMFTrap          uint32 = 0x8000     // RTM_F_TRAP: the route is trapping packets
	RTMFOffloadFailed uint32 = 0x20000000 // RTM_F_OFFLOAD_FAILED: offloading it failed
)

// Route metrics (RTAX_*), the attributes inside RTA_METRICS; each is a u32
// but RTAXCCAlgo, a string.
const (
	RTAXLock             uint16 = 1  // RTAX_LOCK: bit 1<<RTAX_x locks metric x
	RTAXMTU              uint16 = 2  // RTAX_MTU
	RTAXWindow           uint16 = 3  // RTAX_WINDOW
	RTAXRTT              uint16 = 4  // RTAX_RTT: in 1/8 ms
	RTAXRTTVar           uint16 = 5  // RTAX_RTTVAR: in 1/4 ms
	RTAXSSThresh         uint16 = 6  // RTAX_SSTHRESH
	RTAXCWnd             uint16 = 7  // RTAX_CWND
	RTAXAdvMSS           uint16 = 8  // RTAX_ADVMSS
	RTAXReordering       uint16 = 9  // RTAX_REORDERING
	RTAXHopLimit         uint16 = 10 // RTAX_HOPLIMIT
	RTAXInitCWnd         uint16 = 11 // RTAX_INITCWND
	RTAXFeatures         uint16 = 12 // RTAX_FEATURES: RTAX_FEATURE_* bits
	RTAXRTOMin           uint16 = 13 // RTAX_RTO_MIN: in ms
	RTAXInitRWnd         uint16 = 14 // RTAX_INITRWND
	RTAXQuickAck         uint16 = 15 // RTAX_QUICKACK
	RTAXCCAlgo           uint16 = 16 // RTAX_CC_ALGO: congestion control algorithm name, a string
	RTAXFastOpenNoCookie uint16 = 17 // RTAX_FASTOPEN_NO_COOKIE
)

// IPv6 router preferences (ICMPV6_ROUTER_PREF_*), the values of RTA_PREF.
const (
	ICMPv6RouterPrefMedium  uint8 = 0 // ICMPV6_ROUTER_PREF_MEDIUM
	ICMPv6RouterPrefHigh    uint8 = 1 // ICMPV6_ROUTER_PREF_HIGH
	ICMPv6RouterPrefInvalid uint8 = 2 // ICMPV6_ROUTER_PREF_INVALID
	ICMPv6RouterPrefLow     uint8 = 3 // ICMPV6_ROUTER_PREF_LOW
)

// Rule attributes (FRA_*), after a FibRuleHdr.
const (
	FRADst               uint16 = 1  // FRA_DST: destination prefix
	FRASrc               uint16 = 2  // FRA_SRC: source prefix
	FRAIIFName           uint16 = 3  // FRA_IIFNAME: input interface name, a string
	FRAGoto              uint16 = 4  // FRA_GOTO: priority of the rule to go to, u32
	FRAPriority          uint16 = 6  // FRA_PRIORITY: u32
	FRAFwMark            uint16 = 10 // FRA_FWMARK: u32
	FRAFlow              uint16 = 11 // FRA_FLOW: realms, u32
	FRATunID             uint16 = 12 // FRA_TUN_ID: u64 big-endian
	FRASuppressIfGroup   uint16 = 13 // FRA_SUPPRESS_IFGROUP: u32
	FRASuppressPrefixLen uint16 = 14 // FRA_SUPPRESS_PREFIXLEN: u32
	FRATable             uint16 = 15 // FRA_TABLE: table id, u32 (the header holds only 8 bits)
	FRAFwMask            uint16 = 16 // FRA_FWMASK: u32
	FRAOIFName           uint16 = 17 // FRA_OIFNAME: output interface name, a string
	FRAPad               uint16 = 18 // FRA_PAD
	FRAL3MDev            uint16 = 19 // FRA_L3MDEV: u8, look up the table of the l3mdev (VRF)
	FRAUIDRange          uint16 = 20 // FRA_UID_RANGE: struct fib_rule_uid_range
	FRAProtocol          uint16 = 21 // FRA_PROTOCOL: who installed the rule, u8 (RTPROT_*)
	FRAIPProto           uint16 = 22 // FRA_IP_PROTO: u8
	FRASportRange        uint16 = 23 // FRA_SPORT_RANGE: struct fib_rule_port_range
	FRADportRange        uint16 = 24 // FRA_DPORT_RANGE: struct fib_rule_port_range
)

// Rule actions (FR_ACT_*), in FibRuleHdr.Action.
const (
	FRActUnspec      uint8 = 0 // FR_ACT_UNSPEC
	FRActToTbl       uint8 = 1 // FR_ACT_TO_TBL: look up the table
	FRActGoto        uint8 = 2 // FR_ACT_GOTO: jump to another rule
	FRActNop         uint8 = 3 // FR_ACT_NOP: no operation
	FRActBlackhole   uint8 = 6 // FR_ACT_BLACKHOLE: drop silently
	FRActUnreachable uint8 = 7 // FR_ACT_UNREACHABLE: drop with ENETUNREACH
	FRActProhibit    uint8 = 8 // FR_ACT_PROHIBIT: drop with EACCES
)

// Rule flags (FIB_RULE_*), in FibRuleHdr.Flags.
const (
	FIBRulePermanent   uint32 = 0x1  // FIB_RULE_PERMANENT
	FIBRuleInvert      uint32 = 0x2  // FIB_RULE_INVERT: the selector is negated ("not")
	FIBRuleUnresolved  uint32 = 0x4  // FIB_RULE_UNRESOLVED: the goto target does not exist
	FIBRuleIIFDetached uint32 = 0x8  // FIB_RULE_IIF_DETACHED: the input interface is gone
	FIBRuleOIFDetached uint32 = 0x10 // FIB_RULE_OIF_DETACHED: the output interface is gone
)

// rtnetlink multicast groups for rules.
const (
	RTNLGrpIPv4Rule = 8  // RTNLGRP_IPV4_RULE: IPv4 rule changes
	RTNLGrpIPv6Rule = 19 // RTNLGRP_IPV6_RULE: IPv6 rule changes
)

// Wire sizes of route and rule structures.
const (
	FibRuleHdrLen   = 12 // struct fib_rule_hdr
	RtNexthopLen    = 8  // struct rtnexthop, before its attributes
	RtaCacheInfoLen = 32 // struct rta_cacheinfo
)

// FibRuleHdr is struct fib_rule_hdr, the family header of RTM_*RULE messages.
type FibRuleHdr struct {
	Family uint8  // AF_INET or AF_INET6
	DstLen uint8  // destination prefix length
	SrcLen uint8  // source prefix length
	TOS    uint8  // type of service to match
	Table  uint8  // table id; ids above 255 are in FRA_TABLE
	Action uint8  // FR_ACT_*
	Flags  uint32 // FIB_RULE_*
}

// AppendTo appends the 12-byte wire form of h to b and returns it.
func (h FibRuleHdr) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.DstLen, h.SrcLen, h.TOS, h.Table, 0, 0, h.Action) // res1, res2
	return binary.NativeEndian.AppendUint32(b, h.Flags)
}

// DecodeFibRuleHdr decodes the fib_rule_hdr at the start of payload and
// returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeFibRuleHdr(payload []byte) (FibRuleHdr, []byte, error) {
	if len(payload) < FibRuleHdrLen {
		return FibRuleHdr{}, nil, headerSizeErr("fib_rule_hdr", len(payload), FibRuleHdrLen)
	}
	p := payload[:FibRuleHdrLen]
	h := FibRuleHdr{
		Family: p[0],
		DstLen: p[1],
		SrcLen: p[2],
		TOS:    p[3],
		Table:  p[4],
		Action: p[7],
		Flags:  binary.NativeEndian.Uint32(p[8:12]),
	}
	return h, afterHeader(payload, FibRuleHdrLen), nil
}
