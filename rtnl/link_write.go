package rtnl

import (
	"cmp"
	"context"

	"github.com/nlengine/nlengine/nlmsg"
)

// linkRequest sends one RTM_*LINK request with header h and the attributes
// attrs appends, and waits for the kernel's ack.
func (c *Conn) linkRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, h nlmsg.IfInfoMsg, attrs func(*nlmsg.Builder)) error {
	var b nlmsg.Builder
	defer b.Release()
	b.Begin(0, 0, 0)
	nlmsg.AppendFamilyHeader(&b, h)
	if attrs != nil {
		attrs(&b)
	}
	// NB: the engine copies the payload before RequestFunc returns, so the
	// Builder may be released afterwards.
	return c.ec.RequestFunc(ctx, typ, requestBody(&b), flags, func(nlmsg.View) error { return nil })
}

// LinkAdd creates a link (RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL) from
// l's non-zero fields: Name, Kind and its data (Veth, Bridge, VXLAN,
// MACVLAN), MTU, HardwareAddr, Broadcast, TxQLen, Group, MasterIndex,
// ParentIndex (a macvlan's parent) and Flags (LinkUp to create it up).
// Alias, OperState and the read-only fields are not written. A veth is
// created with its peer (l.Veth), which l.Veth.PeerNetNSFD may place in
// another namespace. It fails with the kernel's error (EEXIST when the
// name is taken). Safe for concurrent use.
func (c *Conn) LinkAdd(ctx context.Context, l *Link) error {
	h := nlmsg.IfInfoMsg{Flags: uint32(l.Flags), Change: uint32(l.Flags)}
	return c.linkRequest(ctx, nlmsg.RTMNewLink, nlmsg.Create|nlmsg.Excl, h, l.encodeAttrs)
}

// encodeAttrs appends the attributes LinkAdd writes for l.
func (l *Link) encodeAttrs(b *nlmsg.Builder) {
	if l.Name != "" {
		b.String(nlmsg.IFLAIfName, l.Name)
	}
	if l.MTU != 0 {
		b.Uint32(nlmsg.IFLAMTU, l.MTU)
	}
	if len(l.HardwareAddr) != 0 {
		b.Attr(nlmsg.IFLAAddress, l.HardwareAddr)
	}
	if len(l.Broadcast) != 0 {
		b.Attr(nlmsg.IFLABroadcast, l.Broadcast)
	}
	if l.TxQLen != 0 {
		b.Uint32(nlmsg.IFLATxQLen, l.TxQLen)
	}
	if l.Group != 0 {
		b.Uint32(nlmsg.IFLAGroup, l.Group)
	}
	if l.MasterIndex != 0 {
		b.Uint32(nlmsg.IFLAMaster, uint32(l.MasterIndex))
	}
	if l.ParentIndex != 0 {
		b.Uint32(nlmsg.IFLALink, uint32(l.ParentIndex))
	}
	if l.Kind == "" {
		return
	}
	info := b.BeginNest(nlmsg.IFLALinkInfo)
	b.String(nlmsg.IFLAInfoKind, l.Kind)
	data := b.BeginNest(nlmsg.IFLAInfoData)
	switch l.Kind {
	case KindVeth:
		l.Veth.encode(b, l.MTU)
	case KindBridge:
		l.Bridge.encode(b)
	case KindVXLAN:
		l.VXLAN.encode(b)
	case KindMACVLAN:
		if l.MACVLAN.Mode != 0 {
			b.Uint32(nlmsg.IFLAMACVLANMode, uint32(l.MACVLAN.Mode))
		}
		if l.MACVLAN.Flags != 0 {
			b.Uint16(nlmsg.IFLAMACVLANFlags, l.MACVLAN.Flags)
		}
	}
	b.EndNest(data)
	b.EndNest(info)
}

// encode appends the VETH_INFO_PEER nest: an ifinfomsg and the peer's
// attributes.
func (v *VethInfo) encode(b *nlmsg.Builder, linkMTU uint32) {
	peer := b.BeginNest(nlmsg.VETHInfoPeer)
	nlmsg.AppendFamilyHeader(b, nlmsg.IfInfoMsg{})
	if v.PeerName != "" {
		b.String(nlmsg.IFLAIfName, v.PeerName)
	}
	if len(v.PeerHardwareAddr) != 0 {
		b.Attr(nlmsg.IFLAAddress, v.PeerHardwareAddr)
	}
	if mtu := cmp.Or(v.PeerMTU, linkMTU); mtu != 0 {
		b.Uint32(nlmsg.IFLAMTU, mtu)
	}
	if v.PeerNetNSFD > 0 {
		b.Uint32(nlmsg.IFLANetNSFD, uint32(v.PeerNetNSFD))
	}
	b.EndNest(peer)
}

// LinkDel deletes the link with that index (a veth's peer goes with it).
// Safe for concurrent use.
func (c *Conn) LinkDel(ctx context.Context, index int) error {
	return c.linkRequest(ctx, nlmsg.RTMDelLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, nil)
}

// LinkSetUp sets the link administratively up (ip link set up). Safe for
// concurrent use.
func (c *Conn) LinkSetUp(ctx context.Context, index int) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index), Flags: uint32(LinkUp), Change: uint32(LinkUp)}, nil)
}

// LinkSetDown sets the link administratively down. Safe for concurrent use.
func (c *Conn) LinkSetDown(ctx context.Context, index int) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index), Change: uint32(LinkUp)}, nil)
}

// LinkSetMTU sets the link's MTU. Safe for concurrent use.
func (c *Conn) LinkSetMTU(ctx context.Context, index int, mtu uint32) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.Uint32(nlmsg.IFLAMTU, mtu)
	})
}

// LinkSetName renames the link (the kernel refuses while it is up: EBUSY).
// Safe for concurrent use.
func (c *Conn) LinkSetName(ctx context.Context, index int, name string) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.String(nlmsg.IFLAIfName, name)
	})
}

// LinkSetAlias sets the link's alias ("" removes it). Safe for concurrent
// use.
func (c *Conn) LinkSetAlias(ctx context.Context, index int, alias string) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.Attr(nlmsg.IFLAIfAlias, []byte(alias))
	})
}

// LinkSetHardwareAddr sets the link's hardware address. Safe for concurrent
// use.
func (c *Conn) LinkSetHardwareAddr(ctx context.Context, index int, hw []byte) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.Attr(nlmsg.IFLAAddress, hw)
	})
}

// LinkSetMaster makes the link a port of master (a bridge); master 0
// detaches it (ip link set nomaster). Safe for concurrent use.
func (c *Conn) LinkSetMaster(ctx context.Context, index, master int) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.Uint32(nlmsg.IFLAMaster, uint32(master))
	})
}

// LinkSetNoMaster detaches the link from its master: LinkSetMaster with 0.
func (c *Conn) LinkSetNoMaster(ctx context.Context, index int) error {
	return c.LinkSetMaster(ctx, index, 0)
}

// LinkSetNetNS moves the link into the network namespace of the file
// descriptor nsfd (it gets a new index there, and leaves this namespace).
// Safe for concurrent use.
func (c *Conn) LinkSetNetNS(ctx context.Context, index, nsfd int) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, func(b *nlmsg.Builder) {
		b.Uint32(nlmsg.IFLANetNSFD, uint32(nsfd))
	})
}
