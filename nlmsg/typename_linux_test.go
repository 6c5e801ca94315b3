package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestTypeNameMatchesUnix checks every name TypeName gives against the
// constant of that name in x/sys/unix, where unix defines it.
func TestTypeNameMatchesUnix(t *testing.T) {
	cases := []struct {
		f    Family
		name string
		t    int
	}{
		{FamilyRoute, "NLMSG_NOOP", unix.NLMSG_NOOP},
		{FamilyRoute, "NLMSG_ERROR", unix.NLMSG_ERROR},
		{FamilyGeneric, "NLMSG_DONE", unix.NLMSG_DONE},
		{FamilyNetfilter, "NLMSG_OVERRUN", unix.NLMSG_OVERRUN},
		{FamilyGeneric, "GENL_ID_CTRL", unix.GENL_ID_CTRL},
		{FamilySockDiag, "SOCK_DIAG_BY_FAMILY", unix.SOCK_DIAG_BY_FAMILY},
		{FamilySockDiag, "SOCK_DESTROY", unix.SOCK_DESTROY},
		{FamilyNetfilter, "NFNL_MSG_BATCH_BEGIN", unix.NFNL_MSG_BATCH_BEGIN},
		{FamilyNetfilter, "NFNL_MSG_BATCH_END", unix.NFNL_MSG_BATCH_END},
		{FamilyNetfilter, "IPCTNL_MSG_CT_NEW", unix.NFNL_SUBSYS_CTNETLINK << 8},
		{FamilyNetfilter, "IPCTNL_MSG_CT_DELETE", unix.NFNL_SUBSYS_CTNETLINK<<8 | 2},
		{FamilyNetfilter, "IPCTNL_MSG_EXP_GET", unix.NFNL_SUBSYS_CTNETLINK_EXP<<8 | 1},
		{FamilyNetfilter, "NFNL_SUBSYS_QUEUE/2", unix.NFNL_SUBSYS_QUEUE<<8 | 2},
		{FamilyRoute, "RTM_DELACTION", unix.RTM_DELACTION},
		{FamilyRoute, "RTM_DELADDR", unix.RTM_DELADDR},
		{FamilyRoute, "RTM_DELADDRLABEL", unix.RTM_DELADDRLABEL},
		{FamilyRoute, "RTM_DELANYCAST", unix.RTM_DELANYCAST},
		{FamilyRoute, "RTM_DELCHAIN", unix.RTM_DELCHAIN},
		{FamilyRoute, "RTM_DELLINK", unix.RTM_DELLINK},
		{FamilyRoute, "RTM_DELLINKPROP", unix.RTM_DELLINKPROP},
		{FamilyRoute, "RTM_DELMDB", unix.RTM_DELMDB},
		{FamilyRoute, "RTM_DELMULTICAST", unix.RTM_DELMULTICAST},
		{FamilyRoute, "RTM_DELNEIGH", unix.RTM_DELNEIGH},
		{FamilyRoute, "RTM_DELNETCONF", unix.RTM_DELNETCONF},
		{FamilyRoute, "RTM_DELNEXTHOP", unix.RTM_DELNEXTHOP},
		{FamilyRoute, "RTM_DELNEXTHOPBUCKET", unix.RTM_DELNEXTHOPBUCKET},
		{FamilyRoute, "RTM_DELNSID", unix.RTM_DELNSID},
		{FamilyRoute, "RTM_DELQDISC", unix.RTM_DELQDISC},
		{FamilyRoute, "RTM_DELROUTE", unix.RTM_DELROUTE},
		{FamilyRoute, "RTM_DELRULE", unix.RTM_DELRULE},
		{FamilyRoute, "RTM_DELTCLASS", unix.RTM_DELTCLASS},
		{FamilyRoute, "RTM_DELTFILTER", unix.RTM_DELTFILTER},
		{FamilyRoute, "RTM_DELTUNNEL", unix.RTM_DELTUNNEL},
		{FamilyRoute, "RTM_DELVLAN", unix.RTM_DELVLAN},
		{FamilyRoute, "RTM_GETACTION", unix.RTM_GETACTION},
		{FamilyRoute, "RTM_GETADDR", unix.RTM_GETADDR},
		{FamilyRoute, "RTM_GETADDRLABEL", unix.RTM_GETADDRLABEL},
		{FamilyRoute, "RTM_GETANYCAST", unix.RTM_GETANYCAST},
		{FamilyRoute, "RTM_GETCHAIN", unix.RTM_GETCHAIN},
		{FamilyRoute, "RTM_GETDCB", unix.RTM_GETDCB},
		{FamilyRoute, "RTM_GETLINK", unix.RTM_GETLINK},
		{FamilyRoute, "RTM_GETLINKPROP", unix.RTM_GETLINKPROP},
		{FamilyRoute, "RTM_GETMDB", unix.RTM_GETMDB},
		{FamilyRoute, "RTM_GETMULTICAST", unix.RTM_GETMULTICAST},
		{FamilyRoute, "RTM_GETNEIGH", unix.RTM_GETNEIGH},
		{FamilyRoute, "RTM_GETNEIGHTBL", unix.RTM_GETNEIGHTBL},
		{FamilyRoute, "RTM_GETNETCONF", unix.RTM_GETNETCONF},
		{FamilyRoute, "RTM_GETNEXTHOP", unix.RTM_GETNEXTHOP},
		{FamilyRoute, "RTM_GETNEXTHOPBUCKET", unix.RTM_GETNEXTHOPBUCKET},
		{FamilyRoute, "RTM_GETNSID", unix.RTM_GETNSID},
		{FamilyRoute, "RTM_GETQDISC", unix.RTM_GETQDISC},
		{FamilyRoute, "RTM_GETROUTE", unix.RTM_GETROUTE},
		{FamilyRoute, "RTM_GETRULE", unix.RTM_GETRULE},
		{FamilyRoute, "RTM_GETSTATS", unix.RTM_GETSTATS},
		{FamilyRoute, "RTM_GETTCLASS", unix.RTM_GETTCLASS},
		{FamilyRoute, "RTM_GETTFILTER", unix.RTM_GETTFILTER},
		{FamilyRoute, "RTM_GETTUNNEL", unix.RTM_GETTUNNEL},
		{FamilyRoute, "RTM_GETVLAN", unix.RTM_GETVLAN},
		{FamilyRoute, "RTM_NEWACTION", unix.RTM_NEWACTION},
		{FamilyRoute, "RTM_NEWADDR", unix.RTM_NEWADDR},
		{FamilyRoute, "RTM_NEWADDRLABEL", unix.RTM_NEWADDRLABEL},
		{FamilyRoute, "RTM_NEWANYCAST", unix.RTM_NEWANYCAST},
		{FamilyRoute, "RTM_NEWCACHEREPORT", unix.RTM_NEWCACHEREPORT},
		{FamilyRoute, "RTM_NEWCHAIN", unix.RTM_NEWCHAIN},
		{FamilyRoute, "RTM_NEWLINK", unix.RTM_NEWLINK},
		{FamilyRoute, "RTM_NEWLINKPROP", unix.RTM_NEWLINKPROP},
		{FamilyRoute, "RTM_NEWMDB", unix.RTM_NEWMDB},
		{FamilyRoute, "RTM_NEWMULTICAST", unix.RTM_NEWMULTICAST},
		{FamilyRoute, "RTM_NEWNDUSEROPT", unix.RTM_NEWNDUSEROPT},
		{FamilyRoute, "RTM_NEWNEIGH", unix.RTM_NEWNEIGH},
		{FamilyRoute, "RTM_NEWNEIGHTBL", unix.RTM_NEWNEIGHTBL},
		{FamilyRoute, "RTM_NEWNETCONF", unix.RTM_NEWNETCONF},
		{FamilyRoute, "RTM_NEWNEXTHOP", unix.RTM_NEWNEXTHOP},
		{FamilyRoute, "RTM_NEWNEXTHOPBUCKET", unix.RTM_NEWNEXTHOPBUCKET},
		{FamilyRoute, "RTM_NEWNSID", unix.RTM_NEWNSID},
		{FamilyRoute, "RTM_NEWPREFIX", unix.RTM_NEWPREFIX},
		{FamilyRoute, "RTM_NEWQDISC", unix.RTM_NEWQDISC},
		{FamilyRoute, "RTM_NEWROUTE", unix.RTM_NEWROUTE},
		{FamilyRoute, "RTM_NEWRULE", unix.RTM_NEWRULE},
		{FamilyRoute, "RTM_NEWSTATS", unix.RTM_NEWSTATS},
		{FamilyRoute, "RTM_NEWTCLASS", unix.RTM_NEWTCLASS},
		{FamilyRoute, "RTM_NEWTFILTER", unix.RTM_NEWTFILTER},
		{FamilyRoute, "RTM_NEWTUNNEL", unix.RTM_NEWTUNNEL},
		{FamilyRoute, "RTM_NEWVLAN", unix.RTM_NEWVLAN},
		{FamilyRoute, "RTM_SETDCB", unix.RTM_SETDCB},
		{FamilyRoute, "RTM_SETLINK", unix.RTM_SETLINK},
		{FamilyRoute, "RTM_SETNEIGHTBL", unix.RTM_SETNEIGHTBL},
		{FamilyRoute, "RTM_SETSTATS", unix.RTM_SETSTATS},
	}
	for _, c := range cases {
		if got := TypeName(c.f, Type(c.t)); got != c.name {
			t.Errorf("TypeName(%v, %#x) = %q, want %q", c.f, c.t, got, c.name)
		}
	}
}
