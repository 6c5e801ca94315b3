package genl

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// decodeErr fails t unless err is nil or a *DecodeError.
func decodeErr(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	if err != nil && (!errors.As(err, &de) || de.Error() == "") {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
}

func FuzzDecodeFamily(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a Family
		err := DecodeFamily(attrs, &a)
		decodeErr(t, err)
		// Decoding into a used value gives the same result: every field is
		// overwritten.
		b := Family{Name: "dirty", ID: 1, Ops: []Op{{9, 9}}, Groups: []Group{{9, "g"}}}
		err2 := DecodeFamily(attrs, &b)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(a.Clone(), b.Clone()) {
			t.Fatalf("decoded twice: %+v (%v) and %+v (%v)", a, err, b, err2)
		}
		if err != nil {
			return
		}
		// What decodes re-encodes to the same family.
		var c Family
		if err := DecodeFamily(familyAttrs(a), &c); err != nil || !reflect.DeepEqual(norm(a), norm(c)) {
			t.Fatalf("round trip: %+v -> %+v (%v)", a, c, err)
		}
	})
}

// norm makes empty and nil slices equal.
func norm(f Family) Family {
	if len(f.Ops) == 0 {
		f.Ops = nil
	}
	if len(f.Groups) == 0 {
		f.Groups = nil
	}
	return f
}

func FuzzDecodePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var p Policy
		err := DecodePolicy(attrs, &p)
		decodeErr(t, err)
		for _, a := range p.Attrs {
			if a.Limits&HasMaxLength == 0 && a.MaxLength != 0 {
				t.Fatalf("MaxLength %d without HasMaxLength", a.MaxLength)
			}
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 8, 0, 1, 0}, uint32(0))
	f.Add([]byte{3, 2, 0, 0, 1, 2, 3, 4}, uint32(4))
	f.Fuzz(func(t *testing.T, payload []byte, hdr uint32) {
		var b nlmsg.Builder
		defer b.Release()
		b.Begin(0x20, 0, 1)
		b.Append(payload)
		s := nlmsg.NewScanner(b.Bytes())
		if !s.Next() {
			return
		}
		m, err := ParseMessage(s.View(), hdr)
		decodeErr(t, err)
		if err == nil && (uint32(len(m.Header)) != hdr || len(m.Header)+len(m.Attrs)+nlmsg.GenlMsgHdrLen > len(s.View().Payload())) {
			t.Fatalf("header %d bytes (want %d), attrs %d, payload %d", len(m.Header), hdr, len(m.Attrs), len(s.View().Payload()))
		}
	})
}
