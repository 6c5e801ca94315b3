package nlmsg

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzNexthopWire decodes data as an nhmsg and as nexthop_grp entries
// back to back (its seeds, under testdata/fuzz, are kernel nexthop
// messages): the header re-encodes as the input with its reserved byte
// zeroed, and every entry as the input with its reserved bytes zeroed.
func FuzzNexthopWire(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var h NhMsg
		rest, err := h.Decode(data)
		switch {
		case len(data) < NhMsgLen:
			if rest != nil || !errors.Is(err, ErrBadSize) {
				t.Fatalf("nhmsg of %d bytes: rest %v, err %v", len(data), rest, err)
			}
		case err != nil || len(rest) != len(data)-NhMsgLen:
			t.Fatalf("nhmsg of %d bytes: %d left, %v", len(data), len(rest), err)
		default:
			want := bytes.Clone(data[:NhMsgLen])
			want[3] = 0
			if enc := h.AppendTo(nil); !bytes.Equal(enc, want) {
				t.Fatalf("nhmsg %+v re-encodes as % x, input % x", h, enc, want)
			}
		}
		for b := data; len(b) > 0; b = b[min(len(b), NexthopGrpLen):] {
			g, ok := DecodeNexthopGrp(b, true)
			if ok != (len(b) >= NexthopGrpLen) {
				t.Fatalf("nexthop_grp of %d bytes: ok %v", len(b), ok)
			}
			if !ok {
				continue
			}
			want := bytes.Clone(b[:NexthopGrpLen])
			want[6], want[7] = 0, 0
			if enc := g.AppendTo(nil); !bytes.Equal(enc, want) || g.Weight < 1 || g.Weight > 1<<16 {
				t.Fatalf("nexthop_grp %+v re-encodes as % x, input % x", g, enc, want)
			}
			if n, _ := DecodeNexthopGrp(b, false); n.ID != g.ID || n.Weight != uint32(b[4])+1 {
				t.Fatalf("nexthop_grp without weight_high: %+v from % x", n, b[:NexthopGrpLen])
			}
		}
	})
}
