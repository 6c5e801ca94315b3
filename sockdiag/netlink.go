package sockdiag

import (
	"cmp"
	"context"
	"encoding/binary"
	"iter"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// NetlinkProtocol is a netlink socket's protocol (NETLINK_ROUTE, ...).
// String gives the names `ss -f netlink` prints.
type NetlinkProtocol uint8

var netlinkProtocolNames = [...]string{
	unix.NETLINK_ROUTE: "rtnl", 1: "unused", unix.NETLINK_USERSOCK: "usersock",
	unix.NETLINK_FIREWALL: "fw", unix.NETLINK_SOCK_DIAG: "tcpdiag", unix.NETLINK_NFLOG: "nflog",
	unix.NETLINK_XFRM: "xfrm", unix.NETLINK_SELINUX: "selinux", unix.NETLINK_ISCSI: "iscsi",
	unix.NETLINK_AUDIT: "audit", unix.NETLINK_FIB_LOOKUP: "fiblookup", unix.NETLINK_CONNECTOR: "connector",
	unix.NETLINK_NETFILTER: "nft", unix.NETLINK_IP6_FW: "ip6fw", unix.NETLINK_DNRTMSG: "dec-rt",
	unix.NETLINK_KOBJECT_UEVENT: "uevent", unix.NETLINK_GENERIC: "genl",
	unix.NETLINK_SCSITRANSPORT: "scsi-trans", unix.NETLINK_ECRYPTFS: "ecryptfs",
	unix.NETLINK_RDMA: "rdma", unix.NETLINK_CRYPTO: "crypto",
}

// String returns the name ss prints for p ("rtnl", "tcpdiag", "genl",
// "uevent", ...), or its number for a protocol ss has no name for.
func (p NetlinkProtocol) String() string {
	if int(p) < len(netlinkProtocolNames) && netlinkProtocolNames[p] != "" {
		return netlinkProtocolNames[p]
	}
	return strconv.Itoa(int(p))
}

// NetlinkFlags is the set of options of a netlink socket that
// NETLINK_DIAG_FLAGS reports (NDIAG_FLAG_*). It is a plain value.
type NetlinkFlags uint32

// The flags; the comments give the socket option behind each.
const (
	NetlinkDumpRunning     = NetlinkFlags(nlmsg.NDiagFlagCBRunning)      // a dump is in progress
	NetlinkPktInfo         = NetlinkFlags(nlmsg.NDiagFlagPktInfo)        // NETLINK_PKTINFO
	NetlinkBroadcastError  = NetlinkFlags(nlmsg.NDiagFlagBroadcastError) // NETLINK_BROADCAST_ERROR
	NetlinkNoENOBUFS       = NetlinkFlags(nlmsg.NDiagFlagNoENOBUFS)      // NETLINK_NO_ENOBUFS
	NetlinkListenAllNSID   = NetlinkFlags(nlmsg.NDiagFlagListenAllNSID)  // NETLINK_LISTEN_ALL_NSID
	NetlinkCapAck          = NetlinkFlags(nlmsg.NDiagFlagCapAck)         // NETLINK_CAP_ACK
	netlinkFlagsKnownCount = 6
)

var netlinkFlagNames = [netlinkFlagsKnownCount]string{
	"cb_running", "pktinfo", "broadcast_error", "no_enobufs", "listen_all_nsid", "cap_ack",
}

// Has reports whether every flag of x is in f.
func (f NetlinkFlags) Has(x NetlinkFlags) bool { return f&x == x }

// String lists the flags of f by the kernel's names in lower case
// ("pktinfo no_enobufs"), unknown bits as hexadecimal; "" for none.
func (f NetlinkFlags) String() string {
	var b strings.Builder
	for i := range 32 {
		if f&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if i < len(netlinkFlagNames) {
			b.WriteString(netlinkFlagNames[i])
		} else {
			b.WriteString("0x" + strconv.FormatUint(1<<i, 16))
		}
	}
	return b.String()
}

// NetlinkRequest says which netlink sockets to dump and what to show of
// them. The zero value asks for every protocol's sockets with their
// groups, memory and flags.
type NetlinkRequest struct {
	// ByProtocol asks the kernel for the sockets of Protocol only;
	// false asks for every protocol (NDIAG_PROTO_ALL).
	ByProtocol bool
	Protocol   NetlinkProtocol
	// Show is the set of nlmsg.NDiagShow* bits; zero means
	// DefaultNetlinkShow.
	Show uint32
}

// DefaultNetlinkShow is what a NetlinkRequest with Show zero asks for:
// groups, memory (what `ss -f netlink -m` asks) and flags.
const DefaultNetlinkShow = nlmsg.NDiagShowGroups | nlmsg.NDiagShowMemInfo | nlmsg.NDiagShowFlags

// NetlinkSocket is one AF_NETLINK socket of a dump: struct
// netlink_diag_msg and the attributes asked for. Groups is the one field
// that refers to memory the iterator reuses; everything else is held in
// the value.
type NetlinkSocket struct {
	Protocol NetlinkProtocol
	Type     uint8 // unix.SOCK_RAW or unix.SOCK_DGRAM
	// Connected reports a socket connect(2)ed to DstPortID and DstGroup
	// (ndiag_state 1; ss prints the peer as group:port then, "*"
	// otherwise).
	Connected bool
	PortID    uint32 // ndiag_portid: the socket's address; 0 for the kernel's socket of the protocol
	DstPortID uint32 // ndiag_dst_portid
	DstGroup  uint32 // ndiag_dst_group
	Inode     uint32 // 0 for the kernel's sockets
	Cookie    uint64

	SkMemInfo SkMemInfo    // NETLINK_DIAG_MEMINFO (NDiagShowMemInfo); ss's Recv-Q is RmemAlloc, Send-Q WmemAlloc
	Flags     NetlinkFlags // NETLINK_DIAG_FLAGS (NDiagShowFlags)
	// Groups is the NETLINK_DIAG_GROUPS bitmap (NDiagShowGroups) as the
	// kernel sends it: native unsigned longs, group g at bit g-1 (see
	// InGroup). The kernel sends it only for a socket that ever joined a
	// group. In DumpNetlink it is reused from one socket to the next, so
	// it is valid until the next step; ListNetlink gives each socket its
	// own.
	Groups []byte
	// RxRing and TxRing are the rings of memory-mapped netlink
	// (NETLINK_DIAG_RX_RING, _TX_RING), which Linux removed in 4.6; they
	// stay zero on newer kernels.
	RxRing, TxRing NetlinkRing

	has uint32
}

// NetlinkRing is struct netlink_diag_ring.
type NetlinkRing struct {
	BlockSize uint32 // ndr_block_size
	BlockNr   uint32 // ndr_block_nr
	FrameSize uint32 // ndr_frame_size
	FrameNr   uint32 // ndr_frame_nr
}

// Has reports whether the reply carried the NETLINK_DIAG_* attribute typ.
func (s *NetlinkSocket) Has(typ uint16) bool { return typ < 32 && s.has&(1<<typ) != 0 }

// InGroup reports whether s is a member of multicast group g (numbered
// from 1, as NETLINK_ADD_MEMBERSHIP and the RTNLGRP_* constants count;
// the bind(2) mask's bit n is group n+1).
func (s *NetlinkSocket) InGroup(g uint32) bool {
	if g == 0 {
		return false
	}
	bit := g - 1
	i := bit / 8
	if bigEndian {
		// The bitmap is of unsigned longs, whose low byte comes last.
		w := uint32(8)
		if len(s.Groups)%8 != 0 {
			w = 4
		}
		i = bit/(8*w)*w + w - 1 - bit%(8*w)/8
	}
	return int(i) < len(s.Groups) && s.Groups[i]&(1<<(bit%8)) != 0
}

// FirstGroups returns the low 32 group bits (groups 1 to 32), the mask
// a bind(2) sets and the groups=0x%08x that `ss -e` prints.
func (s *NetlinkSocket) FirstGroups() uint32 {
	var m uint32
	for g := uint32(1); g <= 32; g++ {
		if s.InGroup(g) {
			m |= 1 << (g - 1)
		}
	}
	return m
}

// Decode fills s from the payload of one SOCK_DIAG_BY_FAMILY reply for a
// netlink socket, overwriting every field; Groups keeps its capacity.
// Decode keeps no reference to payload and allocates only to grow Groups,
// and for an error, a *DecodeError naming the header or attribute at
// fault.
func (s *NetlinkSocket) Decode(payload []byte) error {
	var h nlmsg.NetlinkDiagMsg
	attrs, err := h.Decode(payload)
	if err := headerErr("netlink_diag_msg", payload, nlmsg.NetlinkDiagMsgLen, err, h.Family, unix.AF_NETLINK); err != nil {
		return err
	}
	groups := s.Groups[:0]
	*s = NetlinkSocket{
		Protocol: NetlinkProtocol(h.Protocol), Type: h.Type, Connected: h.State == 1,
		PortID: h.PortID, DstPortID: h.DstPortID, DstGroup: h.DstGroup, Inode: h.Inode,
		Cookie: cookieOf(h.Cookie),
	}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		d := a.Data()
		t := a.Type()
		switch t {
		case nlmsg.NetlinkDiagMemInfo:
			if err := s.SkMemInfo.decode("NETLINK_DIAG_MEMINFO", d); err != nil {
				return err
			}
		case nlmsg.NetlinkDiagGroups:
			if len(d)%4 != 0 {
				return sizeErr("NETLINK_DIAG_GROUPS", len(d), len(d)&^3)
			}
			groups = append(groups, d...)
		case nlmsg.NetlinkDiagRxRing, nlmsg.NetlinkDiagTxRing:
			r := &s.RxRing
			name := "NETLINK_DIAG_RX_RING"
			if t == nlmsg.NetlinkDiagTxRing {
				r, name = &s.TxRing, "NETLINK_DIAG_TX_RING"
			}
			if len(d) < nlmsg.NetlinkDiagRingLen {
				return sizeErr(name, len(d), nlmsg.NetlinkDiagRingLen)
			}
			*r = NetlinkRing{u32(d, 0), u32(d, 4), u32(d, 8), u32(d, 12)}
		case nlmsg.NetlinkDiagFlags:
			if len(d) != 4 {
				return sizeErr("NETLINK_DIAG_FLAGS", len(d), 4)
			}
			s.Flags = NetlinkFlags(binary.NativeEndian.Uint32(d))
		default:
			continue
		}
		s.has |= 1 << t
	}
	s.Groups = groups
	return attrsErr("netlink_diag attributes", attrs, as.Err())
}

// DumpNetlink dumps the netlink sockets req selects and yields each
// decoded in place into one *NetlinkSocket that the iterator owns and
// reuses, valid until the next step (Groups included). Errors are yielded
// last with a nil socket, as DumpInet does; a Protocol the kernel has no
// table for (nlmsg.NetlinkDiagMaxProtocols and above) is refused with a
// *FamilyError wrapping ErrBadRequest before anything is sent.
//
// The kernel lists, for each protocol, the sockets that have an address
// (bound, or autobound by their first send) and then those that only
// joined groups; a socket that has both is listed twice, as ss shows it
// too. A socket neither bound nor in a group is not listed. Where a dump
// fills one reply and goes on in the next while walking the sockets that
// have an address, Linux (6.18 among others) loses the socket that did not
// fit, so a dump of many sockets can miss a listing at each such point
// (`ss -f netlink` misses them alike); a socket in a group still comes in
// its second listing.
//
// DumpNetlink does not allocate per socket once Groups has grown to the
// largest bitmap seen. It is safe for concurrent use, as DumpInet is.
func DumpNetlink(ctx context.Context, c *engine.Conn, req NetlinkRequest) iter.Seq2[*NetlinkSocket, error] {
	return func(yield func(*NetlinkSocket, error) bool) {
		k := reusing[NetlinkSocket]()
		fail(yield, dumpNetlink(ctx, c, req, &k, yield))
	}
}

// dumpNetlink runs the dump req asks for into k, yielding to yield if it
// is not nil.
func dumpNetlink(ctx context.Context, c *engine.Conn, req NetlinkRequest, k *sink[NetlinkSocket], yield func(*NetlinkSocket, error) bool) error {
	h := nlmsg.NetlinkDiagReq{Family: unix.AF_NETLINK, Protocol: nlmsg.NetlinkDiagProtoAll,
		Show: cmp.Or(req.Show, DefaultNetlinkShow), Cookie: noCookie}
	var err error
	if req.ByProtocol {
		h.Protocol = uint8(req.Protocol)
		if req.Protocol >= nlmsg.NetlinkDiagMaxProtocols {
			err = &FamilyError{Op: "dump netlink", Got: int(req.Protocol), Err: ErrBadRequest}
		}
	}
	return dumpReplies(ctx, c, "dump netlink", h.AppendTo(make([]byte, 0, nlmsg.NetlinkDiagReqLen)), err, 0, k, yield)
}

// ListNetlink is DumpNetlink collected into an owned slice (appended to
// dst, which may be nil), as ListInet collects DumpInet: each socket has
// its own Groups, and on an error it returns the sockets decoded so far
// and the error. Safe for concurrent use.
func ListNetlink(ctx context.Context, c *engine.Conn, req NetlinkRequest, dst []NetlinkSocket) ([]NetlinkSocket, error) {
	k := collecting[NetlinkSocket](netlinkBlocks)
	return k.list(dst, dumpNetlink(ctx, c, req, &k, nil))
}

var netlinkBlocks = newBlockPool[NetlinkSocket]()
