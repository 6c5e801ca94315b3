package sockdiag

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Filter is a condition on inet sockets that the kernel evaluates while it
// dumps (an INET_DIAG_REQ_BYTECODE program), so that only matching sockets
// cross to user space. Build one from the port, address, interface and
// mark conditions and And, Or and Not; the zero Filter matches every
// socket and sends no program. Match evaluates the same condition in user
// space with the kernel's semantics, and String writes it in `ss`'s filter
// syntax.
//
// A Filter is an immutable value, safe for concurrent use.
type Filter struct {
	op     filterOp
	port   uint16
	dev    uint32
	mark   uint32 // opMark, with mask
	mask   uint32
	prefix netip.Prefix
	kids   []Filter
}

type filterOp uint8

const (
	opAll filterOp = iota // the zero Filter: true
	opSPortEQ
	opSPortGE
	opSPortLE
	opDPortEQ
	opDPortGE
	opDPortLE
	opSrc
	opDst
	opDev
	opMark
	opAnd
	opOr
	opNot
)

// SrcPort matches sockets whose local port is p (ss: sport = :p).
func SrcPort(p uint16) Filter { return Filter{op: opSPortEQ, port: p} }

// SrcPortAtLeast matches local ports >= p (ss: sport >= :p).
func SrcPortAtLeast(p uint16) Filter { return Filter{op: opSPortGE, port: p} }

// SrcPortAtMost matches local ports <= p (ss: sport <= :p).
func SrcPortAtMost(p uint16) Filter { return Filter{op: opSPortLE, port: p} }

// DstPort matches sockets whose remote port is p (ss: dport = :p). A
// listening or unconnected socket has remote port 0.
func DstPort(p uint16) Filter { return Filter{op: opDPortEQ, port: p} }

// DstPortAtLeast matches remote ports >= p (ss: dport >= :p).
func DstPortAtLeast(p uint16) Filter { return Filter{op: opDPortGE, port: p} }

// DstPortAtMost matches remote ports <= p (ss: dport <= :p).
func DstPortAtMost(p uint16) Filter { return Filter{op: opDPortLE, port: p} }

// SrcPrefix matches sockets whose local address is in p (ss: src p). As in
// the kernel, an IPv4 prefix also matches IPv4-mapped addresses of IPv6
// sockets, and a prefix of one family never matches the other otherwise
// (so 0.0.0.0/0 matches the IPv4 sockets). An invalid prefix matches every
// socket's address, of either family.
func SrcPrefix(p netip.Prefix) Filter { return Filter{op: opSrc, prefix: p.Masked()} }

// DstPrefix matches sockets whose remote address is in p (ss: dst p), with
// SrcPrefix's rules.
func DstPrefix(p netip.Prefix) Filter { return Filter{op: opDst, prefix: p.Masked()} }

// Dev matches sockets bound to the interface with index ifindex (ss: dev =
// ifindex).
func Dev(ifindex uint32) Filter { return Filter{op: opDev, dev: ifindex} }

// Mark matches sockets whose mark (SO_MARK) masked with mask is mark (ss:
// fwmark = mark/mask), so a mark with bits outside mask matches nothing.
// The kernel runs the condition for CAP_NET_ADMIN only, and fails the dump
// with EPERM for others: the callers it sends InetSocket.Mark to, which
// Match reads.
func Mark(mark, mask uint32) Filter { return Filter{op: opMark, mark: mark, mask: mask} }

// And matches the sockets every f matches; And() matches every socket.
func And(f ...Filter) Filter { return Filter{op: opAnd, kids: append([]Filter(nil), f...)} }

// Or matches the sockets some f matches; Or() matches none.
func Or(f ...Filter) Filter { return Filter{op: opOr, kids: append([]Filter(nil), f...)} }

// Not matches the sockets f does not match.
func Not(f Filter) Filter { return Filter{op: opNot, kids: []Filter{f}} }

// Match reports whether the kernel's program for f would accept s. It uses
// s.Family, Local and Remote (ports and addresses), Interface and Mark.
func (f Filter) Match(s *InetSocket) bool {
	switch f.op {
	case opAll:
		return true
	case opSPortEQ:
		return s.Local.Port() == f.port
	case opSPortGE:
		return s.Local.Port() >= f.port
	case opSPortLE:
		return s.Local.Port() <= f.port
	case opDPortEQ:
		return s.Remote.Port() == f.port
	case opDPortGE:
		return s.Remote.Port() >= f.port
	case opDPortLE:
		return s.Remote.Port() <= f.port
	case opSrc:
		return prefixMatch(f.prefix, s.Local.Addr())
	case opDst:
		return prefixMatch(f.prefix, s.Remote.Addr())
	case opDev:
		return s.Interface == f.dev
	case opMark:
		return s.Mark&f.mask == f.mark
	case opAnd:
		for _, k := range f.kids {
			if !k.Match(s) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range f.kids {
			if k.Match(s) {
				return true
			}
		}
		return false
	case opNot:
		return !f.kids[0].Match(s)
	}
	return false
}

// prefixMatch is the kernel's INET_DIAG_BC_S_COND/D_COND test without a port.
func prefixMatch(p netip.Prefix, a netip.Addr) bool {
	if !p.IsValid() {
		return true
	}
	if p.Addr().Is4() {
		if a.Is4In6() {
			a = a.Unmap()
		}
		return a.Is4() && p.Contains(a)
	}
	return a.Is6() && !a.Is4() && p.Contains(a)
}

// Bytecode returns the INET_DIAG_REQ_BYTECODE program for f, appended to
// b, or b unchanged for the zero Filter (no program: every socket). It
// fails with ErrBadRequest when the program exceeds what an attribute and
// its 16-bit jumps hold.
func (f Filter) Bytecode(b []byte) ([]byte, error) {
	start := len(b)
	b = f.compile(b)
	if len(b)-start > 0xfff0 {
		return b[:start], &FamilyError{Op: "filter", Got: len(b) - start, Err: ErrBadRequest}
	}
	return b, nil
}

// compile appends f's program. Every fragment follows one convention (the
// one `ss` uses): when the condition holds, the program continues at the
// fragment's end; when it does not, it jumps 4 bytes past the end, where
// an enclosing Or has its next alternative, and an enclosing And or the
// end of the program its own failure.
func (f Filter) compile(b []byte) []byte {
	switch f.op {
	case opAll:
		return b
	case opSPortEQ, opSPortGE, opSPortLE, opDPortEQ, opDPortGE, opDPortLE:
		code := [...]uint8{
			opSPortEQ: nlmsg.InetDiagBCSEQ, opSPortGE: nlmsg.InetDiagBCSGE, opSPortLE: nlmsg.InetDiagBCSLE,
			opDPortEQ: nlmsg.InetDiagBCDEQ, opDPortGE: nlmsg.InetDiagBCDGE, opDPortLE: nlmsg.InetDiagBCDLE,
		}[f.op]
		b = nlmsg.InetDiagBCOp{Code: code, Yes: 8, No: 12}.AppendTo(b)
		return nlmsg.InetDiagBCOp{No: f.port}.AppendTo(b)
	case opSrc, opDst:
		code := nlmsg.InetDiagBCSCond
		if f.op == opDst {
			code = nlmsg.InetDiagBCDCond
		}
		cond := nlmsg.InetDiagHostCond{Family: unix.AF_UNSPEC, Port: -1}
		if f.prefix.IsValid() {
			cond.PrefixLen = uint8(f.prefix.Bits())
			if f.prefix.Addr().Is4() {
				a := f.prefix.Addr().As4()
				cond.Family, cond.Addr = unix.AF_INET, a[:]
			} else {
				a := f.prefix.Addr().As16()
				cond.Family, cond.Addr = unix.AF_INET6, a[:]
			}
		}
		n := nlmsg.InetDiagBCOpLen + nlmsg.InetDiagHostCondLen + len(cond.Addr)
		b = nlmsg.InetDiagBCOp{Code: code, Yes: uint8(n), No: uint16(n + 4)}.AppendTo(b)
		return cond.AppendTo(b)
	case opDev:
		b = nlmsg.InetDiagBCOp{Code: nlmsg.InetDiagBCDevCond, Yes: 8, No: 12}.AppendTo(b)
		return binary.NativeEndian.AppendUint32(b, f.dev)
	case opMark:
		// struct inet_diag_markcond: mark, then mask.
		b = nlmsg.InetDiagBCOp{Code: nlmsg.InetDiagBCMarkCond, Yes: 12, No: 16}.AppendTo(b)
		b = binary.NativeEndian.AppendUint32(b, f.mark)
		return binary.NativeEndian.AppendUint32(b, f.mask)
	case opAnd:
		start := len(b)
		for _, k := range f.kids {
			mid := len(b)
			b = k.compile(b)
			// The failure exits of what came before now lie beyond k too.
			patch(b[start:mid], len(b)-mid)
		}
		return b
	case opOr:
		if len(f.kids) == 0 {
			return Not(Filter{}).compile(b)
		}
		b = f.kids[0].compile(b)
		for _, k := range f.kids[1:] {
			// Success so far jumps over k to the end; failure lands on k.
			jmp := len(b)
			b = nlmsg.InetDiagBCOp{Code: nlmsg.InetDiagBCJmp, Yes: 4}.AppendTo(b)
			b = k.compile(b)
			binary.NativeEndian.PutUint16(b[jmp+2:], uint16(len(b)-jmp))
		}
		return b
	case opNot:
		// Success falls onto a jump to failure; failure lands on the end.
		b = f.kids[0].compile(b)
		return nlmsg.InetDiagBCOp{Code: nlmsg.InetDiagBCJmp, Yes: 4, No: 8}.AppendTo(b)
	}
	return b
}

// patch moves the failure exits of fragment frag (jumps to 4 bytes past its
// end) by reloc bytes.
func patch(frag []byte, reloc int) {
	for off := 0; off < len(frag); {
		left := len(frag) - off
		if no := int(binary.NativeEndian.Uint16(frag[off+2:])); no == left+4 {
			binary.NativeEndian.PutUint16(frag[off+2:], uint16(no+reloc))
		}
		off += int(frag[off+1])
	}
}

// String writes f in the filter syntax of `ss` ("sport = :443", "dst
// 10.0.0.0/8", "( a and b )", "not a"); the zero Filter is "all".
func (f Filter) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f Filter) write(b *strings.Builder) {
	port := func(name, cmp string) {
		b.WriteString(name + " " + cmp + " :" + strconv.Itoa(int(f.port)))
	}
	switch f.op {
	case opAll:
		b.WriteString("all")
	case opSPortEQ:
		port("sport", "=")
	case opSPortGE:
		port("sport", ">=")
	case opSPortLE:
		port("sport", "<=")
	case opDPortEQ:
		port("dport", "=")
	case opDPortGE:
		port("dport", ">=")
	case opDPortLE:
		port("dport", "<=")
	case opSrc, opDst:
		if f.op == opSrc {
			b.WriteString("src ")
		} else {
			b.WriteString("dst ")
		}
		switch {
		case !f.prefix.IsValid():
			b.WriteString("*")
		default:
			b.WriteString(f.prefix.String())
		}
	case opDev:
		b.WriteString("dev = " + strconv.FormatUint(uint64(f.dev), 10))
	case opMark:
		b.WriteString("fwmark = 0x" + strconv.FormatUint(uint64(f.mark), 16) + "/0x" + strconv.FormatUint(uint64(f.mask), 16))
	case opAnd, opOr:
		if len(f.kids) == 0 {
			if f.op == opAnd {
				b.WriteString("all")
			} else {
				b.WriteString("not all")
			}
			return
		}
		sep := " and "
		if f.op == opOr {
			sep = " or "
		}
		b.WriteString("( ")
		for i, k := range f.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b)
		}
		b.WriteString(" )")
	case opNot:
		b.WriteString("not ")
		f.kids[0].write(b)
	}
}
