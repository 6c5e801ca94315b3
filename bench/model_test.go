package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Sizes of the workloads (see README.md).
const (
	dumpRoutes   = 100_000 // routes in the route-dump namespace
	vethPairs    = 500     // veth pairs in the link-dump namespace: 1 000 links + lo
	bulkRoutes   = 20_000  // routes added then deleted per Bulk op
	eventRoutes  = 50_000  // routes added then deleted per Events op
	parallelism  = 8       // goroutines sharing one connection in Parallel
	eventsBigBuf = 8 << 20 // the "8MiB" receive buffer of Events
)

// sentinelTable is the first of the 50 routing tables (200-249) that hold the
// routes telling an Events subscriber a burst is over (see sentinelFor): no
// other route of the benchmarks uses them, and a table below 256 can be read
// in the fixed rtmsg header without decoding attributes.
const sentinelTable = 200

// level is how far a library takes a reply.
type level int

const (
	// raw: the library's messages as bytes, counted but not decoded (for
	// requests: a payload encoded once, before the timer).
	raw level = iota
	// decoded: each reply decoded into route or link by the library's own
	// decoder (for requests: each payload encoded from a route by the
	// library's own encoder).
	decoded
)

func (l level) String() string {
	if l == raw {
		return "raw"
	}
	return "decoded"
}

var levels = []level{raw, decoded}

// route is the small struct the decoded level fills from an RTM_NEWROUTE.
type route struct {
	Dst    netip.Addr
	DstLen uint8
	OIF    uint32
	Table  uint8 // the rtmsg header's table, so Events can spot the sentinel
}

// link is the small struct the decoded level fills from an RTM_NEWLINK.
type link struct {
	Index int32
	Name  string
	MTU   uint32
}

// benchRoute is the i-th route of a workload: 10.(i>>16).(i>>8).i/32 dev lo
// in the main table. i must be below 1<<24.
func benchRoute(i int) route {
	return route{
		Dst:    netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
		DstLen: 32,
		OIF:    1,
		Table:  unix.RT_TABLE_MAIN,
	}
}

// sentinelRoute is the route whose notification ends an Events op; the op
// sets its Table with sentinelFor.
func sentinelRoute() route {
	return route{Dst: netip.AddrFrom4([4]byte{10, 255, 255, 255}), DstLen: 32, OIF: 1, Table: sentinelTable}
}

func benchRoutes(n int) []route {
	rs := make([]route, n)
	for i := range rs {
		rs[i] = benchRoute(i)
	}
	return rs
}

// The plain encoders and decoders below are the floor's: encoding/binary
// over x/sys/unix constants, nothing else. The raw level of every library
// sends the payloads they build.

var ne = binary.NativeEndian

const (
	nlmsgHdrLen = unix.SizeofNlMsghdr // 16
	rtmsgLen    = unix.SizeofRtMsg    // 12
	ifinfoLen   = unix.SizeofIfInfomsg
	rtaHdrLen   = unix.SizeofRtAttr // 4
	nlaTypeMask = 0x3fff            // nla_type without NLA_F_NESTED and NLA_F_NET_BYTEORDER
)

func align4(n int) int { return (n + 3) &^ 3 }

// appendAttr appends one rtattr with data, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = ne.AppendUint16(b, uint16(rtaHdrLen+len(data)))
	b = ne.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// appendRoutePayload appends the rtmsg and attributes of r, as `ip route
// add` would send them.
func appendRoutePayload(b []byte, r route) []byte {
	b = append(b, unix.AF_INET, r.DstLen, 0, 0, r.Table, unix.RTPROT_STATIC, unix.RT_SCOPE_LINK, unix.RTN_UNICAST, 0, 0, 0, 0)
	dst := r.Dst.As4()
	b = appendAttr(b, unix.RTA_DST, dst[:])
	return appendAttr(b, unix.RTA_OIF, ne.AppendUint32(nil, r.OIF))
}

// routePayloads encodes rs once: the raw level's request payloads.
func routePayloads(rs []route) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = appendRoutePayload(nil, r)
	}
	return out
}

// rtmsgIPv4 asks a route dump for IPv4 routes.
var rtmsgIPv4 = []byte{unix.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// ifinfo returns an ifinfomsg for ifindex idx (0: a dump of all links).
func ifinfo(idx int32) []byte {
	b := make([]byte, ifinfoLen)
	ne.PutUint32(b[4:], uint32(idx))
	return b
}

var errShort = errors.New("short message")

// attrs calls fn for each rtattr in b (plain parsing, no nesting).
func attrs(b []byte, fn func(typ uint16, data []byte)) error {
	for len(b) >= rtaHdrLen {
		l := int(ne.Uint16(b))
		if l < rtaHdrLen || l > len(b) {
			return fmt.Errorf("bad rtattr length %d", l)
		}
		fn(ne.Uint16(b[2:])&nlaTypeMask, b[rtaHdrLen:l])
		b = b[min(align4(l), len(b)):]
	}
	return nil
}

// plainRoute decodes an RTM_NEWROUTE payload (rtmsg + attributes).
func plainRoute(p []byte) (route, error) {
	var r route
	if len(p) < rtmsgLen {
		return r, errShort
	}
	r.DstLen, r.Table = p[1], p[4]
	err := attrs(p[rtmsgLen:], func(typ uint16, data []byte) {
		switch typ {
		case unix.RTA_DST:
			if len(data) == 4 {
				r.Dst = netip.AddrFrom4([4]byte(data))
			}
		case unix.RTA_OIF:
			if len(data) == 4 {
				r.OIF = ne.Uint32(data)
			}
		case unix.RTA_TABLE:
			// The header's table is the low 8 bits; the attribute is the
			// full value and wins when present.
			if len(data) == 4 {
				r.Table = uint8(ne.Uint32(data))
			}
		}
	})
	return r, err
}

// plainLink decodes an RTM_NEWLINK payload (ifinfomsg + attributes).
func plainLink(p []byte) (link, error) {
	var l link
	if len(p) < ifinfoLen {
		return l, errShort
	}
	l.Index = int32(ne.Uint32(p[4:]))
	err := attrs(p[ifinfoLen:], func(typ uint16, data []byte) {
		switch typ {
		case unix.IFLA_IFNAME:
			l.Name = unix.ByteSliceToString(data)
		case unix.IFLA_MTU:
			if len(data) == 4 {
				l.MTU = ne.Uint32(data)
			}
		}
	})
	return l, err
}
