package nlmsg

import (
	"bytes"
	"errors"
	"testing"
)

func TestBuilderGolden(t *testing.T) {
	// One small message, byte by byte, to pin the layout: header, family
	// header, a u16 attribute (padded) and a string (NUL, padded).
	var b Builder
	defer b.Release()
	b.Begin(RTMGetLink, Request|Ack, 0x01020304)
	AppendFamilyHeader(&b, GenlMsgHdr{Cmd: 3, Version: 1})
	b.Uint16(2, 0xbeef)
	b.String(3, "lo")
	b.End()
	want := cat(
		u32(36), u16(uint16(RTMGetLink)), u16(uint16(Request|Ack)), u32(0x01020304), u32(0),
		[]byte{3, 1, 0, 0},
		u16(6), u16(2), u16(0xbeef), []byte{0, 0},
		u16(7), u16(3), []byte{'l', 'o', 0, 0},
	)
	if got := b.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("Bytes() =\n% x\nwant\n% x", got, want)
	}
}

func TestBuilderRoundTrip(t *testing.T) {
	var b Builder
	defer b.Release()
	b.Begin(RTMNewLink, Request|Ack|Create|Excl, 99)
	AppendFamilyHeader(&b, IfInfoMsg{Index: 5, Flags: 1, Change: 1})
	b.Uint8(1, 0xab)
	b.Uint16(2, 0x1234)
	b.Uint32(3, 0xdeadbeef)
	b.Uint64(4, 0x0102030405060708)
	b.Uint16BE(5, 0x1234)
	b.Uint32BE(6, 0xdeadbeef)
	b.Uint64BE(7, 0x0102030405060708)
	b.String(8, "eth0")
	b.String(9, "")
	b.Attr(10, []byte{1, 2, 3, 4, 5})
	b.Attr(11, nil)
	b.Flag(12)
	outer := b.BeginNest(13)
	b.Uint32(1, 11)
	inner := b.BeginNest(2)
	b.String(1, "deep")
	b.Uint8(2, 7)
	b.EndNest(inner)
	b.Uint32(3, 33)
	b.EndNest(outer)
	b.Uint32(14, 1400) // after the nest: proves its length was patched
	out := b.Bytes()

	s := NewScanner(out)
	if !s.Next() {
		t.Fatal(s.Err())
	}
	v := s.View()
	if v.Type() != RTMNewLink || v.Flags() != Request|Ack|Create|Excl || v.Seq() != 99 || v.Len() != len(out) {
		t.Fatalf("header = %+v, message is %d bytes", v.Header(), len(out))
	}
	if s.Next() || s.Err() != nil {
		t.Fatalf("more than one message, err %v", s.Err())
	}
	ifi, attrs, err := DecodeIfInfoMsg(v.Payload())
	if err != nil || ifi != (IfInfoMsg{Index: 5, Flags: 1, Change: 1}) {
		t.Fatalf("ifinfomsg = %+v, %v", ifi, err)
	}

	must := func(v uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var types []uint16
	as := NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		types = append(types, a.Type())
		wantBE := a.Type() >= 5 && a.Type() <= 7
		if a.NetByteOrder() != wantBE {
			t.Errorf("attr %d: NetByteOrder = %v", a.Type(), a.NetByteOrder())
		}
		if a.Nested() != (a.Type() == 13) {
			t.Errorf("attr %d: Nested = %v", a.Type(), a.Nested())
		}
		switch a.Type() {
		case 1:
			x, err := a.Uint8()
			if must(uint64(x), err) != 0xab {
				t.Errorf("u8 = %#x", x)
			}
		case 2:
			x, err := a.Uint16()
			if must(uint64(x), err) != 0x1234 {
				t.Errorf("u16 = %#x", x)
			}
		case 3:
			x, err := a.Uint32()
			if must(uint64(x), err) != 0xdeadbeef {
				t.Errorf("u32 = %#x", x)
			}
		case 4:
			if x := must(a.Uint64()); x != 0x0102030405060708 {
				t.Errorf("u64 = %#x", x)
			}
		case 5:
			x, err := a.Uint16BE()
			if must(uint64(x), err) != 0x1234 || !bytes.Equal(a.Data(), []byte{0x12, 0x34}) {
				t.Errorf("be16 = %#x (% x)", x, a.Data())
			}
		case 6:
			x, err := a.Uint32BE()
			if must(uint64(x), err) != 0xdeadbeef || !bytes.Equal(a.Data(), []byte{0xde, 0xad, 0xbe, 0xef}) {
				t.Errorf("be32 = %#x (% x)", x, a.Data())
			}
		case 7:
			if x := must(a.Uint64BE()); x != 0x0102030405060708 || a.Data()[0] != 1 {
				t.Errorf("be64 = %#x (% x)", x, a.Data())
			}
		case 8:
			if a.String() != "eth0" || !bytes.Equal(a.Data(), []byte("eth0\x00")) {
				t.Errorf("string = % x", a.Data())
			}
		case 9:
			if a.String() != "" || !bytes.Equal(a.Data(), []byte{0}) {
				t.Errorf("empty string = % x", a.Data())
			}
		case 10:
			if !bytes.Equal(a.Data(), []byte{1, 2, 3, 4, 5}) {
				t.Errorf("bytes = % x", a.Data())
			}
		case 11, 12:
			if !a.Flag() {
				t.Errorf("attr %d is not a flag: % x", a.Type(), a.Data())
			}
		case 13:
			checkBuiltNest(t, a)
		case 14:
			x, err := a.Uint32()
			if must(uint64(x), err) != 1400 {
				t.Errorf("attr after the nest = %d", x)
			}
		}
	}
	if as.Err() != nil {
		t.Fatal(as.Err())
	}
	if len(types) != 14 {
		t.Errorf("attribute types %v, want 1..14", types)
	}
}

// checkBuiltNest checks the nest-in-nest of TestBuilderRoundTrip.
func checkBuiltNest(t *testing.T, a Attr) {
	t.Helper()
	if len(a.Data()) != 8+4+12+8+8 {
		t.Errorf("outer nest payload is %d bytes, want 40", len(a.Data()))
	}
	var got []string
	s := a.Attrs()
	for s.Next() {
		x := s.Attr()
		switch x.Type() {
		case 1, 3:
			v, _ := x.Uint32()
			got = append(got, string(rune('0'+v/11)))
		case 2:
			if !x.Nested() {
				t.Error("inner nest lacks NLA_F_NESTED")
			}
			is := x.Attrs()
			for is.Next() {
				if is.Attr().Type() == 1 {
					got = append(got, is.Attr().String())
				} else {
					v, _ := is.Attr().Uint8()
					got = append(got, string(rune('0'+v)))
				}
			}
			if is.Err() != nil {
				t.Error(is.Err())
			}
		}
	}
	if s.Err() != nil {
		t.Error(s.Err())
	}
	if want := []string{"1", "deep", "7", "3"}; !equalStrings(got, want) {
		t.Errorf("nest contents %q, want %q", got, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBuilderBatch(t *testing.T) {
	var b Builder
	defer b.Release()
	if b.MessageOffset() != -1 || b.Bytes() != nil || b.Len() != 0 {
		t.Fatal("zero Builder not empty")
	}
	var offs []int
	for i, typ := range []Type{RTMGetLink, RTMGetAddr, RTMGetRoute} {
		b.Begin(typ, Request|Dump, uint32(100+i))
		offs = append(offs, b.MessageOffset())
		AppendFamilyHeader(&b, RtGenMsg{Family: 2})
		if i == 1 {
			b.Uint32(1, 5) // one message with an attribute, to vary lengths
		}
		// No End: the next Begin must close this message.
	}
	if b.Messages() != 3 {
		t.Errorf("Messages() = %d, want 3", b.Messages())
	}
	b.SetSeq(offs[1], 555)
	out := b.Bytes()
	if want := []int{0, 20, 48}; offs[0] != want[0] || offs[1] != want[1] || offs[2] != want[2] {
		t.Errorf("message offsets %v, want %v", offs, want)
	}
	type hdr struct {
		typ  Type
		seq  uint32
		size int
	}
	want := []hdr{{RTMGetLink, 100, 20}, {RTMGetAddr, 555, 28}, {RTMGetRoute, 102, 20}}
	var got []hdr
	s := NewScanner(out)
	for s.Next() {
		v := s.View()
		got = append(got, hdr{v.Type(), v.Seq(), v.Len()})
		if v.Flags() != Request|Dump {
			t.Errorf("flags %v", v.Flags())
		}
	}
	if s.Err() != nil || len(got) != 3 {
		t.Fatalf("scanned %+v, err %v", got, s.Err())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBuilderResetAndRelease(t *testing.T) {
	build := func(b *Builder) []byte {
		b.Begin(RTMGetRoute, Request|Dump, 1)
		AppendFamilyHeader(b, RtMsg{Family: 2})
		b.Uint32(RTATable, 254)
		return append([]byte(nil), b.Bytes()...)
	}
	var b Builder
	first := build(&b)
	b.Reset()
	if b.Len() != 0 || b.Messages() != 0 || b.MessageOffset() != -1 || len(b.Bytes()) != 0 {
		t.Fatalf("after Reset: Len %d Messages %d", b.Len(), b.Messages())
	}
	if again := build(&b); !bytes.Equal(again, first) {
		t.Errorf("after Reset the Builder wrote\n% x\nnot\n% x", again, first)
	}
	b.Release()
	if b.Len() != 0 || b.Bytes() != nil {
		t.Fatal("after Release the Builder is not empty")
	}
	if again := build(&b); !bytes.Equal(again, first) {
		t.Errorf("after Release the Builder wrote\n% x\nnot\n% x", again, first)
	}
	b.Release()
	b.Release() // a second Release is harmless
}

func TestBuilderEndIsIdempotent(t *testing.T) {
	var b Builder
	defer b.Release()
	b.Begin(Noop, 0, 1)
	b.End()
	b.End()
	if out := b.Bytes(); len(out) != HeaderLen {
		t.Errorf("%d bytes, want one bare header", len(out))
	}
}

func TestBuilderAttrTooLong(t *testing.T) {
	tests := []struct {
		name  string
		build func(*Builder)
		panic bool
	}{
		{"largest attribute", func(b *Builder) { b.Attr(1, make([]byte, MaxAttrData)) }, false},
		{"attribute one byte too long", func(b *Builder) { b.Attr(1, make([]byte, MaxAttrData+1)) }, true},
		{"largest string", func(b *Builder) { b.String(1, string(make([]byte, MaxAttrData-1))) }, false},
		{"string one byte too long", func(b *Builder) { b.String(1, string(make([]byte, MaxAttrData))) }, true},
		{"nest too long", func(b *Builder) {
			n := b.BeginNest(1)
			b.Attr(2, make([]byte, 40000))
			b.Attr(3, make([]byte, 40000))
			b.EndNest(n)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			defer b.Release()
			defer func() {
				r := recover()
				if tt.panic {
					if err, ok := r.(error); !ok || !errors.Is(err, ErrAttrTooLong) {
						t.Errorf("recovered %v, want ErrAttrTooLong", r)
					}
				} else if r != nil {
					t.Errorf("unexpected panic %v", r)
				}
			}()
			b.Begin(Noop, 0, 0)
			tt.build(&b)
			s := NewScanner(b.Bytes())
			if !s.Next() {
				t.Fatal(s.Err())
			}
			as := NewAttrScanner(s.View().Payload())
			if !as.Next() || as.Next() || as.Err() != nil {
				t.Errorf("the largest attribute does not scan back as one: %v", as.Err())
			}
		})
	}
}
