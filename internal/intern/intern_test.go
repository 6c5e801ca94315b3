package intern

import "testing"

func TestStringIsACopyAndKnownStringsDoNotAllocate(t *testing.T) {
	tab := New(16)
	b := []byte("veth-intern")
	first := tab.String(b)
	b[0] = 'V'
	if first != "veth-intern" {
		t.Fatalf("the interned string changed with its source bytes: %q", first)
	}
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	again := []byte("veth-intern")
	if n := testing.AllocsPerRun(100, func() { _ = tab.String(again) }); n != 0 {
		t.Fatalf("interning a known string allocates %.1f times", n)
	}
}

func TestTableStaysWithinItsBound(t *testing.T) {
	tab := New(8)
	for i := range 100 {
		tab.String([]byte{'x', byte(i)})
		if n := tab.Len(); n > 8 {
			t.Fatalf("%d strings in a table bounded at 8", n)
		}
	}
	if s := tab.String([]byte("after")); s != "after" {
		t.Fatalf("String after restarts = %q", s)
	}
}
