package nlmsg

import "encoding/binary"

// sock_diag message types (<linux/sock_diag.h>), for FamilySockDiag.
const (
	SockDiagByFamily Type = 20 // SOCK_DIAG_BY_FAMILY: dump sockets of one family, or look one up
	SockDestroy      Type = 21 // SOCK_DESTROY: close a socket (TCP; needs CAP_NET_ADMIN)
)

// Indices of the u32 array in INET_DIAG_SKMEMINFO and UNIX_DIAG_MEMINFO
// (SK_MEMINFO_*, <linux/sock_diag.h>).
const (
	SKMemInfoRmemAlloc  = 0 // SK_MEMINFO_RMEM_ALLOC
	SKMemInfoRcvbuf     = 1 // SK_MEMINFO_RCVBUF
	SKMemInfoWmemAlloc  = 2 // SK_MEMINFO_WMEM_ALLOC
	SKMemInfoSndbuf     = 3 // SK_MEMINFO_SNDBUF
	SKMemInfoFwdAlloc   = 4 // SK_MEMINFO_FWD_ALLOC
	SKMemInfoWmemQueued = 5 // SK_MEMINFO_WMEM_QUEUED
	SKMemInfoOptmem     = 6 // SK_MEMINFO_OPTMEM
	SKMemInfoBacklog    = 7 // SK_MEMINFO_BACKLOG
	SKMemInfoDrops      = 8 // SK_MEMINFO_DROPS
	SKMemInfoVars       = 9 // SK_MEMINFO_VARS: how many there are
)

// Attributes of an inet_diag request (INET_DIAG_REQ_*), after an
// InetDiagReqV2.
const (
	InetDiagReqBytecode      uint16 = 1 // INET_DIAG_REQ_BYTECODE: a filter program of InetDiagBC* ops
	InetDiagReqSkBPFStorages uint16 = 2 // INET_DIAG_REQ_SK_BPF_STORAGES
	InetDiagReqProtocol      uint16 = 3 // INET_DIAG_REQ_PROTOCOL: u32 protocol above 255 (MPTCP)
)

// Attributes of an inet_diag reply (INET_DIAG_*), after an InetDiagMsg.
// The ones up to InetDiagShutdown are asked for with the bit 1<<(n-1) of
// InetDiagReqV2.Ext; the others come when the kernel has them.
const (
	InetDiagMemInfo       uint16 = 1  // INET_DIAG_MEMINFO: struct inet_diag_meminfo
	InetDiagInfo          uint16 = 2  // INET_DIAG_INFO: struct tcp_info (TCP), or the protocol's info
	InetDiagVegasInfo     uint16 = 3  // INET_DIAG_VEGASINFO: struct tcpvegas_info
	InetDiagCong          uint16 = 4  // INET_DIAG_CONG: congestion control name, string
	InetDiagTOS           uint16 = 5  // INET_DIAG_TOS: u8
	InetDiagTClass        uint16 = 6  // INET_DIAG_TCLASS: u8 (IPv6)
	InetDiagSkMemInfo     uint16 = 7  // INET_DIAG_SKMEMINFO: u32[SKMemInfoVars]
	InetDiagShutdown      uint16 = 8  // INET_DIAG_SHUTDOWN: u8, RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2
	InetDiagDCTCPInfo     uint16 = 9  // INET_DIAG_DCTCPINFO
	InetDiagProtocol      uint16 = 10 // INET_DIAG_PROTOCOL: u8, in replies only
	InetDiagSkV6Only      uint16 = 11 // INET_DIAG_SKV6ONLY: u8
	InetDiagLocals        uint16 = 12 // INET_DIAG_LOCALS: SCTP local addresses
	InetDiagPeers         uint16 = 13 // INET_DIAG_PEERS: SCTP peer addresses
	InetDiagPad           uint16 = 14 // INET_DIAG_PAD
	InetDiagMark          uint16 = 15 // INET_DIAG_MARK: u32, only to CAP_NET_ADMIN
	InetDiagBBRInfo       uint16 = 16 // INET_DIAG_BBRINFO
	InetDiagClassID       uint16 = 17 // INET_DIAG_CLASS_ID: u32
	InetDiagMD5Sig        uint16 = 18 // INET_DIAG_MD5SIG
	InetDiagULPInfo       uint16 = 19 // INET_DIAG_ULP_INFO: nested
	InetDiagSkBPFStorages uint16 = 20 // INET_DIAG_SK_BPF_STORAGES: nested
	InetDiagCgroupID      uint16 = 21 // INET_DIAG_CGROUP_ID: u64
	InetDiagSockOpt       uint16 = 22 // INET_DIAG_SOCKOPT: struct inet_diag_sockopt (bit fields)
)

// Operation codes of the inet_diag filter program (INET_DIAG_BC_*). Each op
// is an InetDiagBCOp; the port ops are followed by a second op whose No
// field holds the port, the address ops by an inet_diag_hostcond.
const (
	InetDiagBCNop        uint8 = 0  // INET_DIAG_BC_NOP
	InetDiagBCJmp        uint8 = 1  // INET_DIAG_BC_JMP: always take the No jump
	InetDiagBCSGE        uint8 = 2  // INET_DIAG_BC_S_GE: source port >= port
	InetDiagBCSLE        uint8 = 3  // INET_DIAG_BC_S_LE: source port <= port
	InetDiagBCDGE        uint8 = 4  // INET_DIAG_BC_D_GE
	InetDiagBCDLE        uint8 = 5  // INET_DIAG_BC_D_LE
	InetDiagBCAuto       uint8 = 6  // INET_DIAG_BC_AUTO: the socket has an automatically bound port
	InetDiagBCSCond      uint8 = 7  // INET_DIAG_BC_S_COND: source address prefix and optional port
	InetDiagBCDCond      uint8 = 8  // INET_DIAG_BC_D_COND
	InetDiagBCDevCond    uint8 = 9  // INET_DIAG_BC_DEV_COND: bound interface, u32 after the op
	InetDiagBCMarkCond   uint8 = 10 // INET_DIAG_BC_MARK_COND: mark and mask, needs CAP_NET_ADMIN
	InetDiagBCSEQ        uint8 = 11 // INET_DIAG_BC_S_EQ: source port == port
	InetDiagBCDEQ        uint8 = 12 // INET_DIAG_BC_D_EQ
	InetDiagBCCgroupCond uint8 = 13 // INET_DIAG_BC_CGROUP_COND: u64 cgroup v2 id after the op
)

// TCP states (<net/tcp_states.h>), as idiag_state carries them and as the
// bit numbers of InetDiagReqV2.States. unix_diag uses the same numbers.
const (
	TCPEstablished   uint8 = 1  // TCP_ESTABLISHED
	TCPSynSent       uint8 = 2  // TCP_SYN_SENT
	TCPSynRecv       uint8 = 3  // TCP_SYN_RECV
	TCPFinWait1      uint8 = 4  // TCP_FIN_WAIT1
	TCPFinWait2      uint8 = 5  // TCP_FIN_WAIT2
	TCPTimeWait      uint8 = 6  // TCP_TIME_WAIT
	TCPClose         uint8 = 7  // TCP_CLOSE: also an unconnected UDP or raw socket
	TCPCloseWait     uint8 = 8  // TCP_CLOSE_WAIT
	TCPLastAck       uint8 = 9  // TCP_LAST_ACK
	TCPListen        uint8 = 10 // TCP_LISTEN
	TCPClosing       uint8 = 11 // TCP_CLOSING
	TCPNewSynRecv    uint8 = 12 // TCP_NEW_SYN_RECV: a request socket
	TCPBoundInactive uint8 = 13 // TCP_BOUND_INACTIVE: bound, not listening or connecting
)

// Bits of UnixDiagReq.Show (UDIAG_SHOW_*): which attributes to send.
const (
	UDiagShowName    uint32 = 0x01 // UDIAG_SHOW_NAME: UNIX_DIAG_NAME
	UDiagShowVFS     uint32 = 0x02 // UDIAG_SHOW_VFS: UNIX_DIAG_VFS
	UDiagShowPeer    uint32 = 0x04 // UDIAG_SHOW_PEER: UNIX_DIAG_PEER
	UDiagShowIcons   uint32 = 0x08 // UDIAG_SHOW_ICONS: UNIX_DIAG_ICONS
	UDiagShowRQLen   uint32 = 0x10 // UDIAG_SHOW_RQLEN: UNIX_DIAG_RQLEN
	UDiagShowMemInfo uint32 = 0x20 // UDIAG_SHOW_MEMINFO: UNIX_DIAG_MEMINFO
	UDiagShowUID     uint32 = 0x40 // UDIAG_SHOW_UID: UNIX_DIAG_UID
)

// Attributes of a unix_diag reply (UNIX_DIAG_*), after a UnixDiagMsg.
const (
	UnixDiagName     uint16 = 0 // UNIX_DIAG_NAME: the bound path (abstract names start with NUL), bytes
	UnixDiagVFS      uint16 = 1 // UNIX_DIAG_VFS: struct unix_diag_vfs
	UnixDiagPeer     uint16 = 2 // UNIX_DIAG_PEER: u32 inode of the peer
	UnixDiagIcons    uint16 = 3 // UNIX_DIAG_ICONS: u32 inodes of pending connections
	UnixDiagRQLen    uint16 = 4 // UNIX_DIAG_RQLEN: struct unix_diag_rqlen
	UnixDiagMemInfo  uint16 = 5 // UNIX_DIAG_MEMINFO: u32[SKMemInfoVars]
	UnixDiagShutdown uint16 = 6 // UNIX_DIAG_SHUTDOWN: u8
	UnixDiagUID      uint16 = 7 // UNIX_DIAG_UID: u32
)

// Wire sizes of the sock_diag structs.
const (
	InetDiagSockIDLen   = 48 // struct inet_diag_sockid
	InetDiagReqV2Len    = 56 // struct inet_diag_req_v2
	InetDiagMsgLen      = 72 // struct inet_diag_msg
	InetDiagBCOpLen     = 4  // struct inet_diag_bc_op
	InetDiagHostCondLen = 8  // struct inet_diag_hostcond without its address
	InetDiagMemInfoLen  = 16 // struct inet_diag_meminfo
	UnixDiagReqLen      = 24 // struct unix_diag_req
	UnixDiagMsgLen      = 16 // struct unix_diag_msg
	UnixDiagVFSLen      = 8  // struct unix_diag_vfs
	UnixDiagRQLenLen    = 8  // struct unix_diag_rqlen
)

// InetDiagNoCookie is INET_DIAG_NOCOOKIE: both cookie words of a request
// that names no particular socket.
const InetDiagNoCookie = ^uint32(0)

// InetDiagSockID is struct inet_diag_sockid: a socket's addresses, ports,
// bound interface and cookie. Ports are host-order values here (the wire
// carries them big-endian); addresses are the 16 wire bytes, an IPv4
// address in the first 4.
type InetDiagSockID struct {
	SPort  uint16    // idiag_sport
	DPort  uint16    // idiag_dport
	Src    [16]byte  // idiag_src, network order
	Dst    [16]byte  // idiag_dst, network order
	If     uint32    // idiag_if: bound interface index, 0 for none
	Cookie [2]uint32 // idiag_cookie: the socket's cookie, low word first
}

// AppendTo appends the 48-byte wire form of id to b and returns it.
func (id InetDiagSockID) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, id.SPort)
	b = binary.BigEndian.AppendUint16(b, id.DPort)
	b = append(b, id.Src[:]...)
	b = append(b, id.Dst[:]...)
	b = binary.NativeEndian.AppendUint32(b, id.If)
	b = binary.NativeEndian.AppendUint32(b, id.Cookie[0])
	return binary.NativeEndian.AppendUint32(b, id.Cookie[1])
}

// decode reads an inet_diag_sockid from p, which must hold 48 bytes, into
// id (in place, for the reason given at IfInfoMsg.Decode).
func (id *InetDiagSockID) decode(p []byte) {
	id.SPort = binary.BigEndian.Uint16(p[0:2])
	id.DPort = binary.BigEndian.Uint16(p[2:4])
	copy(id.Src[:], p[4:20])
	copy(id.Dst[:], p[20:36])
	id.If = binary.NativeEndian.Uint32(p[36:40])
	id.Cookie[0] = binary.NativeEndian.Uint32(p[40:44])
	id.Cookie[1] = binary.NativeEndian.Uint32(p[44:48])
}

// InetDiagReqV2 is struct inet_diag_req_v2, the family header of an inet
// SOCK_DIAG_BY_FAMILY request. For raw sockets (Protocol IPPROTO_RAW) the
// pad byte is sdiag_raw_protocol, the raw protocol to match.
type InetDiagReqV2 struct {
	Family      uint8  // sdiag_family: AF_INET or AF_INET6
	Protocol    uint8  // sdiag_protocol: IPPROTO_TCP, IPPROTO_UDP, ...
	Ext         uint8  // idiag_ext: 1<<(INET_DIAG_x-1) for each extension wanted
	RawProtocol uint8  // pad, or sdiag_raw_protocol of struct inet_diag_req_raw
	States      uint32 // idiag_states: 1<<state for each TCP state wanted
	ID          InetDiagSockID
}

// AppendTo appends the 56-byte wire form of h to b and returns it.
func (h InetDiagReqV2) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.Protocol, h.Ext, h.RawProtocol)
	b = binary.NativeEndian.AppendUint32(b, h.States)
	return h.ID.AppendTo(b)
}

// DecodeInetDiagReqV2 decodes the inet_diag_req_v2 at the start of payload
// and returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeInetDiagReqV2(payload []byte) (InetDiagReqV2, []byte, error) {
	if len(payload) < InetDiagReqV2Len {
		return InetDiagReqV2{}, nil, headerSizeErr("inet_diag_req_v2", len(payload), InetDiagReqV2Len)
	}
	p := payload[:InetDiagReqV2Len]
	h := InetDiagReqV2{
		Family: p[0], Protocol: p[1], Ext: p[2], RawProtocol: p[3],
		States: binary.NativeEndian.Uint32(p[4:8]),
	}
	h.ID.decode(p[8:56])
	return h, afterHeader(payload, InetDiagReqV2Len), nil
}

// InetDiagMsg is struct inet_diag_msg, the family header of an inet
// SOCK_DIAG_BY_FAMILY reply: one socket.
type InetDiagMsg struct {
	Family  uint8 // idiag_family
	State   uint8 // idiag_state: TCP* state
	Timer   uint8 // idiag_timer: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe
	Retrans uint8 // idiag_retrans
	ID      InetDiagSockID
	Expires uint32 // idiag_expires: ms until the timer fires
	RQueue  uint32 // idiag_rqueue
	WQueue  uint32 // idiag_wqueue
	UID     uint32 // idiag_uid
	Inode   uint32 // idiag_inode
}

// AppendTo appends the 72-byte wire form of h to b and returns it.
func (h InetDiagMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.State, h.Timer, h.Retrans)
	b = h.ID.AppendTo(b)
	for _, v := range [...]uint32{h.Expires, h.RQueue, h.WQueue, h.UID, h.Inode} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// DecodeInetDiagMsg decodes the inet_diag_msg at the start of payload and
// returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeInetDiagMsg(payload []byte) (InetDiagMsg, []byte, error) {
	var h InetDiagMsg
	attrs, err := h.Decode(payload)
	return h, attrs, err
}

// Decode reads the inet_diag_msg at the start of payload into h, as
// IfInfoMsg.Decode does.
func (h *InetDiagMsg) Decode(payload []byte) ([]byte, error) {
	if len(payload) < InetDiagMsgLen {
		return nil, headerSizeErr("inet_diag_msg", len(payload), InetDiagMsgLen)
	}
	p := payload[:InetDiagMsgLen]
	h.Family, h.State, h.Timer, h.Retrans = p[0], p[1], p[2], p[3]
	h.ID.decode(p[4:52])
	h.Expires = binary.NativeEndian.Uint32(p[52:56])
	h.RQueue = binary.NativeEndian.Uint32(p[56:60])
	h.WQueue = binary.NativeEndian.Uint32(p[60:64])
	h.UID = binary.NativeEndian.Uint32(p[64:68])
	h.Inode = binary.NativeEndian.Uint32(p[68:72])
	return afterHeader(payload, InetDiagMsgLen), nil
}

// InetDiagBCOp is struct inet_diag_bc_op, one instruction of an
// INET_DIAG_REQ_BYTECODE program: when the condition Code holds, the
// program continues Yes bytes further on, otherwise No bytes further on. A
// program accepts a socket when it ends exactly at its last byte.
type InetDiagBCOp struct {
	Code uint8  // InetDiagBC*
	Yes  uint8  // bytes to skip when the condition holds
	No   uint16 // bytes to skip when it does not (the port, in the second op of a port test)
}

// AppendTo appends the 4-byte wire form of op to b and returns it.
func (op InetDiagBCOp) AppendTo(b []byte) []byte {
	return binary.NativeEndian.AppendUint16(append(b, op.Code, op.Yes), op.No)
}

// InetDiagHostCond is struct inet_diag_hostcond, the operand of
// InetDiagBCSCond and InetDiagBCDCond: Family AF_UNSPEC matches any
// address, Port -1 any port; Addr holds 4 (AF_INET) or 16 (AF_INET6) bytes,
// none for AF_UNSPEC.
type InetDiagHostCond struct {
	Family    uint8 // family
	PrefixLen uint8 // prefix_len: bits of Addr to compare
	Port      int32 // port, host order, or -1
	Addr      []byte
}

// AppendTo appends the wire form of c (8 bytes and the address) to b and
// returns it.
func (c InetDiagHostCond) AppendTo(b []byte) []byte {
	b = append(b, c.Family, c.PrefixLen, 0, 0)
	b = binary.NativeEndian.AppendUint32(b, uint32(c.Port))
	return append(b, c.Addr...)
}

// UnixDiagReq is struct unix_diag_req, the family header of an AF_UNIX
// SOCK_DIAG_BY_FAMILY request.
type UnixDiagReq struct {
	Family   uint8     // sdiag_family: AF_UNIX
	Protocol uint8     // sdiag_protocol: 0
	States   uint32    // udiag_states: 1<<state for each state wanted
	Inode    uint32    // udiag_ino: for a lookup of one socket
	Show     uint32    // udiag_show: UDiagShow* bits
	Cookie   [2]uint32 // udiag_cookie: for a lookup, or InetDiagNoCookie twice
}

// AppendTo appends the 24-byte wire form of h to b and returns it.
func (h UnixDiagReq) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.Protocol, 0, 0)
	for _, v := range [...]uint32{h.States, h.Inode, h.Show, h.Cookie[0], h.Cookie[1]} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// DecodeUnixDiagReq decodes the unix_diag_req at the start of payload and
// returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeUnixDiagReq(payload []byte) (UnixDiagReq, []byte, error) {
	if len(payload) < UnixDiagReqLen {
		return UnixDiagReq{}, nil, headerSizeErr("unix_diag_req", len(payload), UnixDiagReqLen)
	}
	p := payload[:UnixDiagReqLen]
	h := UnixDiagReq{
		Family: p[0], Protocol: p[1],
		States: binary.NativeEndian.Uint32(p[4:8]),
		Inode:  binary.NativeEndian.Uint32(p[8:12]),
		Show:   binary.NativeEndian.Uint32(p[12:16]),
		Cookie: [2]uint32{binary.NativeEndian.Uint32(p[16:20]), binary.NativeEndian.Uint32(p[20:24])},
	}
	return h, afterHeader(payload, UnixDiagReqLen), nil
}

// UnixDiagMsg is struct unix_diag_msg, the family header of an AF_UNIX
// SOCK_DIAG_BY_FAMILY reply: one socket.
type UnixDiagMsg struct {
	Family uint8     // udiag_family: AF_UNIX
	Type   uint8     // udiag_type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
	State  uint8     // udiag_state: TCPListen, TCPEstablished or TCPClose
	Inode  uint32    // udiag_ino
	Cookie [2]uint32 // udiag_cookie
}

// AppendTo appends the 16-byte wire form of h to b and returns it.
func (h UnixDiagMsg) AppendTo(b []byte) []byte {
	b = append(b, h.Family, h.Type, h.State, 0)
	b = binary.NativeEndian.AppendUint32(b, h.Inode)
	b = binary.NativeEndian.AppendUint32(b, h.Cookie[0])
	return binary.NativeEndian.AppendUint32(b, h.Cookie[1])
}

// DecodeUnixDiagMsg decodes the unix_diag_msg at the start of payload and
// returns the attributes after it, as DecodeIfInfoMsg does.
func DecodeUnixDiagMsg(payload []byte) (UnixDiagMsg, []byte, error) {
	if len(payload) < UnixDiagMsgLen {
		return UnixDiagMsg{}, nil, headerSizeErr("unix_diag_msg", len(payload), UnixDiagMsgLen)
	}
	p := payload[:UnixDiagMsgLen]
	h := UnixDiagMsg{
		Family: p[0], Type: p[1], State: p[2],
		Inode:  binary.NativeEndian.Uint32(p[4:8]),
		Cookie: [2]uint32{binary.NativeEndian.Uint32(p[8:12]), binary.NativeEndian.Uint32(p[12:16])},
	}
	return h, afterHeader(payload, UnixDiagMsgLen), nil
}
