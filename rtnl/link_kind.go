package rtnl

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/nlengine/nlengine/nlmsg"
)

// VethInfo is what a veth pair's creation needs of its peer. The kernel
// reports no veth data in dumps: a veth's peer is its ParentIndex (and, in
// another namespace, NetNSID).
type VethInfo struct {
	PeerName         string           // the peer's name; "" lets the kernel choose (vethN)
	PeerHardwareAddr net.HardwareAddr // the peer's address; nil lets the kernel choose
	PeerMTU          uint32           // 0: the link's MTU (the kernel alone would give the peer its default)
	// PeerNetNSFD, when > 0, is a file descriptor of the network namespace
	// to create the peer in (for example netnstest's NS.FD or an open
	// /run/netns/NAME). Written only.
	PeerNetNSFD int
}

// BridgeInfo is a bridge's own data (IFLA_BR_*). Times are in hundredths
// of a second, as the kernel takes and ip prints them. When written, zero
// fields are left to the kernel's defaults (LinkAdd) or as they are
// (LinkChange), unless Set names them.
type BridgeInfo struct {
	ForwardDelay      uint32 // IFLA_BR_FORWARD_DELAY (kernel default 1500)
	HelloTime         uint32 // IFLA_BR_HELLO_TIME (200)
	MaxAge            uint32 // IFLA_BR_MAX_AGE (2000)
	AgeingTime        uint32 // IFLA_BR_AGEING_TIME (30000)
	STPState          uint32 // IFLA_BR_STP_STATE: 0 off, 1 kernel STP (only in the initial namespace), 2 user STP
	Priority          uint16 // IFLA_BR_PRIORITY (32768)
	VLANFiltering     bool   // IFLA_BR_VLAN_FILTERING
	VLANDefaultPVID   uint16 // IFLA_BR_VLAN_DEFAULT_PVID
	MulticastSnooping bool   // IFLA_BR_MCAST_SNOOPING: on by default; written only when Set has BridgeSetMulticastSnooping
	// Set, written only (decoding leaves it 0), names fields to write
	// even when zero, as ip link set br0 type bridge stp_state 0
	// mcast_snooping 0 does: Set: BridgeSetSTPState |
	// BridgeSetMulticastSnooping with both fields zero turns STP and
	// snooping off.
	Set BridgeFields
}

// BridgeFields names fields of a BridgeInfo, one bit each, for
// BridgeInfo.Set.
type BridgeFields uint16

// The fields of a BridgeInfo.
const (
	BridgeSetForwardDelay BridgeFields = 1 << iota
	BridgeSetHelloTime
	BridgeSetMaxAge
	BridgeSetAgeingTime
	BridgeSetSTPState
	BridgeSetPriority
	BridgeSetVLANFiltering
	BridgeSetVLANDefaultPVID
	BridgeSetMulticastSnooping
)

func (b *BridgeInfo) decode(data []byte, base int) error {
	s := nlmsg.NewAttrScanner(data)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.IFLABRForwardDelay:
			b.ForwardDelay, err = a.Uint32()
			name = "IFLA_BR_FORWARD_DELAY"
		case nlmsg.IFLABRHelloTime:
			b.HelloTime, err = a.Uint32()
			name = "IFLA_BR_HELLO_TIME"
		case nlmsg.IFLABRMaxAge:
			b.MaxAge, err = a.Uint32()
			name = "IFLA_BR_MAX_AGE"
		case nlmsg.IFLABRAgeingTime:
			b.AgeingTime, err = a.Uint32()
			name = "IFLA_BR_AGEING_TIME"
		case nlmsg.IFLABRSTPState:
			b.STPState, err = a.Uint32()
			name = "IFLA_BR_STP_STATE"
		case nlmsg.IFLABRPriority:
			b.Priority, err = a.Uint16()
			name = "IFLA_BR_PRIORITY"
		case nlmsg.IFLABRVLANDefaultPVID:
			b.VLANDefaultPVID, err = a.Uint16()
			name = "IFLA_BR_VLAN_DEFAULT_PVID"
		case nlmsg.IFLABRVLANFiltering:
			var v uint8
			v, err = a.Uint8()
			b.VLANFiltering = v != 0
			name = "IFLA_BR_VLAN_FILTERING"
		case nlmsg.IFLABRMcastSnooping:
			var v uint8
			v, err = a.Uint8()
			b.MulticastSnooping = v != 0
			name = "IFLA_BR_MCAST_SNOOPING"
		}
		if err != nil {
			return &AttrError{Object: "link", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA_INFO_DATA", base, err)
	}
	return nil
}

// append appends the bridge's IFLA_BR_* attributes that are non-zero or
// named in b.Set.
func (b *BridgeInfo) append(m []byte) []byte {
	for _, a := range [...]struct {
		bit BridgeFields
		t   uint16
		v   uint32
	}{
		{BridgeSetForwardDelay, nlmsg.IFLABRForwardDelay, b.ForwardDelay}, {BridgeSetHelloTime, nlmsg.IFLABRHelloTime, b.HelloTime},
		{BridgeSetMaxAge, nlmsg.IFLABRMaxAge, b.MaxAge}, {BridgeSetAgeingTime, nlmsg.IFLABRAgeingTime, b.AgeingTime},
		{BridgeSetSTPState, nlmsg.IFLABRSTPState, b.STPState},
	} {
		if a.v != 0 || b.Set&a.bit != 0 {
			m = appendU32Attr(m, a.t, a.v)
		}
	}
	if b.Priority != 0 || b.Set&BridgeSetPriority != 0 {
		m = appendU16Attr(m, nlmsg.IFLABRPriority, b.Priority)
	}
	if b.VLANFiltering || b.Set&BridgeSetVLANFiltering != 0 {
		m = appendU8Attr(m, nlmsg.IFLABRVLANFiltering, u8(b.VLANFiltering))
	}
	if b.VLANDefaultPVID != 0 || b.Set&BridgeSetVLANDefaultPVID != 0 {
		m = appendU16Attr(m, nlmsg.IFLABRVLANDefaultPVID, b.VLANDefaultPVID)
	}
	if b.Set&BridgeSetMulticastSnooping != 0 {
		m = appendU8Attr(m, nlmsg.IFLABRMcastSnooping, u8(b.MulticastSnooping))
	}
	return m
}

// u8 is 1 for true, 0 for false, as the kernel's u8 flag attributes are.
func u8(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// VXLANInfo is a vxlan's own data (IFLA_VXLAN_*). When written, zero fields
// are left to the kernel's defaults.
type VXLANInfo struct {
	ID        uint32     // IFLA_VXLAN_ID: the VNI
	Port      uint16     // IFLA_VXLAN_PORT: destination UDP port (the kernel's default is 8472; IANA's is 4789)
	Group     netip.Addr // IFLA_VXLAN_GROUP or _GROUP6: multicast group or unicast remote
	Local     netip.Addr // IFLA_VXLAN_LOCAL or _LOCAL6: source address
	LinkIndex int        // IFLA_VXLAN_LINK: the underlying link ("dev")
	TTL       uint8      // IFLA_VXLAN_TTL: 0 inherits
	TOS       uint8      // IFLA_VXLAN_TOS
	Learning  bool       // IFLA_VXLAN_LEARNING: read only (see NoLearning); on by default
	Ageing    uint32     // IFLA_VXLAN_AGEING: seconds (read only here)
	// NoLearning, written only, turns learning off (ip's nolearning, as
	// flannel and EVPN setups create their vxlans); false leaves it to the
	// kernel: on for a new link, unchanged by LinkChange.
	NoLearning bool
}

func (v *VXLANInfo) decode(data []byte, base int) error {
	s := nlmsg.NewAttrScanner(data)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.IFLAVXLANID:
			v.ID, err = a.Uint32()
			name = "IFLA_VXLAN_ID"
		case nlmsg.IFLAVXLANPort:
			v.Port, err = a.Uint16BE()
			name = "IFLA_VXLAN_PORT"
		case nlmsg.IFLAVXLANGroup, nlmsg.IFLAVXLANGroup6:
			if ip, ok := addrOfFamily(vxlanFamily(a.Type()), a.Data()); ok {
				v.Group = ip
			} else {
				err, name = ErrAddrFamily, "IFLA_VXLAN_GROUP"
			}
		case nlmsg.IFLAVXLANLocal, nlmsg.IFLAVXLANLocal6:
			if ip, ok := addrOfFamily(vxlanFamily(a.Type()), a.Data()); ok {
				v.Local = ip
			} else {
				err, name = ErrAddrFamily, "IFLA_VXLAN_LOCAL"
			}
		case nlmsg.IFLAVXLANLink:
			var x uint32
			x, err = a.Uint32()
			v.LinkIndex = int(x)
			name = "IFLA_VXLAN_LINK"
		case nlmsg.IFLAVXLANTTL:
			v.TTL, err = a.Uint8()
			name = "IFLA_VXLAN_TTL"
		case nlmsg.IFLAVXLANTOS:
			v.TOS, err = a.Uint8()
			name = "IFLA_VXLAN_TOS"
		case nlmsg.IFLAVXLANLearning:
			var x uint8
			x, err = a.Uint8()
			v.Learning = x != 0
			name = "IFLA_VXLAN_LEARNING"
		case nlmsg.IFLAVXLANAgeing:
			v.Ageing, err = a.Uint32()
			name = "IFLA_VXLAN_AGEING"
		}
		if err != nil {
			return &AttrError{Object: "link", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA_INFO_DATA", base, err)
	}
	return nil
}

func vxlanFamily(t uint16) Family {
	if t == nlmsg.IFLAVXLANGroup6 || t == nlmsg.IFLAVXLANLocal6 {
		return FamilyIPv6
	}
	return FamilyIPv4
}

// append appends the vxlan's IFLA_VXLAN_* attributes: the ID always for a
// creation (0 is a VNI), when set for a change; the others when set.
func (v *VXLANInfo) append(m []byte, change bool) []byte {
	if !change || v.ID != 0 {
		m = appendU32Attr(m, nlmsg.IFLAVXLANID, v.ID)
	}
	if v.Port != 0 {
		m = appendU16BEAttr(m, nlmsg.IFLAVXLANPort, v.Port)
	}
	if v.Group.IsValid() {
		t := nlmsg.IFLAVXLANGroup
		if v.Group.Is6() {
			t = nlmsg.IFLAVXLANGroup6
		}
		m = appendAddrAttr(m, t, v.Group)
	}
	if v.Local.IsValid() {
		t := nlmsg.IFLAVXLANLocal
		if v.Local.Is6() {
			t = nlmsg.IFLAVXLANLocal6
		}
		m = appendAddrAttr(m, t, v.Local)
	}
	if v.LinkIndex != 0 {
		m = appendU32Attr(m, nlmsg.IFLAVXLANLink, uint32(v.LinkIndex))
	}
	if v.TTL != 0 {
		m = appendU8Attr(m, nlmsg.IFLAVXLANTTL, v.TTL)
	}
	if v.TOS != 0 {
		m = appendU8Attr(m, nlmsg.IFLAVXLANTOS, v.TOS)
	}
	if v.NoLearning {
		m = appendU8Attr(m, nlmsg.IFLAVXLANLearning, 0)
	}
	return m
}

// MACVLANInfo is the own data (IFLA_MACVLAN_*) of a macvlan, or of a
// macvtap, which the kernel describes the same way. Its parent is the
// Link's ParentIndex.
type MACVLANInfo struct {
	Mode  MACVLANMode // IFLA_MACVLAN_MODE; 0 when written: the kernel's default, vepa
	Flags uint16      // IFLA_MACVLAN_FLAGS (MACVLAN_FLAG_*)
	// BCQueueLen is the broadcast queue length asked for (ip's
	// bcqueuelen), and BCQueueLenUsed the one in use, the largest asked
	// for by the parent's macvlans (usedbcqueuelen, read only). A zero
	// BCQueueLen is not written: the kernel's default, 1000.
	BCQueueLen, BCQueueLenUsed uint32
}

func (m *MACVLANInfo) decode(data []byte, base int) error {
	s := nlmsg.NewAttrScanner(data)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.IFLAMACVLANMode:
			var v uint32
			v, err = a.Uint32()
			m.Mode = MACVLANMode(v)
			name = "IFLA_MACVLAN_MODE"
		case nlmsg.IFLAMACVLANFlags:
			m.Flags, err = a.Uint16()
			name = "IFLA_MACVLAN_FLAGS"
		case nlmsg.IFLAMACVLANBCQueueLen:
			m.BCQueueLen, err = a.Uint32()
			name = "IFLA_MACVLAN_BC_QUEUE_LEN"
		case nlmsg.IFLAMACVLANBCQueueLenUsed:
			m.BCQueueLenUsed, err = a.Uint32()
			name = "IFLA_MACVLAN_BC_QUEUE_LEN_USED"
		}
		if err != nil {
			return &AttrError{Object: "link", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA_INFO_DATA", base, err)
	}
	return nil
}

// MACVLANMode is how a macvlan forwards between its siblings
// (MACVLAN_MODE_*).
type MACVLANMode uint32

// macvlan modes.
const (
	MACVLANPrivate  MACVLANMode = MACVLANMode(nlmsg.MACVLANModePrivate)  // no traffic between siblings
	MACVLANVEPA     MACVLANMode = MACVLANMode(nlmsg.MACVLANModeVEPA)     // siblings talk through the external switch
	MACVLANBridge   MACVLANMode = MACVLANMode(nlmsg.MACVLANModeBridge)   // siblings talk directly
	MACVLANPassthru MACVLANMode = MACVLANMode(nlmsg.MACVLANModePassthru) // one macvlan takes over the parent
	MACVLANSource   MACVLANMode = MACVLANMode(nlmsg.MACVLANModeSource)   // by source address
)

// String gives iproute2's names ("private", "vepa", "bridge", "passthru",
// "source"), or the number.
func (m MACVLANMode) String() string {
	switch m {
	case MACVLANPrivate:
		return "private"
	case MACVLANVEPA:
		return "vepa"
	case MACVLANBridge:
		return "bridge"
	case MACVLANPassthru:
		return "passthru"
	case MACVLANSource:
		return "source"
	}
	return strconv.FormatUint(uint64(m), 10)
}

// Link kinds this package knows the data of; any other kind string works
// too (Kind is a string), its data staying in Attrs.
const (
	KindVeth    = "veth"
	KindBridge  = "bridge"
	KindVXLAN   = "vxlan"
	KindMACVLAN = "macvlan"
	KindMACVTAP = "macvtap" // a macvlan with a character device; its data in MACVLAN
	// KindTun is a tun or tap device (its data in Tun), which the kernel
	// creates only through /dev/net/tun: LinkAdd of this kind fails with
	// EOPNOTSUPP.
	KindTun = "tun"
)
