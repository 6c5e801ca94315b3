package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// NeighFilter selects neighbours for Neighs and NeighList. Zero fields
// select everything in the neighbour caches (every state, NOARP entries
// included, unlike ip's default). The kernel applies Family and Proxy
// always, and LinkIndex, MasterIndex and NoMaster when the Conn has strict
// checking on (NDA_IFINDEX, NDA_MASTER); State only in user space (the
// kernel has no state filter). Every condition is also checked in user
// space (on a strict Conn all but the master conditions the kernel has
// applied), so the result is the same either way.
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
	// sees no link's master, does not check it (MatchOnLink does).
	MasterIndex int
	// NoMaster keeps only the entries of links that are no master's port
	// (ip neigh show nomaster); it is ignored when MasterIndex is set. The
	// kernel applies it on a strict Conn (NDA_MASTER -1), but not to the
	// bridge FDB, whose dump has no such filter: there, and on a loose
	// Conn, Neighs first lists the links (one link dump, which allocates),
	// with the same race as MasterIndex; Match does not check it
	// (MatchOnLink does).
	NoMaster bool
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

// Match reports whether n passes the conditions of f on the entry itself,
// as Neighs decides them in user space: all but MasterIndex and NoMaster,
// which need n's link (MatchOnLink).
func (f *NeighFilter) Match(n *Neigh) bool {
	return (f.Family == FamilyUnspec || n.Family == f.Family) &&
		(f.LinkIndex == 0 || n.LinkIndex == f.LinkIndex) &&
		(f.State == 0 || n.State&f.State != 0) &&
		(!f.Proxy || n.Flags&NeighProxy != 0)
}

// MatchOnLink reports whether n passes f when n's link has master as its
// master (0 for none): Match, and MasterIndex and NoMaster as the kernel
// applies them (with MasterIndex, FamilyBridge lets the master's own FDB
// entries through too). It is for callers that know the links, as Neighs
// on a loose Conn and the mirror do.
func (f *NeighFilter) MatchOnLink(n *Neigh, master int) bool {
	m := masterFilterOf(f.MasterIndex, f.NoMaster)
	if f.Family == FamilyBridge && m > 0 && n.LinkIndex == f.MasterIndex {
		master = f.MasterIndex
	}
	return f.Match(n) && m.matches(master)
}

// dumpRequest is the RTM_GETNEIGH dump request: an ndmsg with the family
// (and NTF_PROXY in ndm_flags for the proxy table, which the kernel reads
// with or without strict checking) and, when strict, NDA_IFINDEX and
// the NDA_MASTER of kernelMaster.
func (f *NeighFilter) dumpRequest(strict bool) []byte {
	h := nlmsg.NdMsg{Family: uint8(f.Family)}
	if f.Proxy {
		h.Flags = nlmsg.NTFProxy
	}
	b := h.AppendTo(nil)
	if strict && f.LinkIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAIfIndex, uint32(f.LinkIndex))
	}
	if m := f.kernelMaster(strict); m != 0 {
		b = appendU32Attr(b, nlmsg.NDAMaster, uint32(int32(m)))
	}
	return b
}

// kernelMaster is the master condition the kernel applies for f: none on
// a loose Conn, and no "no master" in a bridge FDB dump, which answers
// NDA_MASTER -1 with ENODEV.
func (f *NeighFilter) kernelMaster(strict bool) masterFilter {
	m := masterFilterOf(f.MasterIndex, f.NoMaster)
	if !strict || (m == noMaster && f.Family == FamilyBridge) {
		return 0
	}
	return m
}

// Neighs yields the neighbours f selects, decoded in place into one Neigh
// that is reused: it is valid only until the next step of the loop (copy
// it, or use NeighList). A kernel error or a malformed message is yielded
// last with a nil Neigh. Breaking out early is safe. Decoding allocates
// nothing (a master condition the kernel does not apply costs a link dump
// and a map of the links' masters, once per loop). Safe for concurrent
// use.
func (c *Conn) Neighs(ctx context.Context, f NeighFilter) iter.Seq2[*Neigh, error] {
	req := f.dumpRequest(c.strict)
	if m := masterFilterOf(f.MasterIndex, f.NoMaster); m == 0 || f.kernelMaster(c.strict) == m {
		return dumpInto(ctx, c, nlmsg.RTMGetNeigh, req, nlmsg.RTMNewNeigh, new(Neigh), (*Neigh).Decode, f.Match)
	}
	return func(yield func(*Neigh, error) bool) {
		masters, err := c.linkMasters(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		keep := func(n *Neigh) bool { return f.MatchOnLink(n, masters[n.LinkIndex]) }
		for n, err := range dumpInto(ctx, c, nlmsg.RTMGetNeigh, req, nlmsg.RTMNewNeigh, new(Neigh), (*Neigh).Decode, keep) {
			if !yield(n, err) {
				return
			}
		}
	}
}

// linkMasters maps the index of every link that has a master to its
// master's index, as the kernel's master filter of a neighbour dump
// finds it.
func (c *Conn) linkMasters(ctx context.Context) (map[int]int, error) {
	masters := map[int]int{}
	for l, err := range c.Links(ctx, LinkFilter{}) {
		if err != nil {
			return nil, err
		}
		if l.MasterIndex != 0 {
			masters[l.Index] = l.MasterIndex
		}
	}
	return masters, nil
}

// NeighList returns the neighbours f selects as owned values (one
// allocation per entry, plus the slice). On an error it returns the
// entries read so far with it. Safe for concurrent use.
func (c *Conn) NeighList(ctx context.Context, f NeighFilter) ([]Neigh, error) {
	return collect(c.Neighs(ctx, f), (*Neigh).Clone)
}
