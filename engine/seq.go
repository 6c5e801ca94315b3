//go:build linux

package engine

// seqTable maps the sequence numbers in flight to their requests: singles
// and dumps by number, batches by the range they hold. It is the driver's
// alone. Sequence numbers are never 0 (the kernel's notifications carry 0)
// and never one still in flight, so a late reply can only reach its own
// request, however the counter wraps.
type seqTable struct {
	table   map[uint32]*pending // singles and dumps in flight, by sequence number
	batches []*pending          // batches with assigned ranges [seq, seq+len(offs))
	nextSeq uint32              // where the next search starts
}

func newSeqTable() seqTable {
	return seqTable{table: make(map[uint32]*pending), nextSeq: 1}
}

// allocSeq returns a sequence number that is not 0 and not in flight.
func (t *seqTable) allocSeq() uint32 {
	for {
		s := t.nextSeq
		t.nextSeq++
		if s == 0 || t.table[s] != nil || t.batchFor(s) != nil {
			continue
		}
		return s
	}
}

// allocRange reserves n consecutive sequence numbers for a batch: none is 0
// (a range never wraps through it) and none is in flight.
func (t *seqTable) allocRange(n int) uint32 {
	for {
		base := t.nextSeq
		end := base + uint32(n)
		if base == 0 || end < base { // would include 0: restart after the wrap
			t.nextSeq = 1
			continue
		}
		clash := false
		for s := range t.table {
			if s-base < uint32(n) {
				clash = true
				break
			}
		}
		for _, b := range t.batches {
			if b.seq-base < uint32(n) || base-b.seq < uint32(len(b.offs)) {
				clash = true
			}
		}
		if clash {
			t.nextSeq = end
			continue
		}
		t.nextSeq = end
		return base
	}
}

// batchFor returns the batch whose range holds seq, or nil.
func (t *seqTable) batchFor(seq uint32) *pending {
	for _, b := range t.batches {
		if seq-b.seq < uint32(len(b.offs)) {
			return b
		}
	}
	return nil
}

// dropBatch removes b from the batches in flight.
func (t *seqTable) dropBatch(b *pending) {
	for j, x := range t.batches {
		if x == b {
			t.batches = append(t.batches[:j], t.batches[j+1:]...)
			t.batches = t.batches[:len(t.batches):len(t.batches)]
			return
		}
	}
}
