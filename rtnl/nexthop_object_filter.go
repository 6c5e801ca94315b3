package rtnl

import "github.com/nlengine/nlengine/nlmsg"

// NexthopFilter selects the nexthop objects Nexthops and NexthopList
// return. The zero NexthopFilter selects every object, groups included.
// Fields combine with AND.
//
// The kernel applies Family, OIF, MasterIndex and Groups to every nexthop
// dump, strict Conn or not, and reads one object by ID with a get; it
// accepts FDB in a dump request but (as of Linux 6.18) does not apply it.
// Every condition but MasterIndex is also checked in user space by Match,
// so the result is the same whatever the kernel does with FDB.
type NexthopFilter struct {
	// ID selects the one object with this id. Alone, or with any field
	// but MasterIndex, it is read with a get; an id that does not exist
	// gives no objects, not an error.
	ID uint32
	// Family selects single next hops of this family. As in the kernel's
	// filter, any of Family, OIF and MasterIndex leaves the groups out.
	Family Family
	OIF    int // single next hops through this interface index
	// MasterIndex selects single next hops whose device is a port of
	// this master (a bridge or a VRF; ip nexthop show master). The kernel
	// applies it; Match, which sees no link's master, checks only that
	// the object is a single next hop with a device.
	MasterIndex int
	Groups      bool     // only groups (ip nexthop show groups)
	FDB         bool     // only FDB objects, single or group (ip nexthop show fdb)
	Protocol    Protocol // ProtocolUnspec: any; checked in user space only
}

// Match reports whether n passes f, as the kernel's dump filter decides it
// (and, for FDB and Protocol, which the kernel does not filter, as ip
// nexthop show does in user space). MasterIndex is checked only as far as
// n shows it (see NexthopFilter).
func (f *NexthopFilter) Match(n *NexthopObject) bool {
	if f.ID != 0 && n.ID != f.ID {
		return false
	}
	group := n.IsGroup()
	if f.Groups && !group {
		return false
	}
	if f.FDB && !n.FDB {
		return false
	}
	if f.Protocol != ProtocolUnspec && n.Protocol != f.Protocol {
		return false
	}
	if f.Family == FamilyUnspec && f.OIF == 0 && f.MasterIndex == 0 {
		return true
	}
	if group || f.Family != FamilyUnspec && n.Family != f.Family {
		return false
	}
	oif := n.OIF
	if n.Blackhole {
		// NB: the kernel binds a blackhole to the loopback device without
		// reporting it, and its OIF filter sees that device.
		oif = loopbackIndex
	}
	if f.OIF != 0 && oif != f.OIF {
		return false
	}
	return f.MasterIndex == 0 || n.OIF != 0
}

// loopbackIndex is the loopback device's index, the same in every
// network namespace.
const loopbackIndex = 1

// byGet reports whether f is read with an RTM_GETNEXTHOP of its ID rather
// than a dump: the get cannot carry a master filter, which only the
// kernel can apply.
func (f *NexthopFilter) byGet() bool { return f.ID != 0 && f.MasterIndex == 0 }

// dumpRequest appends the RTM_GETNEXTHOP dump request for f to b: an
// nhmsg with the family (every other header field must be 0) and the
// NHA_OIF, NHA_MASTER, NHA_GROUPS and NHA_FDB filters.
func (f *NexthopFilter) dumpRequest(b []byte) []byte {
	b = nlmsg.NhMsg{Family: uint8(f.Family)}.AppendTo(b)
	if f.OIF != 0 {
		b = appendU32Attr(b, nlmsg.NHAOIF, uint32(f.OIF))
	}
	if f.MasterIndex != 0 {
		b = appendU32Attr(b, nlmsg.NHAMaster, uint32(f.MasterIndex))
	}
	if f.Groups {
		b = appendAttr(b, nlmsg.NHAGroups, nil)
	}
	if f.FDB {
		b = appendAttr(b, nlmsg.NHAFDB, nil)
	}
	return b
}

// idRequest appends the RTM_GETNEXTHOP or RTM_DELNEXTHOP request for one
// id to b: an empty nhmsg (the kernel refuses any field set) and NHA_ID.
func idRequest(b []byte, id uint32) []byte {
	return appendU32Attr(nlmsg.NhMsg{}.AppendTo(b), nlmsg.NHAID, id)
}
