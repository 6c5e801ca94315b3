package rtnl

import "github.com/nlengine/nlengine/nlmsg"

// LinkFilter selects links for Links and LinkList. Zero fields select
// everything. The kernel applies Name always (a direct lookup, which also
// matches alternative names) and Kind and MasterIndex when the Conn has
// strict checking on; every condition is also checked in user space, so
// the result is the same either way (the kernel ignores a kind whose
// driver it has not loaded).
type LinkFilter struct {
	Name        string // only the link of this name (or alternative name)
	Kind        string // only links of this kind ("veth", "bridge", ...)
	MasterIndex int    // only ports of this master
	// Stats asks the kernel to include the statistics (IFLA_STATS,
	// IFLA_STATS64, in Attrs), which it leaves out by default because they
	// make every message about 300 bytes longer.
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
	return (f.Kind == "" || l.Kind == f.Kind) && (f.MasterIndex == 0 || l.MasterIndex == f.MasterIndex)
}

// extMask is the IFLA_EXT_MASK of the filter's requests.
func (f *LinkFilter) extMask() uint32 {
	if f.Stats {
		return 0
	}
	return nlmsg.RTExtFilterSkipStats
}

// dumpRequest encodes the RTM_GETLINK dump request for f into an owned
// slice: an empty ifinfomsg, IFLA_EXT_MASK, and when strict the kernel's
// filters IFLA_MASTER and IFLA_LINKINFO/IFLA_INFO_KIND.
func (f *LinkFilter) dumpRequest(strict bool) []byte {
	b := nlmsg.IfInfoMsg{}.AppendTo(nil)
	b = appendU32Attr(b, nlmsg.IFLAExtMask, f.extMask())
	if strict {
		if f.MasterIndex != 0 {
			b = appendU32Attr(b, nlmsg.IFLAMaster, uint32(f.MasterIndex))
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
