package rtnl

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/nlengine/nlengine/nlmsg"
)

// AddrAdd adds the address a to link a.LinkIndex (RTM_NEWADDR with
// NLM_F_CREATE|NLM_F_EXCL): a.Prefix (local address and length), and
// when set Peer, Broadcast, Label, Scope, Flags (all 32 bits), Metric and
// the lifetimes (both zero: forever). The family comes from a.Prefix. It
// fails with the kernel's error (EEXIST when the address is there). Safe
// for concurrent use.
func (c *Conn) AddrAdd(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Excl, a)
}

// AddrReplace adds the address a or, when it exists, replaces its
// properties (flags, lifetimes, label, ...): RTM_NEWADDR with
// NLM_F_CREATE|NLM_F_REPLACE. Safe for concurrent use.
func (c *Conn) AddrReplace(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Replace, a)
}

// AddrDel removes the address a.Prefix (with a.Peer, for a point-to-point
// address) from link a.LinkIndex. Safe for concurrent use.
func (c *Conn) AddrDel(ctx context.Context, a *Addr) error {
	return c.addrRequest(ctx, nlmsg.RTMDelAddr, 0, a)
}

// errNoPrefix refuses an address write without an address, before
// anything is sent.
var errNoPrefix = errors.New("rtnl: address: Prefix is not a valid prefix")

func (c *Conn) addrRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, a *Addr) error {
	if !a.Prefix.IsValid() {
		return errNoPrefix
	}
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	a.encode(&b)
	return c.ec.RequestFunc(ctx, typ, requestBody(&b), flags, func(nlmsg.View) error { return nil })
}

// encode appends the ifaddrmsg and attributes of a write of a, whose
// Prefix is valid.
func (a *Addr) encode(b *nlmsg.Builder) {
	local := a.Prefix.Addr()
	fam := FamilyIPv6
	if local.Is4() {
		fam = FamilyIPv4
	}
	nlmsg.AppendFamilyHeader(b, nlmsg.IfAddrMsg{Family: uint8(fam), PrefixLen: uint8(a.Prefix.Bits()), Flags: uint8(a.Flags), Scope: uint8(a.Scope), Index: uint32(a.LinkIndex)})
	putIP(b, nlmsg.IFALocal, local)
	if a.Peer.IsValid() {
		putIP(b, nlmsg.IFAAddress, a.Peer)
	} else {
		putIP(b, nlmsg.IFAAddress, local)
	}
	if a.Broadcast.IsValid() {
		putIP(b, nlmsg.IFABroadcast, a.Broadcast)
	}
	if a.Label != "" {
		b.String(nlmsg.IFALabel, a.Label)
	}
	if a.Flags != 0 {
		b.Uint32(nlmsg.IFAFlags, uint32(a.Flags))
	}
	if a.Metric != 0 {
		b.Uint32(nlmsg.IFARtPriority, a.Metric)
	}
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		var ci [nlmsg.IFACacheInfoLen]byte
		binary.NativeEndian.PutUint32(ci[0:], a.PreferredLifetime)
		binary.NativeEndian.PutUint32(ci[4:], a.ValidLifetime)
		b.Attr(nlmsg.IFACacheInfo, ci[:])
	}
}
