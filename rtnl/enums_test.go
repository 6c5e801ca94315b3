package rtnl

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestScopeValuesAndNamesMatchTheKernelAndIproute2(t *testing.T) {
	for _, c := range []struct {
		s    Scope
		k    int
		name string
	}{
		{ScopeUniverse, unix.RT_SCOPE_UNIVERSE, "global"},
		{ScopeSite, unix.RT_SCOPE_SITE, "site"},
		{ScopeLink, unix.RT_SCOPE_LINK, "link"},
		{ScopeHost, unix.RT_SCOPE_HOST, "host"},
		{ScopeNowhere, unix.RT_SCOPE_NOWHERE, "nowhere"},
		{Scope(100), 100, "100"},
	} {
		if int(c.s) != c.k || c.s.String() != c.name {
			t.Errorf("scope %d: value %d name %q, want %d %q", c.s, int(c.s), c.s.String(), c.k, c.name)
		}
	}
}

func TestFamilyNamesAreIproute2s(t *testing.T) {
	for f, name := range map[Family]string{FamilyIPv4: "inet", FamilyIPv6: "inet6", FamilyBridge: "bridge", FamilyUnspec: "unspec", FamilyMPLS: "mpls", 99: "99"} {
		if f.String() != name {
			t.Errorf("Family(%d).String() = %q, want %q", f, f.String(), name)
		}
	}
}

// The typed enums of routes and rules carry the kernel's values.
func TestRouteAndRuleEnumValuesAreTheKernels(t *testing.T) {
	for got, want := range map[int]int{
		int(RouteTypeUnspec): unix.RTN_UNSPEC, int(RouteTypeUnicast): unix.RTN_UNICAST, int(RouteTypeLocal): unix.RTN_LOCAL,
		int(RouteTypeBroadcast): unix.RTN_BROADCAST, int(RouteTypeAnycast): unix.RTN_ANYCAST, int(RouteTypeMulticast): unix.RTN_MULTICAST,
		int(RouteTypeBlackhole): unix.RTN_BLACKHOLE, int(RouteTypeUnreachable): unix.RTN_UNREACHABLE, int(RouteTypeProhibit): unix.RTN_PROHIBIT,
		int(RouteTypeThrow): unix.RTN_THROW, int(RouteTypeNAT): unix.RTN_NAT, int(RouteTypeXResolve): unix.RTN_XRESOLVE,
	} {
		if got != want {
			t.Errorf("route type %d, the kernel's is %d", got, want)
		}
	}
	for _, c := range []struct{ got, want int }{
		{int(ProtocolUnspec), unix.RTPROT_UNSPEC}, {int(ProtocolRedirect), unix.RTPROT_REDIRECT}, {int(ProtocolKernel), unix.RTPROT_KERNEL},
		{int(ProtocolBoot), unix.RTPROT_BOOT}, {int(ProtocolStatic), unix.RTPROT_STATIC}, {int(ProtocolGated), unix.RTPROT_GATED},
		{int(ProtocolRA), unix.RTPROT_RA}, {int(ProtocolMRT), unix.RTPROT_MRT}, {int(ProtocolZebra), unix.RTPROT_ZEBRA},
		{int(ProtocolBird), unix.RTPROT_BIRD}, {int(ProtocolDNRouted), unix.RTPROT_DNROUTED}, {int(ProtocolXORP), unix.RTPROT_XORP},
		{int(ProtocolNTK), unix.RTPROT_NTK}, {int(ProtocolDHCP), unix.RTPROT_DHCP}, {int(ProtocolMRouted), unix.RTPROT_MROUTED},
		{int(ProtocolKeepalived), unix.RTPROT_KEEPALIVED}, {int(ProtocolBabel), unix.RTPROT_BABEL}, {int(ProtocolOVN), unix.RTPROT_OVN},
		{int(ProtocolOpenR), unix.RTPROT_OPENR}, {int(ProtocolBGP), unix.RTPROT_BGP}, {int(ProtocolISIS), unix.RTPROT_ISIS},
		{int(ProtocolOSPF), unix.RTPROT_OSPF}, {int(ProtocolRIP), unix.RTPROT_RIP}, {int(ProtocolEIGRP), unix.RTPROT_EIGRP},
		{int(RuleActionUnspec), unix.FR_ACT_UNSPEC}, {int(RuleActionToTable), unix.FR_ACT_TO_TBL}, {int(RuleActionGoto), unix.FR_ACT_GOTO},
		{int(RuleActionNop), unix.FR_ACT_NOP}, {int(RuleActionBlackhole), unix.FR_ACT_BLACKHOLE},
		{int(RuleActionUnreachable), unix.FR_ACT_UNREACHABLE}, {int(RuleActionProhibit), unix.FR_ACT_PROHIBIT},
		{int(TableUnspec), unix.RT_TABLE_UNSPEC}, {int(TableCompat), unix.RT_TABLE_COMPAT}, {int(TableDefault), unix.RT_TABLE_DEFAULT},
		{int(TableMain), unix.RT_TABLE_MAIN}, {int(TableLocal), unix.RT_TABLE_LOCAL},
	} {
		if c.got != c.want {
			t.Errorf("value %d, the kernel's is %d", c.got, c.want)
		}
	}
}
