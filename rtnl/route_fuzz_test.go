package rtnl

import (
	"errors"
	"testing"
)

// The seed corpora under testdata/fuzz are real kernel messages, written by
// TestIntegrationWriteRouteFuzzCorpus from the fixtures of the agreement tests.

func FuzzRouteDecode(f *testing.F) {
	for _, r := range sampleRoutes() {
		f.Add(encoded(f, &r))
	}
	var r Route
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := r.Decode(payload)
		var ae *AttrError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("Decode returned %T %v, not an *AttrError", err, err)
		}
		if err == nil {
			c := r.Clone()
			if len(c.Multipath) != len(r.Multipath) || (addrLen(r.Family) > 0 && !r.Dst.IsValid()) {
				t.Fatalf("decoded %+v", r)
			}
		}
	})
}

func FuzzRuleDecode(f *testing.F) {
	var u Rule
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := u.Decode(payload)
		var ae *AttrError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("Decode returned %T %v, not an *AttrError", err, err)
		}
	})
}
