package sockdiag_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// bcAudit is the kernel's check of a program before a dump
// (inet_diag_bc_audit): every op's yes and no jumps land on an op
// boundary, the end, or (no only) 4 bytes past the end.
func bcAudit(t *testing.T, prog []byte) {
	t.Helper()
	validTarget := func(off int) bool { // off: bytes from the start
		for at := 0; at <= len(prog); {
			if at == off {
				return true
			}
			if at == len(prog) {
				return false
			}
			at += int(prog[at+1])
		}
		return false
	}
	for at := 0; at < len(prog); {
		if len(prog)-at < 4 {
			t.Fatalf("program % x: op cut short at %d", prog, at)
		}
		code, yes, no := prog[at], int(prog[at+1]), int(binary.NativeEndian.Uint16(prog[at+2:]))
		if yes < 4 || yes&3 != 0 || at+yes > len(prog) || !validTarget(at+yes) {
			t.Fatalf("program % x: op at %d: bad yes %d", prog, at, yes)
		}
		if code != nlmsg.InetDiagBCNop && (no < 4 || no&3 != 0 || at+no > len(prog)+4 || (at+no < len(prog) && !validTarget(at+no))) {
			t.Fatalf("program % x: op at %d: bad no %d", prog, at, no)
		}
		at += yes
	}
}

// bcRun runs a program on a socket as the kernel does (inet_diag_bc_run).
func bcRun(prog []byte, s *sockdiag.InetSocket) bool {
	at := 0
	for at < len(prog) {
		code, yes, no := prog[at], int(prog[at+1]), int(binary.NativeEndian.Uint16(prog[at+2:]))
		arg16 := func() uint16 { return binary.NativeEndian.Uint16(prog[at+6:]) }
		ok := true
		sport, dport := s.Local.Port(), s.Remote.Port()
		switch code {
		case nlmsg.InetDiagBCNop:
		case nlmsg.InetDiagBCJmp:
			ok = false
		case nlmsg.InetDiagBCSEQ:
			ok = sport == arg16()
		case nlmsg.InetDiagBCSGE:
			ok = sport >= arg16()
		case nlmsg.InetDiagBCSLE:
			ok = sport <= arg16()
		case nlmsg.InetDiagBCDEQ:
			ok = dport == arg16()
		case nlmsg.InetDiagBCDGE:
			ok = dport >= arg16()
		case nlmsg.InetDiagBCDLE:
			ok = dport <= arg16()
		case nlmsg.InetDiagBCDevCond:
			ok = s.Interface == binary.NativeEndian.Uint32(prog[at+4:])
		case nlmsg.InetDiagBCMarkCond:
			ok = s.Mark&binary.NativeEndian.Uint32(prog[at+8:]) == binary.NativeEndian.Uint32(prog[at+4:])
		case nlmsg.InetDiagBCSCond, nlmsg.InetDiagBCDCond:
			fam, plen := prog[at+4], int(prog[at+5])
			port := int32(binary.NativeEndian.Uint32(prog[at+8:]))
			caddr := prog[at+12 : at+yes]
			ap := s.Local
			if code == nlmsg.InetDiagBCDCond {
				ap = s.Remote
			}
			var addr []byte
			if s.Family == unix.AF_INET {
				a := ap.Addr().As4()
				addr = a[:]
			} else {
				a := ap.Addr().As16()
				addr = a[:]
			}
			switch {
			case port != -1 && port != int32(ap.Port()):
				ok = false
			case fam != unix.AF_UNSPEC && fam != s.Family:
				mapped := s.Family == unix.AF_INET6 && fam == unix.AF_INET && ap.Addr().Is4In6()
				ok = mapped && bitsMatch(addr[12:], caddr, plen)
			default:
				ok = plen == 0 || bitsMatch(addr, caddr, plen)
			}
		}
		if ok {
			at += yes
		} else {
			at += no
		}
	}
	return at == len(prog)
}

func bitsMatch(a, b []byte, bits int) bool {
	for i := 0; bits > 0; i++ {
		m := byte(0xff)
		if bits < 8 {
			m = 0xff << (8 - bits)
		}
		if a[i]&m != b[i]&m {
			return false
		}
		bits -= 8
	}
	return true
}

var (
	testPorts = []uint16{0, 22, 443, 1024, 8080, 65535}
	testAddrs = map[uint8][]netip.Addr{
		unix.AF_INET:  {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3"), netip.IPv4Unspecified()},
		unix.AF_INET6: {netip.MustParseAddr("::1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:127.0.0.1"), netip.MustParseAddr("::ffff:10.1.2.3"), netip.IPv6Unspecified()},
	}
	testMarks    = []uint32{0, 1, 0xff, 0x1234, 0xff00, 0xffffffff}
	testPrefixes = []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("0.0.0.0/0"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::/0"),
		netip.MustParsePrefix("::ffff:0:0/96"), netip.MustParsePrefix("10.0.0.0/7"), {},
	}
)

func randomFilter(r *rand.Rand, depth int) sockdiag.Filter {
	if depth > 0 && r.IntN(3) == 0 {
		n := r.IntN(4)
		kids := make([]sockdiag.Filter, n)
		for i := range kids {
			kids[i] = randomFilter(r, depth-1)
		}
		switch r.IntN(3) {
		case 0:
			return sockdiag.And(kids...)
		case 1:
			return sockdiag.Or(kids...)
		}
		return sockdiag.Not(randomFilter(r, depth-1))
	}
	p := testPorts[r.IntN(len(testPorts))]
	switch r.IntN(11) {
	case 0:
		return sockdiag.SrcPort(p)
	case 1:
		return sockdiag.SrcPortAtLeast(p)
	case 2:
		return sockdiag.SrcPortAtMost(p)
	case 3:
		return sockdiag.DstPort(p)
	case 4:
		return sockdiag.DstPortAtLeast(p)
	case 5:
		return sockdiag.DstPortAtMost(p)
	case 6:
		return sockdiag.SrcPrefix(testPrefixes[r.IntN(len(testPrefixes))])
	case 7:
		return sockdiag.DstPrefix(testPrefixes[r.IntN(len(testPrefixes))])
	case 8:
		return sockdiag.Dev(uint32(r.IntN(2)))
	case 9:
		return sockdiag.Mark(testMarks[r.IntN(len(testMarks))], testMarks[r.IntN(len(testMarks))])
	}
	return sockdiag.Filter{}
}

func randomSocket(r *rand.Rand) *sockdiag.InetSocket {
	fam := uint8(unix.AF_INET)
	if r.IntN(2) == 0 {
		fam = unix.AF_INET6
	}
	addrs := testAddrs[fam]
	return &sockdiag.InetSocket{
		Family:    fam,
		Local:     netip.AddrPortFrom(addrs[r.IntN(len(addrs))], testPorts[r.IntN(len(testPorts))]),
		Remote:    netip.AddrPortFrom(addrs[r.IntN(len(addrs))], testPorts[r.IntN(len(testPorts))]),
		Interface: uint32(r.IntN(2)),
		Mark:      testMarks[r.IntN(len(testMarks))],
	}
}

// TestFilterProgramMatchesMatch compiles random filters (nested And, Or,
// Not of every condition) and runs each program the way the kernel does on
// random sockets: the program passes the kernel's audit and accepts
// exactly the sockets Filter.Match accepts.
func TestFilterProgramMatchesMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	socks := make([]*sockdiag.InetSocket, 200)
	for i := range socks {
		socks[i] = randomSocket(r)
	}
	for range 2000 {
		f := randomFilter(r, 4)
		prog, err := f.Bytecode(nil)
		if err != nil {
			t.Fatal(err)
		}
		bcAudit(t, prog)
		for _, s := range socks {
			if got, want := bcRun(prog, s), f.Match(s); got != want {
				t.Fatalf("filter %s on %v -> %v (if %d, mark %#x): program says %v, Match says %v\nprogram % x", f, s.Local, s.Remote, s.Interface, s.Mark, got, want, prog)
			}
		}
	}
}

func TestFilterExamples(t *testing.T) {
	s := &sockdiag.InetSocket{Family: unix.AF_INET6, Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:443"), Remote: netip.MustParseAddrPort("[::ffff:10.0.0.9]:50000"), Mark: 0x1234}
	cases := []struct {
		f    sockdiag.Filter
		str  string
		want bool
	}{
		{sockdiag.SrcPort(443), "sport = :443", true},
		{sockdiag.Not(sockdiag.SrcPort(443)), "not sport = :443", false},
		{sockdiag.SrcPrefix(netip.MustParsePrefix("127.0.0.0/8")), "src 127.0.0.0/8", true}, // IPv4-mapped
		{sockdiag.DstPrefix(netip.MustParsePrefix("::/0")), "dst ::/0", true},
		{sockdiag.And(sockdiag.DstPortAtLeast(1024), sockdiag.Dev(1)), "( dport >= :1024 and dev = 1 )", false},
		{sockdiag.Or(sockdiag.DstPortAtLeast(1024), sockdiag.Dev(1)), "( dport >= :1024 or dev = 1 )", true},
		{sockdiag.Mark(0x1200, 0xff00), "fwmark = 0x1200/0xff00", true},
		{sockdiag.Mark(0x34, 0xff00), "fwmark = 0x34/0xff00", false}, // bits outside the mask
		{sockdiag.Or(), "not all", false},
		{sockdiag.And(), "all", true},
		{sockdiag.Filter{}, "all", true},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.str {
			t.Errorf("String = %q, want %q", got, c.str)
		}
		prog, err := c.f.Bytecode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.f.Match(s) != c.want || bcRun(prog, s) != c.want {
			t.Errorf("%s: Match %v, program %v, want %v", c.str, c.f.Match(s), bcRun(prog, s), c.want)
		}
	}
	// sport = :443 is one 8-byte test whose failure exit lies 4 bytes
	// past the end.
	prog, _ := sockdiag.SrcPort(443).Bytecode(nil)
	want := append(nlmsg.InetDiagBCOp{Code: nlmsg.InetDiagBCSEQ, Yes: 8, No: 12}.AppendTo(nil), nlmsg.InetDiagBCOp{No: 443}.AppendTo(nil)...)
	if string(prog) != string(want) {
		t.Errorf("sport = :443 compiles to % x, want % x", prog, want)
	}
}
