package rtnl

import (
	"context"
	"errors"

	"github.com/nlengine/nlengine/nlmsg"
)

// errNoDst refuses a neighbour write without a destination, before anything
// is sent.
var errNoDst = errors.New("rtnl: neighbour: Dst is not a valid address")

// NeighAdd adds the entry n (RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_EXCL):
// n.Dst on link n.LinkIndex with n.LLAddr, in state n.State (0:
// PERMANENT, as ip), with n.Flags, n.VLAN and n.MasterIndex when set. The
// family comes from n.Dst unless n.Family is set. It fails with the
// kernel's error (EEXIST when the entry is there). Safe for concurrent use.
func (c *Conn) NeighAdd(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Excl, n)
}

// NeighReplace adds the entry n or replaces the one with the same
// destination and link (ip neigh replace). Safe for concurrent use.
func (c *Conn) NeighReplace(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Replace, n)
}

// NeighDel deletes the entry for n.Dst on link n.LinkIndex. Safe for
// concurrent use.
func (c *Conn) NeighDel(ctx context.Context, n *Neigh) error {
	return c.neighRequest(ctx, nlmsg.RTMDelNeigh, 0, n)
}

func (c *Conn) neighRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, n *Neigh) error {
	if !n.Dst.IsValid() {
		return errNoDst
	}
	fam := n.Family
	if fam == FamilyUnspec {
		fam = FamilyIPv6
		if n.Dst.Is4() {
			fam = FamilyIPv4
		}
	}
	state := n.State
	if state == 0 && typ == nlmsg.RTMNewNeigh {
		state = NeighPermanent
	}
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	nlmsg.AppendFamilyHeader(&b, nlmsg.NdMsg{Family: uint8(fam), Index: int32(n.LinkIndex), State: uint16(state), Flags: uint8(n.Flags), Type: n.Type})
	putIP(&b, nlmsg.NDADst, n.Dst)
	if len(n.LLAddr) != 0 {
		b.Attr(nlmsg.NDALLAddr, n.LLAddr)
	}
	if n.VLAN != 0 {
		b.Uint16(nlmsg.NDAVLAN, n.VLAN)
	}
	if n.MasterIndex != 0 {
		b.Uint32(nlmsg.NDAMaster, uint32(n.MasterIndex))
	}
	return c.ec.RequestFunc(ctx, typ, requestBody(&b), flags, func(nlmsg.View) error { return nil })
}
