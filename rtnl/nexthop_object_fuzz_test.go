package rtnl

import "testing"

// The seed corpus under testdata/fuzz/FuzzNexthopDecode is the kernel's
// own dump of nexthopFixture, written by
// TestIntegrationWriteNexthopFuzzCorpus, with the encodings of
// sampleNexthops added here.

func FuzzNexthopDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzNexthopDecode") {
		f.Add(s)
	}
	for _, n := range sampleNexthops() {
		f.Add(encodedNexthop(f, &n))
	}
	var n NexthopObject // reused, as the iterator reuses it
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := n.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err != nil {
			return
		}
		c := n.Clone()
		if len(c.Group) != len(n.Group) || string(c.Attrs) != string(n.Attrs) || string(c.Encap) != string(n.Encap) {
			t.Fatalf("decoded %+v, owned copy %+v", n, c)
		}
		for _, m := range n.Group {
			if m.Weight < 1 || m.Weight > 1<<16 {
				t.Fatalf("member %+v: weight out of range", m)
			}
		}
		if n.Gateway.IsValid() && (n.Family == FamilyIPv4 && !n.Gateway.Is4() || n.Family == FamilyIPv6 && !n.Gateway.Is6()) {
			t.Fatalf("gateway %v in a %v next hop", n.Gateway, n.Family)
		}
	})
}
