package sockdiag

import (
	"cmp"
	"context"
	"iter"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// PacketType is a packet socket's type (pdiag_type). String gives the
// Netid column of `ss -0`.
type PacketType uint8

// String returns "p_raw" for a SOCK_RAW socket and, as ss does, "p_dgr"
// for any other (SOCK_DGRAM, or the old SOCK_PACKET).
func (t PacketType) String() string {
	if t == unix.SOCK_RAW {
		return "p_raw"
	}
	return "p_dgr"
}

// EtherType is the link-layer protocol a packet socket takes (ETH_P_*,
// host order). String gives the name ss prints in the local address
// column.
type EtherType uint16

// EtherTypeAll is ETH_P_ALL: every protocol.
const EtherTypeAll EtherType = unix.ETH_P_ALL

var etherTypeNames = map[EtherType]string{
	0x0001: "802_3", 0x0002: "ax25", 0x0004: "802_2", 0x0005: "snap", 0x0006: "ddcmp",
	0x0007: "wan_ppp", 0x0008: "ppp_mp", 0x0009: "localtalk", 0x000c: "can", 0x0010: "ppptalk",
	0x0011: "tr_802_2", 0x0015: "mobitex", 0x0016: "control", 0x0017: "irda", 0x0018: "econet",
	0x0060: "loop", 0x0200: "pup", 0x0201: "pupat", 0x0800: "ip", 0x0805: "x25", 0x0806: "arp",
	0x08ff: "bpq", 0x0a00: "ieeepup", 0x0a01: "ieeepupat", 0x6000: "dec", 0x6001: "dna_dl",
	0x6002: "dna_rc", 0x6003: "dna_rt", 0x6004: "lat", 0x6005: "diag", 0x6006: "cust",
	0x6007: "sca", 0x6558: "teb", 0x8035: "rarp", 0x809b: "atalk", 0x80f3: "aarp",
	0x8100: "802.1Q", 0x8137: "ipx", 0x86dd: "ipv6", 0x8847: "mpls_uc", 0x8848: "mpls_mc",
	0x884c: "atmmpoa", 0x8863: "ppp_disc", 0x8864: "ppp_ses", 0x8884: "atmfate",
	0x8892: "profinet", 0x88a2: "aoe", 0x88a4: "ethercat", 0x88a8: "802.1ad",
	0x88ca: "tipc", 0x88cc: "LLDP", 0x8902: "cfm",
}

// String returns what ss prints for p: "*" for EtherTypeAll, the
// protocol's name for those ss knows ("ip", "arp", "ipv6", "802.1Q",
// ...), and "[n]" in decimal for the others (0 among them: a socket that
// takes nothing until it is bound to a protocol).
func (p EtherType) String() string {
	if p == EtherTypeAll {
		return "*"
	}
	if n, ok := etherTypeNames[p]; ok {
		return n
	}
	return "[" + strconv.Itoa(int(p)) + "]"
}

// PacketFlags is the set of pdi_flags of PACKET_DIAG_INFO. It is a plain
// value.
type PacketFlags uint32

// The flags; the comments give the socket option behind each.
const (
	PacketRunning = PacketFlags(nlmsg.PDIRunning) // hooked to its protocol, taking packets
	PacketAuxData = PacketFlags(nlmsg.PDIAuxData) // PACKET_AUXDATA
	PacketOrigDev = PacketFlags(nlmsg.PDIOrigDev) // PACKET_ORIGDEV
	PacketVnetHdr = PacketFlags(nlmsg.PDIVnetHdr) // PACKET_VNET_HDR
	PacketLoss    = PacketFlags(nlmsg.PDILoss)    // PACKET_LOSS
)

var packetFlagNames = [...]string{"running", "auxdata", "origdev", "vnethdr", "loss"}

// Has reports whether every flag of x is in f.
func (f PacketFlags) Has(x PacketFlags) bool { return f&x == x }

// String lists the flags of f by the names `ss -0 -e` prints inside its
// flags( ... ), in its order, separated by spaces; "" for none (ss prints
// "0" then). Unknown bits are left out, as ss leaves them.
func (f PacketFlags) String() string { return joinNames(uint64(f), packetFlagNames[:]) }

// PacketInfo is struct packet_diag_info (PACKET_DIAG_INFO).
type PacketInfo struct {
	Interface  uint32      // pdi_index: the interface bound to, 0 for all
	Version    uint32      // pdi_version: PACKET_VERSION, unix.TPACKET_V1 (0) to TPACKET_V3
	Reserve    uint32      // pdi_reserve: PACKET_RESERVE, headroom in ring frames
	CopyThresh uint32      // pdi_copy_thresh: PACKET_COPY_THRESH
	Timestamp  uint32      // pdi_tstamp: PACKET_TIMESTAMP, SOF_TIMESTAMPING_* bits
	Flags      PacketFlags // pdi_flags
}

// PacketRing is struct packet_diag_ring (PACKET_DIAG_RX_RING, _TX_RING):
// the geometry of a PACKET_RX_RING or PACKET_TX_RING. RetireTimeout,
// SizeofPriv and Features are those of TPACKET_V3, zero for older
// versions.
type PacketRing struct {
	BlockSize     uint32 // pdr_block_size
	BlockNr       uint32 // pdr_block_nr
	FrameSize     uint32 // pdr_frame_size
	FrameNr       uint32 // pdr_frame_nr
	RetireTimeout uint32 // pdr_retire_tmo, ms
	SizeofPriv    uint32 // pdr_sizeof_priv
	Features      uint32 // pdr_features
}

// FanoutMode is how a fanout group spreads packets (PACKET_FANOUT_*).
// String gives the names `ss -0 -e` prints.
type FanoutMode uint16

var fanoutModeNames = [...]string{"hash", "lb", "cpu", "roll", "random", "qm"}

// String returns ss's name for m ("hash", "lb", "cpu", "roll", "random",
// "qm"), or "0x%x" for the others (cbpf and ebpf among them), as ss
// prints them.
func (m FanoutMode) String() string {
	if int(m) < len(fanoutModeNames) {
		return fanoutModeNames[m]
	}
	return "0x" + strconv.FormatUint(uint64(m), 16)
}

// PacketFanout is PACKET_DIAG_FANOUT: the fanout group a socket belongs
// to. The group's flags (rollover, defrag, ...) are not reported.
type PacketFanout struct {
	ID   uint16
	Mode FanoutMode
}

// PacketMembership is struct packet_diag_mclist, one PACKET_ADD_MEMBERSHIP
// of a socket. It is a plain value.
type PacketMembership struct {
	Interface uint32 // pdmc_index
	Count     uint32 // pdmc_count: how many times it was added
	Type      uint16 // pdmc_type: unix.PACKET_MR_MULTICAST, _PROMISC, _ALLMULTI, _UNICAST
	AddrLen   uint16 // pdmc_alen
	addr      [nlmsg.PacketMCAddrLen]byte
}

// Addr returns the link-layer address of a multicast or unicast
// membership (AddrLen bytes), pointing into m.
func (m *PacketMembership) Addr() []byte { return m.addr[:min(int(m.AddrLen), len(m.addr))] }

// PacketRequest says what to show of the packet sockets a dump lists (the
// kernel lists every packet socket of the namespace; it has no selection).
type PacketRequest struct {
	// Show is the set of nlmsg.PacketShow* bits; zero means
	// DefaultPacketShow.
	Show uint32
}

// DefaultPacketShow is what a PacketRequest with Show zero asks for:
// everything, that is what `ss -0 -e -b -m` shows and the memberships.
const DefaultPacketShow = nlmsg.PacketShowInfo | nlmsg.PacketShowMCList | nlmsg.PacketShowRingCfg |
	nlmsg.PacketShowFanout | nlmsg.PacketShowMemInfo | nlmsg.PacketShowFilter

// PacketSocket is one AF_PACKET socket of a dump: struct packet_diag_msg
// and the attributes asked for. Memberships and Filter are the fields that
// refer to memory the iterator reuses; everything else is held in the
// value.
type PacketSocket struct {
	Type     PacketType
	Protocol EtherType // pdiag_num
	Inode    uint32
	Cookie   uint64

	Info      PacketInfo   // PACKET_DIAG_INFO (PacketShowInfo)
	UID       uint32       // PACKET_DIAG_UID (PacketShowInfo)
	RxRing    PacketRing   // PACKET_DIAG_RX_RING (PacketShowRingCfg), sent only for a socket with a receive ring
	TxRing    PacketRing   // PACKET_DIAG_TX_RING, likewise
	Fanout    PacketFanout // PACKET_DIAG_FANOUT (PacketShowFanout), sent only for a member of a group
	SkMemInfo SkMemInfo    // PACKET_DIAG_MEMINFO (PacketShowMemInfo); ss's Recv-Q is RmemAlloc
	// Memberships is PACKET_DIAG_MCLIST (PacketShowMCList), and Filter
	// the classic BPF program attached with SO_ATTACH_FILTER
	// (PACKET_DIAG_FILTER, PacketShowFilter; the kernel sends it empty
	// to a requester without CAP_NET_ADMIN). In DumpPacket both are
	// reused from one socket to the next, valid until the next step;
	// ListPacket gives each socket its own.
	Memberships []PacketMembership
	Filter      []unix.SockFilter

	has uint32
}

// Has reports whether the reply carried the PACKET_DIAG_* attribute typ.
func (s *PacketSocket) Has(typ uint16) bool { return typ < 32 && s.has&(1<<typ) != 0 }

// Decode fills s from the payload of one SOCK_DIAG_BY_FAMILY reply for a
// packet socket, overwriting every field; Memberships and Filter keep
// their capacity. Decode keeps no reference to payload and allocates only
// to grow those two, and for an error, a *DecodeError naming the header
// or attribute at fault.
func (s *PacketSocket) Decode(payload []byte) error {
	var h nlmsg.PacketDiagMsg
	attrs, err := h.Decode(payload)
	if err := headerErr("packet_diag_msg", payload, nlmsg.PacketDiagMsgLen, err, h.Family, unix.AF_PACKET); err != nil {
		return err
	}
	mc, filter := s.Memberships[:0], s.Filter[:0]
	*s = PacketSocket{
		Type: PacketType(h.Type), Protocol: EtherType(h.Num), Inode: h.Inode,
		Cookie: cookieOf(h.Cookie),
	}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		d := a.Data()
		t := a.Type()
		switch t {
		case nlmsg.PacketDiagInfo:
			if len(d) < nlmsg.PacketDiagInfoLen {
				return sizeErr("PACKET_DIAG_INFO", len(d), nlmsg.PacketDiagInfoLen)
			}
			s.Info = PacketInfo{u32(d, 0), u32(d, 4), u32(d, 8), u32(d, 12), u32(d, 16), PacketFlags(u32(d, 20))}
		case nlmsg.PacketDiagMCList:
			if len(d)%nlmsg.PacketDiagMCListLen != 0 {
				return sizeErr("PACKET_DIAG_MCLIST", len(d), len(d)/nlmsg.PacketDiagMCListLen*nlmsg.PacketDiagMCListLen)
			}
			for off := 0; off < len(d); off += nlmsg.PacketDiagMCListLen {
				e := d[off : off+nlmsg.PacketDiagMCListLen]
				m := PacketMembership{Interface: u32(e, 0), Count: u32(e, 4), Type: u16(e, 8), AddrLen: u16(e, 10)}
				copy(m.addr[:], e[12:])
				mc = append(mc, m)
			}
		case nlmsg.PacketDiagRxRing, nlmsg.PacketDiagTxRing:
			r, name := &s.RxRing, "PACKET_DIAG_RX_RING"
			if t == nlmsg.PacketDiagTxRing {
				r, name = &s.TxRing, "PACKET_DIAG_TX_RING"
			}
			if len(d) < nlmsg.PacketDiagRingLen {
				return sizeErr(name, len(d), nlmsg.PacketDiagRingLen)
			}
			*r = PacketRing{u32(d, 0), u32(d, 4), u32(d, 8), u32(d, 12), u32(d, 16), u32(d, 20), u32(d, 24)}
		case nlmsg.PacketDiagFanout, nlmsg.PacketDiagUID:
			if len(d) != 4 {
				return sizeErr(packetAttrNames[t], len(d), 4)
			}
			if v := u32(d, 0); t == nlmsg.PacketDiagUID {
				s.UID = v
			} else {
				s.Fanout = PacketFanout{ID: uint16(v), Mode: FanoutMode(v >> 16)}
			}
		case nlmsg.PacketDiagMemInfo:
			if err := s.SkMemInfo.decode("PACKET_DIAG_MEMINFO", d); err != nil {
				return err
			}
		case nlmsg.PacketDiagFilter:
			if len(d)%nlmsg.SockFilterLen != 0 {
				return sizeErr("PACKET_DIAG_FILTER", len(d), len(d)&^(nlmsg.SockFilterLen-1))
			}
			for off := 0; off < len(d); off += nlmsg.SockFilterLen {
				filter = append(filter, unix.SockFilter{Code: u16(d, off), Jt: d[off+2], Jf: d[off+3], K: u32(d, off+4)})
			}
		default:
			continue
		}
		s.has |= 1 << t
	}
	s.Memberships, s.Filter = mc, filter
	return attrsErr("packet_diag attributes", attrs, as.Err())
}

var packetAttrNames = [...]string{
	nlmsg.PacketDiagFanout: "PACKET_DIAG_FANOUT", nlmsg.PacketDiagUID: "PACKET_DIAG_UID",
}

// DumpPacket dumps the packet sockets of the Conn's namespace and yields
// each decoded in place into one *PacketSocket that the iterator owns and
// reuses, valid until the next step (Memberships and Filter included).
// Errors are yielded last with a nil socket, as DumpInet does. DumpPacket
// does not allocate per socket once Memberships and Filter have grown to
// the longest seen. It is safe for concurrent use, as DumpInet is.
func DumpPacket(ctx context.Context, c *engine.Conn, req PacketRequest) iter.Seq2[*PacketSocket, error] {
	return func(yield func(*PacketSocket, error) bool) {
		k := reusing[PacketSocket]()
		fail(yield, dumpPacket(ctx, c, req, &k, yield))
	}
}

// dumpPacket runs the dump req asks for into k, yielding to yield if it
// is not nil.
func dumpPacket(ctx context.Context, c *engine.Conn, req PacketRequest, k *sink[PacketSocket], yield func(*PacketSocket, error) bool) error {
	h := nlmsg.PacketDiagReq{Family: unix.AF_PACKET, Show: cmp.Or(req.Show, DefaultPacketShow), Cookie: noCookie}
	return dumpReplies(ctx, c, "dump packet", h.AppendTo(make([]byte, 0, nlmsg.PacketDiagReqLen)), nil, 0, k, yield)
}

// ListPacket is DumpPacket collected into an owned slice (appended to
// dst, which may be nil), as ListInet collects DumpInet: each socket has
// its own Memberships and Filter, and on an error it returns the sockets
// decoded so far and the error. Safe for concurrent use.
func ListPacket(ctx context.Context, c *engine.Conn, req PacketRequest, dst []PacketSocket) ([]PacketSocket, error) {
	k := collecting[PacketSocket](packetBlocks)
	return k.list(dst, dumpPacket(ctx, c, req, &k, nil))
}

var packetBlocks = newBlockPool[PacketSocket]()
