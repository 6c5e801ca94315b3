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

// match reports whether a decoded link passes the conditions the kernel
// may not have applied.
func (f *LinkFilter) match(l *Link) bool {
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
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	nlmsg.AppendFamilyHeader(&b, nlmsg.IfInfoMsg{})
	b.Uint32(nlmsg.IFLAExtMask, f.extMask())
	if strict {
		if f.MasterIndex != 0 {
			b.Uint32(nlmsg.IFLAMaster, uint32(f.MasterIndex))
		}
		if f.Kind != "" {
			n := b.BeginNest(nlmsg.IFLALinkInfo)
			b.String(nlmsg.IFLAInfoKind, f.Kind)
			b.EndNest(n)
		}
	}
	return append([]byte(nil), requestBody(&b)...)
}

// getRequest encodes an RTM_GETLINK request for one link, by index or by
// name, into an owned slice.
func getLinkRequest(index int, name string, extMask uint32) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	nlmsg.AppendFamilyHeader(&b, nlmsg.IfInfoMsg{Index: int32(index)})
	if name != "" {
		b.String(nlmsg.IFLAIfName, name)
	}
	b.Uint32(nlmsg.IFLAExtMask, extMask)
	return append([]byte(nil), requestBody(&b)...)
}
