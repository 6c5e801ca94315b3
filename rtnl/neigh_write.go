package rtnl

import (
	"context"
	"fmt"

	"github.com/nlengine/nlengine/nlmsg"
)

// errNoDst refuses a neighbour write without a destination (or, for a
// bridge FDB entry, without a link-layer address), before anything is
// sent.
var errNoDst = invalidError("rtnl: neighbour: Dst is not a valid address (nor, for FamilyBridge, LLAddr set)")

// errInvalidNeigh is wrapped by the error of a neighbour write whose
// LLAddr is too long for its attribute.
var errInvalidNeigh = invalidError("rtnl: invalid neighbour")

// NeighAdd adds the entry n (RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_EXCL):
// n.Dst on link n.LinkIndex with n.LLAddr, in state n.State (0:
// PERMANENT, as ip, or NONE for a managed entry, which the kernel resolves
// itself and refuses permanent), with n.Flags, n.FlagsExt, n.Protocol,
// n.VLAN and n.MasterIndex when set. The family comes from n.Dst unless
// n.Family is set.
//
// With NeighProxy in n.Flags it adds a proxy entry instead (ip neigh add
// proxy; no LLAddr), which NeighFilter.Proxy reads back. With Family
// FamilyBridge it adds a bridge FDB entry as bridge fdb add does: n.LLAddr
// on port n.LinkIndex, in the bridge's table (NeighMaster, what the
// kernel assumes on a bridge port without either flag) or the device's
// (NeighSelf, what bridge fdb add assumes), n.Dst
// optional (a VXLAN remote, with Port, VNI, SrcVNI, ViaIndex, NHID), a
// zero State sent as NOARP|PERMANENT, as bridge sends it.
//
// It fails with the kernel's error (EEXIST when a cache entry is there;
// the kernel takes a proxy entry again). Safe for concurrent use.
func (c *Conn) NeighAdd(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Excl, n)
}

// NeighReplace adds the entry n or replaces the one with the same
// destination and link (ip neigh replace). Safe for concurrent use.
func (c *Conn) NeighReplace(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Replace, n)
}

// NeighChange changes the entry with n's destination and link to n, as
// ip neigh change does (NLM_F_REPLACE without NLM_F_CREATE), and fails,
// rather than adding it, when there is none: the kernel's error errors.Is
// unix.ENOENT. Safe for concurrent use.
func (c *Conn) NeighChange(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Replace, n)
}

// NeighAppend adds the entry n next to those there (NLM_F_CREATE|
// NLM_F_APPEND), as bridge fdb append does: one more VXLAN remote (n.Dst)
// for the link-layer address n.LLAddr. Safe for concurrent use.
func (c *Conn) NeighAppend(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Append, n)
}

// NeighDel deletes the entry for n.Dst on link n.LinkIndex: the proxy
// entry when n.Flags has NeighProxy, the FDB entry of n.LLAddr (and n.VLAN,
// n.Dst) for FamilyBridge, else the cache entry. An absent entry
// fails with the kernel's error, which errors.Is unix.ENOENT. Safe for
// concurrent use.
func (c *Conn) NeighDel(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMDelNeigh, 0, n)
}

func (c *Conn) neighRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, n *Neigh) error {
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) { return n.appendTo(b, typ == nlmsg.RTMNewNeigh) })
}

// appendTo appends the ndmsg and attributes of a write of n (isNew: an
// RTM_NEWNEIGH, whose zero State is sent as PERMANENT, NOARP|PERMANENT
// for the FDB, NONE for a managed entry).
func (n *Neigh) appendTo(b []byte, isNew bool) ([]byte, error) {
	bridge := n.Family == FamilyBridge
	if !n.Dst.IsValid() && (!bridge || len(n.LLAddr) == 0) {
		return b, errNoDst
	}
	if !fitsAttr(len(n.LLAddr)) {
		return b, fmt.Errorf("%w: a link-layer address of %d bytes", errInvalidNeigh, len(n.LLAddr))
	}
	fam := n.Family
	if fam == FamilyUnspec {
		fam = FamilyIPv6
		if n.Dst.Is4() {
			fam = FamilyIPv4
		}
	}
	state := n.State
	switch {
	case state != 0 || !isNew || n.FlagsExt&NeighManaged != 0:
	case bridge:
		state = NeighNoARP | NeighPermanent
	default:
		state = NeighPermanent
	}
	b = nlmsg.NdMsg{Family: uint8(fam), Index: int32(n.LinkIndex), State: uint16(state), Flags: uint8(n.Flags), Type: n.Type}.AppendTo(b)
	if n.Dst.IsValid() {
		b = appendAddrAttr(b, nlmsg.NDADst, n.Dst)
	}
	if len(n.LLAddr) != 0 {
		b = appendAttr(b, nlmsg.NDALLAddr, n.LLAddr)
	}
	if n.VLAN != 0 {
		b = appendU16Attr(b, nlmsg.NDAVLAN, n.VLAN)
	}
	if n.MasterIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAMaster, uint32(n.MasterIndex))
	}
	if n.Port != 0 {
		b = appendU16BEAttr(b, nlmsg.NDAPort, n.Port)
	}
	if n.VNI != 0 {
		b = appendU32Attr(b, nlmsg.NDAVNI, n.VNI)
	}
	if n.SrcVNI != 0 {
		b = appendU32Attr(b, nlmsg.NDASrcVNI, n.SrcVNI)
	}
	if n.ViaIndex != 0 {
		b = appendU32Attr(b, nlmsg.NDAIfIndex, uint32(n.ViaIndex))
	}
	if n.NHID != 0 {
		b = appendU32Attr(b, nlmsg.NDANHID, n.NHID)
	}
	if n.FlagsExt != 0 {
		b = appendU32Attr(b, nlmsg.NDAFlagsExt, uint32(n.FlagsExt))
	}
	if n.Protocol != 0 {
		b = appendU8Attr(b, nlmsg.NDAProtocol, uint8(n.Protocol))
	}
	return b, nil
}
