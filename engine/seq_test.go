//go:build linux

package engine

import "testing"

// The sequence table needs no kernel: these tests drive it directly.

func batchAt(seq uint32, n int) *pending { return &pending{seq: seq, offs: make([]int, n)} }

// TestSeqSkipsZeroAndInFlight: after the counter wraps, allocSeq never
// returns 0 (the kernel's notifications carry 0) nor a number whose
// request or batch is still in flight.
func TestSeqSkipsZeroAndInFlight(t *testing.T) {
	st := newSeqTable()
	st.nextSeq = 1<<32 - 2
	st.table[1<<32-1] = &pending{}
	st.table[1] = &pending{}
	st.batches = append(st.batches, batchAt(2, 3)) // 2, 3, 4
	want := []uint32{1<<32 - 2, 5, 6}
	for _, w := range want {
		if got := st.allocSeq(); got != w {
			t.Fatalf("allocSeq = %d, want %d", got, w)
		}
		st.table[w] = &pending{}
	}
}

// TestSeqRangeAvoidsZeroAndOverlap: a batch's range never wraps through 0
// and never overlaps a request or batch in flight, whichever side the
// overlap is on.
func TestSeqRangeAvoidsZeroAndOverlap(t *testing.T) {
	cases := []struct {
		name    string
		next    uint32
		singles []uint32
		batches [][2]uint32 // seq, len
		n       int
		want    uint32
	}{
		{name: "free", next: 10, n: 5, want: 10},
		{name: "would wrap through 0", next: 1<<32 - 3, n: 5, want: 1},
		{name: "ends exactly at the top", next: 1<<32 - 5, n: 4, want: 1<<32 - 5},
		{name: "single inside", next: 10, singles: []uint32{12}, n: 5, want: 15},
		{name: "batch starts inside", next: 10, batches: [][2]uint32{{14, 3}}, n: 5, want: 15 + 5},
		{name: "batch covers the start", next: 10, batches: [][2]uint32{{8, 3}}, n: 5, want: 15},
		{name: "a wrapped range restarts clear of a single at 1", next: 1<<32 - 1, singles: []uint32{2}, n: 3, want: 4},
	}
	for _, tc := range cases {
		st := newSeqTable()
		st.nextSeq = tc.next
		for _, s := range tc.singles {
			st.table[s] = &pending{}
		}
		for _, b := range tc.batches {
			st.batches = append(st.batches, batchAt(b[0], int(b[1])))
		}
		got := st.allocRange(tc.n)
		if got != tc.want {
			t.Errorf("%s: allocRange(%d) from %d = %d, want %d", tc.name, tc.n, tc.next, got, tc.want)
			continue
		}
		for i := range uint32(tc.n) {
			s := got + i
			if s == 0 || st.table[s] != nil || st.batchFor(s) != nil {
				t.Errorf("%s: the range holds %d, which is 0 or in flight", tc.name, s)
			}
		}
	}
}

// TestSeqBatchFor: batchFor finds the batch of each number of its range
// and nothing outside, including across the top of the counter.
func TestSeqBatchFor(t *testing.T) {
	st := newSeqTable()
	a, b := batchAt(100, 10), batchAt(1<<32-4, 3)
	st.batches = append(st.batches, a, b)
	for s, want := range map[uint32]*pending{99: nil, 100: a, 109: a, 110: nil, 1<<32 - 5: nil, 1<<32 - 4: b, 1<<32 - 2: b, 1<<32 - 1: nil, 0: nil} {
		if got := st.batchFor(s); got != want {
			t.Errorf("batchFor(%d) = %p, want %p", s, got, want)
		}
	}
	st.dropBatch(a)
	if st.batchFor(105) != nil || len(st.batches) != 1 {
		t.Errorf("after dropBatch: %d batches, 105 still found", len(st.batches))
	}
}
