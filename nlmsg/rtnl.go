package nlmsg

import (
	"encoding/binary"
)

// rtnetlink message types (enum in <linux/rtnetlink.h>), for FamilyRoute.
const (
	RTMNewLink  Type = 16 // RTM_NEWLINK: a link, in a dump reply or a notification; or create one
	RTMDelLink  Type = 17 // RTM_DELLINK
	RTMGetLink  Type = 18 // RTM_GETLINK: get one link, or dump them with Dump
	RTMSetLink  Type = 19 // RTM_SETLINK
	RTMNewAddr  Type = 20 // RTM_NEWADDR
	RTMDelAddr  Type = 21 // RTM_DELADDR
	RTMGetAddr  Type = 22 // RTM_GETADDR
	RTMNewRoute Type = 24 // RTM_NEWROUTE
	RTMDelRoute Type = 25 // RTM_DELROUTE
	RTMGetRoute Type = 26 // RTM_GETROUTE
	RTMNewNeigh Type = 28 // RTM_NEWNEIGH
	RTMDelNeigh Type = 29 // RTM_DELNEIGH
	RTMGetNeigh Type = 30 // RTM_GETNEIGH
)

// Link attributes (IFLA_*), after an IfInfoMsg.
const (
	IFLAAddress uint16 = 1 // IFLA_ADDRESS: hardware address, bytes
	IFLAIfName  uint16 = 3 // IFLA_IFNAME: interface name, NUL-terminated string
	IFLAMTU     uint16 = 4 // IFLA_MTU: u32
)

// Address attributes (IFA_*), after an IfAddrMsg.
const (
	IFAAddress uint16 = 1 // IFA_ADDRESS: the peer address on point-to-point links, else the local one
	IFALocal   uint16 = 2 // IFA_LOCAL: the local address
	IFALabel   uint16 = 3 // IFA_LABEL: the address label, a string
)

// Route attributes (RTA_*), after an RtMsg.
const (
	RTADst      uint16 = 1  // RTA_DST: destination prefix, 4 or 16 bytes
	RTASrc      uint16 = 2  // RTA_SRC: source prefix
	RTAIIF      uint16 = 3  // RTA_IIF: input interface index, u32
	RTAOIF      uint16 = 4  // RTA_OIF: output interface index, u32
	RTAGateway  uint16 = 5  // RTA_GATEWAY: next hop address
	RTAPriority uint16 = 6  // RTA_PRIORITY: metric, u32
	RTAPrefSrc  uint16 = 7  // RTA_PREFSRC: preferred source address
	RTATable    uint16 = 15 // RTA_TABLE: routing table id, u32 (RtMsg.Table holds only 8 bits)
)

// Values of RtMsg fields that a route dump or request commonly needs.
const (
	RTTableMain     uint8 = 254 // RT_TABLE_MAIN
	RTTableLocal    uint8 = 255 // RT_TABLE_LOCAL
	RTProtKernel    uint8 = 2   // RTPROT_KERNEL: installed by the kernel
	RTProtBoot      uint8 = 3   // RTPROT_BOOT: installed during boot (ip route's default)
	RTProtStatic    uint8 = 4   // RTPROT_STATIC: installed by the administrator
	RTScopeUniverse uint8 = 0   // RT_SCOPE_UNIVERSE: a global route
	RTScopeLink     uint8 = 253 // RT_SCOPE_LINK: a route on a directly attached link
	RTScopeHost     uint8 = 254 // RT_SCOPE_HOST: a route to a local address
	RTNUnicast      uint8 = 1   // RTN_UNICAST: a gateway or direct route
	RTNLocal        uint8 = 2   // RTN_LOCAL: a local interface route
)

// rtnetlink multicast groups (enum rtnetlink_groups), the group numbers to
// join with NETLINK_ADD_MEMBERSHIP. (The legacy bind() bitmask of a group g
// is 1<<(g-1).)
const (
	RTNLGrpLink       = 1  // RTNLGRP_LINK: link changes
	RTNLGrpNeigh      = 3  // RTNLGRP_NEIGH: neighbour table changes
	RTNLGrpIPv4IfAddr = 5  // RTNLGRP_IPV4_IFADDR: IPv4 address changes
	RTNLGrpIPv4Route  = 7  // RTNLGRP_IPV4_ROUTE: IPv4 route changes
	RTNLGrpIPv6IfAddr = 9  // RTNLGRP_IPV6_IFADDR: IPv6 address changes
	RTNLGrpIPv6Route  = 11 // RTNLGRP_IPV6_ROUTE: IPv6 route changes
)

// Wire sizes of the rtnetlink family headers (sizeof the kernel structs).
// RtGenMsgLen is 1, but AppendTo writes it padded to 4 bytes, and the
// attributes of any message start at the aligned size.
const (
	IfInfoMsgLen = 16 // struct ifinfomsg
	IfAddrMsgLen = 8  // struct ifaddrmsg
	RtMsgLen     = 12 // struct rtmsg
	NdMsgLen     = 12 // struct ndmsg
	RtGenMsgLen  = 1  // struct rtgenmsg
)

// headerSizeErr reports a payload too short for a family header. Offsets in
// it are relative to the payload given to the decoder.
func headerSizeErr(what string, have, want int) error {
	return &FormatError{What: what, Offset: 0, Len: have, Left: want, Err: ErrBadSize}
}

// afterHeader returns the attributes that follow a family header of size n,
// which starts at payload[0]. A payload that ends inside the header's padding
// has no attributes.
func afterHeader(payload []byte, n int) []byte {
	a := Align(n)
	if a >= len(payload) {
		return payload[len(payload):]
	}
	return payload[a:]
}

// IfInfoMsg is struct ifinfomsg, the family header of RTM_*LINK messages.
// It is a plain value; decoding copies the fields out of the buffer.
type IfInfoMsg struct {
	Family uint8  // ifi_family: AF_UNSPEC for most requests
	Type   uint16 // ifi_type: ARPHRD_* device type
	Index  int32  // ifi_index: interface index, 0 for "any"
	Flags  uint32 // ifi_flags: IFF_* device flags
	Change uint32 // ifi_change: which Flags bits a request changes
}

// AppendTo appends the 16-byte wire form of h to b and returns it.
func (h IfInfoMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, 0)
	b = binary.NativeEndian.AppendUint16(b, h.Type)
	b = binary.NativeEndian.AppendUint32(b, uint32(h.Index))
	b = binary.NativeEndian.AppendUint32(b, h.Flags)
	return binary.NativeEndian.AppendUint32(b, h.Change)
}

// DecodeIfInfoMsg decodes the ifinfomsg at the start of payload and returns
// the attributes after it, a subslice of payload. It fails with a
// *FormatError wrapping ErrBadSize when payload is shorter than IfInfoMsgLen.
// It does not allocate unless it fails. A decoder called for every message
// of a dump should use IfInfoMsg.Decode, which does not copy the header.
func DecodeIfInfoMsg(payload []byte) (IfInfoMsg, []byte, error) {
	var h IfInfoMsg
	attrs, err := h.Decode(payload)
	return h, attrs, err
}

// Decode reads the ifinfomsg at the start of payload into h and returns the
// attributes after it, as DecodeIfInfoMsg does; on error h is unchanged.
func (h *IfInfoMsg) Decode(payload []byte) ([]byte, error) {
	// NB: decoding into *h, field by field, rather than returning a new
	// header: a header struct of more than four fields is copied through the
	// stack with wide loads over the narrow stores that built it, a
	// store-forwarding stall at every message of a dump.
	if len(payload) < IfInfoMsgLen {
		return nil, headerSizeErr("ifinfomsg", len(payload), IfInfoMsgLen)
	}
	p := payload[:IfInfoMsgLen]
	h.Family = p[0]
	h.Type = binary.NativeEndian.Uint16(p[2:4])
	h.Index = int32(binary.NativeEndian.Uint32(p[4:8]))
	h.Flags = binary.NativeEndian.Uint32(p[8:12])
	h.Change = binary.NativeEndian.Uint32(p[12:16])
	return afterHeader(payload, IfInfoMsgLen), nil
}

// IfAddrMsg is struct ifaddrmsg, the family header of RTM_*ADDR messages.
type IfAddrMsg struct {
	Family    uint8  // ifa_family: AF_INET or AF_INET6
	PrefixLen uint8  // ifa_prefixlen
	Flags     uint8  // ifa_flags: IFA_F_* (the full set is in IFA_FLAGS)
	Scope     uint8  // ifa_scope: RT_SCOPE_*
	Index     uint32 // ifa_index: interface index
}

// AppendTo appends the 8-byte wire form of h to b and returns it.
func (h IfAddrMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.PrefixLen, h.Flags, h.Scope)
	return binary.NativeEndian.AppendUint32(b, h.Index)
}

// DecodeIfAddrMsg decodes the ifaddrmsg at the start of payload and returns
// the attributes after it, as DecodeIfInfoMsg does.
func DecodeIfAddrMsg(payload []byte) (IfAddrMsg, []byte, error) {
	var h IfAddrMsg
	attrs, err := h.Decode(payload)
	return h, attrs, err
}

// Decode reads the ifaddrmsg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *IfAddrMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < IfAddrMsgLen {
		return nil, headerSizeErr("ifaddrmsg", len(payload), IfAddrMsgLen)
	}
	p := payload[:IfAddrMsgLen]
	h.Family, h.PrefixLen, h.Flags, h.Scope = p[0], p[1], p[2], p[3]
	h.Index = binary.NativeEndian.Uint32(p[4:8])
	return afterHeader(payload, IfAddrMsgLen), nil
}

// RtMsg is struct rtmsg, the family header of RTM_*ROUTE messages.
type RtMsg struct {
	Family   uint8  // rtm_family: AF_INET or AF_INET6
	DstLen   uint8  // rtm_dst_len: destination prefix length
	SrcLen   uint8  // rtm_src_len: source prefix length
	TOS      uint8  // rtm_tos
	Table    uint8  // rtm_table: RT_TABLE_*; ids above 255 are in RTA_TABLE
	Protocol uint8  // rtm_protocol: RTPROT_*
	Scope    uint8  // rtm_scope: RT_SCOPE_*
	Type     uint8  // rtm_type: RTN_*
	Flags    uint32 // rtm_flags: RTM_F_*
}

// AppendTo appends the 12-byte wire form of h to b and returns it.
func (h RtMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.DstLen, h.SrcLen, h.TOS, h.Table, h.Protocol, h.Scope, h.Type)
	return binary.NativeEndian.AppendUint32(b, h.Flags)
}

// DecodeRtMsg decodes the rtmsg at the start of payload and returns the
// attributes after it, as DecodeIfInfoMsg does.
func DecodeRtMsg(payload []byte) (RtMsg, []byte, error) {
	var h RtMsg
	attrs, err := h.Decode(payload)
	return h, attrs, err
}

// Decode reads the rtmsg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *RtMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < RtMsgLen {
		return nil, headerSizeErr("rtmsg", len(payload), RtMsgLen)
	}
	p := payload[:RtMsgLen]
	h.Family, h.DstLen, h.SrcLen, h.TOS = p[0], p[1], p[2], p[3]
	h.Table, h.Protocol, h.Scope, h.Type = p[4], p[5], p[6], p[7]
	h.Flags = binary.NativeEndian.Uint32(p[8:12])
	return afterHeader(payload, RtMsgLen), nil
}

// NdMsg is struct ndmsg, the family header of RTM_*NEIGH messages.
type NdMsg struct {
	Family uint8  // ndm_family
	Index  int32  // ndm_ifindex
	State  uint16 // ndm_state: NUD_*
	Flags  uint8  // ndm_flags: NTF_*
	Type   uint8  // ndm_type
}

// AppendTo appends the 12-byte wire form of h to b and returns it.
func (h NdMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, 0, 0, 0) // ndm_pad1, ndm_pad2
	b = binary.NativeEndian.AppendUint32(b, uint32(h.Index))
	b = binary.NativeEndian.AppendUint16(b, h.State)
	return append(b, h.Flags, h.Type)
}

// DecodeNdMsg decodes the ndmsg at the start of payload and returns the
// attributes after it, as DecodeIfInfoMsg does.
func DecodeNdMsg(payload []byte) (NdMsg, []byte, error) {
	var h NdMsg
	attrs, err := h.Decode(payload)
	return h, attrs, err
}

// Decode reads the ndmsg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *NdMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < NdMsgLen {
		return nil, headerSizeErr("ndmsg", len(payload), NdMsgLen)
	}
	p := payload[:NdMsgLen]
	h.Family = p[0]
	h.Index = int32(binary.NativeEndian.Uint32(p[4:8]))
	h.State = binary.NativeEndian.Uint16(p[8:10])
	h.Flags, h.Type = p[10], p[11]
	return afterHeader(payload, NdMsgLen), nil
}

// RtGenMsg is struct rtgenmsg, the one-byte family header that old-style
// rtnetlink dump requests carry.
type RtGenMsg struct {
	Family uint8 // rtgen_family: AF_UNSPEC, AF_INET, AF_INET6, ...
}

// AppendTo appends rtgen_family and three bytes of padding to b (the kernel
// reads attributes, if any, at the aligned offset 4) and returns it.
func (h RtGenMsg) AppendTo(b []byte) []byte {
	return append(b, h.Family, 0, 0, 0)
}

// DecodeRtGenMsg decodes the rtgenmsg at the start of payload and returns
// what follows its padding. A payload of 1 to 3 bytes (an unpadded request)
// decodes with no attributes.
func DecodeRtGenMsg(payload []byte) (RtGenMsg, []byte, error) {
	if len(payload) < RtGenMsgLen {
		return RtGenMsg{}, nil, headerSizeErr("rtgenmsg", len(payload), RtGenMsgLen)
	}
	return RtGenMsg{Family: payload[0]}, afterHeader(payload, RtGenMsgLen), nil
}
