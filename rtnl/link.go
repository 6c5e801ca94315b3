package rtnl

import (
	"bytes"
	"net"

	"github.com/nlengine/nlengine/nlmsg"
)

// Link is a network interface as RTM_NEWLINK describes it: the fields
// `ip -d link show` prints (the per-family data aside, which stays in
// Attrs), its counters when the message has them (Stats), its alternative
// names (AppendAltNames), and the kind's own data for veth, bridge, vxlan,
// macvlan, macvtap and tun.
//
// A Link filled by Decode (or yielded by Links) points into the message it
// was decoded from: HardwareAddr, Broadcast and Attrs are valid only as long
// as that message is (for Links, until the next step of the loop). Strings
// are interned and stay valid. LinkList, LinkByName and LinkByIndex return
// owned values. Not safe for concurrent use.
//
// For LinkAdd, the fields that are set (non-zero) are written; see LinkAdd.
type Link struct {
	// Family is ifi_family: FamilyUnspec for a link. A notification of
	// FamilyBridge is about the link as a bridge port (bridge monitor
	// link): its RTM_DELLINK means the port left its bridge, not that the
	// link is gone.
	Family       Family
	Index        int              // ifi_index
	Name         string           // IFLA_IFNAME
	Kind         string           // IFLA_INFO_KIND: "veth", "bridge", "vxlan", "macvlan", "tun", ...; "" for a physical or loopback link
	PortKind     string           // IFLA_INFO_SLAVE_KIND: the master's kind when this link is a port ("bridge")
	Type         uint16           // ifi_type: ARPHRD_* (1 ether, 772 loopback)
	Flags        LinkFlags        // ifi_flags
	MTU          uint32           // IFLA_MTU
	MinMTU       uint32           // IFLA_MIN_MTU
	MaxMTU       uint32           // IFLA_MAX_MTU
	OperState    OperState        // IFLA_OPERSTATE
	HardwareAddr net.HardwareAddr // IFLA_ADDRESS
	Broadcast    net.HardwareAddr // IFLA_BROADCAST
	MasterIndex  int              // IFLA_MASTER: the bridge (or other master) this link is a port of; 0 for none
	ParentIndex  int              // IFLA_LINK: the lower link (a macvlan's parent, a veth's peer); 0 for none
	TxQLen       uint32           // IFLA_TXQLEN
	Qdisc        string           // IFLA_QDISC: the root queueing discipline's kind ("noqueue", "fq_codel", ...)
	// CarrierChanges counts the carrier's transitions (IFLA_CARRIER_CHANGES,
	// ip -s's carrier_changes), CarrierUpCount and CarrierDownCount each
	// direction (IFLA_CARRIER_UP_COUNT, IFLA_CARRIER_DOWN_COUNT).
	CarrierChanges, CarrierUpCount, CarrierDownCount uint32
	Alias                                            string // IFLA_IFALIAS
	NetNSID                                          int32  // IFLA_LINK_NETNSID: the namespace id (as this namespace names it) where ParentIndex lives; -1 when the parent is local or absent
	Group                                            uint32 // IFLA_GROUP: 0 is ip's "default"
	Promiscuity                                      uint32 // IFLA_PROMISCUITY: how many asked for promiscuous mode
	AllMulti                                         uint32 // IFLA_ALLMULTI: how many asked for all multicast
	NumTxQueues                                      uint32 // IFLA_NUM_TX_QUEUES
	NumRxQueues                                      uint32 // IFLA_NUM_RX_QUEUES
	GSOMaxSize                                       uint32 // IFLA_GSO_MAX_SIZE
	GSOMaxSegs                                       uint32 // IFLA_GSO_MAX_SEGS
	GROMaxSize                                       uint32 // IFLA_GRO_MAX_SIZE
	TSOMaxSize                                       uint32 // IFLA_TSO_MAX_SIZE
	TSOMaxSegs                                       uint32 // IFLA_TSO_MAX_SEGS
	// NewNetNSID and NewIndex are set only in the RTM_DELLINK of a link
	// moved to another namespace (ip monitor's new-netnsid, new-ifindex):
	// that namespace's id as this one names it, and the link's index
	// there. -1 and 0 otherwise.
	NewNetNSID int32 // IFLA_NEW_NETNSID
	NewIndex   int   // IFLA_NEW_IFINDEX

	Veth    VethInfo    // kind "veth"
	Bridge  BridgeInfo  // kind "bridge"
	VXLAN   VXLANInfo   // kind "vxlan"
	MACVLAN MACVLANInfo // kinds "macvlan" and "macvtap"
	Tun     TunInfo     // kind "tun" (read only)

	// Attrs holds every attribute of the message (after the ifinfomsg), the
	// decoded ones included, for nlmsg.NewAttrScanner.
	Attrs []byte

	hwAt, brdAt int32 // offsets of HardwareAddr and Broadcast in Attrs, for owned copies
	propAt      int32 // offset of the IFLA_PROP_LIST attribute in Attrs, -1 for none
	statsAt     int32 // offset of the IFLA_STATS64 attribute in Attrs, -1 for none (Stats)
}

// AppendAltNames appends the link's alternative names (IFLA_ALT_IFNAME in
// IFLA_PROP_LIST, ip's "altnames"), in the kernel's order, to dst and
// returns it. The names are interned: it allocates only to grow dst.
func (l *Link) AppendAltNames(dst []string) []string {
	if l.propAt < 0 || int(l.propAt) >= len(l.Attrs) {
		return dst
	}
	s := nlmsg.NewAttrScanner(l.Attrs[l.propAt:])
	if !s.Next() {
		return dst
	}
	ps := s.Attr().Attrs()
	for ps.Next() {
		if a := ps.Attr(); a.Type() == nlmsg.IFLAAltIfName {
			dst = append(dst, names.String(a.StringBytes()))
		}
	}
	return dst
}

// Decode reads an RTM_NEWLINK (or RTM_DELLINK) payload into l, replacing
// everything in it. l then points into payload (see Link). A malformed
// header or attribute gives an *AttrError naming it. Decode does not
// allocate once the link's names have been seen (they are interned).
func (l *Link) Decode(payload []byte) error {
	var h nlmsg.IfInfoMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &AttrError{Object: "link", Attr: "ifinfomsg", Offset: 0, Err: err}
	}
	// NB: l is cleared in place and then filled, for the reason given at
	// Route.Decode.
	*l = Link{}
	l.Family = Family(h.Family)
	l.Type = h.Type
	l.Index = int(h.Index)
	l.Flags = LinkFlags(h.Flags)
	l.NetNSID, l.NewNetNSID, l.hwAt, l.brdAt, l.propAt, l.statsAt = -1, -1, -1, -1, -1, -1
	l.Attrs = attrs
	base := len(payload) - len(attrs)
	var info nlmsg.Attr
	hasInfo := false
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.IFLAIfName:
			l.Name = names.String(a.StringBytes())
		case nlmsg.IFLAMTU:
			l.MTU, err = a.Uint32()
			name = "IFLA_MTU"
		case nlmsg.IFLAMinMTU:
			l.MinMTU, err = a.Uint32()
			name = "IFLA_MIN_MTU"
		case nlmsg.IFLAMaxMTU:
			l.MaxMTU, err = a.Uint32()
			name = "IFLA_MAX_MTU"
		case nlmsg.IFLATxQLen:
			l.TxQLen, err = a.Uint32()
			name = "IFLA_TXQLEN"
		case nlmsg.IFLAGroup:
			l.Group, err = a.Uint32()
			name = "IFLA_GROUP"
		case nlmsg.IFLAPromiscuity:
			l.Promiscuity, err = a.Uint32()
			name = "IFLA_PROMISCUITY"
		case nlmsg.IFLAAllMulti:
			l.AllMulti, err = a.Uint32()
			name = "IFLA_ALLMULTI"
		case nlmsg.IFLANumTxQueues:
			l.NumTxQueues, err = a.Uint32()
			name = "IFLA_NUM_TX_QUEUES"
		case nlmsg.IFLANumRxQueues:
			l.NumRxQueues, err = a.Uint32()
			name = "IFLA_NUM_RX_QUEUES"
		case nlmsg.IFLAGSOMaxSize:
			l.GSOMaxSize, err = a.Uint32()
			name = "IFLA_GSO_MAX_SIZE"
		case nlmsg.IFLAGSOMaxSegs:
			l.GSOMaxSegs, err = a.Uint32()
			name = "IFLA_GSO_MAX_SEGS"
		case nlmsg.IFLAGROMaxSize:
			l.GROMaxSize, err = a.Uint32()
			name = "IFLA_GRO_MAX_SIZE"
		case nlmsg.IFLATSOMaxSize:
			l.TSOMaxSize, err = a.Uint32()
			name = "IFLA_TSO_MAX_SIZE"
		case nlmsg.IFLATSOMaxSegs:
			l.TSOMaxSegs, err = a.Uint32()
			name = "IFLA_TSO_MAX_SEGS"
		case nlmsg.IFLAPropList:
			l.propAt = int32(a.Offset())
		case nlmsg.IFLAStats64:
			err = checkStats64(a)
			l.statsAt = int32(a.Offset())
			name = "IFLA_STATS64"
		case nlmsg.IFLAQdisc:
			l.Qdisc = names.String(a.StringBytes())
		case nlmsg.IFLACarrierChanges:
			l.CarrierChanges, err = a.Uint32()
			name = "IFLA_CARRIER_CHANGES"
		case nlmsg.IFLACarrierUpCount:
			l.CarrierUpCount, err = a.Uint32()
			name = "IFLA_CARRIER_UP_COUNT"
		case nlmsg.IFLACarrierDownCount:
			l.CarrierDownCount, err = a.Uint32()
			name = "IFLA_CARRIER_DOWN_COUNT"
		case nlmsg.IFLAOperState:
			var v uint8
			v, err = a.Uint8()
			l.OperState = OperState(v)
			name = "IFLA_OPERSTATE"
		case nlmsg.IFLAAddress:
			l.HardwareAddr = net.HardwareAddr(a.Data())
			l.hwAt = int32(a.Offset() + nlmsg.AttrHeaderLen)
		case nlmsg.IFLABroadcast:
			l.Broadcast = net.HardwareAddr(a.Data())
			l.brdAt = int32(a.Offset() + nlmsg.AttrHeaderLen)
		case nlmsg.IFLAMaster:
			var v uint32
			v, err = a.Uint32()
			l.MasterIndex = int(v)
			name = "IFLA_MASTER"
		case nlmsg.IFLALink:
			var v uint32
			v, err = a.Uint32()
			l.ParentIndex = int(v)
			name = "IFLA_LINK"
		case nlmsg.IFLAIfAlias:
			l.Alias = names.String(a.StringBytes())
		case nlmsg.IFLALinkNetNSID:
			l.NetNSID, err = a.Int32()
			name = "IFLA_LINK_NETNSID"
		case nlmsg.IFLANewNetNSID:
			l.NewNetNSID, err = a.Int32()
			name = "IFLA_NEW_NETNSID"
		case nlmsg.IFLANewIfIndex:
			var v int32
			v, err = a.Int32()
			l.NewIndex = int(v)
			name = "IFLA_NEW_IFINDEX"
		case nlmsg.IFLALinkInfo:
			info, hasInfo = a, true
		}
		if err != nil {
			return &AttrError{Object: "link", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA attributes", base, err)
	}
	if hasInfo {
		return l.decodeLinkInfo(info, base+info.Offset()+nlmsg.AttrHeaderLen)
	}
	return nil
}

// decodeLinkInfo reads the IFLA_LINKINFO nest, whose payload starts at
// offset base of the message payload.
func (l *Link) decodeLinkInfo(info nlmsg.Attr, base int) error {
	var data nlmsg.Attr
	hasData := false
	s := info.Attrs()
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case nlmsg.IFLAInfoKind:
			l.Kind = names.String(a.StringBytes())
		case nlmsg.IFLAInfoSlaveKind:
			l.PortKind = names.String(a.StringBytes())
		case nlmsg.IFLAInfoData:
			data, hasData = a, true
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA_LINKINFO", base, err)
	}
	if !hasData {
		return nil
	}
	base += data.Offset() + nlmsg.AttrHeaderLen
	switch l.Kind {
	case "bridge":
		return l.Bridge.decode(data.Data(), base)
	case "vxlan":
		return l.VXLAN.decode(data.Data(), base)
	case KindMACVLAN, KindMACVTAP:
		return l.MACVLAN.decode(data.Data(), base)
	case KindTun:
		return l.Tun.decode(data.Data(), base)
	}
	return nil
}

// Clone returns a deep copy of l that shares nothing with the message it
// was decoded from: a value to keep after the next step of an iterator.
// It allocates one buffer for the copied bytes.
func (l *Link) Clone() Link {
	o := *l
	o.Attrs = bytes.Clone(l.Attrs)
	o.HardwareAddr = rebase(l.HardwareAddr, l.Attrs, o.Attrs, int(l.hwAt))
	o.Broadcast = rebase(l.Broadcast, l.Attrs, o.Attrs, int(l.brdAt))
	return o
}

// rebase returns the copy of b: the same bytes at offset at of dst when b
// lies there in src (as Decode left it), else a copy of its own.
func rebase(b, src, dst []byte, at int) []byte {
	if len(b) == 0 {
		return bytes.Clone(b)
	}
	if at >= 0 && at+len(b) <= len(src) && &src[at] == &b[0] {
		return dst[at : at+len(b) : at+len(b)]
	}
	return bytes.Clone(b)
}
