package rtnl

import "github.com/nlengine/nlengine/nlmsg"

// LinkFilter selects links for Links and LinkList. Zero fields select
// everything. The kernel applies Name always (a direct lookup, which also
// matches alternative names) and Kind, MasterIndex and NoMaster when the
// Conn has strict checking on; every condition is also checked in user space, so
// the result is the same either way (the kernel ignores a kind whose
// driver it has not loaded).
type LinkFilter struct {
	Name        string // only the link of this name (or alternative name)
	Kind        string // only links of this kind ("veth", "bridge", ...)
	MasterIndex int    // only ports of this master
	// NoMaster keeps only the links that are no master's port (ip link
	// show nomaster); it is ignored when MasterIndex is set.
	NoMaster bool
	// Stats asks the kernel for the statistics of an SR-IOV device's
	// virtual functions too (IFLA_VF_STATS in IFLA_VFINFO_LIST, in Attrs),
	// which it leaves out by default (RTEXT_FILTER_SKIP_STATS): they make
	// the messages of a device with many functions much longer. The link's
	// own counters come in every message whatever Stats says (Link.Stats).
	Stats bool
}

// Match reports whether l passes f, as Links decides it in user space.
// Name is compared with l.Name only: the kernel's lookup by name, which
// Links uses, also finds a link by one of its alternative names.
func (f *LinkFilter) Match(l *Link) bool {
	return (f.Name == "" || l.Name == f.Name) && f.matchDumped(l)
}

// matchDumped checks the conditions the kernel may not have applied (all
// but Name, which the kernel always does).
func (f *LinkFilter) matchDumped(l *Link) bool {
	return (f.Kind == "" || l.Kind == f.Kind) && f.masterIndex().matches(l.MasterIndex)
}

// masterFilter is a master condition as the kernel's IFLA_MASTER and
// NDA_MASTER filters take it: 0 for none, -1 for "no master", otherwise
// the master's index.
type masterFilter int

// noMaster is the kernel's "no master" value of IFLA_MASTER and NDA_MASTER
// in a dump request (0 already means no filter).
const noMaster masterFilter = -1

// masterFilterOf is the condition of a filter's MasterIndex and NoMaster
// fields: MasterIndex wins when both are set.
func masterFilterOf(index int, none bool) masterFilter {
	if index == 0 && none {
		return noMaster
	}
	return masterFilter(index)
}

// matches reports whether a link whose master is master passes m.
func (m masterFilter) matches(master int) bool {
	switch m {
	case 0:
		return true
	case noMaster:
		return master == 0
	}
	return master == int(m)
}

// masterIndex is f's master condition.
func (f *LinkFilter) masterIndex() masterFilter { return masterFilterOf(f.MasterIndex, f.NoMaster) }

// extMask is the IFLA_EXT_MASK of the filter's requests.
func (f *LinkFilter) extMask() uint32 {
	if f.Stats {
		return 0
	}
	return nlmsg.RTExtFilterSkipStats
}

// dumpRequest encodes the RTM_GETLINK dump request for f into an owned
// slice: an empty ifinfomsg, IFLA_EXT_MASK, and when strict the kernel's
// filters IFLA_MASTER (-1 for NoMaster) and IFLA_LINKINFO/IFLA_INFO_KIND.
func (f *LinkFilter) dumpRequest(strict bool) []byte {
	b := nlmsg.IfInfoMsg{}.AppendTo(nil)
	b = appendU32Attr(b, nlmsg.IFLAExtMask, f.extMask())
	if strict {
		if m := f.masterIndex(); m != 0 {
			b = appendU32Attr(b, nlmsg.IFLAMaster, uint32(int32(m)))
		}
		if f.Kind != "" && fitsAttr(len(f.Kind)+1+nlmsg.AttrHeaderLen) {
			var n int
			b, n = beginNest(b, nlmsg.IFLALinkInfo, true)
			b = appendStringAttr(b, nlmsg.IFLAInfoKind, f.Kind)
			endNest(b, n)
		}
	}
	return b
}

// getLinkRequest encodes an RTM_GETLINK request for one link, by index or
// by name, into an owned slice.
func getLinkRequest(index int, name string, extMask uint32) []byte {
	b := nlmsg.IfInfoMsg{Index: int32(index)}.AppendTo(nil)
	if name != "" && fitsAttr(len(name)+1) {
		b = appendStringAttr(b, nlmsg.IFLAIfName, name)
	}
	return appendU32Attr(b, nlmsg.IFLAExtMask, extMask)
}
