package engine

// allocSeq returns a sequence number that is not 0 and not in flight.
func (c *Conn) allocSeq() uint32 {
	for {
		s := c.nextSeq
		c.nextSeq++
		if s == 0 || c.table[s] != nil || c.batchFor(s) != nil {
			continue
		}
		return s
	}
}

// allocRange reserves n consecutive sequence numbers for a batch.
func (c *Conn) allocRange(n int) uint32 {
	for {
		base := c.nextSeq
		end := base + uint32(n)
		if base == 0 || end < base { // would include 0: restart after the wrap
			c.nextSeq = 1
			continue
		}
		clash := false
		for s := range c.table {
			if s-base < uint32(n) {
				clash = true
				break
			}
		}
		for _, b := range c.batches {
			if b.seq-base < uint32(n) || base-b.seq < uint32(len(b.offs)) {
				clash = true
			}
		}
		if clash {
			c.nextSeq = end
			continue
		}
		c.nextSeq = end
		return base
	}
}

func (c *Conn) batchFor(seq uint32) *pending {
	for _, b := range c.batches {
		if seq-b.seq < uint32(len(b.offs)) {
			return b
		}
	}
	return nil
}
