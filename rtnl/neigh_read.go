package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// NeighFilter selects neighbours for Neighs and NeighList. Zero fields
// select everything in the neighbour caches (every state, NOARP entries
// included, unlike ip's default). The kernel applies Family and Proxy
// always and LinkIndex when the Conn has strict checking on (NDA_IFINDEX);
// State only in user space (the kernel has no state filter). Every
// condition is also checked in user space, so the result is the same
// either way.
type NeighFilter struct {
	// Family is FamilyIPv4 (ARP), FamilyIPv6 (NDP), FamilyBridge (the
	// bridge FDB, as bridge fdb show), or FamilyUnspec for ARP and NDP
	// both (as ip neigh show; the kernel leaves the FDB out).
	Family    Family
	LinkIndex int // only the entries of this link
	// State keeps only entries in one of these states (a set of bits);
	// ip neigh show nud lets extern_learn entries through whatever their
	// state, State does not.
	State NeighState
	// Proxy reads the proxy table (ip neigh show proxy: NTF_PROXY entries,
	// in state NONE) instead of the caches, which a dump without it never
	// holds. In Match it selects proxy entries only; without it Match
	// accepts entries of either kind.
	Proxy bool
}

// Match reports whether n passes f, as Neighs decides it in user space.
func (f *NeighFilter) Match(n *Neigh) bool {
	return (f.Family == FamilyUnspec || n.Family == f.Family) &&
		(f.LinkIndex == 0 || n.LinkIndex == f.LinkIndex) &&
		(f.State == 0 || n.State&f.State != 0) &&
		(!f.Proxy || n.Flags&NeighProxy != 0)
}

// dumpRequest is the RTM_GETNEIGH dump request: an ndmsg with the family
// (and NTF_PROXY in ndm_flags for the proxy table, which the kernel reads
// with or without strict checking) and, when strict, NDA_IFINDEX.
func (f *NeighFilter) dumpRequest(strict bool) []byte {
	h := nlmsg.NdMsg{Family: uint8(f.Family)}
	if f.Proxy {
		h.Flags = nlmsg.NTFProxy
	}
	b := h.AppendTo(nil)
	if strict && f.LinkIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAIfIndex, uint32(f.LinkIndex))
	}
	return b
}

// Neighs yields the neighbours f selects, decoded in place into one Neigh
// that is reused: it is valid only until the next step of the loop (copy
// it, or use NeighList). A kernel error or a malformed message is yielded
// last with a nil Neigh. Breaking out early is safe. Decoding allocates
// nothing. Safe for concurrent use.
func (c *Conn) Neighs(ctx context.Context, f NeighFilter) iter.Seq2[*Neigh, error] {
	return dumpInto(ctx, c, nlmsg.RTMGetNeigh, f.dumpRequest(c.strict), nlmsg.RTMNewNeigh, new(Neigh), (*Neigh).Decode, f.Match)
}

// NeighList returns the neighbours f selects as owned values (one
// allocation per entry, plus the slice). On an error it returns the
// entries read so far with it. Safe for concurrent use.
func (c *Conn) NeighList(ctx context.Context, f NeighFilter) ([]Neigh, error) {
	return collect(c.Neighs(ctx, f), (*Neigh).Clone)
}
