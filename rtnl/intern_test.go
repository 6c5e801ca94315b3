package rtnl

import "testing"

func TestInternReturnsEqualStringsWithoutAllocatingTwice(t *testing.T) {
	b := []byte("veth-intern")
	first := names.intern(b)
	if first != "veth-intern" {
		t.Fatalf("intern = %q", first)
	}
	b[0] = 'V' // the interned string must not alias the caller's bytes
	if first != "veth-intern" {
		t.Fatalf("the interned string changed with its source bytes: %q", first)
	}
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	again := []byte("veth-intern")
	if n := testing.AllocsPerRun(100, func() { _ = names.intern(again) }); n != 0 {
		t.Fatalf("interning a known name allocates %.1f times", n)
	}
}
