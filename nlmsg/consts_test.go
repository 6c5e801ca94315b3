//go:build linux

package nlmsg

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// noUnix marks a constant that golang.org/x/sys/unix does not define; its
// value is then checked against the spec or the kernel header alone.
const noUnix = -1

type constCase struct {
	spec string // the name in the API text or the kernel header
	got  int64  // our constant
	want int64  // the value the API text (or, where it has none, the kernel) gives
	unix int64  // the value of the same name in x/sys/unix, or noUnix
}

func checkConsts(t *testing.T, cases []constCase) {
	t.Helper()
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %#x, spec says %#x", c.spec, c.got, c.want)
		}
		if c.unix != noUnix && c.got != c.unix {
			t.Errorf("%s = %#x, x/sys/unix says %#x", c.spec, c.got, c.unix)
		}
	}
}

func TestFamilyValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"NETLINK_ROUTE", int64(FamilyRoute), 0, unix.NETLINK_ROUTE},
		{"NETLINK_UNUSED", int64(FamilyUnused), 1, unix.NETLINK_UNUSED},
		{"NETLINK_USERSOCK", int64(FamilyUsersock), 2, unix.NETLINK_USERSOCK},
		{"NETLINK_FIREWALL", int64(FamilyFirewall), 3, unix.NETLINK_FIREWALL},
		{"NETLINK_SOCK_DIAG", int64(FamilySockDiag), 4, unix.NETLINK_SOCK_DIAG},
		{"NETLINK_NFLOG", int64(FamilyNflog), 5, unix.NETLINK_NFLOG},
		{"NETLINK_XFRM", int64(FamilyXfrm), 6, unix.NETLINK_XFRM},
		{"NETLINK_SELINUX", int64(FamilySELinux), 7, unix.NETLINK_SELINUX},
		{"NETLINK_ISCSI", int64(FamilyISCSI), 8, unix.NETLINK_ISCSI},
		{"NETLINK_AUDIT", int64(FamilyAudit), 9, unix.NETLINK_AUDIT},
		{"NETLINK_FIB_LOOKUP", int64(FamilyFibLookup), 10, unix.NETLINK_FIB_LOOKUP},
		{"NETLINK_CONNECTOR", int64(FamilyConnector), 11, unix.NETLINK_CONNECTOR},
		{"NETLINK_NETFILTER", int64(FamilyNetfilter), 12, unix.NETLINK_NETFILTER},
		{"NETLINK_IP6_FW", int64(FamilyIP6Fw), 13, unix.NETLINK_IP6_FW},
		{"NETLINK_DNRTMSG", int64(FamilyDNRtMsg), 14, unix.NETLINK_DNRTMSG},
		{"NETLINK_KOBJECT_UEVENT", int64(FamilyKobjectUevent), 15, unix.NETLINK_KOBJECT_UEVENT},
		{"NETLINK_GENERIC", int64(FamilyGeneric), 16, unix.NETLINK_GENERIC},
		{"NETLINK_SCSITRANSPORT", int64(FamilySCSITransport), 18, unix.NETLINK_SCSITRANSPORT},
		{"NETLINK_ECRYPTFS", int64(FamilyECryptFS), 19, unix.NETLINK_ECRYPTFS},
		{"NETLINK_RDMA", int64(FamilyRDMA), 20, unix.NETLINK_RDMA},
		{"NETLINK_RDMMA (spec spelling)", int64(FamilyRDMMA), 20, unix.NETLINK_RDMA},
		{"NETLINK_CRYPTO", int64(FamilyCrypto), 21, unix.NETLINK_CRYPTO},
		{"NETLINK_SMC", int64(FamilySMC), 22, unix.NETLINK_SMC},
		{"NETLINK_INET_DIAG", int64(FamilyInetDiag), int64(FamilySockDiag), unix.NETLINK_INET_DIAG},
	})
}

func TestFlagValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"NLM_F_REQUEST", int64(Request), 1, unix.NLM_F_REQUEST},
		{"NLM_F_MULTI", int64(Multi), 2, unix.NLM_F_MULTI},
		{"NLM_F_ACK", int64(Ack), 4, unix.NLM_F_ACK},
		{"NLM_F_ECHO", int64(Echo), 8, unix.NLM_F_ECHO},
		{"NLM_F_DUMP_INTR", int64(DumpIntr), 16, unix.NLM_F_DUMP_INTR},
		{"NLM_F_DUMP_FILTERED", int64(DumpFiltered), 32, unix.NLM_F_DUMP_FILTERED},
		{"NLM_F_ROOT", int64(Root), 0x100, unix.NLM_F_ROOT},
		{"NLM_F_MATCH", int64(Match), 0x200, unix.NLM_F_MATCH},
		{"NLM_F_ATOMIC", int64(Atomic), 0x400, unix.NLM_F_ATOMIC},
		{"NLM_F_DUMP", int64(Dump), 0x100 | 0x200, unix.NLM_F_DUMP},
		{"NLM_F_REPLACE", int64(Replace), 0x100, unix.NLM_F_REPLACE},
		{"NLM_F_EXCL", int64(Excl), 0x200, unix.NLM_F_EXCL},
		{"NLM_F_CREATE", int64(Create), 0x400, unix.NLM_F_CREATE},
		{"NLM_F_APPEND", int64(Append), 0x800, unix.NLM_F_APPEND},
		{"NLM_F_NONREC", int64(NonRec), 0x100, unix.NLM_F_NONREC},
		{"NLM_F_CAPPED", int64(Capped), 0x100, unix.NLM_F_CAPPED},
		{"NLM_F_ACK_TLVS", int64(AckTLVs), 0x200, unix.NLM_F_ACK_TLVS},
	})
}

func TestTypeValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"NLMSG_NOOP", int64(Noop), 1, unix.NLMSG_NOOP},
		{"NLMSG_ERROR", int64(Error), 2, unix.NLMSG_ERROR},
		{"NLMSG_DONE", int64(Done), 3, unix.NLMSG_DONE},
		{"NLMSG_OVERRUN", int64(Overrun), 4, unix.NLMSG_OVERRUN},
		{"NLMSG_MIN_TYPE", int64(MinType), 16, unix.NLMSG_MIN_TYPE},
	})
}

// TestWireConstants checks the sizes and attribute constants that the kernel
// headers define (the API text does not name them).
func TestWireConstants(t *testing.T) {
	checkConsts(t, []constCase{
		{"NLMSG_HDRLEN", HeaderLen, 16, unix.NLMSG_HDRLEN},
		{"sizeof(struct nlmsghdr)", HeaderLen, 16, unix.SizeofNlMsghdr},
		{"NLA_HDRLEN", AttrHeaderLen, 4, unix.NLA_HDRLEN},
		{"NLA_F_NESTED", int64(AttrNested), 0x8000, unix.NLA_F_NESTED},
		{"NLA_F_NET_BYTEORDER", int64(AttrNetByteOrder), 0x4000, unix.NLA_F_NET_BYTEORDER},
		{"NLA_TYPE_MASK", int64(AttrTypeMask), 0x3fff, int64(^uint16(unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER))},
		{"NLMSGERR_ATTR_MSG", int64(ExtAckMsg), 1, unix.NLMSGERR_ATTR_MSG},
		{"NLMSGERR_ATTR_OFFS", int64(ExtAckOffset), 2, unix.NLMSGERR_ATTR_OFFS},
		{"NLMSGERR_ATTR_COOKIE", int64(ExtAckCookie), 3, unix.NLMSGERR_ATTR_COOKIE},
		{"NLMSGERR_ATTR_POLICY", int64(ExtAckPolicy), 4, noUnix},
		{"NLMSGERR_ATTR_MISS_TYPE", int64(ExtAckMissType), 5, noUnix},
		{"NLMSGERR_ATTR_MISS_NEST", int64(ExtAckMissNest), 6, noUnix},
		{"sizeof(struct ifinfomsg)", IfInfoMsgLen, 16, unix.SizeofIfInfomsg},
		{"sizeof(struct ifaddrmsg)", IfAddrMsgLen, 8, unix.SizeofIfAddrmsg},
		{"sizeof(struct rtmsg)", RtMsgLen, 12, unix.SizeofRtMsg},
		{"sizeof(struct ndmsg)", NdMsgLen, 12, unix.SizeofNdMsg},
		{"sizeof(struct rtgenmsg)", RtGenMsgLen, 1, unix.SizeofRtGenmsg},
		{"GENL_HDRLEN", GenlMsgHdrLen, 4, unix.GENL_HDRLEN},
		{"sizeof(struct genlmsghdr)", GenlMsgHdrLen, 4, int64(unsafe.Sizeof(unix.Genlmsghdr{}))},
	})
}

func TestRtnetlinkValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTM_NEWLINK", int64(RTMNewLink), 16, unix.RTM_NEWLINK},
		{"RTM_DELLINK", int64(RTMDelLink), 17, unix.RTM_DELLINK},
		{"RTM_GETLINK", int64(RTMGetLink), 18, unix.RTM_GETLINK},
		{"RTM_SETLINK", int64(RTMSetLink), 19, unix.RTM_SETLINK},
		{"RTM_NEWADDR", int64(RTMNewAddr), 20, unix.RTM_NEWADDR},
		{"RTM_DELADDR", int64(RTMDelAddr), 21, unix.RTM_DELADDR},
		{"RTM_GETADDR", int64(RTMGetAddr), 22, unix.RTM_GETADDR},
		{"RTM_NEWROUTE", int64(RTMNewRoute), 24, unix.RTM_NEWROUTE},
		{"RTM_DELROUTE", int64(RTMDelRoute), 25, unix.RTM_DELROUTE},
		{"RTM_GETROUTE", int64(RTMGetRoute), 26, unix.RTM_GETROUTE},
		{"RTM_NEWNEIGH", int64(RTMNewNeigh), 28, unix.RTM_NEWNEIGH},
		{"RTM_DELNEIGH", int64(RTMDelNeigh), 29, unix.RTM_DELNEIGH},
		{"RTM_GETNEIGH", int64(RTMGetNeigh), 30, unix.RTM_GETNEIGH},
		{"IFLA_ADDRESS", int64(IFLAAddress), 1, unix.IFLA_ADDRESS},
		{"IFLA_IFNAME", int64(IFLAIfName), 3, unix.IFLA_IFNAME},
		{"IFLA_MTU", int64(IFLAMTU), 4, unix.IFLA_MTU},
		{"IFA_ADDRESS", int64(IFAAddress), 1, unix.IFA_ADDRESS},
		{"IFA_LOCAL", int64(IFALocal), 2, unix.IFA_LOCAL},
		{"IFA_LABEL", int64(IFALabel), 3, unix.IFA_LABEL},
		{"RTA_DST", int64(RTADst), 1, unix.RTA_DST},
		{"RTA_SRC", int64(RTASrc), 2, unix.RTA_SRC},
		{"RTA_IIF", int64(RTAIIF), 3, unix.RTA_IIF},
		{"RTA_OIF", int64(RTAOIF), 4, unix.RTA_OIF},
		{"RTA_GATEWAY", int64(RTAGateway), 5, unix.RTA_GATEWAY},
		{"RTA_PRIORITY", int64(RTAPriority), 6, unix.RTA_PRIORITY},
		{"RTA_PREFSRC", int64(RTAPrefSrc), 7, unix.RTA_PREFSRC},
		{"RTA_TABLE", int64(RTATable), 15, unix.RTA_TABLE},
		{"RT_TABLE_MAIN", int64(RTTableMain), 254, unix.RT_TABLE_MAIN},
		{"RT_TABLE_LOCAL", int64(RTTableLocal), 255, unix.RT_TABLE_LOCAL},
		{"RTPROT_KERNEL", int64(RTProtKernel), 2, unix.RTPROT_KERNEL},
		{"RTPROT_BOOT", int64(RTProtBoot), 3, unix.RTPROT_BOOT},
		{"RTPROT_STATIC", int64(RTProtStatic), 4, unix.RTPROT_STATIC},
		{"RT_SCOPE_UNIVERSE", int64(RTScopeUniverse), 0, unix.RT_SCOPE_UNIVERSE},
		{"RT_SCOPE_LINK", int64(RTScopeLink), 253, unix.RT_SCOPE_LINK},
		{"RT_SCOPE_HOST", int64(RTScopeHost), 254, unix.RT_SCOPE_HOST},
		{"RTN_UNICAST", int64(RTNUnicast), 1, unix.RTN_UNICAST},
		{"RTN_LOCAL", int64(RTNLocal), 2, unix.RTN_LOCAL},
		{"RTNLGRP_LINK", RTNLGrpLink, 1, unix.RTNLGRP_LINK},
		{"RTNLGRP_NEIGH", RTNLGrpNeigh, 3, unix.RTNLGRP_NEIGH},
		{"RTNLGRP_IPV4_IFADDR", RTNLGrpIPv4IfAddr, 5, unix.RTNLGRP_IPV4_IFADDR},
		{"RTNLGRP_IPV4_ROUTE", RTNLGrpIPv4Route, 7, unix.RTNLGRP_IPV4_ROUTE},
		{"RTNLGRP_IPV6_IFADDR", RTNLGrpIPv6IfAddr, 9, unix.RTNLGRP_IPV6_IFADDR},
		{"RTNLGRP_IPV6_ROUTE", RTNLGrpIPv6Route, 11, unix.RTNLGRP_IPV6_ROUTE},
	})
}

func TestGenlValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"GENL_ID_CTRL", int64(GenlIDCtrl), 0x10, unix.GENL_ID_CTRL},
		{"CTRL_CMD_GETFAMILY", int64(CtrlCmdGetFamily), 3, unix.CTRL_CMD_GETFAMILY},
		{"CTRL_ATTR_FAMILY_ID", int64(CtrlAttrFamilyID), 1, unix.CTRL_ATTR_FAMILY_ID},
		{"CTRL_ATTR_FAMILY_NAME", int64(CtrlAttrFamilyName), 2, unix.CTRL_ATTR_FAMILY_NAME},
		{"CTRL_ATTR_VERSION", int64(CtrlAttrVersion), 3, unix.CTRL_ATTR_VERSION},
		{"CTRL_ATTR_MCAST_GROUPS", int64(CtrlAttrMcastGroups), 7, unix.CTRL_ATTR_MCAST_GROUPS},
		{"CTRL_ATTR_MCAST_GRP_NAME", int64(CtrlAttrMcastGrpName), 1, unix.CTRL_ATTR_MCAST_GRP_NAME},
		{"CTRL_ATTR_MCAST_GRP_ID", int64(CtrlAttrMcastGrpID), 2, unix.CTRL_ATTR_MCAST_GRP_ID},
	})
}

func TestFamilyString(t *testing.T) {
	tests := []struct {
		f    Family
		want string
	}{
		{FamilyRoute, "ROUTE"},
		{FamilyUsersock, "USERSOCK"},
		{FamilySockDiag, "SOCK_DIAG"},
		{FamilyInetDiag, "SOCK_DIAG"}, // an alias prints as the kernel's primary name
		{FamilyKobjectUevent, "KOBJECT_UEVENT"},
		{FamilyGeneric, "GENERIC"},
		{FamilyRDMA, "RDMA"},
		{FamilyRDMMA, "RDMA"},
		{FamilySMC, "SMC"},
		{17, "Family(17)"}, // a hole in the kernel's numbering
		{23, "Family(23)"},
		{-1, "Family(-1)"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Family(%d).String() = %q, want %q", int(tt.f), got, tt.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, "0"},
		{Request, "REQUEST"},
		{Request | Ack | Dump, "REQUEST|ACK|DUMP"},
		{Request | Ack, "REQUEST|ACK"},
		{Multi | DumpIntr, "MULTI|DUMP_INTR"},
		{Echo | DumpFiltered, "ECHO|DUMP_FILTERED"},
		{Root, "ROOT"},
		{Match, "MATCH"},
		{Root | Atomic, "ROOT|ATOMIC"},
		{Dump | Atomic, "DUMP|ATOMIC"},
		{Append, "APPEND"},
		// Values that share a bit print with the GET names.
		{Request | Create | Excl, "REQUEST|MATCH|ATOMIC"},
		{0x40 | 0x1000, "0x1040"},
		{Request | 0x8000, "REQUEST|0x8000"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint16(tt.f), got, tt.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		want string
	}{
		{Noop, "NOOP"},
		{Error, "ERROR"},
		{Done, "DONE"},
		{Overrun, "OVERRUN"},
		{0, "0"},
		{MinType, "16"},
		{RTMNewRoute, "24"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint16(tt.t), got, tt.want)
		}
	}
}

func TestFlagsStringInNamesBitsAsTheirMessageHasThem(t *testing.T) {
	tests := []struct {
		f    Flags
		c    FlagContext
		want string
	}{
		{Replace, ContextNew, "REPLACE"},
		{Create | Excl, ContextNew, "EXCL|CREATE"},
		{Request | Ack | Create | Append, ContextNew, "REQUEST|ACK|CREATE|APPEND"},
		{Replace | Excl, ContextNew, "REPLACE|EXCL"}, // no DUMP outside a GET
		{Dump, ContextGet, "DUMP"},
		{Request | Dump | Atomic, ContextGet, "REQUEST|DUMP|ATOMIC"},
		{NonRec, ContextDel, "NONREC"},
		{Request | Bulk, ContextDel, "REQUEST|BULK"},
		{Create | Append, ContextDel, "0xc00"}, // no such flags on a delete
		{Capped | AckTLVs, ContextAck, "CAPPED|ACK_TLVS"},
		{Multi | 0x400, ContextAck, "MULTI|0x400"},
		{0, ContextNew, "0"},
		{Replace | 0x8000, ContextNew, "REPLACE|0x8000"},
		{Root, FlagContext(9), "ROOT"}, // an unknown context names as a GET
	}
	for _, tt := range tests {
		if got := tt.f.StringIn(tt.c); got != tt.want {
			t.Errorf("Flags(%#x).StringIn(%d) = %q, want %q", uint16(tt.f), tt.c, got, tt.want)
		}
	}
	for f := Flags(0); f < 0x1000; f++ {
		if f.String() != f.StringIn(ContextGet) {
			t.Fatalf("Flags(%#x): String %q, StringIn(ContextGet) %q", uint16(f), f.String(), f.StringIn(ContextGet))
		}
	}
}

func TestRTMFlagContextFollowsTheKernelsKinds(t *testing.T) {
	tests := []struct {
		t    Type
		want FlagContext
	}{
		{RTMNewLink, ContextNew},
		{RTMDelLink, ContextDel},
		{RTMGetLink, ContextGet},
		{RTMSetLink, ContextNew},
		{RTMNewRoute, ContextNew},
		{RTMDelRoute, ContextDel},
		{RTMGetRoute, ContextGet},
		{RTMNewNeigh, ContextNew},
		{RTMDelNeigh, ContextDel},
		{RTMNewAddr, ContextNew},
		{RTMDelRule, ContextDel},
		{Error, ContextAck},
		{Done, ContextAck},
		{Noop, ContextGet},
	}
	for _, tt := range tests {
		if got := RTMFlagContext(tt.t); got != tt.want {
			t.Errorf("RTMFlagContext(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}
