//go:build linux

package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestRouteAndRuleConstantsMatchTheKernel(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTM_NEWRULE", int64(RTMNewRule), 32, unix.RTM_NEWRULE},
		{"RTM_DELRULE", int64(RTMDelRule), 33, unix.RTM_DELRULE},
		{"RTM_GETRULE", int64(RTMGetRule), 34, unix.RTM_GETRULE},
		{"RTA_METRICS", int64(RTAMetrics), 8, unix.RTA_METRICS},
		{"RTA_MULTIPATH", int64(RTAMultipath), 9, unix.RTA_MULTIPATH},
		{"RTA_FLOW", int64(RTAFlow), 11, unix.RTA_FLOW},
		{"RTA_CACHEINFO", int64(RTACacheInfo), 12, unix.RTA_CACHEINFO},
		{"RTA_MARK", int64(RTAMark), 16, unix.RTA_MARK},
		{"RTA_MFC_STATS", int64(RTAMFCStats), 17, unix.RTA_MFC_STATS},
		{"RTA_VIA", int64(RTAVia), 18, unix.RTA_VIA},
		{"RTA_NEWDST", int64(RTANewDst), 19, unix.RTA_NEWDST},
		{"RTA_PREF", int64(RTAPref), 20, unix.RTA_PREF},
		{"RTA_ENCAP_TYPE", int64(RTAEncapType), 21, unix.RTA_ENCAP_TYPE},
		{"RTA_ENCAP", int64(RTAEncap), 22, unix.RTA_ENCAP},
		{"RTA_EXPIRES", int64(RTAExpires), 23, unix.RTA_EXPIRES},
		{"RTA_PAD", int64(RTAPad), 24, unix.RTA_PAD},
		{"RTA_UID", int64(RTAUID), 25, unix.RTA_UID},
		{"RTA_TTL_PROPAGATE", int64(RTATTLPropagate), 26, unix.RTA_TTL_PROPAGATE},
		{"RTA_IP_PROTO", int64(RTAIPProto), 27, unix.RTA_IP_PROTO},
		{"RTA_SPORT", int64(RTASport), 28, unix.RTA_SPORT},
		{"RTA_DPORT", int64(RTADport), 29, unix.RTA_DPORT},
		{"RTA_NH_ID", int64(RTANHID), 30, noUnix},
		{"RTA_FLOWLABEL", int64(RTAFlowLabel), 31, noUnix},
		{"RTN_UNSPEC", int64(RTNUnspec), 0, unix.RTN_UNSPEC},
		{"RTN_BROADCAST", int64(RTNBroadcast), 3, unix.RTN_BROADCAST},
		{"RTN_ANYCAST", int64(RTNAnycast), 4, unix.RTN_ANYCAST},
		{"RTN_MULTICAST", int64(RTNMulticast), 5, unix.RTN_MULTICAST},
		{"RTN_BLACKHOLE", int64(RTNBlackhole), 6, unix.RTN_BLACKHOLE},
		{"RTN_UNREACHABLE", int64(RTNUnreachable), 7, unix.RTN_UNREACHABLE},
		{"RTN_PROHIBIT", int64(RTNProhibit), 8, unix.RTN_PROHIBIT},
		{"RTN_THROW", int64(RTNThrow), 9, unix.RTN_THROW},
		{"RTN_NAT", int64(RTNNAT), 10, unix.RTN_NAT},
		{"RTN_XRESOLVE", int64(RTNXResolve), 11, unix.RTN_XRESOLVE},
		{"RTPROT_UNSPEC", int64(RTProtUnspec), 0, unix.RTPROT_UNSPEC},
		{"RTPROT_REDIRECT", int64(RTProtRedirect), 1, unix.RTPROT_REDIRECT},
		{"RTPROT_GATED", int64(RTProtGated), 8, unix.RTPROT_GATED},
		{"RTPROT_RA", int64(RTProtRA), 9, unix.RTPROT_RA},
		{"RTPROT_MRT", int64(RTProtMRT), 10, unix.RTPROT_MRT},
		{"RTPROT_ZEBRA", int64(RTProtZebra), 11, unix.RTPROT_ZEBRA},
		{"RTPROT_BIRD", int64(RTProtBird), 12, unix.RTPROT_BIRD},
		{"RTPROT_DNROUTED", int64(RTProtDNRouted), 13, unix.RTPROT_DNROUTED},
		{"RTPROT_XORP", int64(RTProtXORP), 14, unix.RTPROT_XORP},
		{"RTPROT_NTK", int64(RTProtNTK), 15, unix.RTPROT_NTK},
		{"RTPROT_DHCP", int64(RTProtDHCP), 16, unix.RTPROT_DHCP},
		{"RTPROT_MROUTED", int64(RTProtMRouted), 17, unix.RTPROT_MROUTED},
		{"RTPROT_KEEPALIVED", int64(RTProtKeepalived), 18, unix.RTPROT_KEEPALIVED},
		{"RTPROT_BABEL", int64(RTProtBabel), 42, unix.RTPROT_BABEL},
		{"RTPROT_OVN", int64(RTProtOVN), 84, unix.RTPROT_OVN},
		{"RTPROT_OPENR", int64(RTProtOpenR), 99, unix.RTPROT_OPENR},
		{"RTPROT_BGP", int64(RTProtBGP), 186, unix.RTPROT_BGP},
		{"RTPROT_ISIS", int64(RTProtISIS), 187, unix.RTPROT_ISIS},
		{"RTPROT_OSPF", int64(RTProtOSPF), 188, unix.RTPROT_OSPF},
		{"RTPROT_RIP", int64(RTProtRIP), 189, unix.RTPROT_RIP},
		{"RTPROT_EIGRP", int64(RTProtEIGRP), 192, unix.RTPROT_EIGRP},
		{"RT_TABLE_UNSPEC", int64(RTTableUnspec), 0, unix.RT_TABLE_UNSPEC},
		{"RT_TABLE_COMPAT", int64(RTTableCompat), 252, unix.RT_TABLE_COMPAT},
		{"RT_TABLE_DEFAULT", int64(RTTableDefault), 253, unix.RT_TABLE_DEFAULT},
		{"RTNH_F_DEAD", int64(RTNHFDead), 1, unix.RTNH_F_DEAD},
		{"RTNH_F_PERVASIVE", int64(RTNHFPervasive), 2, unix.RTNH_F_PERVASIVE},
		{"RTNH_F_ONLINK", int64(RTNHFOnlink), 4, unix.RTNH_F_ONLINK},
		{"RTNH_F_OFFLOAD", int64(RTNHFOffload), 8, unix.RTNH_F_OFFLOAD},
		{"RTNH_F_LINKDOWN", int64(RTNHFLinkDown), 16, unix.RTNH_F_LINKDOWN},
		{"RTNH_F_UNRESOLVED", int64(RTNHFUnresolved), 32, unix.RTNH_F_UNRESOLVED},
		{"RTNH_F_TRAP", int64(RTNHFTrap), 64, unix.RTNH_F_TRAP},
		{"RTM_F_NOTIFY", int64(RTMFNotify), 0x100, unix.RTM_F_NOTIFY},
		{"RTM_F_CLONED", int64(RTMFCloned), 0x200, unix.RTM_F_CLONED},
		{"RTM_F_EQUALIZE", int64(RTMFEqualize), 0x400, unix.RTM_F_EQUALIZE},
		{"RTM_F_PREFIX", int64(RTMFPrefix), 0x800, unix.RTM_F_PREFIX},
		{"RTM_F_LOOKUP_TABLE", int64(RTMFLookupTable), 0x1000, unix.RTM_F_LOOKUP_TABLE},
		{"RTM_F_FIB_MATCH", int64(RTMFFIBMatch), 0x2000, unix.RTM_F_FIB_MATCH},
		{"RTM_F_OFFLOAD", int64(RTMFOffload), 0x4000, unix.RTM_F_OFFLOAD},
		{"RTM_F_TRAP", int64(RTMFTrap), 0x8000, unix.RTM_F_TRAP},
		{"RTM_F_OFFLOAD_FAILED", int64(RTMFOffloadFailed), 0x20000000, unix.RTM_F_OFFLOAD_FAILED},
		{"RTAX_LOCK", int64(RTAXLock), 1, unix.RTAX_LOCK},
		{"RTAX_MTU", int64(RTAXMTU), 2, unix.RTAX_MTU},
		{"RTAX_WINDOW", int64(RTAXWindow), 3, unix.RTAX_WINDOW},
		{"RTAX_RTT", int64(RTAXRTT), 4, unix.RTAX_RTT},
		{"RTAX_RTTVAR", int64(RTAXRTTVar), 5, unix.RTAX_RTTVAR},
		{"RTAX_SSTHRESH", int64(RTAXSSThresh), 6, unix.RTAX_SSTHRESH},
		{"RTAX_CWND", int64(RTAXCWnd), 7, unix.RTAX_CWND},
		{"RTAX_ADVMSS", int64(RTAXAdvMSS), 8, unix.RTAX_ADVMSS},
		{"RTAX_REORDERING", int64(RTAXReordering), 9, unix.RTAX_REORDERING},
		{"RTAX_HOPLIMIT", int64(RTAXHopLimit), 10, unix.RTAX_HOPLIMIT},
		{"RTAX_INITCWND", int64(RTAXInitCWnd), 11, unix.RTAX_INITCWND},
		{"RTAX_FEATURES", int64(RTAXFeatures), 12, unix.RTAX_FEATURES},
		{"RTAX_RTO_MIN", int64(RTAXRTOMin), 13, unix.RTAX_RTO_MIN},
		{"RTAX_INITRWND", int64(RTAXInitRWnd), 14, unix.RTAX_INITRWND},
		{"RTAX_QUICKACK", int64(RTAXQuickAck), 15, unix.RTAX_QUICKACK},
		{"RTAX_CC_ALGO", int64(RTAXCCAlgo), 16, unix.RTAX_CC_ALGO},
		{"RTAX_FASTOPEN_NO_COOKIE", int64(RTAXFastOpenNoCookie), 17, unix.RTAX_FASTOPEN_NO_COOKIE},
		{"ICMPV6_ROUTER_PREF_MEDIUM", int64(ICMPv6RouterPrefMedium), 0, noUnix},
		{"ICMPV6_ROUTER_PREF_HIGH", int64(ICMPv6RouterPrefHigh), 1, noUnix},
		{"ICMPV6_ROUTER_PREF_INVALID", int64(ICMPv6RouterPrefInvalid), 2, noUnix},
		{"ICMPV6_ROUTER_PREF_LOW", int64(ICMPv6RouterPrefLow), 3, noUnix},
		{"FRA_DST", int64(FRADst), 1, unix.FRA_DST},
		{"FRA_SRC", int64(FRASrc), 2, unix.FRA_SRC},
		{"FRA_IIFNAME", int64(FRAIIFName), 3, unix.FRA_IIFNAME},
		{"FRA_GOTO", int64(FRAGoto), 4, unix.FRA_GOTO},
		{"FRA_PRIORITY", int64(FRAPriority), 6, unix.FRA_PRIORITY},
		{"FRA_FWMARK", int64(FRAFwMark), 10, unix.FRA_FWMARK},
		{"FRA_FLOW", int64(FRAFlow), 11, unix.FRA_FLOW},
		{"FRA_TUN_ID", int64(FRATunID), 12, unix.FRA_TUN_ID},
		{"FRA_SUPPRESS_IFGROUP", int64(FRASuppressIfGroup), 13, unix.FRA_SUPPRESS_IFGROUP},
		{"FRA_SUPPRESS_PREFIXLEN", int64(FRASuppressPrefixLen), 14, unix.FRA_SUPPRESS_PREFIXLEN},
		{"FRA_TABLE", int64(FRATable), 15, unix.FRA_TABLE},
		{"FRA_FWMASK", int64(FRAFwMask), 16, unix.FRA_FWMASK},
		{"FRA_OIFNAME", int64(FRAOIFName), 17, unix.FRA_OIFNAME},
		{"FRA_PAD", int64(FRAPad), 18, unix.FRA_PAD},
		{"FRA_L3MDEV", int64(FRAL3MDev), 19, unix.FRA_L3MDEV},
		{"FRA_UID_RANGE", int64(FRAUIDRange), 20, unix.FRA_UID_RANGE},
		{"FRA_PROTOCOL", int64(FRAProtocol), 21, unix.FRA_PROTOCOL},
		{"FRA_IP_PROTO", int64(FRAIPProto), 22, unix.FRA_IP_PROTO},
		{"FRA_SPORT_RANGE", int64(FRASportRange), 23, unix.FRA_SPORT_RANGE},
		{"FRA_DPORT_RANGE", int64(FRADportRange), 24, unix.FRA_DPORT_RANGE},
		{"FR_ACT_UNSPEC", int64(FRActUnspec), 0, unix.FR_ACT_UNSPEC},
		{"FR_ACT_TO_TBL", int64(FRActToTbl), 1, unix.FR_ACT_TO_TBL},
		{"FR_ACT_GOTO", int64(FRActGoto), 2, unix.FR_ACT_GOTO},
		{"FR_ACT_NOP", int64(FRActNop), 3, unix.FR_ACT_NOP},
		{"FR_ACT_BLACKHOLE", int64(FRActBlackhole), 6, unix.FR_ACT_BLACKHOLE},
		{"FR_ACT_UNREACHABLE", int64(FRActUnreachable), 7, unix.FR_ACT_UNREACHABLE},
		{"FR_ACT_PROHIBIT", int64(FRActProhibit), 8, unix.FR_ACT_PROHIBIT},
		{"FIB_RULE_PERMANENT", int64(FIBRulePermanent), 0x1, unix.FIB_RULE_PERMANENT},
		{"FIB_RULE_INVERT", int64(FIBRuleInvert), 0x2, unix.FIB_RULE_INVERT},
		{"FIB_RULE_UNRESOLVED", int64(FIBRuleUnresolved), 0x4, unix.FIB_RULE_UNRESOLVED},
		{"FIB_RULE_IIF_DETACHED", int64(FIBRuleIIFDetached), 0x8, unix.FIB_RULE_IIF_DETACHED},
		{"FIB_RULE_OIF_DETACHED", int64(FIBRuleOIFDetached), 0x10, unix.FIB_RULE_OIF_DETACHED},
		{"RTNLGRP_IPV4_RULE", int64(RTNLGrpIPv4Rule), 8, unix.RTNLGRP_IPV4_RULE},
		{"RTNLGRP_IPV6_RULE", int64(RTNLGrpIPv6Rule), 19, unix.RTNLGRP_IPV6_RULE},
	})
}

func TestFibRuleHdrRoundTrips(t *testing.T) {
	h := FibRuleHdr{Family: unix.AF_INET6, DstLen: 64, SrcLen: 48, TOS: 0x10, Table: 100, Action: FRActGoto, Flags: FIBRuleInvert}
	b := h.AppendTo(nil)
	if len(b) != FibRuleHdrLen || FibRuleHdrLen != unix.SizeofRtMsg {
		t.Fatalf("fib_rule_hdr encodes to %d bytes, want %d", len(b), FibRuleHdrLen)
	}
	got, rest, err := DecodeFibRuleHdr(append(b, 8, 0, 6, 0, 1, 0, 0, 0))
	if err != nil || got != h || len(rest) != 8 {
		t.Fatalf("DecodeFibRuleHdr = %+v, %d bytes left, %v; want %+v, 8", got, len(rest), err, h)
	}
	if _, _, err := DecodeFibRuleHdr(b[:11]); err == nil {
		t.Fatal("DecodeFibRuleHdr accepted 11 bytes")
	}
	if RtNexthopLen != unix.SizeofRtNexthop {
		t.Errorf("RtNexthopLen = %d, unix says %d", RtNexthopLen, unix.SizeofRtNexthop)
	}
}
