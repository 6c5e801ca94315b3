package rtnl

import (
	"context"
	"iter"
	"slices"

	"github.com/nlengine/nlengine/nlmsg"
)

// NeighFilter selects neighbours for Neighs and NeighList. Zero fields
// select everything in the neighbour caches (every state, NOARP entries
// included, unlike ip's default). The kernel applies Family and Proxy
// always, and LinkIndex and MasterIndex when the Conn has strict checking
// on (NDA_IFINDEX, NDA_MASTER); State only in user space (the kernel has
// no state filter). Every condition is also checked in user space (on a
// strict Conn all but MasterIndex, which the kernel has applied), so the
// result is the same either way.
type NeighFilter struct {
	// Family is FamilyIPv4 (ARP), FamilyIPv6 (NDP), FamilyBridge (the
	// bridge FDB, as bridge fdb show), or FamilyUnspec for ARP and NDP
	// both (as ip neigh show; the kernel leaves the FDB out).
	Family    Family
	LinkIndex int // only the entries of this link
	// MasterIndex keeps only the entries of this master's ports (ip neigh
	// show master br0, or vrf blue); for FamilyBridge also the master's
	// own (bridge fdb show br br0). Without strict checking Neighs first
	// lists the master's ports (one link dump, which allocates), so a port
	// added or removed between the two dumps may be missed; Match, which
	// sees no link's master, does not check it.
	MasterIndex int
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
// with or without strict checking) and, when strict, NDA_IFINDEX and
// NDA_MASTER.
func (f *NeighFilter) dumpRequest(strict bool) []byte {
	h := nlmsg.NdMsg{Family: uint8(f.Family)}
	if f.Proxy {
		h.Flags = nlmsg.NTFProxy
	}
	b := h.AppendTo(nil)
	if strict && f.LinkIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAIfIndex, uint32(f.LinkIndex))
	}
	if strict && f.MasterIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAMaster, uint32(f.MasterIndex))
	}
	return b
}

// Neighs yields the neighbours f selects, decoded in place into one Neigh
// that is reused: it is valid only until the next step of the loop (copy
// it, or use NeighList). A kernel error or a malformed message is yielded
// last with a nil Neigh. Breaking out early is safe. Decoding allocates
// nothing (a MasterIndex without strict checking allocates the list of
// ports, once per loop). Safe for concurrent use.
func (c *Conn) Neighs(ctx context.Context, f NeighFilter) iter.Seq2[*Neigh, error] {
	req := f.dumpRequest(c.strict)
	if c.strict || f.MasterIndex == 0 {
		return dumpInto(ctx, c, nlmsg.RTMGetNeigh, req, nlmsg.RTMNewNeigh, new(Neigh), (*Neigh).Decode, f.Match)
	}
	return func(yield func(*Neigh, error) bool) {
		ports, err := c.portsOf(ctx, f.MasterIndex)
		if err != nil {
			yield(nil, err)
			return
		}
		if f.Family == FamilyBridge {
			// The kernel's FDB dump of a bridge includes the bridge's own entries.
			ports = append(ports, f.MasterIndex)
		}
		keep := func(n *Neigh) bool { return f.Match(n) && slices.Contains(ports, n.LinkIndex) }
		for n, err := range dumpInto(ctx, c, nlmsg.RTMGetNeigh, req, nlmsg.RTMNewNeigh, new(Neigh), (*Neigh).Decode, keep) {
			if !yield(n, err) {
				return
			}
		}
	}
}

// portsOf returns the indexes of master's ports, as the kernel's master
// filter of a neighbour dump finds them.
func (c *Conn) portsOf(ctx context.Context, master int) ([]int, error) {
	var ports []int
	for l, err := range c.Links(ctx, LinkFilter{MasterIndex: master}) {
		if err != nil {
			return nil, err
		}
		ports = append(ports, l.Index)
	}
	return ports, nil
}

// NeighList returns the neighbours f selects as owned values (one
// allocation per entry, plus the slice). On an error it returns the
// entries read so far with it. Safe for concurrent use.
func (c *Conn) NeighList(ctx context.Context, f NeighFilter) ([]Neigh, error) {
	return collect(c.Neighs(ctx, f), (*Neigh).Clone)
}
