package nlmsg

import (
	"bytes"
	"testing"
)

type seenAttr struct {
	raw  uint16
	off  int
	data string
}

func TestAttrScanner(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		want   []seenAttr
		reason error
		errOff int
	}{
		{name: "empty list", in: nil},
		{
			name: "padded attributes",
			in: cat(
				padded(rawAttr(1, []byte("a"))),  // 5 -> 8
				padded(rawAttr(2, []byte("bc"))), // 6 -> 8
				rawAttr(3, u32(7)),
			),
			want: []seenAttr{{1, 0, "a"}, {2, 8, "bc"}, {3, 16, "\x07\x00\x00\x00"}},
		},
		{
			name: "last attribute without padding",
			in:   cat(rawAttr(1, u32(1)), rawAttr(2, []byte("xyz"))),
			want: []seenAttr{{1, 0, "\x01\x00\x00\x00"}, {2, 8, "xyz"}},
		},
		{
			name: "flag attribute (no payload)",
			in:   cat(rawAttr(5, nil), rawAttr(6, nil)),
			want: []seenAttr{{5, 0, ""}, {6, 4, ""}},
		},
		{
			name: "type flags kept in the raw type",
			in:   cat(rawAttr(1|AttrNested, nil), rawAttr(2|AttrNetByteOrder, []byte{0, 1})),
			want: []seenAttr{{1 | AttrNested, 0, ""}, {2 | AttrNetByteOrder, 4, "\x00\x01"}},
		},
		{
			name:   "truncated attribute header",
			in:     []byte{8, 0},
			reason: ErrTrailingData,
		},
		{
			name:   "trailing bytes after the last attribute",
			in:     cat(rawAttr(1, u32(1)), []byte{1, 2, 3}),
			want:   []seenAttr{{1, 0, "\x01\x00\x00\x00"}},
			reason: ErrTrailingData,
			errOff: 8,
		},
		{
			name:   "nla_len smaller than the attribute header",
			in:     rawAttrLen(3, 1, []byte{0, 0, 0, 0}),
			reason: ErrShortLength,
		},
		{
			name:   "nla_len zero (would loop forever if trusted)",
			in:     rawAttrLen(0, 1, []byte{0, 0, 0, 0}),
			reason: ErrShortLength,
		},
		{
			name:   "nla_len larger than what is left",
			in:     rawAttrLen(12, 1, []byte{1, 2, 3, 4}),
			reason: ErrLongLength,
		},
		{
			name:   "second attribute overruns",
			in:     cat(rawAttr(1, nil), rawAttrLen(0xffff, 2, []byte{1})),
			want:   []seenAttr{{1, 0, ""}},
			reason: ErrLongLength,
			errOff: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewAttrScanner(tt.in)
			var got []seenAttr
			for i := 0; s.Next(); i++ {
				if i > len(tt.in) {
					t.Fatal("scanner does not terminate")
				}
				a := s.Attr()
				got = append(got, seenAttr{a.RawType(), a.Offset(), string(a.Data())})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("scanned %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("attribute %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if tt.reason == nil {
				if s.Err() != nil {
					t.Fatalf("Err() = %v, want nil", s.Err())
				}
			} else {
				wantFormatError(t, s.Err(), tt.reason, tt.errOff)
			}
			if s.Next() {
				t.Error("Next after the end returned an attribute")
			}
		})
	}
}

func TestAttrTypeFlags(t *testing.T) {
	tests := []struct {
		raw          uint16
		typ          uint16
		nested, netb bool
	}{
		{0x0001, 1, false, false},
		{0x8001, 1, true, false},
		{0x4002, 2, false, true},
		{0xc003, 3, true, true},
		{0x3fff, 0x3fff, false, false},
	}
	for _, tt := range tests {
		s := NewAttrScanner(rawAttr(tt.raw, nil))
		if !s.Next() {
			t.Fatalf("%#x: no attribute: %v", tt.raw, s.Err())
		}
		a := s.Attr()
		if a.RawType() != tt.raw || a.Type() != tt.typ || a.Nested() != tt.nested || a.NetByteOrder() != tt.netb {
			t.Errorf("%#x: RawType %#x Type %#x Nested %v NetByteOrder %v; want %#x %#x %v %v",
				tt.raw, a.RawType(), a.Type(), a.Nested(), a.NetByteOrder(), tt.raw, tt.typ, tt.nested, tt.netb)
		}
	}
}

func TestAttrNested(t *testing.T) {
	// CTRL_ATTR_MCAST_GROUPS as the kernel sends it: a nest (flag set) of
	// numbered nests, each with a name and an id. The outer one is followed
	// by a plain attribute, to show the scan resumes after the nest.
	group := func(idx uint16, name string, id uint32) []byte {
		return rawAttr(idx|AttrNested, cat(padded(rawAttr(CtrlAttrMcastGrpName, append([]byte(name), 0))), rawAttr(CtrlAttrMcastGrpID, u32(id))))
	}
	in := cat(
		rawAttr(CtrlAttrMcastGroups|AttrNested, cat(group(1, "config", 2), group(2, "scan", 3))),
		rawAttr(CtrlAttrVersion, u32(2)),
	)
	type grp struct {
		name string
		id   uint32
	}
	var groups []grp
	var version uint32
	s := NewAttrScanner(in)
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case CtrlAttrMcastGroups:
			if !a.Nested() {
				t.Error("NLA_F_NESTED not visible on the outer nest")
			}
			gs := a.Attrs()
			for gs.Next() {
				var g grp
				fs := gs.Attr().Attrs()
				for fs.Next() {
					f := fs.Attr()
					switch f.Type() {
					case CtrlAttrMcastGrpName:
						g.name = f.String()
					case CtrlAttrMcastGrpID:
						g.id, _ = f.Uint32()
					}
				}
				if fs.Err() != nil {
					t.Fatal(fs.Err())
				}
				groups = append(groups, g)
			}
			if gs.Err() != nil {
				t.Fatal(gs.Err())
			}
		case CtrlAttrVersion:
			version, _ = s.Attr().Uint32()
		}
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	if len(groups) != 2 || groups[0] != (grp{"config", 2}) || groups[1] != (grp{"scan", 3}) || version != 2 {
		t.Errorf("groups %+v version %d", groups, version)
	}
}

func TestAttrNestedMalformed(t *testing.T) {
	// The outer attribute is well formed; its payload is not. The error
	// must surface from the inner scanner only, with an offset relative to
	// the nest's payload.
	inner := cat(rawAttr(1, u32(5)), rawAttrLen(40, 2, u32(0)))
	s := NewAttrScanner(rawAttr(9, inner))
	if !s.Next() {
		t.Fatal(s.Err())
	}
	ns := s.Attr().Attrs()
	n := 0
	for ns.Next() {
		n++
	}
	if n != 1 {
		t.Errorf("inner scan yielded %d attributes, want 1", n)
	}
	wantFormatError(t, ns.Err(), ErrLongLength, 8)
	if s.Next() || s.Err() != nil {
		t.Error("outer scan affected by the inner error")
	}
}

func TestAttrGetters(t *testing.T) {
	type getter struct {
		name string
		size int
		get  func(Attr) (uint64, error)
	}
	getters := []getter{
		{"Uint8", 1, func(a Attr) (uint64, error) { v, err := a.Uint8(); return uint64(v), err }},
		{"Uint16", 2, func(a Attr) (uint64, error) { v, err := a.Uint16(); return uint64(v), err }},
		{"Uint32", 4, func(a Attr) (uint64, error) { v, err := a.Uint32(); return uint64(v), err }},
		{"Uint64", 8, func(a Attr) (uint64, error) { v, err := a.Uint64(); return v, err }},
		{"Int32", 4, func(a Attr) (uint64, error) { v, err := a.Int32(); return uint64(uint32(v)), err }},
		{"Uint16BE", 2, func(a Attr) (uint64, error) { v, err := a.Uint16BE(); return uint64(v), err }},
		{"Uint32BE", 4, func(a Attr) (uint64, error) { v, err := a.Uint32BE(); return uint64(v), err }},
		{"Uint64BE", 8, func(a Attr) (uint64, error) { v, err := a.Uint64BE(); return v, err }},
	}
	// The payload bytes 01 02 ... read as each getter should read them.
	want := map[string]uint64{
		"Uint8": 0x01, "Uint16": 0x0201, "Uint32": 0x04030201, "Uint64": 0x0807060504030201,
		"Int32": 0x04030201, "Uint16BE": 0x0102, "Uint32BE": 0x01020304, "Uint64BE": 0x0102030405060708,
	}
	for _, g := range getters {
		for size := 0; size <= 9; size++ {
			data := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}[:size]
			// A second attribute follows, so an over-read would find bytes.
			in := cat(padded(rawAttr(1, data)), rawAttr(2, u32(0xffffffff)))
			s := NewAttrScanner(in)
			if !s.Next() {
				t.Fatal(s.Err())
			}
			v, err := g.get(s.Attr())
			if size == g.size {
				if err != nil || v != want[g.name] {
					t.Errorf("%s of %d bytes = %#x, %v; want %#x, nil", g.name, size, v, err, want[g.name])
				}
				continue
			}
			if v != 0 {
				t.Errorf("%s of %d bytes returned %#x with its error, want 0", g.name, size, v)
			}
			wantFormatError(t, err, ErrBadSize, 0)
		}
	}
}

func TestAttrInt32Negative(t *testing.T) {
	s := NewAttrScanner(rawAttr(1, u32(0xfffffffe)))
	s.Next()
	if v, err := s.Attr().Int32(); v != -2 || err != nil {
		t.Errorf("Int32 = %d, %v; want -2", v, err)
	}
}

func TestAttrStrings(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
		flag bool
	}{
		{"NUL-terminated", []byte("eth0\x00"), "eth0", false},
		{"without NUL", []byte("eth0"), "eth0", false},
		{"stops at the first NUL", []byte("lo\x00junk\x00"), "lo", false},
		{"only a NUL", []byte{0}, "", false},
		{"empty (a flag)", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewAttrScanner(cat(padded(rawAttr(IFLAIfName, tt.data)), rawAttr(IFLAMTU, u32(1500))))
			if !s.Next() {
				t.Fatal(s.Err())
			}
			a := s.Attr()
			if got := a.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			sb := a.StringBytes()
			if !bytes.Equal(sb, []byte(tt.want)) {
				t.Errorf("StringBytes() = %q, want %q", sb, tt.want)
			}
			if cap(sb) > len(a.Data()) {
				t.Errorf("cap(StringBytes()) = %d reaches past the attribute", cap(sb))
			}
			if a.Flag() != tt.flag {
				t.Errorf("Flag() = %v, want %v", a.Flag(), tt.flag)
			}
		})
	}
}

func TestAttrScannerReset(t *testing.T) {
	var s AttrScanner
	if s.Next() || s.Err() != nil {
		t.Fatal("zero AttrScanner not empty")
	}
	s.Reset([]byte{1})
	if s.Next() || s.Err() == nil {
		t.Fatal("want an error on one byte")
	}
	s.Reset(rawAttr(4, u32(9)))
	if !s.Next() || s.Err() != nil {
		t.Fatal("Reset did not clear the error")
	}
}
