package nlmsg

import (
	"encoding/binary"
	"errors"
	"testing"
)

// rawMsg returns one message as the wire has it: a header whose nlmsg_len is
// 16+len(payload), then payload, without trailing padding.
func rawMsg(t Type, f Flags, seq uint32, payload []byte) []byte {
	b := Header{Len: uint32(HeaderLen + len(payload)), Type: t, Flags: f, Seq: seq}.AppendTo(nil)
	return append(b, payload...)
}

// rawMsgLen is rawMsg with an nlmsg_len of the caller's choosing, to build
// malformed input.
func rawMsgLen(n uint32, t Type, payload []byte) []byte {
	b := Header{Len: n, Type: t}.AppendTo(nil)
	return append(b, payload...)
}

// padded returns b with zero bytes appended up to a multiple of 4.
func padded(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// cat concatenates byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// rawAttr returns one attribute with nla_len 4+len(data) and no padding.
func rawAttr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(AttrHeaderLen+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	return append(b, data...)
}

// rawAttrLen is rawAttr with an nla_len of the caller's choosing.
func rawAttrLen(n uint16, typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, n)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return append(b, data...)
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

// wantFormatError checks that err wraps reason and is a *FormatError at
// offset off (off < 0 skips the offset check).
func wantFormatError(t *testing.T, err, reason error, off int) {
	t.Helper()
	if !errors.Is(err, reason) {
		t.Fatalf("error = %v, want one wrapping %v", err, reason)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is %T, want *FormatError", err, err)
	}
	if off >= 0 && fe.Offset != off {
		t.Errorf("FormatError.Offset = %d, want %d (%v)", fe.Offset, off, err)
	}
	if fe.Error() == "" {
		t.Error("empty error text")
	}
}

// Route is what the route benchmarks and allocation tests decode each
// RTM_NEWROUTE into: the fields a routing daemon looks at first.
type route struct {
	dst      [16]byte
	dstLen   uint8
	family   uint8
	table    uint32
	oif      uint32
	priority uint32
}

// routeCount is how many IPv4 routes of 60 bytes the kernel packs into one
// dump datagram of a 32 KiB receive buffer (KERNEL-NOTES.md: ~535).
const routeCount = 535

// buildRouteDump encodes n RTM_NEWROUTE messages as a kernel IPv4 route
// dump has them: rtmsg, RTA_TABLE, RTA_DST, RTA_PRIORITY, RTA_OIF, each 60
// bytes, all in one datagram with NLM_F_MULTI and the same seq.
func buildRouteDump(b *Builder, n int, seq uint32) {
	for i := 0; i < n; i++ {
		appendRoute(b, i, seq, Multi)
	}
}

// appendRoute appends route number i: 10.x.y.0/24 via interface 1+i%4.
func appendRoute(b *Builder, i int, seq uint32, f Flags) {
	b.Begin(RTMNewRoute, f, seq)
	AppendFamilyHeader(b, RtMsg{
		Family: 2, DstLen: 24, Table: RTTableMain, Protocol: RTProtStatic,
		Scope: RTScopeUniverse, Type: RTNUnicast,
	})
	b.Uint32(RTATable, uint32(RTTableMain))
	dst := [4]byte{10, byte(i >> 8), byte(i), 0}
	b.Attr(RTADst, dst[:])
	b.Uint32(RTAPriority, uint32(100+i%7))
	b.Uint32(RTAOIF, uint32(1+i%4))
	b.End()
}

// decodeRoutes scans a route dump datagram and decodes every message into
// r, returning how many it decoded; it stops at the first error.
func decodeRoutes(datagram []byte, r *route) (int, error) {
	n := 0
	s := NewScanner(datagram)
	for s.Next() {
		v := s.View()
		if v.Type() != RTMNewRoute {
			continue
		}
		h, attrs, err := DecodeRtMsg(v.Payload())
		if err != nil {
			return n, err
		}
		r.family, r.dstLen = h.Family, h.DstLen
		as := NewAttrScanner(attrs)
		for as.Next() {
			a := as.Attr()
			switch a.Type() {
			case RTATable:
				r.table, err = a.Uint32()
			case RTADst:
				copy(r.dst[:], a.Data())
			case RTAPriority:
				r.priority, err = a.Uint32()
			case RTAOIF:
				r.oif, err = a.Uint32()
			}
			if err != nil {
				return n, err
			}
		}
		if err := as.Err(); err != nil {
			return n, err
		}
		n++
	}
	return n, s.Err()
}
