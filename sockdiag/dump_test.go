package sockdiag

import (
	"slices"
	"testing"
)

// TestSinkCollects fills a collecting sink across several pooled blocks
// with values that hold slices: the list has every value in order, each
// with its own slice, and the blocks go back to the pool zeroed.
func TestSinkCollects(t *testing.T) {
	pool := newBlockPool[UnixSocket]()
	k := collecting[UnixSocket](pool)
	const n = 2*listBlockLen + 7
	for i := range n {
		s := k.slot()
		if s.Inode != 0 || s.Pending != nil {
			t.Fatalf("slot %d is not zero: %+v", i, s)
		}
		s.Inode = uint32(i)
		s.Pending = append(s.Pending, uint32(i))
		if !k.add(s, nil) {
			t.Fatal("a collecting sink ended the dump")
		}
	}
	blocks := slices.Clone(k.blocks)
	list, err := k.list(make([]UnixSocket, 1, 2), nil)
	if err != nil || len(list) != n+1 {
		t.Fatalf("%d values, %v; want %d", len(list), err, n+1)
	}
	for i, s := range list[1:] {
		if s.Inode != uint32(i) || len(s.Pending) != 1 || s.Pending[0] != uint32(i) {
			t.Fatalf("value %d: %+v", i, s)
		}
	}
	if &list[1].Pending[0] == &list[2].Pending[0] {
		t.Error("two values share their Pending")
	}
	for _, b := range blocks {
		if b[0].Inode != 0 || b[listBlockLen-1].Pending != nil {
			t.Error("a block went back to the pool holding values")
		}
	}
}

// TestSinkReuses: a reusing sink hands out one value and yields each
// socket to the iterator's yield, whose false ends the dump.
func TestSinkReuses(t *testing.T) {
	k := reusing[NetlinkSocket]()
	n := 0
	yield := func(s *NetlinkSocket, err error) bool { n++; return n < 2 }
	a := k.slot()
	if !k.add(a, yield) || k.slot() != a || k.add(a, yield) || n != 2 {
		t.Errorf("reusing sink: %d yields", n)
	}
}
