package nlmsg

import "strconv"

// TypeName returns the kernel's name for message type t in family f, e.g.
// "RTM_NEWROUTE" for 24 on FamilyRoute, "IPCTNL_MSG_CT_NEW" for 0x100 on
// FamilyNetfilter, "SOCK_DIAG_BY_FAMILY" for 20 on FamilySockDiag and
// "GENL_ID_CTRL" for 0x10 on FamilyGeneric. The control types (below
// MinType) have their NLMSG_ names in every family. A type TypeName does not
// know, such as a generic family's id (assigned at run time), is returned as
// its decimal number. It does not allocate for a known name.
func TypeName(f Family, t Type) string {
	switch {
	case t < MinType:
		switch t {
		case Noop:
			return "NLMSG_NOOP"
		case Error:
			return "NLMSG_ERROR"
		case Done:
			return "NLMSG_DONE"
		case Overrun:
			return "NLMSG_OVERRUN"
		}
	case f == FamilyRoute:
		if i := int(t - MinType); i < len(rtmNames) && rtmNames[i] != "" {
			return rtmNames[i]
		}
	case f == FamilyGeneric:
		if t == GenlIDCtrl {
			return "GENL_ID_CTRL"
		}
	case f == FamilySockDiag:
		switch t {
		case 18:
			return "TCPDIAG_GETSOCK"
		case 19:
			return "DCCPDIAG_GETSOCK"
		case 20:
			return "SOCK_DIAG_BY_FAMILY"
		case 21:
			return "SOCK_DESTROY"
		}
	case f == FamilyNetfilter:
		return netfilterTypeName(t)
	}
	return strconv.Itoa(int(t))
}

// rtmNames holds rtnetlink's names, indexed by type - MinType.
var rtmNames = [...]string{
	16 - 16: "RTM_NEWLINK", 17 - 16: "RTM_DELLINK", 18 - 16: "RTM_GETLINK", 19 - 16: "RTM_SETLINK",
	20 - 16: "RTM_NEWADDR", 21 - 16: "RTM_DELADDR", 22 - 16: "RTM_GETADDR",
	24 - 16: "RTM_NEWROUTE", 25 - 16: "RTM_DELROUTE", 26 - 16: "RTM_GETROUTE",
	28 - 16: "RTM_NEWNEIGH", 29 - 16: "RTM_DELNEIGH", 30 - 16: "RTM_GETNEIGH",
	32 - 16: "RTM_NEWRULE", 33 - 16: "RTM_DELRULE", 34 - 16: "RTM_GETRULE",
	36 - 16: "RTM_NEWQDISC", 37 - 16: "RTM_DELQDISC", 38 - 16: "RTM_GETQDISC",
	40 - 16: "RTM_NEWTCLASS", 41 - 16: "RTM_DELTCLASS", 42 - 16: "RTM_GETTCLASS",
	44 - 16: "RTM_NEWTFILTER", 45 - 16: "RTM_DELTFILTER", 46 - 16: "RTM_GETTFILTER",
	48 - 16: "RTM_NEWACTION", 49 - 16: "RTM_DELACTION", 50 - 16: "RTM_GETACTION",
	52 - 16: "RTM_NEWPREFIX",
	56 - 16: "RTM_NEWMULTICAST", 57 - 16: "RTM_DELMULTICAST", 58 - 16: "RTM_GETMULTICAST",
	60 - 16: "RTM_NEWANYCAST", 61 - 16: "RTM_DELANYCAST", 62 - 16: "RTM_GETANYCAST",
	64 - 16: "RTM_NEWNEIGHTBL", 66 - 16: "RTM_GETNEIGHTBL", 67 - 16: "RTM_SETNEIGHTBL",
	68 - 16: "RTM_NEWNDUSEROPT",
	72 - 16: "RTM_NEWADDRLABEL", 73 - 16: "RTM_DELADDRLABEL", 74 - 16: "RTM_GETADDRLABEL",
	78 - 16: "RTM_GETDCB", 79 - 16: "RTM_SETDCB",
	80 - 16: "RTM_NEWNETCONF", 81 - 16: "RTM_DELNETCONF", 82 - 16: "RTM_GETNETCONF",
	84 - 16: "RTM_NEWMDB", 85 - 16: "RTM_DELMDB", 86 - 16: "RTM_GETMDB",
	88 - 16: "RTM_NEWNSID", 89 - 16: "RTM_DELNSID", 90 - 16: "RTM_GETNSID",
	92 - 16: "RTM_NEWSTATS", 94 - 16: "RTM_GETSTATS", 95 - 16: "RTM_SETSTATS",
	96 - 16:  "RTM_NEWCACHEREPORT",
	100 - 16: "RTM_NEWCHAIN", 101 - 16: "RTM_DELCHAIN", 102 - 16: "RTM_GETCHAIN",
	104 - 16: "RTM_NEWNEXTHOP", 105 - 16: "RTM_DELNEXTHOP", 106 - 16: "RTM_GETNEXTHOP",
	108 - 16: "RTM_NEWLINKPROP", 109 - 16: "RTM_DELLINKPROP", 110 - 16: "RTM_GETLINKPROP",
	112 - 16: "RTM_NEWVLAN", 113 - 16: "RTM_DELVLAN", 114 - 16: "RTM_GETVLAN",
	116 - 16: "RTM_NEWNEXTHOPBUCKET", 117 - 16: "RTM_DELNEXTHOPBUCKET", 118 - 16: "RTM_GETNEXTHOPBUCKET",
	120 - 16: "RTM_NEWTUNNEL", 121 - 16: "RTM_DELTUNNEL", 122 - 16: "RTM_GETTUNNEL",
}

// nfnlSubsysNames holds nfnetlink's subsystem names (the type's high byte).
var nfnlSubsysNames = [...]string{
	"NFNL_SUBSYS_NONE", "NFNL_SUBSYS_CTNETLINK", "NFNL_SUBSYS_CTNETLINK_EXP",
	"NFNL_SUBSYS_QUEUE", "NFNL_SUBSYS_ULOG", "NFNL_SUBSYS_OSF", "NFNL_SUBSYS_IPSET",
	"NFNL_SUBSYS_ACCT", "NFNL_SUBSYS_CTNETLINK_TIMEOUT", "NFNL_SUBSYS_CTHELPER",
	"NFNL_SUBSYS_NFTABLES", "NFNL_SUBSYS_NFT_COMPAT", "NFNL_SUBSYS_HOOK",
}

// ctMsgNames and expMsgNames hold the message names of the conntrack and
// expectation subsystems (the type's low byte).
var ctMsgNames = [...]string{
	"IPCTNL_MSG_CT_NEW", "IPCTNL_MSG_CT_GET", "IPCTNL_MSG_CT_DELETE",
	"IPCTNL_MSG_CT_GET_CTRZERO", "IPCTNL_MSG_CT_GET_STATS_CPU", "IPCTNL_MSG_CT_GET_STATS",
	"IPCTNL_MSG_CT_GET_DYING", "IPCTNL_MSG_CT_GET_UNCONFIRMED",
}

var expMsgNames = [...]string{
	"IPCTNL_MSG_EXP_NEW", "IPCTNL_MSG_EXP_GET", "IPCTNL_MSG_EXP_DELETE", "IPCTNL_MSG_EXP_GET_STATS_CPU",
}

// netfilterTypeName names an nfnetlink type: subsystem in the high byte,
// the subsystem's message in the low byte. Batch delimiters have their own
// names; other subsystems read "NFNL_SUBSYS_QUEUE/2".
func netfilterTypeName(t Type) string {
	switch t {
	case 0x10:
		return "NFNL_MSG_BATCH_BEGIN"
	case 0x11:
		return "NFNL_MSG_BATCH_END"
	}
	sub, msg := int(t>>8), int(t&0xff)
	switch {
	case sub == 1 && msg < len(ctMsgNames):
		return ctMsgNames[msg]
	case sub == 2 && msg < len(expMsgNames):
		return expMsgNames[msg]
	case sub < len(nfnlSubsysNames):
		return nfnlSubsysNames[sub] + "/" + strconv.Itoa(msg)
	}
	return strconv.Itoa(int(t))
}
