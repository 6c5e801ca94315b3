package rtnl

import (
	"bytes"
	"testing"
)

func TestSnapshotKindString(t *testing.T) {
	for k, want := range map[SnapshotKind]string{
		0:                               "none",
		SnapshotRoutes4:                 "routes4",
		SnapshotRoutes6 | SnapshotLinks: "routes6|links",
		SnapshotAll:                     "routes4|routes6|links|neighs|addrs|rules|nexthops",
		SnapshotNexthops:                "nexthops",
		SnapshotNeighs | SnapshotAddrs:  "neighs|addrs",
		SnapshotRules | SnapshotRoutes4: "routes4|rules",
	} {
		if got := k.String(); got != want {
			t.Errorf("SnapshotKind(%#x).String() = %q, want %q", uint8(k), got, want)
		}
	}
}

// TestArenaCopies checks that copies hold their bytes, cannot be appended
// into the next copy, survive the arena's growth, and that reset reuses
// the chunks without allocating.
func TestArenaCopies(t *testing.T) {
	var a arena
	if a.copy(nil) != nil {
		t.Error("copy(nil) is not nil")
	}
	if c := a.copy([]byte{}); c == nil || len(c) != 0 {
		t.Errorf("copy of an empty slice: %v", c)
	}
	var copies [][]byte
	var want [][]byte
	for i := range 5000 {
		b := bytes.Repeat([]byte{byte(i)}, 1+i%97)
		c := a.copy(b)
		if cap(c) != len(c) {
			t.Fatalf("copy %d: cap %d, len %d", i, cap(c), len(c))
		}
		copies, want = append(copies, c), append(want, b)
	}
	_ = append(copies[0], 0xff) // must not touch copies[1]
	for i := range copies {
		if !bytes.Equal(copies[i], want[i]) {
			t.Fatalf("copy %d changed: %v, want %v", i, copies[i], want[i])
		}
	}
	big := a.copy(make([]byte, arenaMaxChunk+1))
	if len(big) != arenaMaxChunk+1 {
		t.Fatalf("a copy larger than a chunk: %d bytes", len(big))
	}
	if skipAllocs {
		return
	}
	allocs := testing.AllocsPerRun(3, func() {
		a.reset()
		for i := range 5000 {
			a.copy(want[i])
		}
	})
	if allocs != 0 {
		t.Errorf("refilling a reset arena allocates %.0f times", allocs)
	}
}

func TestArenaUnput(t *testing.T) {
	var a arena
	first := a.copy([]byte("first"))
	second := a.copy([]byte("second"))
	a.unput(first) // not the last copy: kept
	a.unput(second)
	third := a.copy([]byte("third!"))
	if &third[0] != &second[0] || string(first) != "first" {
		t.Errorf("unput did not give back the last copy (%q, %q)", first, third)
	}
}
