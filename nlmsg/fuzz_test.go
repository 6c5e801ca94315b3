package nlmsg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

// The fuzz targets check invariants, not only the absence of panics. Their
// seed corpus is in testdata/fuzz/<Target>/ and is produced from the seed
// tables in corpus_test.go (TestFuzzCorpus checks it is complete).

// within reports whether sub lies inside buf (an empty sub anywhere in or
// at the end of buf counts), by address: decoders must return subslices of
// their input, never copies.
func within(sub, buf []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(buf) == 0 {
		return false
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return s >= b && s+uintptr(len(sub)) <= b+uintptr(len(buf))
}

// offsetIn returns the offset of sub's first byte in buf; sub must be within.
func offsetIn(sub, buf []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

// isReason reports whether err is a *FormatError wrapping one of the
// package's reasons.
func isReason(err error) bool {
	var fe *FormatError
	if !errors.As(err, &fe) {
		return false
	}
	for _, r := range []error{ErrTruncated, ErrShortLength, ErrLongLength, ErrTrailingData, ErrBadSize} {
		if errors.Is(err, r) {
			return fe.Error() != ""
		}
	}
	return false
}

func FuzzMessages(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(data)
		prev := 0
		count := 0
		for s.Next() {
			count++
			if count > len(data)/HeaderLen {
				t.Fatalf("%d messages from %d bytes", count, len(data))
			}
			v := s.View()
			start := prev
			end := s.Offset()
			// Offsets advance by the aligned length, clamped to the end.
			if v.Len() < HeaderLen || end != min(start+Align(v.Len()), len(data)) || end <= start {
				t.Fatalf("message at %d: len %d, next offset %d", start, v.Len(), end)
			}
			if !within(v.Bytes(), data) || offsetIn(v.Bytes(), data) != start {
				t.Fatalf("view is not data[%d:]", start)
			}
			h, ok := DecodeHeader(data[start:])
			if !ok || h != v.Header() || int(h.Len) != v.Len() ||
				h.Type != v.Type() || h.Flags != v.Flags() || h.Seq != v.Seq() || h.PortID != v.PortID() {
				t.Fatalf("header %+v, view %+v", h, v.Header())
			}
			p := v.Payload()
			if len(p) != v.Len()-HeaderLen || cap(p) != len(p) || !within(p, data) {
				t.Fatalf("payload of %d bytes (cap %d) for a %d-byte message", len(p), cap(p), v.Len())
			}
			m := v.Message()
			if !bytes.Equal(m.Payload, p) || m.Header() != h {
				t.Fatalf("Message() = %+v, view header %+v", m.Header(), h)
			}
			if len(m.Payload) > 0 && within(m.Payload, data) {
				t.Fatal("Message() payload aliases the datagram")
			}
			prev = end
		}
		err := s.Err()
		// Err is set iff the scan stopped before the end.
		if (err == nil) != (s.Offset() == len(data)) || s.Offset() != prev {
			t.Fatalf("scan ended at %d of %d with err %v", s.Offset(), len(data), err)
		}
		if err != nil {
			var fe *FormatError
			if !isReason(err) || !errors.As(err, &fe) || fe.Offset != prev {
				t.Fatalf("error %v at offset %d", err, prev)
			}
			// The reason is the one the bytes at the stop point call for.
			left := len(data) - prev
			var want error
			switch {
			case left < HeaderLen && prev == 0:
				want = ErrTruncated
			case left < HeaderLen:
				want = ErrTrailingData
			case binary.NativeEndian.Uint32(data[prev:]) < HeaderLen:
				want = ErrShortLength
			default:
				want = ErrLongLength
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %v, want %v", err, want)
			}
		}
		if s.Next() || s.Err() != err {
			t.Fatal("scanner resumed after it stopped")
		}
		// ViewOf agrees with the first step of a Scanner.
		v, verr := ViewOf(data)
		s.Reset(data)
		first := s.Next()
		if first != (verr == nil) || (first && !bytes.Equal(v.Bytes(), s.View().Bytes())) {
			t.Fatalf("ViewOf = %v, Scanner first step %v", verr, first)
		}
	})
}

func FuzzAttributes(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAttrList(t, data, NewAttrScanner(data), 0)
	})
}

// checkAttrList scans b with s, checks every attribute and every getter,
// descends with Attr.Attrs into every payload (attributes often nest without
// NLA_F_NESTED) up to a depth that bounds the work, and returns how many
// attributes it saw.
func checkAttrList(t *testing.T, b []byte, s AttrScanner, depth int) int {
	prevEnd := 0
	n := 0
	for s.Next() {
		n++
		if n > len(b)/AttrHeaderLen {
			t.Fatalf("%d attributes from %d bytes", n, len(b))
		}
		a := s.Attr()
		if a.Offset() != prevEnd {
			t.Fatalf("attribute at %d, previous ended at %d", a.Offset(), prevEnd)
		}
		d := a.Data()
		if !within(d, b) || cap(d) != len(d) || (len(d) > 0 && offsetIn(d, b) != a.Offset()+AttrHeaderLen) {
			t.Fatalf("attribute at %d: data not in place", a.Offset())
		}
		nlaLen := int(binary.NativeEndian.Uint16(b[a.Offset():]))
		raw := binary.NativeEndian.Uint16(b[a.Offset()+2:])
		if nlaLen != AttrHeaderLen+len(d) || a.RawType() != raw || a.Type() != raw&AttrTypeMask ||
			a.Nested() != (raw&AttrNested != 0) || a.NetByteOrder() != (raw&AttrNetByteOrder != 0) {
			t.Fatalf("attribute at %d: len %d type %#x; got data %d type %#x", a.Offset(), nlaLen, raw, len(d), a.RawType())
		}
		checkGetters(t, a)
		prevEnd = min(a.Offset()+Align(nlaLen), len(b))
		if depth < 4 {
			checkAttrList(t, d, a.Attrs(), depth+1)
		}
	}
	err := s.Err()
	if (err == nil) != (prevEnd == len(b)) {
		t.Fatalf("attribute scan ended at %d of %d with err %v", prevEnd, len(b), err)
	}
	if err != nil {
		var fe *FormatError
		if !isReason(err) || !errors.As(err, &fe) || fe.Offset != prevEnd {
			t.Fatalf("error %v, scan stopped at %d", err, prevEnd)
		}
	}
	return n
}

// checkGetters calls every typed getter: each must succeed exactly when the
// payload has its size, return the bytes' value, and otherwise return zero
// and an ErrBadSize.
func checkGetters(t *testing.T, a Attr) {
	d := a.Data()
	check := func(name string, size int, got uint64, err error, want func() uint64) {
		if len(d) == size {
			if err != nil || got != want() {
				t.Fatalf("%s of %d bytes = %#x, %v; want %#x", name, size, got, err, want())
			}
			return
		}
		if err == nil || got != 0 || !errors.Is(err, ErrBadSize) {
			t.Fatalf("%s of %d bytes = %#x, %v; want an ErrBadSize", name, len(d), got, err)
		}
	}
	ne, be := binary.NativeEndian, binary.BigEndian
	v8, err := a.Uint8()
	check("Uint8", 1, uint64(v8), err, func() uint64 { return uint64(d[0]) })
	v16, err := a.Uint16()
	check("Uint16", 2, uint64(v16), err, func() uint64 { return uint64(ne.Uint16(d)) })
	v32, err := a.Uint32()
	check("Uint32", 4, uint64(v32), err, func() uint64 { return uint64(ne.Uint32(d)) })
	v64, err := a.Uint64()
	check("Uint64", 8, v64, err, func() uint64 { return ne.Uint64(d) })
	i32, err := a.Int32()
	check("Int32", 4, uint64(uint32(i32)), err, func() uint64 { return uint64(ne.Uint32(d)) })
	b16, err := a.Uint16BE()
	check("Uint16BE", 2, uint64(b16), err, func() uint64 { return uint64(be.Uint16(d)) })
	b32, err := a.Uint32BE()
	check("Uint32BE", 4, uint64(b32), err, func() uint64 { return uint64(be.Uint32(d)) })
	b64, err := a.Uint64BE()
	check("Uint64BE", 8, b64, err, func() uint64 { return be.Uint64(d) })

	sb := a.StringBytes()
	if !bytes.HasPrefix(d, sb) || bytes.IndexByte(sb, 0) >= 0 || (len(sb) < len(d) && d[len(sb)] != 0) || cap(sb) > len(d) {
		t.Fatalf("StringBytes() = %q of %q", sb, d)
	}
	if a.String() != string(sb) || a.Flag() != (len(d) == 0) {
		t.Fatalf("String() = %q, Flag() = %v for %q", a.String(), a.Flag(), d)
	}
}

// checkExtAck checks that every slice of x lies in body and that nothing is
// set when NLM_F_ACK_TLVS is not.
func checkExtAck(t *testing.T, x ExtAck, body []byte, tlvs bool) {
	for _, s := range [][]byte{x.Msg, x.Cookie, x.Policy} {
		if !within(s, body) {
			t.Fatal("extended ack slice outside the message")
		}
	}
	if bytes.IndexByte(x.Msg, 0) >= 0 {
		t.Fatalf("Msg %q keeps a NUL", x.Msg)
	}
	if !tlvs && !x.Empty() {
		t.Fatalf("TLVs decoded without NLM_F_ACK_TLVS: %+v", x)
	}
	if !x.HasOffset && x.Offset != 0 || !x.HasMissType && x.MissType != 0 || !x.HasMissNest && x.MissNest != 0 {
		t.Fatalf("value without its Has flag: %+v", x)
	}
}

// checkBodyError checks an error from ParseError or ParseDone: a reason,
// at an offset inside the message.
func checkBodyError(t *testing.T, err error, msgLen int) {
	var fe *FormatError
	if !isReason(err) || !errors.As(err, &fe) || fe.Offset < HeaderLen || fe.Offset > msgLen {
		t.Fatalf("error %v for a %d-byte message", err, msgLen)
	}
}

func FuzzError(f *testing.F) {
	f.Fuzz(func(t *testing.T, flags uint16, payload []byte) {
		msg := Header{Len: uint32(HeaderLen + len(payload)), Type: Error, Flags: Flags(flags), Seq: 1}.AppendTo(nil)
		msg = append(msg, payload...)
		v, err := ViewOf(msg)
		if err != nil {
			t.Fatal(err)
		}
		body, err := ParseError(v)
		if err != nil {
			checkBodyError(t, err, len(msg))
			if len(payload) >= 20 && Flags(flags)&(Capped|AckTLVs) == Capped {
				t.Fatalf("capped error without TLVs failed: %v", err)
			}
			return
		}
		p := v.Payload()
		if len(p) < 4+HeaderLen {
			t.Fatalf("decoded a %d-byte body", len(p))
		}
		e := int32(binary.NativeEndian.Uint32(p))
		if int64(body.Errno) != max(int64(e), -int64(e)) {
			t.Fatalf("Errno %d from %d", body.Errno, e)
		}
		if h, _ := DecodeHeader(p[4:]); body.Request != h {
			t.Fatalf("Request %+v, want %+v", body.Request, h)
		}
		if body.Capped != (Flags(flags)&Capped != 0) || (body.Capped && body.RequestPayload != nil) {
			t.Fatalf("Capped %v with %d echoed bytes", body.Capped, len(body.RequestPayload))
		}
		if rp := body.RequestPayload; rp != nil {
			// NB: an empty slice's address is not its offset (Go keeps a
			// zero-capacity subslice at its base), so only check non-empty.
			if !within(rp, p) || (len(rp) > 0 && offsetIn(rp, p) != 4+HeaderLen) || len(rp) != int(body.Request.Len)-HeaderLen {
				t.Fatalf("echoed payload of %d bytes, request length %d", len(rp), body.Request.Len)
			}
		}
		checkExtAck(t, body.Ext, p, Flags(flags)&AckTLVs != 0)
	})
}

func FuzzDone(f *testing.F) {
	f.Fuzz(func(t *testing.T, flags uint16, payload []byte) {
		msg := Header{Len: uint32(HeaderLen + len(payload)), Type: Done, Flags: Flags(flags), Seq: 1}.AppendTo(nil)
		msg = append(msg, payload...)
		v, err := ViewOf(msg)
		if err != nil {
			t.Fatal(err)
		}
		body, err := ParseDone(v)
		if err != nil {
			checkBodyError(t, err, len(msg))
			if len(payload) == 0 || (len(payload) >= 4 && Flags(flags)&AckTLVs == 0) {
				t.Fatalf("failed without a reason: %v", err)
			}
			return
		}
		if len(payload) == 0 {
			if body.Errno != 0 || !body.Ext.Empty() {
				t.Fatalf("empty DONE decoded as %+v", body)
			}
			return
		}
		e := int32(binary.NativeEndian.Uint32(payload))
		if int64(body.Errno) != max(int64(e), -int64(e)) {
			t.Fatalf("Errno %d from %d", body.Errno, e)
		}
		checkExtAck(t, body.Ext, v.Payload(), Flags(flags)&AckTLVs != 0)
	})
}

// familyDecoder is one Decode* function with its header's size and the
// bytes of its wire form that are padding (not decoded, encoded as zero).
type familyDecoder struct {
	name   string
	size   int
	pads   []int
	decode func([]byte) (FamilyHeader, []byte, error)
}

var familyDecoders = []familyDecoder{
	{"ifinfomsg", IfInfoMsgLen, []int{1}, func(p []byte) (FamilyHeader, []byte, error) { return DecodeIfInfoMsg(p) }},
	{"ifaddrmsg", IfAddrMsgLen, nil, func(p []byte) (FamilyHeader, []byte, error) { return DecodeIfAddrMsg(p) }},
	{"rtmsg", RtMsgLen, nil, func(p []byte) (FamilyHeader, []byte, error) { return DecodeRtMsg(p) }},
	{"ndmsg", NdMsgLen, []int{1, 2, 3}, func(p []byte) (FamilyHeader, []byte, error) { return DecodeNdMsg(p) }},
	{"rtgenmsg", RtGenMsgLen, []int{1, 2, 3}, func(p []byte) (FamilyHeader, []byte, error) { return DecodeRtGenMsg(p) }},
	{"genlmsghdr", GenlMsgHdrLen, nil, func(p []byte) (FamilyHeader, []byte, error) { return DecodeGenlMsgHdr(p) }},
}

func FuzzFamilyHeaders(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range familyDecoders {
			h, rest, err := d.decode(data)
			if len(data) < d.size {
				if rest != nil || !errors.Is(err, ErrBadSize) || !isReason(err) {
					t.Fatalf("%s of %d bytes: rest %v, err %v", d.name, len(data), rest, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s of %d bytes: %v", d.name, len(data), err)
			}
			// rest is the input after the aligned header, in place.
			skip := min(Align(d.size), len(data))
			if len(rest) != len(data)-skip || (len(rest) > 0 && offsetIn(rest, data) != skip) || !within(rest, data) {
				t.Fatalf("%s: rest of %d bytes, want data[%d:]", d.name, len(rest), skip)
			}
			// Re-encoding gives the input back, padding zeroed.
			enc := h.AppendTo(nil)
			if len(enc) != Align(d.size) {
				t.Fatalf("%s: encoded %d bytes", d.name, len(enc))
			}
			want := append([]byte(nil), data[:min(len(enc), len(data))]...)
			for _, i := range d.pads {
				if i < len(want) {
					want[i] = 0
				}
			}
			if !bytes.Equal(enc[:len(want)], want) {
				t.Fatalf("%s: decoded %+v re-encodes as % x, input % x", d.name, h, enc, want)
			}
		}
	})
}

func FuzzBuilderRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, seq uint32, typ uint16, flags uint16, v8 uint8, v16 uint16, v32 uint32, v64 uint64, str string, raw []byte, nests uint8) {
		if len(str) >= MaxAttrData/4 || len(raw) >= MaxAttrData/4 {
			t.Skip("value longer than an attribute can hold")
		}
		depth := int(nests % 4)
		rtm := RtMsg{Family: v8, DstLen: uint8(v16), SrcLen: uint8(v32), Table: uint8(v64), Flags: v32}
		var b Builder
		defer b.Release()
		// A batch of two messages: all kinds of attribute, then the nests.
		b.Begin(Type(typ), Flags(flags), seq)
		AppendFamilyHeader(&b, rtm)
		b.Uint8(1, v8)
		b.Uint16(2, v16)
		b.Uint32(3, v32)
		b.Uint64(4, v64)
		b.Uint16BE(5, v16)
		b.Uint32BE(6, v32)
		b.Uint64BE(7, v64)
		b.String(8, str)
		b.Attr(9, raw)
		b.Flag(10)
		b.Begin(Type(typ), Flags(flags), seq+1)
		AppendFamilyHeader(&b, GenlMsgHdr{Cmd: v8, Version: uint8(v16)})
		var open []Nest
		for i := 0; i < depth; i++ {
			open = append(open, b.BeginNest(uint16(20+i)))
			b.Attr(9, raw)
		}
		for i := len(open) - 1; i >= 0; i-- {
			b.EndNest(open[i])
		}
		b.Uint32(3, v32)
		out := b.Bytes()
		if len(out)%4 != 0 {
			t.Fatalf("batch of %d bytes is not aligned", len(out))
		}

		s := NewScanner(out)
		for i := 0; i < 2; i++ {
			if !s.Next() {
				t.Fatalf("message %d missing: %v", i, s.Err())
			}
			v := s.View()
			if v.Type() != Type(typ) || v.Flags() != Flags(flags) || v.Seq() != seq+uint32(i) || v.PortID() != 0 {
				t.Fatalf("message %d header %+v", i, v.Header())
			}
			if i == 0 {
				checkBuiltScalars(t, v, rtm, v8, v16, v32, v64, str, raw)
			} else {
				checkBuiltNests(t, v, v8, uint8(v16), depth, raw, v32)
			}
		}
		if s.Next() || s.Err() != nil {
			t.Fatalf("more than two messages, err %v", s.Err())
		}
	})
}

func checkBuiltScalars(t *testing.T, v View, rtm RtMsg, v8 uint8, v16 uint16, v32 uint32, v64 uint64, str string, raw []byte) {
	h, attrs, err := DecodeRtMsg(v.Payload())
	if err != nil || h != rtm {
		t.Fatalf("rtmsg %+v, %v; want %+v", h, err, rtm)
	}
	s := NewAttrScanner(attrs)
	seen := 0
	for s.Next() {
		a := s.Attr()
		seen++
		if int(a.Type()) != seen {
			t.Fatalf("attribute %d has type %d", seen, a.Type())
		}
		if a.NetByteOrder() != (seen >= 5 && seen <= 7) || a.Nested() {
			t.Fatalf("attribute %d has raw type %#x", seen, a.RawType())
		}
		var ok bool
		switch seen {
		case 1:
			x, err := a.Uint8()
			ok = err == nil && x == v8
		case 2:
			x, err := a.Uint16()
			ok = err == nil && x == v16
		case 3:
			x, err := a.Uint32()
			ok = err == nil && x == v32
		case 4:
			x, err := a.Uint64()
			ok = err == nil && x == v64
		case 5:
			x, err := a.Uint16BE()
			ok = err == nil && x == v16
		case 6:
			x, err := a.Uint32BE()
			ok = err == nil && x == v32
		case 7:
			x, err := a.Uint64BE()
			ok = err == nil && x == v64
		case 8:
			want := str
			if i := bytes.IndexByte([]byte(str), 0); i >= 0 {
				want = str[:i] // the reader stops at the first NUL
			}
			ok = string(a.Data()) == str+"\x00" && a.String() == want
		case 9:
			ok = bytes.Equal(a.Data(), raw)
		case 10:
			ok = a.Flag()
		}
		if !ok {
			t.Fatalf("attribute %d: % x", seen, a.Data())
		}
	}
	if seen != 10 || s.Err() != nil {
		t.Fatalf("%d attributes, err %v", seen, s.Err())
	}
}

func checkBuiltNests(t *testing.T, v View, cmd, version uint8, depth int, raw []byte, v32 uint32) {
	h, attrs, err := DecodeGenlMsgHdr(v.Payload())
	if err != nil || h != (GenlMsgHdr{Cmd: cmd, Version: version}) {
		t.Fatalf("genlmsghdr %+v, %v", h, err)
	}
	s := NewAttrScanner(attrs)
	for level := 0; level < depth; level++ {
		// Each level holds the nest of the next level, then raw.
		if !s.Next() {
			t.Fatalf("level %d: no nest: %v", level, s.Err())
		}
		n := s.Attr()
		if !n.Nested() || n.Type() != uint16(20+level) {
			t.Fatalf("level %d: raw type %#x", level, n.RawType())
		}
		rest := s
		s = n.Attrs()
		if !s.Next() || s.Attr().Type() != 9 || !bytes.Equal(s.Attr().Data(), raw) {
			t.Fatalf("level %d: first nested attribute wrong: %v", level, s.Err())
		}
		if level == 0 {
			// After the outermost nest comes the final u32.
			if !rest.Next() || rest.Attr().Type() != 3 {
				t.Fatalf("no attribute after the nest: %v", rest.Err())
			}
			if x, err := rest.Attr().Uint32(); err != nil || x != v32 {
				t.Fatalf("attribute after the nest = %d, %v", x, err)
			}
			if rest.Next() || rest.Err() != nil {
				t.Fatal("extra attributes after the nest")
			}
		}
	}
	if depth == 0 {
		if !s.Next() || s.Attr().Type() != 3 {
			t.Fatalf("no u32: %v", s.Err())
		}
	}
	if s.Next() || s.Err() != nil {
		t.Fatalf("extra attributes at the innermost level: %v", s.Err())
	}
}
