package rtnl

import (
	"context"
	"fmt"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrInvalidNexthop is wrapped by the error a nexthop object write
// returns, before anything is sent, for a value that cannot be encoded (a
// gateway of another family, a weight or timer out of the wire's range, a
// group or tunnel longer than an attribute holds). It errors.Is ErrInvalid.
var ErrInvalidNexthop error = invalidError("rtnl: invalid nexthop object")

// NexthopAdd adds the nexthop object n (RTM_NEWNEXTHOP with
// NLM_F_CREATE|NLM_F_EXCL, like ip nexthop add): EEXIST if its ID is
// taken. An ID of 0 lets the kernel pick one, which NexthopAdd then sets
// in n.ID (from the object the kernel echoes, NLM_F_ECHO; on a kernel
// that echoes nothing n.ID stays 0). The kernel's refusals are *engine.OpError values with its message: for
// example EINVAL "Invalid nexthop id" for a group with a member that does
// not exist, ENETDOWN for a device that is down. n is not retained. A Conn
// of another netlink family is refused before anything is sent. Safe for
// concurrent use.
func (c *Conn) NexthopAdd(ctx context.Context, n *NexthopObject) error {
	if n.ID != 0 {
		return c.nexthopWrite(ctx, nlmsg.Create|nlmsg.Excl, n)
	}
	if err := c.ec.RequireFamily("rtnl nexthop write", nlmsg.FamilyRoute); err != nil {
		return err
	}
	return c.writeFunc(ctx, nlmsg.RTMNewNexthop, nlmsg.Create|nlmsg.Excl|nlmsg.Echo,
		func(b []byte) ([]byte, error) { return appendNexthop(b, n) },
		func(v nlmsg.View) error {
			if v.Type() == nlmsg.RTMNewNexthop {
				n.ID = echoedNexthopID(v.Payload())
			}
			return nil
		})
}

// echoedNexthopID is the NHA_ID of an RTM_NEWNEXTHOP payload, 0 if it has
// none or does not decode.
func echoedNexthopID(payload []byte) uint32 {
	var h nlmsg.NhMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return 0
	}
	for s := nlmsg.NewAttrScanner(attrs); s.Next(); {
		if a := s.Attr(); a.Type() == nlmsg.NHAID {
			id, _ := a.Uint32()
			return id
		}
	}
	return 0
}

// NexthopReplace adds n or replaces the object with its ID (ip nexthop
// replace); routes and groups that use the object follow the change. The
// kernel refuses (EINVAL) an ID of 0, turning a single next hop into a
// group or back, and changing a resilient group's bucket count. Safe for
// concurrent use.
func (c *Conn) NexthopReplace(ctx context.Context, n *NexthopObject) error {
	return c.nexthopWrite(ctx, nlmsg.Create|nlmsg.Replace, n)
}

// NexthopDel deletes the nexthop object id (ip nexthop del): ENOENT if
// there is none. Deleting an object also takes it out of every group it
// is a member of (a group left empty is deleted too) and deletes the
// routes that use it, without RTM_DELROUTE notifications. Safe for
// concurrent use.
func (c *Conn) NexthopDel(ctx context.Context, id uint32) error {
	if err := c.ec.RequireFamily("rtnl nexthop del", nlmsg.FamilyRoute); err != nil {
		return err
	}
	return c.write(ctx, nlmsg.RTMDelNexthop, 0, func(b []byte) ([]byte, error) { return idRequest(b, id), nil })
}

func (c *Conn) nexthopWrite(ctx context.Context, flags nlmsg.Flags, n *NexthopObject) error {
	if err := c.ec.RequireFamily("rtnl nexthop write", nlmsg.FamilyRoute); err != nil {
		return err
	}
	return c.write(ctx, nlmsg.RTMNewNexthop, flags, func(b []byte) ([]byte, error) { return appendNexthop(b, n) })
}

// nexthopFamily is the family a single next hop is written with: its own,
// else its gateway's, else IPv4 (as ip nexthop add does).
func nexthopFamily(n *NexthopObject) Family {
	switch {
	case n.Family != FamilyUnspec:
		return n.Family
	case n.Gateway.Is6() && !n.Gateway.Is4In6():
		return FamilyIPv6
	}
	return FamilyIPv4
}

// maxNexthopWeight is the heaviest weight of a group member: the wire's
// 16 bits hold weight-1, and the kernel refuses 0xffff.
const maxNexthopWeight = 1<<16 - 1

// maxClockTicks is the longest resilient timer the wire holds.
const maxClockTicks = time.Duration(1<<32-1) * clockTick

// appendNexthop appends the RTM_NEWNEXTHOP payload of n to b. A group is
// sent with family AF_UNSPEC, its members, its type and (for a resilient
// group) its bucket table settings, and nothing of a single next hop's;
// a single next hop with its gateway, device, blackhole, FDB and tunnel.
func appendNexthop(b []byte, n *NexthopObject) ([]byte, error) {
	start := len(b)
	fail := func(format string, args ...any) ([]byte, error) {
		return b[:start], fmt.Errorf("%w: "+format, append([]any{ErrInvalidNexthop}, args...)...)
	}
	h := nlmsg.NhMsg{Protocol: uint8(n.Protocol), Flags: uint32(n.Flags & RouteFlagOnlink)}
	if n.IsGroup() {
		if n.Family != FamilyUnspec {
			return fail("a group of family %v (a group has none)", n.Family)
		}
		if len(n.Group)*nlmsg.NexthopGrpLen > nlmsg.MaxAttrData {
			return fail("%d members do not fit NHA_GROUP", len(n.Group))
		}
		b = h.AppendTo(b)
		if n.ID != 0 {
			b = appendU32Attr(b, nlmsg.NHAID, n.ID)
		}
		var off int
		b, off = beginNest(b, nlmsg.NHAGroup, false)
		for _, m := range n.Group {
			if m.Weight < 0 || m.Weight > maxNexthopWeight {
				return fail("member %d of weight %d (1 to %d)", m.ID, m.Weight, maxNexthopWeight)
			}
			b = nlmsg.NexthopGrp{ID: m.ID, Weight: uint32(m.Weight)}.AppendTo(b)
		}
		endNest(b, off)
		b = appendU16Attr(b, nlmsg.NHAGroupType, uint16(n.GroupType))
		if n.FDB {
			b = appendAttr(b, nlmsg.NHAFDB, nil)
		}
		if n.GroupType == NexthopGroupResilient {
			r := &n.Resilient
			for _, t := range [...]time.Duration{r.IdleTimer, r.UnbalancedTimer} {
				if t < 0 || t > maxClockTicks {
					return fail("resilient timer %v (0 to %v)", t, maxClockTicks)
				}
			}
			b, off = beginNest(b, nlmsg.NHAResGroup, true)
			if r.Buckets != 0 {
				b = appendU16Attr(b, nlmsg.NHAResGroupBuckets, r.Buckets)
			}
			if r.HasIdleTimer {
				b = appendU32Attr(b, nlmsg.NHAResGroupIdleTimer, uint32(r.IdleTimer/clockTick))
			}
			if r.HasUnbalancedTimer {
				b = appendU32Attr(b, nlmsg.NHAResGroupUnbalancedTimer, uint32(r.UnbalancedTimer/clockTick))
			}
			endNest(b, off)
		}
		return b, nil
	}
	f := nexthopFamily(n)
	if addrLen(f) == 0 {
		return fail("family %v (a single next hop is IPv4 or IPv6)", f)
	}
	if n.Gateway.IsValid() && n.Gateway.Is4() != (f == FamilyIPv4) {
		return fail("gateway %v in a %v next hop", n.Gateway, f)
	}
	h.Family = uint8(f)
	b = h.AppendTo(b)
	if n.ID != 0 {
		b = appendU32Attr(b, nlmsg.NHAID, n.ID)
	}
	if n.Blackhole {
		b = appendAttr(b, nlmsg.NHABlackhole, nil)
	}
	if n.FDB {
		b = appendAttr(b, nlmsg.NHAFDB, nil)
	}
	if n.OIF != 0 {
		b = appendU32Attr(b, nlmsg.NHAOIF, uint32(n.OIF))
	}
	if n.Gateway.IsValid() {
		b = appendAddrAttr(b, nlmsg.NHAGateway, n.Gateway)
	}
	if n.EncapType != EncapNone {
		b = appendU16Attr(b, nlmsg.NHAEncapType, uint16(n.EncapType))
		if n.Encap != nil {
			if !fitsAttr(len(n.Encap)) {
				return fail("NHA_ENCAP of %d bytes", len(n.Encap))
			}
			b = appendAttr(b, nlmsg.NHAEncap|nlmsg.AttrNested, n.Encap)
		}
	}
	return b, nil
}
