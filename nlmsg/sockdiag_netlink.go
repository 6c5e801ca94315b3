package nlmsg

import "encoding/binary"

// NetlinkDiagProtoAll is NDIAG_PROTO_ALL: the sdiag_protocol of a
// netlink_diag request that asks for the sockets of every netlink protocol.
const NetlinkDiagProtoAll uint8 = 0xff

// NetlinkDiagMaxProtocols is MAX_LINKS, the number of netlink protocols
// the kernel keeps tables for; a netlink_diag request for a protocol at or
// above it fails with ENOENT.
const NetlinkDiagMaxProtocols = 32

// Bits of NetlinkDiagReq.Show (NDIAG_SHOW_*): which attributes to send.
const (
	NDiagShowMemInfo uint32 = 0x01 // NDIAG_SHOW_MEMINFO: NETLINK_DIAG_MEMINFO
	NDiagShowGroups  uint32 = 0x02 // NDIAG_SHOW_GROUPS: NETLINK_DIAG_GROUPS
	NDiagShowRingCfg uint32 = 0x04 // NDIAG_SHOW_RING_CFG: the rings of memory-mapped netlink, gone since Linux 4.6
	NDiagShowFlags   uint32 = 0x08 // NDIAG_SHOW_FLAGS: NETLINK_DIAG_FLAGS
)

// Attributes of a netlink_diag reply (NETLINK_DIAG_*), after a
// NetlinkDiagMsg. They are numbered from 0.
const (
	NetlinkDiagMemInfo uint16 = 0 // NETLINK_DIAG_MEMINFO: u32[SKMemInfoVars]
	NetlinkDiagGroups  uint16 = 1 // NETLINK_DIAG_GROUPS: the multicast groups, a bitmap of native unsigned longs
	NetlinkDiagRxRing  uint16 = 2 // NETLINK_DIAG_RX_RING: struct netlink_diag_ring (no longer sent)
	NetlinkDiagTxRing  uint16 = 3 // NETLINK_DIAG_TX_RING: struct netlink_diag_ring (no longer sent)
	NetlinkDiagFlags   uint16 = 4 // NETLINK_DIAG_FLAGS: u32 of NDiagFlag* bits
)

// Bits of NETLINK_DIAG_FLAGS (NDIAG_FLAG_*).
const (
	NDiagFlagCBRunning      uint32 = 0x01 // NDIAG_FLAG_CB_RUNNING: a dump is in progress
	NDiagFlagPktInfo        uint32 = 0x02 // NDIAG_FLAG_PKTINFO: NETLINK_PKTINFO
	NDiagFlagBroadcastError uint32 = 0x04 // NDIAG_FLAG_BROADCAST_ERROR: NETLINK_BROADCAST_ERROR
	NDiagFlagNoENOBUFS      uint32 = 0x08 // NDIAG_FLAG_NO_ENOBUFS: NETLINK_NO_ENOBUFS
	NDiagFlagListenAllNSID  uint32 = 0x10 // NDIAG_FLAG_LISTEN_ALL_NSID: NETLINK_LISTEN_ALL_NSID
	NDiagFlagCapAck         uint32 = 0x20 // NDIAG_FLAG_CAP_ACK: NETLINK_CAP_ACK
)

// Wire sizes of the netlink_diag structs.
const (
	NetlinkDiagReqLen  = 20 // struct netlink_diag_req
	NetlinkDiagMsgLen  = 28 // struct netlink_diag_msg
	NetlinkDiagRingLen = 16 // struct netlink_diag_ring
)

// NetlinkDiagReq is struct netlink_diag_req, the family header of an
// AF_NETLINK SOCK_DIAG_BY_FAMILY request. The kernel answers dumps only;
// Inode and Cookie are not looked at.
type NetlinkDiagReq struct {
	Family   uint8     // sdiag_family: AF_NETLINK
	Protocol uint8     // sdiag_protocol: a NETLINK_* protocol, or NetlinkDiagProtoAll
	Inode    uint32    // ndiag_ino
	Show     uint32    // ndiag_show: NDiagShow* bits
	Cookie   [2]uint32 // ndiag_cookie
}

// AppendTo appends the 20-byte wire form of h to b and returns it.
func (h NetlinkDiagReq) AppendTo(b []byte) []byte {
	return appendDiagReq(b, h.Family, h.Protocol, h.Inode, h.Show, h.Cookie)
}

// appendDiagReq appends the layout netlink_diag_req and packet_diag_req
// share: family, protocol, two pad bytes, inode, show bits and cookie.
func appendDiagReq(b []byte, family, protocol uint8, ino, show uint32, cookie [2]uint32) []byte {
	b = append(b, family, protocol, 0, 0)
	for _, v := range [...]uint32{ino, show, cookie[0], cookie[1]} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// DecodeNetlinkDiagReq decodes the netlink_diag_req at the start of
// payload and returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeNetlinkDiagReq(payload []byte) (NetlinkDiagReq, []byte, error) {
	if len(payload) < NetlinkDiagReqLen {
		return NetlinkDiagReq{}, nil, headerSizeErr("netlink_diag_req", len(payload), NetlinkDiagReqLen)
	}
	p := payload[:NetlinkDiagReqLen]
	h := NetlinkDiagReq{
		Family: p[0], Protocol: p[1],
		Inode:  binary.NativeEndian.Uint32(p[4:8]),
		Show:   binary.NativeEndian.Uint32(p[8:12]),
		Cookie: [2]uint32{binary.NativeEndian.Uint32(p[12:16]), binary.NativeEndian.Uint32(p[16:20])},
	}
	return h, afterHeader(payload, NetlinkDiagReqLen), nil
}

// NetlinkDiagMsg is struct netlink_diag_msg, the family header of an
// AF_NETLINK SOCK_DIAG_BY_FAMILY reply: one socket.
type NetlinkDiagMsg struct {
	Family    uint8     // ndiag_family: AF_NETLINK
	Type      uint8     // ndiag_type: SOCK_RAW or SOCK_DGRAM
	Protocol  uint8     // ndiag_protocol: NETLINK_ROUTE, ...
	State     uint8     // ndiag_state: 0 unconnected, 1 connected
	PortID    uint32    // ndiag_portid: the socket's own address, 0 for a kernel socket
	DstPortID uint32    // ndiag_dst_portid: the connected peer's port
	DstGroup  uint32    // ndiag_dst_group: the connected peer's group
	Inode     uint32    // ndiag_ino
	Cookie    [2]uint32 // ndiag_cookie
}

// AppendTo appends the 28-byte wire form of h to b and returns it.
func (h NetlinkDiagMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.Type, h.Protocol, h.State)
	for _, v := range [...]uint32{h.PortID, h.DstPortID, h.DstGroup, h.Inode, h.Cookie[0], h.Cookie[1]} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// Decode reads the netlink_diag_msg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *NetlinkDiagMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < NetlinkDiagMsgLen {
		return nil, headerSizeErr("netlink_diag_msg", len(payload), NetlinkDiagMsgLen)
	}
	p := payload[:NetlinkDiagMsgLen]
	h.Family, h.Type, h.Protocol, h.State = p[0], p[1], p[2], p[3]
	h.PortID = binary.NativeEndian.Uint32(p[4:8])
	h.DstPortID = binary.NativeEndian.Uint32(p[8:12])
	h.DstGroup = binary.NativeEndian.Uint32(p[12:16])
	h.Inode = binary.NativeEndian.Uint32(p[16:20])
	h.Cookie = [2]uint32{binary.NativeEndian.Uint32(p[20:24]), binary.NativeEndian.Uint32(p[24:28])}
	return afterHeader(payload, NetlinkDiagMsgLen), nil
}
