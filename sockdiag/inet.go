package sockdiag

import (
	"context"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Ext selects the extensions an inet dump asks the kernel for (the
// idiag_ext bits). INET_DIAG_SHUTDOWN, SKV6ONLY, CGROUP_ID, SOCKOPT and
// (to CAP_NET_ADMIN) MARK come without asking.
type Ext uint8

// The extensions.
const (
	ExtMemInfo   Ext = 1 << (nlmsg.InetDiagMemInfo - 1)   // InetSocket.MemInfo
	ExtInfo      Ext = 1 << (nlmsg.InetDiagInfo - 1)      // InetSocket.TCPInfo (TCP sockets)
	ExtCong      Ext = 1 << (nlmsg.InetDiagCong - 1)      // InetSocket.Congestion
	ExtTOS       Ext = 1 << (nlmsg.InetDiagTOS - 1)       // InetSocket.TOS
	ExtTClass    Ext = 1 << (nlmsg.InetDiagTClass - 1)    // InetSocket.TClass
	ExtSkMemInfo Ext = 1 << (nlmsg.InetDiagSkMemInfo - 1) // InetSocket.SkMemInfo

	// ExtCCInfo is the INET_DIAG_VEGASINFO bit, which every congestion
	// control with figures of its own answers, as `ss -i` asks: bbr with
	// InetSocket.BBR, vegas with Vegas, dctcp with DCTCP (cubic and reno
	// have none).
	ExtCCInfo Ext = 1 << (nlmsg.InetDiagVegasInfo - 1)
)

// InetRequest says which inet sockets to dump: one address family and one
// protocol, the states wanted, the extensions wanted, and a Filter the
// kernel applies.
type InetRequest struct {
	Family      uint8  // unix.AF_INET or unix.AF_INET6 (an AF_INET6 dump includes IPv4-mapped sockets, not AF_INET ones)
	Protocol    uint8  // unix.IPPROTO_TCP (also for 0), IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_RAW, IPPROTO_SCTP
	RawProtocol uint8  // for IPPROTO_RAW: the raw sockets' protocol (IPPROTO_ICMP, ...); 0 or IPPROTO_RAW for every raw socket
	States      States // zero means AllStates
	Ext         Ext
	Filter      Filter
}

func (r *InetRequest) protocol() uint8 {
	if r.Protocol == 0 {
		return unix.IPPROTO_TCP
	}
	return r.Protocol
}

// appendTo appends the request payload: the inet_diag_req_v2 and the
// filter program.
func (r *InetRequest) appendTo(b []byte, op string) ([]byte, error) {
	if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
		return b, &FamilyError{Op: op, Got: int(r.Family), Err: ErrBadRequest}
	}
	states := uint32(r.States)
	if states == 0 {
		states = uint32(AllStates)
	}
	raw := r.RawProtocol
	if r.protocol() == unix.IPPROTO_RAW && raw == 0 {
		raw = unix.IPPROTO_RAW // the kernel's "any raw protocol"
	}
	h := nlmsg.InetDiagReqV2{Family: r.Family, Protocol: r.protocol(), Ext: uint8(r.Ext), RawProtocol: raw, States: states}
	h.ID.Cookie = noCookie
	b = h.AppendTo(b)
	if r.Filter.op == opAll {
		return b, nil
	}
	hdr := len(b)
	b = append(b, 0, 0, 0, 0)
	b, err := r.Filter.Bytecode(b)
	if err != nil {
		return b[:hdr], err
	}
	putAttrHeader(b[hdr:], nlmsg.InetDiagReqBytecode, len(b)-hdr)
	return b, nil
}

func putAttrHeader(b []byte, typ uint16, n int) {
	b[0], b[1] = byte(n), byte(n>>8)
	b[2], b[3] = byte(typ), byte(typ>>8)
	if !littleEndian {
		b[0], b[1], b[2], b[3] = byte(n>>8), byte(n), byte(typ>>8), byte(typ)
	}
}

var littleEndian = !bigEndian

// DumpInet dumps the inet sockets req selects and yields each decoded in
// place into one *InetSocket that the iterator owns and reuses: it is valid
// until the next step (copy the value to keep it; it holds no reference to
// the receive buffer). Errors are yielded last with a nil socket: before
// anything is sent, an *engine.OpError that errors.Is ErrWrongFamily for a
// Conn of another family or a *FamilyError for a bad request; the engine's
// *engine.OpError (errors.Is works: ENOENT when the kernel has no diag
// module for the protocol), or a *DecodeError for a
// malformed reply, which ends the dump. Breaking out of the loop is safe.
//
// DumpInet does not allocate per socket. It is safe to run several dumps
// on one Conn concurrently (the engine runs them one after the other).
func DumpInet(ctx context.Context, c *engine.Conn, req InetRequest) iter.Seq2[*InetSocket, error] {
	return func(yield func(*InetSocket, error) bool) {
		k := reusing[InetSocket]()
		fail(yield, dumpInet(ctx, c, &req, &k, yield))
	}
}

// dumpInet runs the dump req asks for into k, yielding to yield if it is
// not nil.
func dumpInet(ctx context.Context, c *engine.Conn, req *InetRequest, k *sink[InetSocket], yield func(*InetSocket, error) bool) error {
	payload, err := req.appendTo(make([]byte, 0, 128), "dump inet")
	return dumpReplies(ctx, c, "dump inet", payload, err, req.protocol(), k, yield)
}

// ListInet is DumpInet collected into an owned slice (appended to dst,
// which may be nil). On an error it returns the sockets decoded so far and
// the error. The sockets are decoded straight into pooled blocks and
// copied once into a slice of the final size, so a dump of n sockets
// allocates about n InetSockets, not the several times that growing a
// slice costs.
func ListInet(ctx context.Context, c *engine.Conn, req InetRequest, dst []InetSocket) ([]InetSocket, error) {
	k := collecting[InetSocket](inetBlocks)
	return k.list(dst, dumpInet(ctx, c, &req, &k, nil))
}

var inetBlocks = newBlockPool[InetSocket]()

// Destroy asks the kernel to close the socket s names (SOCK_DESTROY): its
// family, protocol, addresses, ports, interface and cookie, as a dump
// decoded them. The kernel aborts a TCP socket with ECONNABORTED for its
// owner (a reset to the peer when connected) and removes it; a UDP socket's
// owner gets ECONNABORTED too, but a bound UDP socket stays bound until
// its owner closes it. TIME-WAIT and request (SYN-RECV) sockets are
// removed. It needs CAP_NET_ADMIN in
// the namespace's user namespace (EPERM otherwise); the kernel answers
// EOPNOTSUPP for protocols it cannot destroy and ENOENT when no socket with
// that identity and cookie exists (any more). A nil s or one of another
// address family is refused with a *FamilyError wrapping ErrBadRequest
// before anything is sent. Safe for concurrent use.
func Destroy(ctx context.Context, c *engine.Conn, s *InetSocket) error {
	if err := checkConn("destroy", c); err != nil {
		return err
	}
	if s == nil {
		return &FamilyError{Op: "destroy", Got: -1, Err: ErrBadRequest}
	}
	if s.Family != unix.AF_INET && s.Family != unix.AF_INET6 {
		return &FamilyError{Op: "destroy", Got: int(s.Family), Err: ErrBadRequest}
	}
	proto := s.Protocol
	if proto == 0 {
		proto = unix.IPPROTO_TCP
	}
	h := nlmsg.InetDiagReqV2{Family: s.Family, Protocol: proto, States: uint32(AllStates), ID: s.ID()}
	var buf [nlmsg.InetDiagReqV2Len]byte
	return c.RequestFunc(ctx, nlmsg.SockDestroy, h.AppendTo(buf[:0]), 0, func(nlmsg.View) error { return nil })
}
