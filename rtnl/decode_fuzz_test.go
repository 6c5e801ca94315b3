package rtnl

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The seed corpora under testdata/fuzz are real kernel messages about the
// fixtures of the agreement tests, written by TestIntegrationWriteFuzzCorpus.

// seeds reads the checked-in corpus of a fuzz target (and fails when there
// is none).
func seeds(tb testing.TB, target string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus for %s: %v", target, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		s := strings.TrimSpace(string(b))
		i := strings.Index(s, "[]byte(")
		if i < 0 || !strings.HasSuffix(s, ")") {
			tb.Fatalf("%s: not a corpus file", f)
		}
		q, err := strconv.Unquote(s[i+len("[]byte(") : len(s)-1])
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		out = append(out, []byte(q))
	}
	return out
}

// checkDecodeErr fails unless err is nil or an *AttrError whose offset
// lies in the payload.
func checkDecodeErr(t *testing.T, payload []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *AttrError
	if !errors.As(err, &ae) {
		t.Fatalf("decode error %T %v is not an *AttrError", err, err)
	}
	if ae.Attr == "" || ae.Offset < -1 || ae.Offset > len(payload) {
		t.Fatalf("AttrError %+v does not name an attribute in a %d-byte payload", ae, len(payload))
	}
}

func FuzzLinkDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzLinkDecode") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var l Link
		err := l.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil {
			l.Stats()
			o := l.Clone()
			if o.Name != l.Name || o.HardwareAddr.String() != l.HardwareAddr.String() || o.Broadcast.String() != l.Broadcast.String() || string(o.Attrs) != string(l.Attrs) {
				t.Fatalf("the owned copy differs: %+v vs %+v", o, l)
			}
		}
	})
}

func FuzzAddrDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzAddrDecode") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var a Addr
		err := a.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil && a.Prefix.IsValid() && a.Prefix.Bits() > a.Prefix.Addr().BitLen() {
			t.Fatalf("prefix %v longer than its address", a.Prefix)
		}
	})
}

func FuzzNeighDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzNeighDecode") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var n Neigh
		err := n.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil {
			o := n.Clone()
			if o.LLAddr.String() != n.LLAddr.String() || o.Dst != n.Dst {
				t.Fatalf("the owned copy differs: %+v vs %+v", o, n)
			}
		}
	})
}

func FuzzRouteDecode(f *testing.F) {
	for _, r := range sampleRoutes() {
		f.Add(encoded(f, &r))
	}
	var r Route // reused, as the iterator reuses it
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := r.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil {
			c := r.Clone()
			if len(c.Multipath) != len(r.Multipath) || string(c.Attrs) != string(r.Attrs) || (addrLen(r.Family) > 0 && !r.Dst.IsValid()) {
				t.Fatalf("decoded %+v, owned copy %+v", r, c)
			}
		}
	})
}

func FuzzRuleDecode(f *testing.F) {
	var u Rule // reused, as the iterator reuses it
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := u.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil {
			if c := u.Clone(); string(c.Attrs) != string(u.Attrs) || c.Src != u.Src || c.Dst != u.Dst {
				t.Fatalf("the owned copy differs: %+v vs %+v", c, u)
			}
		}
	})
}

func FuzzNSIDDecode(f *testing.F) {
	for _, s := range seeds(f, "FuzzNSIDDecode") {
		f.Add(s)
	}
	var n NSID // reused, as the iterator reuses it
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := n.Decode(payload)
		checkDecodeErr(t, payload, err)
		if err == nil {
			if c := n.Clone(); string(c.Attrs) != string(n.Attrs) || c.ID != n.ID || c.CurrentID != n.CurrentID {
				t.Fatalf("the owned copy differs: %+v vs %+v", c, n)
			}
		}
	})
}
