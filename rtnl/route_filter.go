package rtnl

import (
	"github.com/nlengine/nlengine/nlmsg"
)

// RouteFilter selects the routes a dump returns. The zero RouteFilter
// selects every route of every table and family (IPv4, IPv6, and any other
// family the kernel dumps, such as multicast routing tables), without the
// cached routes (exceptions). Fields combine with AND.
//
// With NETLINK_GET_STRICT_CHK on the Conn (Dial turns it on), the kernel
// applies the filter and sends only what matches; otherwise the same filter
// runs in user space over the whole dump. The result is the same either
// way: the filter is also checked in user space on what the kernel sends.
type RouteFilter struct {
	Family   Family    // FamilyUnspec: all families
	Table    Table     // TableUnspec: all tables
	Protocol Protocol  // ProtocolUnspec: any
	Type     RouteType // RouteTypeUnspec: any
	// OIF selects routes with a next hop on this interface index: the
	// route's own output interface or that of one of its multipath next
	// hops (as the kernel matches it). 0: any.
	OIF int
	// Cloned asks for the cached routes (exceptions: PMTU, redirects,
	// RTM_F_CLONED) instead of the routes.
	Cloned bool
}

// Match reports whether r passes f, as the kernel's strict dump filter
// decides it.
func (f *RouteFilter) Match(r *Route) bool {
	if f.Family != FamilyUnspec && r.Family != f.Family {
		return false
	}
	if (r.Flags&RouteFlagCloned != 0) != f.Cloned {
		return false
	}
	if f.Table != TableUnspec && r.Table != f.Table {
		return false
	}
	if f.Protocol != ProtocolUnspec && r.Protocol != f.Protocol {
		return false
	}
	if f.Type != RouteTypeUnspec && r.Type != f.Type {
		return false
	}
	if f.OIF != 0 && r.OIF != f.OIF {
		found := false
		for i := range r.Multipath {
			if r.Multipath[i].OIF == f.OIF {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// isZero reports whether f keeps every route but the cached ones.
func (f *RouteFilter) isZero() bool { return *f == RouteFilter{} }

// dumpRequest appends the RTM_GETROUTE dump request for f to b. With strict the
// kernel reads the filter from it: rtm_table, rtm_protocol, rtm_type,
// RTM_F_CLONED, and the RTA_TABLE and RTA_OIF attributes (the only ones
// the strict check accepts). Without strict, only the family and
// RTM_F_CLONED are sent (the kernel ignores the rest, and a non-strict
// IPv4 or IPv6 dump includes the exceptions unless RTM_F_CLONED asks for
// them alone).
func (f *RouteFilter) dumpRequest(b []byte, strict bool) []byte {
	h := nlmsg.RtMsg{Family: uint8(f.Family)}
	if f.Cloned {
		h.Flags = nlmsg.RTMFCloned
	}
	if !strict {
		return h.AppendTo(b)
	}
	h.Protocol = uint8(f.Protocol)
	h.Type = uint8(f.Type)
	if f.Table < 256 {
		h.Table = uint8(f.Table)
	}
	b = h.AppendTo(b)
	if f.Table != TableUnspec {
		b = appendU32Attr(b, nlmsg.RTATable, uint32(f.Table))
	}
	if f.OIF != 0 {
		b = appendU32Attr(b, nlmsg.RTAOIF, uint32(f.OIF))
	}
	return b
}
