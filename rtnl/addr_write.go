package rtnl

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/nlengine/nlengine/nlmsg"
)

// AddrAdd adds the address a to link a.LinkIndex (RTM_NEWADDR with
// NLM_F_CREATE|NLM_F_EXCL): a.Prefix (local address and length), and
// when set Peer, Broadcast, Label, Scope, Flags (all 32 bits), Metric,
// Protocol and the lifetimes (both zero: forever). The family comes from a.Prefix. It
// fails with the kernel's error (EEXIST when the address is there). Safe
// for concurrent use.
func (c *Conn) AddrAdd(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Excl, a)
}

// AddrReplace adds the address a or, when it exists, replaces some of its
// properties (RTM_NEWADDR with NLM_F_CREATE|NLM_F_REPLACE), as ip addr
// replace: the metric, the protocol and the lifetimes, and for IPv6 the
// flags; an IPv4 address keeps its label, broadcast and flags (delete it
// and add it to change those). What a leaves zero is written as zero: no
// metric, no protocol, lifetimes forever. Safe for concurrent use.
func (c *Conn) AddrReplace(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Replace, a)
}

// AddrChange sends what ip addr change sends: RTM_NEWADDR with
// NLM_F_REPLACE and without NLM_F_CREATE, changing the properties
// AddrReplace changes. Unlike NeighChange it does not fail for an absent
// address: the kernel (6.18 and every earlier one, both families) ignores
// the missing NLM_F_CREATE and adds it, so on those kernels AddrChange and
// AddrReplace do the same. Safe for concurrent use.
func (c *Conn) AddrChange(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMNewAddr, nlmsg.Replace, a)
}

// AddrDel removes the address a.Prefix (with a.Peer, for a point-to-point
// address) from link a.LinkIndex. An absent address fails with the
// kernel's error, which errors.Is unix.EADDRNOTAVAIL. Safe for concurrent
// use.
func (c *Conn) AddrDel(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMDelAddr, 0, a)
}

// errNoPrefix refuses an address write without an address, before
// anything is sent.
var errNoPrefix = invalidError("rtnl: address: Prefix is not a valid prefix")

// errInvalidAddr is wrapped by the error of an address write whose label
// is too long for its attribute.
var errInvalidAddr = invalidError("rtnl: invalid address")

func (c *Conn) addrRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, a *Addr) error {
	return c.write(ctx, typ, flags, a.appendTo)
}

// appendTo appends the ifaddrmsg and attributes of a write of a.
func (a *Addr) appendTo(b []byte) ([]byte, error) {
	if !a.Prefix.IsValid() {
		return b, errNoPrefix
	}
	if !fitsAttr(len(a.Label) + 1) {
		return b, fmt.Errorf("%w: a label of %d bytes", errInvalidAddr, len(a.Label))
	}
	local := a.Prefix.Addr()
	fam := FamilyIPv6
	if local.Is4() {
		fam = FamilyIPv4
	}
	b = nlmsg.IfAddrMsg{Family: uint8(fam), PrefixLen: uint8(a.Prefix.Bits()), Flags: uint8(a.Flags), Scope: uint8(a.Scope), Index: uint32(a.LinkIndex)}.AppendTo(b)
	b = appendAddrAttr(b, nlmsg.IFALocal, local)
	if a.Peer.IsValid() {
		b = appendAddrAttr(b, nlmsg.IFAAddress, a.Peer)
	} else {
		b = appendAddrAttr(b, nlmsg.IFAAddress, local)
	}
	if a.Broadcast.IsValid() {
		b = appendAddrAttr(b, nlmsg.IFABroadcast, a.Broadcast)
	}
	if a.Label != "" {
		b = appendStringAttr(b, nlmsg.IFALabel, a.Label)
	}
	if a.Flags != 0 {
		b = appendU32Attr(b, nlmsg.IFAFlags, uint32(a.Flags))
	}
	if a.Metric != 0 {
		b = appendU32Attr(b, nlmsg.IFARtPriority, a.Metric)
	}
	if a.Protocol != 0 {
		b = appendU8Attr(b, nlmsg.IFAProto, uint8(a.Protocol))
	}
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		var ci [nlmsg.IFACacheInfoLen]byte
		binary.NativeEndian.PutUint32(ci[0:], a.PreferredLifetime)
		binary.NativeEndian.PutUint32(ci[4:], a.ValidLifetime)
		b = appendAttr(b, nlmsg.IFACacheInfo, ci[:])
	}
	return b, nil
}
