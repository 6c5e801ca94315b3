package nlmsg

import "encoding/binary"

// Bits of PacketDiagReq.Show (PACKET_SHOW_*): which attributes to send.
const (
	PacketShowInfo    uint32 = 0x01 // PACKET_SHOW_INFO: PACKET_DIAG_INFO and PACKET_DIAG_UID
	PacketShowMCList  uint32 = 0x02 // PACKET_SHOW_MCLIST: PACKET_DIAG_MCLIST
	PacketShowRingCfg uint32 = 0x04 // PACKET_SHOW_RING_CFG: PACKET_DIAG_RX_RING and _TX_RING
	PacketShowFanout  uint32 = 0x08 // PACKET_SHOW_FANOUT: PACKET_DIAG_FANOUT
	PacketShowMemInfo uint32 = 0x10 // PACKET_SHOW_MEMINFO: PACKET_DIAG_MEMINFO
	PacketShowFilter  uint32 = 0x20 // PACKET_SHOW_FILTER: PACKET_DIAG_FILTER
)

// Attributes of a packet_diag reply (PACKET_DIAG_*), after a
// PacketDiagMsg. They are numbered from 0.
const (
	PacketDiagInfo    uint16 = 0 // PACKET_DIAG_INFO: struct packet_diag_info
	PacketDiagMCList  uint16 = 1 // PACKET_DIAG_MCLIST: packed struct packet_diag_mclist entries
	PacketDiagRxRing  uint16 = 2 // PACKET_DIAG_RX_RING: struct packet_diag_ring
	PacketDiagTxRing  uint16 = 3 // PACKET_DIAG_TX_RING: struct packet_diag_ring
	PacketDiagFanout  uint16 = 4 // PACKET_DIAG_FANOUT: u32, group id | mode<<16
	PacketDiagUID     uint16 = 5 // PACKET_DIAG_UID: u32
	PacketDiagMemInfo uint16 = 6 // PACKET_DIAG_MEMINFO: u32[SKMemInfoVars]
	PacketDiagFilter  uint16 = 7 // PACKET_DIAG_FILTER: struct sock_filter[], empty without CAP_NET_ADMIN
)

// Bits of packet_diag_info's pdi_flags (PDI_*).
const (
	PDIRunning uint32 = 0x01 // PDI_RUNNING: bound to a protocol and taking packets
	PDIAuxData uint32 = 0x02 // PDI_AUXDATA: PACKET_AUXDATA
	PDIOrigDev uint32 = 0x04 // PDI_ORIGDEV: PACKET_ORIGDEV
	PDIVnetHdr uint32 = 0x08 // PDI_VNETHDR: PACKET_VNET_HDR
	PDILoss    uint32 = 0x10 // PDI_LOSS: PACKET_LOSS
)

// Wire sizes of the packet_diag structs.
const (
	PacketDiagReqLen    = 20 // struct packet_diag_req
	PacketDiagMsgLen    = 16 // struct packet_diag_msg
	PacketDiagInfoLen   = 24 // struct packet_diag_info
	PacketDiagMCListLen = 44 // struct packet_diag_mclist
	PacketDiagRingLen   = 28 // struct packet_diag_ring
	SockFilterLen       = 8  // struct sock_filter, one classic BPF instruction
	PacketMCAddrLen     = 32 // MAX_ADDR_LEN: the room for pdmc_addr
)

// PacketDiagReq is struct packet_diag_req, the family header of an
// AF_PACKET SOCK_DIAG_BY_FAMILY request. The kernel answers dumps only,
// wants Protocol 0 (EINVAL otherwise) and does not look at Inode and
// Cookie.
type PacketDiagReq struct {
	Family   uint8     // sdiag_family: AF_PACKET
	Protocol uint8     // sdiag_protocol: 0
	Inode    uint32    // pdiag_ino
	Show     uint32    // pdiag_show: PacketShow* bits
	Cookie   [2]uint32 // pdiag_cookie
}

// AppendTo appends the 20-byte wire form of h to b and returns it.
func (h PacketDiagReq) AppendTo(b []byte) []byte {
	return appendDiagReq(b, h.Family, h.Protocol, h.Inode, h.Show, h.Cookie)
}

// PacketDiagMsg is struct packet_diag_msg, the family header of an
// AF_PACKET SOCK_DIAG_BY_FAMILY reply: one socket.
type PacketDiagMsg struct {
	Family uint8     // pdiag_family: AF_PACKET
	Type   uint8     // pdiag_type: SOCK_RAW or SOCK_DGRAM
	Num    uint16    // pdiag_num: the protocol (ETH_P_*), host order
	Inode  uint32    // pdiag_ino
	Cookie [2]uint32 // pdiag_cookie
}

// AppendTo appends the 16-byte wire form of h to b and returns it.
func (h PacketDiagMsg) AppendTo(b []byte) []byte {
	b = binary.NativeEndian.AppendUint16(append(b, h.Family, h.Type), h.Num)
	for _, v := range [...]uint32{h.Inode, h.Cookie[0], h.Cookie[1]} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// Decode reads the packet_diag_msg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *PacketDiagMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < PacketDiagMsgLen {
		return nil, headerSizeErr("packet_diag_msg", len(payload), PacketDiagMsgLen)
	}
	p := payload[:PacketDiagMsgLen]
	h.Family, h.Type = p[0], p[1]
	h.Num = binary.NativeEndian.Uint16(p[2:4])
	h.Inode = binary.NativeEndian.Uint32(p[4:8])
	h.Cookie = [2]uint32{binary.NativeEndian.Uint32(p[8:12]), binary.NativeEndian.Uint32(p[12:16])}
	return afterHeader(payload, PacketDiagMsgLen), nil
}
