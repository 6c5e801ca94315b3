package sockdiag

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// InetSocket is one AF_INET or AF_INET6 socket of a dump: the fields of
// struct inet_diag_msg and the extensions the kernel attached. It holds no
// reference to the receive buffer it was decoded from: a copy of the value
// is independent of the original. Which extensions were present is told by
// Has. A TIME-WAIT or request (SYN-RECV) socket has the header's fields
// and, to CAP_NET_ADMIN, its Mark, nothing else: the kernel sends no other
// attribute for them, and their Inode and UID are 0.
type InetSocket struct {
	Family    uint8 // unix.AF_INET or unix.AF_INET6
	Protocol  uint8 // unix.IPPROTO_TCP, IPPROTO_UDP, ... (the request's, or INET_DIAG_PROTOCOL)
	State     State
	Timer     Timer
	Retrans   uint8         // idiag_retrans: retransmissions (or keepalive probes) of the timer
	Expires   time.Duration // time until Timer fires, ms resolution
	Local     netip.AddrPort
	Remote    netip.AddrPort
	Interface uint32 // bound interface index (SO_BINDTODEVICE, or the scope of a link-local address); 0 for none
	Cookie    uint64 // the socket's cookie (SO_COOKIE), unique while it lives
	RQueue    uint32 // receive queue: bytes (TCP: not yet read; listener: connections waiting in accept)
	WQueue    uint32 // send queue: bytes not acked (listener: its backlog)
	UID       uint32
	Inode     uint32 // 0 for sockets without a file (TIME-WAIT, request sockets)

	// Extensions, asked for with InetRequest.Ext unless said otherwise.
	TCPInfo    TCPInfo   // INET_DIAG_INFO of a TCP socket (ExtInfo)
	MemInfo    MemInfo   // INET_DIAG_MEMINFO (ExtMemInfo)
	SkMemInfo  SkMemInfo // INET_DIAG_SKMEMINFO (ExtSkMemInfo)
	Congestion string    // INET_DIAG_CONG (ExtCong): "cubic", "bbr", ... interned, no allocation per socket
	BBR        BBRInfo   // INET_DIAG_BBRINFO (ExtCCInfo), a socket under bbr
	Vegas      VegasInfo // INET_DIAG_VEGASINFO (ExtCCInfo), a socket under vegas or its kin
	DCTCP      DCTCPInfo // INET_DIAG_DCTCPINFO (ExtCCInfo), a socket under dctcp
	TOS        uint8     // INET_DIAG_TOS (ExtTOS)
	TClass     uint8     // INET_DIAG_TCLASS (ExtTClass), IPv6 sockets
	Shutdown   uint8     // INET_DIAG_SHUTDOWN, always sent: 1 receive side shut, 2 send side
	V6Only     bool      // INET_DIAG_SKV6ONLY, IPv6 sockets listening or unconnected (not sent in other states)
	Mark       uint32    // INET_DIAG_MARK (SO_MARK), sent to CAP_NET_ADMIN only
	ClassID    uint32    // INET_DIAG_CLASS_ID (ExtTClass, whose bit the kernel reads for it): the net_cls class, or else SO_PRIORITY
	CgroupID   uint64    // INET_DIAG_CGROUP_ID: cgroup v2 id
	SockOpt    SockOpts  // INET_DIAG_SOCKOPT, always sent for full sockets

	has uint32 // bit 1<<type for each attribute present
}

// MemInfo is struct inet_diag_meminfo (INET_DIAG_MEMINFO).
type MemInfo struct {
	RMem uint32 // idiag_rmem: receive queue bytes
	WMem uint32 // idiag_wmem: send queue bytes not yet sent
	FMem uint32 // idiag_fmem: forward-allocated memory
	TMem uint32 // idiag_tmem: bytes in flight
}

// SkMemInfo is the socket memory array of INET_DIAG_SKMEMINFO and
// UNIX_DIAG_MEMINFO, the skmem:(r,rb,t,tb,f,w,o,bl,d) of `ss -m`.
type SkMemInfo struct {
	RmemAlloc  uint32 // r
	Rcvbuf     uint32 // rb
	WmemAlloc  uint32 // t
	Sndbuf     uint32 // tb
	FwdAlloc   uint32 // f
	WmemQueued uint32 // w
	Optmem     uint32 // o
	Backlog    uint32 // bl
	Drops      uint32 // d
}

// Has reports whether the reply carried the INET_DIAG_* attribute typ (for
// example nlmsg.InetDiagInfo before reading TCPInfo).
func (s *InetSocket) Has(typ uint16) bool { return typ < 32 && s.has&(1<<typ) != 0 }

// ID returns the inet_diag_sockid that names s to the kernel, as a lookup
// or SOCK_DESTROY request needs it.
func (s *InetSocket) ID() nlmsg.InetDiagSockID {
	id := nlmsg.InetDiagSockID{
		SPort: s.Local.Port(), DPort: s.Remote.Port(), If: s.Interface,
		Cookie: [2]uint32{uint32(s.Cookie), uint32(s.Cookie >> 32)},
	}
	putAddr(&id.Src, s.Local.Addr())
	putAddr(&id.Dst, s.Remote.Addr())
	return id
}

func putAddr(dst *[16]byte, a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		copy(dst[:], b[:])
	} else if a.IsValid() {
		*dst = a.As16()
	}
}

func addrOf(family uint8, b *[16]byte) netip.Addr {
	if family == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(*b)
}

// Decode fills s from the payload of one SOCK_DIAG_BY_FAMILY reply for an
// inet socket (an inet_diag_msg and its attributes), overwriting every
// field. protocol is the request's protocol, which the header does not
// carry. Decode keeps no reference to payload and does not allocate, except
// the first time it meets a congestion control name (see Congestion) and
// for an error, a *DecodeError naming the header or attribute at fault.
func (s *InetSocket) Decode(payload []byte, protocol uint8) error {
	var h nlmsg.InetDiagMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &DecodeError{Attr: "inet_diag_msg", Len: len(payload), Want: nlmsg.InetDiagMsgLen, Err: err}
	}
	if h.Family != unix.AF_INET && h.Family != unix.AF_INET6 {
		return &DecodeError{Attr: "inet_diag_msg family " + familyName(h.Family), Len: len(payload), Want: nlmsg.InetDiagMsgLen}
	}
	// NB: s is cleared in place and then filled: an InetSocket literal is
	// built on the stack and copied with wide loads over narrow stores, a
	// store-forwarding stall at every socket. TCPInfo is overwritten only
	// when present; clearing s here means no field of the previous socket
	// survives.
	*s = InetSocket{}
	s.Family, s.Protocol, s.State, s.Timer, s.Retrans = h.Family, protocol, State(h.State), Timer(h.Timer), h.Retrans
	s.Local = netip.AddrPortFrom(addrOf(h.Family, &h.ID.Src), h.ID.SPort)
	s.Remote = netip.AddrPortFrom(addrOf(h.Family, &h.ID.Dst), h.ID.DPort)
	s.Interface = h.ID.If
	s.Cookie = cookieOf(h.ID.Cookie)
	s.Expires = time.Duration(h.Expires) * time.Millisecond
	s.RQueue, s.WQueue, s.UID, s.Inode = h.RQueue, h.WQueue, h.UID, h.Inode
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		d := a.Data()
		t := a.Type()
		switch t {
		case nlmsg.InetDiagInfo:
			if s.Protocol != unix.IPPROTO_TCP {
				continue // another protocol's info struct
			}
			if err := s.TCPInfo.decode(d); err != nil {
				return err
			}
		case nlmsg.InetDiagBBRInfo, nlmsg.InetDiagVegasInfo, nlmsg.InetDiagDCTCPInfo:
			if err := s.decodeCCInfo(t, d); err != nil {
				return err
			}
		case nlmsg.InetDiagMemInfo:
			if len(d) < nlmsg.InetDiagMemInfoLen {
				return sizeErr("INET_DIAG_MEMINFO", len(d), nlmsg.InetDiagMemInfoLen)
			}
			s.MemInfo = MemInfo{u32(d, 0), u32(d, 4), u32(d, 8), u32(d, 12)}
		case nlmsg.InetDiagSkMemInfo:
			if err := s.SkMemInfo.decode("INET_DIAG_SKMEMINFO", d); err != nil {
				return err
			}
		case nlmsg.InetDiagCong:
			name := a.StringBytes()
			if len(name) > maxCongName {
				return sizeErr("INET_DIAG_CONG", len(name), -maxCongName)
			}
			s.Congestion = congestionNames.String(name)
		case nlmsg.InetDiagTOS, nlmsg.InetDiagTClass, nlmsg.InetDiagShutdown, nlmsg.InetDiagSkV6Only, nlmsg.InetDiagProtocol:
			if len(d) < 1 {
				return sizeErr(inetAttrName(t), len(d), 1)
			}
			switch t {
			case nlmsg.InetDiagTOS:
				s.TOS = d[0]
			case nlmsg.InetDiagTClass:
				s.TClass = d[0]
			case nlmsg.InetDiagShutdown:
				s.Shutdown = d[0]
			case nlmsg.InetDiagSkV6Only:
				s.V6Only = d[0] != 0
			case nlmsg.InetDiagProtocol:
				s.Protocol = d[0]
			}
		case nlmsg.InetDiagMark, nlmsg.InetDiagClassID:
			if len(d) != 4 {
				return sizeErr(inetAttrName(t), len(d), 4)
			}
			if t == nlmsg.InetDiagMark {
				s.Mark = u32(d, 0)
			} else {
				s.ClassID = u32(d, 0)
			}
		case nlmsg.InetDiagSockOpt:
			if len(d) < 2 {
				return sizeErr("INET_DIAG_SOCKOPT", len(d), 2)
			}
			s.SockOpt = sockOptsOf(d)
		case nlmsg.InetDiagCgroupID:
			if len(d) != 8 {
				return sizeErr("INET_DIAG_CGROUP_ID", len(d), 8)
			}
			s.CgroupID = binary.NativeEndian.Uint64(d)
		default:
			continue // not decoded here; not marked present
		}
		s.has |= 1 << t
	}
	if err := as.Err(); err != nil {
		return &DecodeError{Attr: "inet_diag attributes", Len: len(attrs), Want: 4, Err: err}
	}
	return nil
}

// maxCongName is TCP_CA_NAME_MAX, the longest congestion control name.
const maxCongName = 16

func (m *SkMemInfo) decode(attr string, d []byte) error {
	if len(d) < nlmsg.SKMemInfoVars*4 {
		return sizeErr(attr, len(d), nlmsg.SKMemInfoVars*4)
	}
	*m = SkMemInfo{
		RmemAlloc: u32(d, 4*nlmsg.SKMemInfoRmemAlloc), Rcvbuf: u32(d, 4*nlmsg.SKMemInfoRcvbuf),
		WmemAlloc: u32(d, 4*nlmsg.SKMemInfoWmemAlloc), Sndbuf: u32(d, 4*nlmsg.SKMemInfoSndbuf),
		FwdAlloc: u32(d, 4*nlmsg.SKMemInfoFwdAlloc), WmemQueued: u32(d, 4*nlmsg.SKMemInfoWmemQueued),
		Optmem: u32(d, 4*nlmsg.SKMemInfoOptmem), Backlog: u32(d, 4*nlmsg.SKMemInfoBacklog),
		Drops: u32(d, 4*nlmsg.SKMemInfoDrops),
	}
	return nil
}

// cookieOf joins the two words of a socket cookie, low word first.
func cookieOf(c [2]uint32) uint64 { return uint64(c[0]) | uint64(c[1])<<32 }

func u32(d []byte, off int) uint32 { return binary.NativeEndian.Uint32(d[off : off+4]) }

func u16(d []byte, off int) uint16 { return binary.NativeEndian.Uint16(d[off : off+2]) }

var inetAttrNames = [...]string{
	nlmsg.InetDiagMemInfo: "INET_DIAG_MEMINFO", nlmsg.InetDiagInfo: "INET_DIAG_INFO",
	nlmsg.InetDiagCong: "INET_DIAG_CONG", nlmsg.InetDiagTOS: "INET_DIAG_TOS",
	nlmsg.InetDiagTClass: "INET_DIAG_TCLASS", nlmsg.InetDiagSkMemInfo: "INET_DIAG_SKMEMINFO",
	nlmsg.InetDiagShutdown: "INET_DIAG_SHUTDOWN", nlmsg.InetDiagProtocol: "INET_DIAG_PROTOCOL",
	nlmsg.InetDiagSkV6Only: "INET_DIAG_SKV6ONLY", nlmsg.InetDiagMark: "INET_DIAG_MARK",
	nlmsg.InetDiagClassID: "INET_DIAG_CLASS_ID", nlmsg.InetDiagCgroupID: "INET_DIAG_CGROUP_ID",
	nlmsg.InetDiagVegasInfo: "INET_DIAG_VEGASINFO", nlmsg.InetDiagDCTCPInfo: "INET_DIAG_DCTCPINFO",
	nlmsg.InetDiagBBRInfo: "INET_DIAG_BBRINFO", nlmsg.InetDiagSockOpt: "INET_DIAG_SOCKOPT",
}

func inetAttrName(t uint16) string {
	if int(t) < len(inetAttrNames) && inetAttrNames[t] != "" {
		return inetAttrNames[t]
	}
	return "INET_DIAG attribute"
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "AF_INET"
	case unix.AF_INET6:
		return "AF_INET6"
	case unix.AF_UNIX:
		return "AF_UNIX"
	case unix.AF_NETLINK:
		return "AF_NETLINK"
	case unix.AF_PACKET:
		return "AF_PACKET"
	}
	return "AF(" + strconv.Itoa(int(f)) + ")"
}
