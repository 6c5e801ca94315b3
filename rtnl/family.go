package rtnl

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Family is an address family as rtnetlink headers carry it (the
// rtm_family, ifa_family, ndm_family byte).
type Family uint8

// The address families rtnetlink objects come in.
const (
	FamilyUnspec Family = unix.AF_UNSPEC // both, in filters; links
	FamilyIPv4   Family = unix.AF_INET
	FamilyIPv6   Family = unix.AF_INET6
	FamilyBridge Family = unix.AF_BRIDGE // bridge FDB entries, bridge ports
	FamilyMPLS   Family = unix.AF_MPLS
)

// String gives iproute2's names: "inet", "inet6", "bridge", "mpls",
// "unspec", or the number.
func (f Family) String() string {
	switch f {
	case FamilyUnspec:
		return "unspec"
	case FamilyIPv4:
		return "inet"
	case FamilyIPv6:
		return "inet6"
	case FamilyBridge:
		return "bridge"
	case FamilyMPLS:
		return "mpls"
	}
	return strconv.Itoa(int(f))
}
