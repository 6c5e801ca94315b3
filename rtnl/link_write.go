package rtnl

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/nlengine/nlengine/nlmsg"
)

// errInvalidLink is wrapped by the error of a link write that cannot be
// encoded (a field longer than an attribute can hold); nothing is sent.
var errInvalidLink = invalidError("rtnl: invalid link")

// linkRequest sends one RTM_*LINK request with header h and the attributes
// attrs appends (attrs nil: none), and waits for the kernel's ack.
func (c *Conn) linkRequest(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, h nlmsg.IfInfoMsg, attrs func([]byte) ([]byte, error)) error {
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) {
		b = h.AppendTo(b)
		if attrs == nil {
			return b, nil
		}
		return attrs(b)
	})
}

// LinkAdd creates a link (RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL) from
// l's non-zero fields: Name, Kind and its data (Veth, Bridge, VXLAN,
// MACVLAN), MTU, HardwareAddr, Broadcast, TxQLen, Group, MasterIndex,
// ParentIndex (a macvlan's parent), Flags (LinkUp to create it up) and
// Index (ip link add index N: the link gets that index). Alias, OperState
// and the read-only fields are not written. A veth is created with its
// peer (l.Veth), which l.Veth.PeerNetNSFD may place in another namespace.
// It fails with the kernel's error (EEXIST when the name or the index is
// taken), or, before anything is sent, with an error that errors.Is
// ErrInvalid for a field too long for its attribute or a negative Index.
// Once the link exists, LinkAdd sets l.Index to the index the kernel gave
// it, and l.Name to the name it gave (a name with %d, "br%d", becomes
// "br0"), from the RTM_NEWLINK the kernel echoes (NLM_F_ECHO; a kernel
// that does not echo costs one more request, RTM_GETLINK by name); l is
// not retained. Safe for concurrent use.
func (c *Conn) LinkAdd(ctx context.Context, l *Link) error {
	if l.Index < 0 || l.Index > 1<<31-1 {
		return fmt.Errorf("%w: index %d", errInvalidLink, l.Index)
	}
	// NB: with ifi_index set and NLM_F_EXCL the kernel refuses a taken
	// index (EEXIST) and otherwise creates the link with that index.
	h := nlmsg.IfInfoMsg{Index: int32(l.Index), Flags: uint32(l.Flags), Change: uint32(l.Flags)}
	bp := payloadPool.Get().(*[]byte)
	defer payloadPool.Put(bp)
	p, err := l.appendAttrs(h.AppendTo((*bp)[:0]))
	*bp = p[:0]
	if err != nil {
		return err
	}
	// NB: the only RTM_NEWLINK in the answer is the echo of this link (a
	// veth's peer is announced to the groups alone); the engine copies p
	// before RequestFunc returns.
	echoed := false
	err = c.ec.RequestFunc(ctx, nlmsg.RTMNewLink, p, nlmsg.Create|nlmsg.Excl|nlmsg.Echo, func(v nlmsg.View) error {
		var got Link
		if v.Type() != nlmsg.RTMNewLink || got.Decode(v.Payload()) != nil || got.Index <= 0 {
			return nil
		}
		l.Index, echoed = got.Index, true
		if got.Name != "" {
			l.Name = got.Name
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !echoed && l.Index == 0 && l.Name != "" {
		got, err := c.LinkByName(ctx, l.Name)
		if err != nil {
			return err
		}
		l.Index = got.Index
	}
	return nil
}

// LinkChange changes an existing link as ip link set dev NAME ... type
// KIND ... does: an RTM_NEWLINK without NLM_F_CREATE for the link
// l.Index, or, when Index is 0, the link named l.Name (a Name with an
// Index renames it). It writes l's non-zero fields as LinkAdd does, and
// the kind's data (Bridge, VXLAN, MACVLAN) when Kind is set and the data
// has a non-zero field: zero fields are left as they are (but for those
// BridgeInfo.Set names, written as zero), a veth's peer is never written. It fails with the kernel's error: ENODEV for no such
// link, EOPNOTSUPP (with the kernel's message) for data the kind cannot
// change, a Kind other than the link's, or a vxlan's ID or port; before
// anything is sent, with an error that errors.Is ErrInvalid for neither
// Index nor Name or a field too long. l is neither modified nor retained.
// Safe for concurrent use.
func (c *Conn) LinkChange(ctx context.Context, l *Link) error {
	if l.Index < 0 || l.Index > 1<<31-1 || (l.Index == 0 && l.Name == "") {
		return fmt.Errorf("%w: a link to change needs an index or a name (index %d)", errInvalidLink, l.Index)
	}
	h := nlmsg.IfInfoMsg{Index: int32(l.Index), Flags: uint32(l.Flags), Change: uint32(l.Flags)}
	return c.linkRequest(ctx, nlmsg.RTMNewLink, 0, h, func(b []byte) ([]byte, error) { return l.encodeAttrs(b, true) })
}

// appendAttrs appends the attributes LinkAdd writes for l.
func (l *Link) appendAttrs(b []byte) ([]byte, error) { return l.encodeAttrs(b, false) }

// encodeAttrs appends the attributes LinkAdd (change false) or LinkChange
// (change true) writes for l. A change leaves out what only a creation
// carries: a veth's peer, a vxlan's zero ID, and IFLA_LINKINFO when the
// kind's data has nothing to change (the kernel refuses even an empty
// IFLA_INFO_DATA for a kind without changelink).
func (l *Link) encodeAttrs(b []byte, change bool) ([]byte, error) {
	for _, n := range [...]int{len(l.Name) + 1, len(l.Kind) + 1, len(l.HardwareAddr), len(l.Broadcast), len(l.Veth.PeerName) + 1, len(l.Veth.PeerHardwareAddr)} {
		if !fitsAttr(n) {
			return b, fmt.Errorf("%w: a field of %d bytes", errInvalidLink, n)
		}
	}
	if l.Name != "" {
		b = appendStringAttr(b, nlmsg.IFLAIfName, l.Name)
	}
	if l.MTU != 0 {
		b = appendU32Attr(b, nlmsg.IFLAMTU, l.MTU)
	}
	if len(l.HardwareAddr) != 0 {
		b = appendAttr(b, nlmsg.IFLAAddress, l.HardwareAddr)
	}
	if len(l.Broadcast) != 0 {
		b = appendAttr(b, nlmsg.IFLABroadcast, l.Broadcast)
	}
	if l.TxQLen != 0 {
		b = appendU32Attr(b, nlmsg.IFLATxQLen, l.TxQLen)
	}
	if l.Group != 0 {
		b = appendU32Attr(b, nlmsg.IFLAGroup, l.Group)
	}
	if l.MasterIndex != 0 {
		b = appendU32Attr(b, nlmsg.IFLAMaster, uint32(l.MasterIndex))
	}
	if l.ParentIndex != 0 {
		b = appendU32Attr(b, nlmsg.IFLALink, uint32(l.ParentIndex))
	}
	if l.Kind == "" {
		return b, nil
	}
	b, info := beginNest(b, nlmsg.IFLALinkInfo, true)
	b = appendStringAttr(b, nlmsg.IFLAInfoKind, l.Kind)
	b, data := beginNest(b, nlmsg.IFLAInfoData, true)
	switch l.Kind {
	case KindVeth:
		if !change {
			b = l.Veth.append(b, l.MTU)
		}
	case KindBridge:
		b = l.Bridge.append(b)
	case KindVXLAN:
		b = l.VXLAN.append(b, change)
	case KindMACVLAN, KindMACVTAP:
		if l.MACVLAN.Mode != 0 {
			b = appendU32Attr(b, nlmsg.IFLAMACVLANMode, uint32(l.MACVLAN.Mode))
		}
		if l.MACVLAN.Flags != 0 {
			b = appendU16Attr(b, nlmsg.IFLAMACVLANFlags, l.MACVLAN.Flags)
		}
		if l.MACVLAN.BCQueueLen != 0 {
			b = appendU32Attr(b, nlmsg.IFLAMACVLANBCQueueLen, l.MACVLAN.BCQueueLen)
		}
	}
	if change && len(b) == data+nlmsg.AttrHeaderLen {
		return b[:info], nil
	}
	if !endNest(b, data) || !endNest(b, info) {
		return b, fmt.Errorf("%w: IFLA_LINKINFO longer than 65535 bytes", errInvalidLink)
	}
	return b, nil
}

// append appends the VETH_INFO_PEER nest: an ifinfomsg and the peer's
// attributes (whose lengths appendAttrs checked).
func (v *VethInfo) append(b []byte, linkMTU uint32) []byte {
	b, peer := beginNest(b, nlmsg.VETHInfoPeer, true)
	b = nlmsg.IfInfoMsg{}.AppendTo(b)
	if v.PeerName != "" {
		b = appendStringAttr(b, nlmsg.IFLAIfName, v.PeerName)
	}
	if len(v.PeerHardwareAddr) != 0 {
		b = appendAttr(b, nlmsg.IFLAAddress, v.PeerHardwareAddr)
	}
	if mtu := cmp.Or(v.PeerMTU, linkMTU); mtu != 0 {
		b = appendU32Attr(b, nlmsg.IFLAMTU, mtu)
	}
	if v.PeerNetNSFD > 0 {
		b = appendU32Attr(b, nlmsg.IFLANetNSFD, uint32(v.PeerNetNSFD))
	}
	endNest(b, peer) // within IFLA_LINKINFO, whose length is checked
	return b
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

// LinkSetFlags sets the link's flags named in change to their value in
// flags and leaves the others alone (ifi_change): for example LinkPromisc
// in both for ip link set promisc on, LinkNoARP in change alone for arp
// on. The kernel ignores the flags it does not let be set (LinkLowerUp,
// LinkRunning, ...). Safe for concurrent use.
func (c *Conn) LinkSetFlags(ctx context.Context, index int, flags, change LinkFlags) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index), Flags: uint32(flags & change), Change: uint32(change)}, nil)
}

// LinkSetTxQLen sets the link's transmit queue length (ip link set
// txqueuelen). Safe for concurrent use.
func (c *Conn) LinkSetTxQLen(ctx context.Context, index int, qlen uint32) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		return appendU32Attr(b, nlmsg.IFLATxQLen, qlen), nil
	})
}

// LinkSetGroup puts the link in a link group (ip link set group; 0 is
// "default"). Safe for concurrent use.
func (c *Conn) LinkSetGroup(ctx context.Context, index int, group uint32) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		return appendU32Attr(b, nlmsg.IFLAGroup, group), nil
	})
}

// LinkSetMTU sets the link's MTU. Safe for concurrent use.
func (c *Conn) LinkSetMTU(ctx context.Context, index int, mtu uint32) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		return appendU32Attr(b, nlmsg.IFLAMTU, mtu), nil
	})
}

// LinkSetName renames the link, up or down (kernels before 6.2 refuse
// while it is up: EBUSY). Safe for concurrent use.
func (c *Conn) LinkSetName(ctx context.Context, index int, name string) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		if !fitsAttr(len(name) + 1) {
			return b, fmt.Errorf("%w: a name of %d bytes", errInvalidLink, len(name))
		}
		return appendStringAttr(b, nlmsg.IFLAIfName, name), nil
	})
}

// LinkSetAlias sets the link's alias ("" removes it). Safe for concurrent
// use.
func (c *Conn) LinkSetAlias(ctx context.Context, index int, alias string) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		if !fitsAttr(len(alias)) {
			return b, fmt.Errorf("%w: an alias of %d bytes", errInvalidLink, len(alias))
		}
		b = binary.NativeEndian.AppendUint16(b, uint16(nlmsg.AttrHeaderLen+len(alias)))
		b = binary.NativeEndian.AppendUint16(b, nlmsg.IFLAIfAlias)
		return pad4(append(b, alias...)), nil
	})
}

// LinkSetHardwareAddr sets the link's hardware address. Safe for concurrent
// use.
func (c *Conn) LinkSetHardwareAddr(ctx context.Context, index int, hw []byte) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		if !fitsAttr(len(hw)) {
			return b, fmt.Errorf("%w: a hardware address of %d bytes", errInvalidLink, len(hw))
		}
		return appendAttr(b, nlmsg.IFLAAddress, hw), nil
	})
}

// LinkSetMaster makes the link a port of master (a bridge); master 0
// detaches it (ip link set nomaster). Safe for concurrent use.
func (c *Conn) LinkSetMaster(ctx context.Context, index, master int) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		return appendU32Attr(b, nlmsg.IFLAMaster, uint32(master)), nil
	})
}

// LinkSetNoMaster detaches the link from its master: LinkSetMaster with 0.
// Safe for concurrent use.
func (c *Conn) LinkSetNoMaster(ctx context.Context, index int) error {
	return c.LinkSetMaster(ctx, index, 0)
}

// LinkSetNetNS moves the link into the network namespace of the file
// descriptor nsfd. It leaves this namespace (an RTM_DELLINK with
// Link.NewIndex set) and keeps its index there unless that index is taken.
// Safe for concurrent use.
func (c *Conn) LinkSetNetNS(ctx context.Context, index, nsfd int) error {
	return c.linkSet(ctx, index, func(b []byte) ([]byte, error) {
		return appendU32Attr(b, nlmsg.IFLANetNSFD, uint32(nsfd)), nil
	})
}

// linkSet sends an RTM_SETLINK for the link index with the attributes
// attrs appends.
func (c *Conn) linkSet(ctx context.Context, index int, attrs func([]byte) ([]byte, error)) error {
	return c.linkRequest(ctx, nlmsg.RTMSetLink, 0, nlmsg.IfInfoMsg{Index: int32(index)}, attrs)
}
