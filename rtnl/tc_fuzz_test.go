package rtnl

import "testing"

// The seed corpora under testdata/fuzz/FuzzQdiscDecode and FuzzClassDecode
// are the kernel's own dumps of tcFixture after traffic, written by
// TestIntegrationWriteTCFuzzCorpus, with the encodings of sampleQdiscs
// added here.

func FuzzQdiscDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzQdiscDecode") {
		f.Add(s)
	}
	for _, q := range sampleQdiscs() {
		p, err := appendQdisc(nil, &q, false)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(appendStats2(p, TCStats{Bytes: 1, Packets: 2}, true))
	}
	var q Qdisc // reused, as the iterator reuses it
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := q.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err != nil {
			return
		}
		c := q.Clone()
		if string(c.Attrs) != string(q.Attrs) || string(c.Options) != string(q.Options) || string(c.XStats) != string(q.XStats) || c.Kind != q.Kind {
			t.Fatalf("decoded %+v, owned copy %+v", q, c)
		}
		_ = q.Handle.String() + q.Parent.String()
	})
}

func FuzzClassDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzClassDecode") {
		f.Add(s)
	}
	var c Class
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := c.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err != nil {
			return
		}
		c.HTBStats()
		o := c.Clone()
		if string(o.Attrs) != string(c.Attrs) || string(o.Options) != string(c.Options) || string(o.Stats.App) != string(c.Stats.App) {
			t.Fatalf("decoded %+v, owned copy %+v", c, o)
		}
	})
}
