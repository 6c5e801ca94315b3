package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// AddrFilter selects addresses for Addrs and AddrList. Zero fields select
// everything. The kernel applies Family always, and LinkIndex when the
// Conn has strict checking on; both are also checked in user space, so the
// result is the same either way.
type AddrFilter struct {
	Family    Family // FamilyIPv4, FamilyIPv6, or FamilyUnspec for both
	LinkIndex int    // only the addresses of this link
}

// Match reports whether a passes f, as Addrs decides it in user space.
func (f *AddrFilter) Match(a *Addr) bool {
	return (f.Family == FamilyUnspec || a.Family == f.Family) && (f.LinkIndex == 0 || a.LinkIndex == f.LinkIndex)
}

// dumpRequest is the RTM_GETADDR dump request: an ifaddrmsg with the family
// and, when strict, the link index (a strict kernel filters on ifa_index).
func (f *AddrFilter) dumpRequest(strict bool) []byte {
	h := nlmsg.IfAddrMsg{Family: uint8(f.Family)}
	if strict {
		h.Index = uint32(f.LinkIndex)
	}
	return h.AppendTo(nil)
}

// Addrs yields the addresses f selects, decoded in place into one Addr that
// is reused: it is valid only until the next step of the loop (copy it, or
// use AddrList). A kernel error or a malformed message is yielded last with
// a nil Addr. Breaking out early is safe. Decoding allocates nothing per
// address once the labels have been seen. Safe for concurrent use.
func (c *Conn) Addrs(ctx context.Context, f AddrFilter) iter.Seq2[*Addr, error] {
	return dumpInto(ctx, c, nlmsg.RTMGetAddr, f.dumpRequest(c.strict), nlmsg.RTMNewAddr, new(Addr), (*Addr).Decode, f.Match)
}

// AddrList returns the addresses f selects as owned values (one allocation
// per address for its Attrs, plus the slice). On an error it returns the
// addresses read so far with it. Safe for concurrent use.
func (c *Conn) AddrList(ctx context.Context, f AddrFilter) ([]Addr, error) {
	return collect(c.Addrs(ctx, f), (*Addr).Clone)
}
