//go:build linux

package engine

import (
	"github.com/nlengine/nlengine/nlmsg"
)

// batchOpErr is the *OpError of op i of batch b failing with cause.
func (c *Conn) batchOpErr(b *pending, i int, cause error) *OpError {
	seq := b.seq
	if seq != 0 { // 0: the batch was never given its sequence numbers
		seq += uint32(i)
	}
	e := c.opErr("batch", c.batchType(b, i), seq, cause)
	e.Index = i
	return e
}

// batchType reads op i's message type back from b's encoded requests.
func (c *Conn) batchType(b *pending, i int) nlmsg.Type {
	h, _ := nlmsg.DecodeHeader(b.tx.Bytes()[b.offs[i]:])
	return h.Type
}

// finish ends a single request that the driver tracks: it leaves the table
// and the budget, and its owner is woken (or it is freed if abandoned).
func (c *Conn) finish(p *pending, err error) {
	if c.table[p.seq] == p {
		delete(c.table, p.seq)
		c.inflight--
		c.units -= c.costOf(p)
		c.expect -= p.expect
	}
	if c.dumpActive == p {
		c.dumpActive = nil
		c.promoteDump()
	}
	c.settle(p, err, false)
}

// finishClosed ends p because the Conn closed; the closed error replaces any
// other.
func (c *Conn) finishClosed(p *pending, err error) { c.settle(p, err, true) }

// settle marks p final with err (an earlier error stays unless replace),
// wakes its owner if it still waits, and lets go of the driver's reference.
func (c *Conn) settle(p *pending, err error, replace bool) {
	p.mu.Lock()
	if replace || p.err == nil {
		p.err = err
	}
	p.final = true
	ab := p.abandoned
	p.mu.Unlock()
	if !ab {
		c.completed++
		p.wake()
	}
	c.unref(p)
}

func (c *Conn) promoteDump() {
	for len(c.dumpQ) > 0 {
		p := c.dumpQ[0]
		copy(c.dumpQ, c.dumpQ[1:])
		c.dumpQ[len(c.dumpQ)-1] = nil
		c.dumpQ = c.dumpQ[:len(c.dumpQ)-1]
		p.mu.Lock()
		ab := p.abandoned
		p.mu.Unlock()
		if ab {
			c.unref(p) // the driver's reference; the owner has let go
			continue
		}
		c.dumpActive = p
		c.sendQ = append(c.sendQ, p)
		return
	}
}

// batchResult records the outcome of message i of batch b.
//
// It reports whether that ended the batch: the driver has then let go of b
// and the caller must not touch it again.
func (c *Conn) batchResult(b *pending, i int, err error) (over bool) {
	b.mu.Lock()
	if b.states[i] != msgSent {
		b.mu.Unlock()
		return false
	}
	b.states[i] = msgDone
	b.errs[i] = err
	b.done++
	c.inflight--
	c.units -= unitsAck
	c.expect--
	over = b.done == len(b.offs) || (b.abandoned && b.done == b.sent)
	ab := b.abandoned
	if over {
		b.final = true
	}
	b.mu.Unlock()
	if !over {
		return false
	}
	c.dropBatch(b)
	if !ab {
		b.wake()
	}
	c.unref(b)
	return true
}
