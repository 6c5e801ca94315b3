package rtnl

import (
	"strconv"
	"strings"
)

// RouteType is what a route does with a packet (rtm_type, RTN_*).
type RouteType uint8

// Route types.
const (
	RouteTypeUnspec      RouteType = 0
	RouteTypeUnicast     RouteType = 1  // a gateway or a directly attached network
	RouteTypeLocal       RouteType = 2  // a local address
	RouteTypeBroadcast   RouteType = 3  // a broadcast address: accept locally, send as broadcast
	RouteTypeAnycast     RouteType = 4  // accept locally as broadcast, send as unicast
	RouteTypeMulticast   RouteType = 5  // multicast
	RouteTypeBlackhole   RouteType = 6  // drop silently
	RouteTypeUnreachable RouteType = 7  // drop, answer host unreachable
	RouteTypeProhibit    RouteType = 8  // drop, answer administratively prohibited
	RouteTypeThrow       RouteType = 9  // not in this table: go on with the next rule
	RouteTypeNAT         RouteType = 10 // network address translation
	RouteTypeXResolve    RouteType = 11 // an external resolver
)

var routeTypeNames = [...]string{
	"none", "unicast", "local", "broadcast", "anycast", "multicast",
	"blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve",
}

// String gives iproute2's names ("unicast", "blackhole", ...; "none" for
// RTN_UNSPEC) or the number.
func (t RouteType) String() string {
	if int(t) < len(routeTypeNames) {
		return routeTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// RouteFlags are a route's rtm_flags: the next hop flags (RTNH_F_*) in the
// low byte, the message flags (RTM_F_*) above. A NextHop's flags use the
// same type and the low byte only.
type RouteFlags uint32

// Route and next hop flags.
const (
	RouteFlagDead          RouteFlags = 0x1        // RTNH_F_DEAD
	RouteFlagPervasive     RouteFlags = 0x2        // RTNH_F_PERVASIVE
	RouteFlagOnlink        RouteFlags = 0x4        // RTNH_F_ONLINK: the gateway is on the link whatever its prefix
	RouteFlagOffload       RouteFlags = 0x8        // RTNH_F_OFFLOAD
	RouteFlagLinkDown      RouteFlags = 0x10       // RTNH_F_LINKDOWN
	RouteFlagUnresolved    RouteFlags = 0x20       // RTNH_F_UNRESOLVED
	RouteFlagTrap          RouteFlags = 0x40       // RTNH_F_TRAP
	RouteFlagNotify        RouteFlags = 0x100      // RTM_F_NOTIFY
	RouteFlagCloned        RouteFlags = 0x200      // RTM_F_CLONED: a cached route (exception)
	RouteFlagEqualize      RouteFlags = 0x400      // RTM_F_EQUALIZE
	RouteFlagPrefix        RouteFlags = 0x800      // RTM_F_PREFIX
	RouteFlagRTOffload     RouteFlags = 0x4000     // RTM_F_OFFLOAD
	RouteFlagRTTrap        RouteFlags = 0x8000     // RTM_F_TRAP
	RouteFlagOffloadFailed RouteFlags = 0x20000000 // RTM_F_OFFLOAD_FAILED
)

// routeFlagNames are the flags ip prints in its "flags" list, in its order.
var routeFlagNames = []struct {
	f    RouteFlags
	name string
}{
	{RouteFlagDead, "dead"}, {RouteFlagOnlink, "onlink"}, {RouteFlagPervasive, "pervasive"},
	{RouteFlagOffload, "offload"}, {RouteFlagTrap, "trap"}, {RouteFlagNotify, "notify"},
	{RouteFlagLinkDown, "linkdown"}, {RouteFlagUnresolved, "unresolved"},
	{RouteFlagRTOffload, "rt_offload"}, {RouteFlagRTTrap, "rt_trap"},
	{RouteFlagOffloadFailed, "rt_offload_failed"},
}

// Names returns the flags ip lists in a route's or next hop's "flags"
// (in ip's order), each by ip's name. It allocates; flags ip does not list
// (RTM_F_CLONED, RTM_F_PREFIX, ...) are left out.
func (f RouteFlags) Names() []string {
	var out []string
	for _, n := range routeFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String is Names joined by commas, or "0x..." for flags without a name.
func (f RouteFlags) String() string {
	s := strings.Join(f.Names(), ",")
	var named RouteFlags
	for _, n := range routeFlagNames {
		named |= n.f
	}
	if rest := f &^ named; rest != 0 {
		if s != "" {
			s += ","
		}
		s += "0x" + strconv.FormatUint(uint64(rest), 16)
	}
	return s
}

// RoutePref is an IPv6 route's router preference (RTA_PREF).
type RoutePref uint8

// IPv6 router preferences.
const (
	RoutePrefMedium  RoutePref = 0
	RoutePrefHigh    RoutePref = 1
	RoutePrefInvalid RoutePref = 2
	RoutePrefLow     RoutePref = 3
)

// String gives ip's names: "medium", "high", "low", or the number.
func (p RoutePref) String() string {
	switch p {
	case RoutePrefMedium:
		return "medium"
	case RoutePrefHigh:
		return "high"
	case RoutePrefLow:
		return "low"
	}
	return strconv.Itoa(int(p))
}

// EncapType is a route's lightweight tunnel type (RTA_ENCAP_TYPE,
// LWTUNNEL_ENCAP_*).
type EncapType uint16

// Lightweight tunnel types.
const (
	EncapNone      EncapType = 0
	EncapMPLS      EncapType = 1
	EncapIP        EncapType = 2
	EncapILA       EncapType = 3
	EncapIP6       EncapType = 4
	EncapSeg6      EncapType = 5
	EncapBPF       EncapType = 6
	EncapSeg6Local EncapType = 7
	EncapRPL       EncapType = 8
	EncapIOAM6     EncapType = 9
	EncapXFRM      EncapType = 10
)

var encapNames = [...]string{"", "mpls", "ip", "ila", "ip6", "seg6", "bpf", "seg6local", "rpl", "ioam6", "xfrm"}

// String gives ip's names ("mpls", "seg6", ...), "" for none, or the number.
func (e EncapType) String() string {
	if int(e) < len(encapNames) {
		return encapNames[e]
	}
	return strconv.Itoa(int(e))
}
