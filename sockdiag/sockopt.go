package sockdiag

import (
	"math/bits"
	"strings"
)

// SockOpts is the set of inet socket options a reply's INET_DIAG_SOCKOPT
// reports (struct inet_diag_sockopt, sent for every full socket since
// Linux 5.10; not for TIME-WAIT and request sockets): the
// inet-sockopt: (...) of `ss --inet-sockopt`. It is a plain value.
type SockOpts uint16

// The options, in the kernel's order; the comments give ss's names.
const (
	SockOptRecvErr           SockOpts = 1 << iota // IP_RECVERR: recverr
	SockOptICSK                                   // a connection-oriented socket, TCP's kind: is_icsk
	SockOptFreeBind                               // IP_FREEBIND: freebind
	SockOptHdrIncl                                // IP_HDRINCL (raw sockets): hdrincl
	SockOptMulticastLoop                          // IP_MULTICAST_LOOP: mc_loop
	SockOptTransparent                            // IP_TRANSPARENT: transparent
	SockOptMulticastAll                           // IP_MULTICAST_ALL: mc_all
	SockOptNoDefrag                               // IP_NODEFRAG (raw sockets): nodefrag
	SockOptBindAddressNoPort                      // IP_BIND_ADDRESS_NO_PORT: bind_addr_no_port
	SockOptRecvErrRFC4884                         // IP_RECVERR_RFC4884: recverr_rfc4884
	SockOptDeferConnect                           // a TCP_FASTOPEN_CONNECT connect waiting for the first write: defer_connect

	sockOptsKnown = SockOptDeferConnect<<1 - 1
)

var sockOptNames = [...]string{
	"recverr", "is_icsk", "freebind", "hdrincl", "mc_loop", "transparent",
	"mc_all", "nodefrag", "bind_addr_no_port", "recverr_rfc4884", "defer_connect",
}

// Has reports whether every option of x is in o.
func (o SockOpts) Has(x SockOpts) bool { return o&x == x }

// String lists the options of o by ss's names, in ss's order, separated
// by spaces ("is_icsk mc_loop mc_all"); "" for none.
func (o SockOpts) String() string { return joinNames(uint64(o), sockOptNames[:]) }

// joinNames lists the names of the bits of v, bit i named names[i], in
// that order and separated by spaces; bits without a name are left out.
func joinNames(v uint64, names []string) string {
	var b strings.Builder
	for i, name := range names {
		if v&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(name)
		}
	}
	return b.String()
}

// sockOptsOf decodes the two bit-field bytes of struct inet_diag_sockopt:
// the first field is the lowest bit of a byte on little-endian ABIs and the
// highest on big-endian ones. The unused bits are dropped.
func sockOptsOf(d []byte) SockOpts {
	b0, b1 := d[0], d[1]
	if bigEndian {
		b0, b1 = bits.Reverse8(b0), bits.Reverse8(b1)
	}
	return (SockOpts(b0) | SockOpts(b1)<<8) & sockOptsKnown
}
