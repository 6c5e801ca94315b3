package ethtool

import (
	"errors"
	"testing"

	"github.com/nlengine/nlengine/genl"
)

// decodeErr fails t unless err is nil or a *genl.DecodeError naming what
// it decoded.
func decodeErr(t *testing.T, err error) {
	t.Helper()
	var de *genl.DecodeError
	if err != nil && (!errors.As(err, &de) || de.Msg == "") {
		t.Fatalf("error %v (%T) is not a *genl.DecodeError", err, err)
	}
}

func FuzzDecodeLinkInfo(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a, b LinkInfo
		err := DecodeLinkInfo(attrs, &a)
		decodeErr(t, err)
		b = LinkInfo{Port: 7, PhyAddr: 9, Interface: Interface{Index: 3, Name: "x"}}
		if err2 := DecodeLinkInfo(attrs, &b); (err == nil) != (err2 == nil) || a != b {
			t.Fatalf("decoded twice: %+v and %+v", a, b)
		}
	})
}

func FuzzDecodeLinkModes(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a LinkModes
		err := DecodeLinkModes(attrs, &a)
		decodeErr(t, err)
		b := LinkModes{Speed: 5, Autoneg: true}
		b.Supported.Set(3)
		if err2 := DecodeLinkModes(attrs, &b); (err == nil) != (err2 == nil) || a != b {
			t.Fatalf("decoded twice: %+v and %+v", a, b)
		}
		for _, s := range []*Bitset{&a.Supported, &a.Advertised, &a.Peer} {
			for i := range s.Bits() {
				if i >= MaxBits || i >= s.Size() {
					t.Fatalf("bit %d set in a set of size %d", i, s.Size())
				}
			}
		}
	})
}

func FuzzDecodeLinkState(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a LinkState
		decodeErr(t, DecodeLinkState(attrs, &a))
	})
}

func FuzzDecodeStringSet(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte, id uint32) {
		n := 0
		err := DecodeStringSet(attrs, id%24, func(uint32, []byte) { n++ })
		decodeErr(t, err)
		if n > len(attrs)/4 {
			t.Fatalf("%d strings from %d bytes", n, len(attrs))
		}
	})
}

// FuzzDecodeFeatures decodes each input as a features reply and as the
// reply to a FEATURES_SET.
func FuzzDecodeFeatures(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a Features
		err := DecodeFeatures(attrs, &a)
		decodeErr(t, err)
		b := Features{Interface: Interface{Index: 3, Name: "x"}}
		b.Active.Set(7)
		if err2 := DecodeFeatures(attrs, &b); (err == nil) != (err2 == nil) || a != b {
			t.Fatalf("decoded twice: %+v and %+v", a, b)
		}
		var r FeaturesResult
		err = decodeFeaturesResult(attrs, &r)
		decodeErr(t, err)
		for i := range r.Active.Bits() {
			if err != nil {
				break // a failed decode leaves r partly filled
			}
			if !r.Changed.Has(i) {
				t.Fatalf("feature %d now on but not among the changed", i)
			}
		}
	})
}

func FuzzDecodeChannels(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var a Channels
		err := DecodeChannels(attrs, &a)
		decodeErr(t, err)
		b := Channels{RxMax: 4, CombinedCount: 2, Interface: Interface{Index: 3, Name: "x"}}
		if err2 := DecodeChannels(attrs, &b); (err == nil) != (err2 == nil) || a != b {
			t.Fatalf("decoded twice: %+v and %+v", a, b)
		}
	})
}
