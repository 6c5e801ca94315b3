//go:build linux

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// costOf is what p holds of the reply budget while it is in flight. A dump
// holds half the budget and a chunk: the kernel builds its next chunk
// whenever a read (of anything) leaves the socket at most half full, so its
// chunks alone can fill the buffer that far, and others' replies need the
// rest.
func (c *Conn) costOf(p *pending) int {
	if p.kind == kindDump {
		return c.budget/2 + unitsChunk
	}
	return unitsSingle
}

// txDgram records which requests a datagram being sent carries.
type txDgram struct {
	first, count int      // singles: c.txSent[first : first+count]
	batch        *pending // or a window of a batch
	bfirst       int
	bcount       int
}

// requests is how many netlink requests d carries.
func (d txDgram) requests() int {
	if d.batch != nil {
		return d.bcount
	}
	return d.count
}

// flush moves submissions into the send queues and sends as much as the
// reply budget allows, in one sendmmsg.
func (c *Conn) flush() {
	c.drained = c.subq.Drain(c.drained[:0])
	for i, p := range c.drained {
		c.drained[i] = nil
		switch {
		case p.kind == kindBatch:
			p.seq = c.allocRange(len(p.offs))
			c.batches = append(c.batches, p)
		case p.kind == kindDump && (c.dumpActive != nil || len(c.dumpQ) > 0):
			c.dumpQ = append(c.dumpQ, p)
		default:
			if p.kind == kindDump {
				c.dumpActive = p
			}
			c.sendQ = append(c.sendQ, p)
		}
	}
	if len(c.sendQ) == 0 && len(c.batches) == 0 {
		return
	}
	if c.congested {
		// The kernel would drop the replies without a word (see overrun).
		return
	}
	c.txMsgs, c.txIov, c.txParts, c.txSent = c.txMsgs[:0], c.txIov[:0], c.txParts[:0], c.txSent[:0]

	// Singles: back to back in as few datagrams as the size limit allows.
	taken := 0
	dgBytes, dgFirst := 0, 0
	for _, p := range c.sendQ {
		if c.units > 0 && c.units+c.costOf(p) > c.budget {
			break
		}
		taken++
		if c.droppedBeforeSend(p) {
			continue
		}
		msg := p.tx.Bytes()
		if len(c.txSent) > dgFirst && (dgBytes+len(msg) > c.maxDgram || len(c.txSent)-dgFirst >= maxIovPerDgram) {
			c.txParts = append(c.txParts, txDgram{first: dgFirst, count: len(c.txSent) - dgFirst})
			dgFirst, dgBytes = len(c.txSent), 0
		}
		p.seq = c.allocSeq()
		p.tx.SetSeq(0, p.seq)
		c.table[p.seq] = p
		c.inflight++
		c.units += c.costOf(p)
		c.expect += p.expect
		c.txSent = append(c.txSent, p)
		dgBytes += len(msg)
	}
	if len(c.txSent) > dgFirst {
		c.txParts = append(c.txParts, txDgram{first: dgFirst, count: len(c.txSent) - dgFirst})
	}
	n := copy(c.sendQ, c.sendQ[taken:])
	clear(c.sendQ[n:])
	c.sendQ = c.sendQ[:n]

	// Batches: windows of consecutive messages, one datagram each.
	for j := 0; j < len(c.batches); j++ {
		b := c.batches[j]
		b.mu.Lock()
		abandoned := b.abandoned
		idle := abandoned && b.done == b.sent
		if idle {
			b.final = true
		}
		b.mu.Unlock()
		if idle {
			// Its owner left and nothing of it is in flight any more.
			c.batches = append(c.batches[:j], c.batches[j+1:]...)
			j--
			c.unref(b) // the driver's reference
			continue
		}
		for !abandoned && b.sent < len(b.offs) && c.units < c.budget {
			k := min(len(b.offs)-b.sent, (c.budget-c.units)/unitsAck)
			start := b.offs[b.sent]
			bytes := b.tx.Bytes()
			end := len(bytes)
			// NB: under b.mu: an owner whose context ended reads states.
			b.mu.Lock()
			for j := 0; j < k; j++ {
				i := b.sent + j
				e := len(bytes)
				if i+1 < len(b.offs) {
					e = b.offs[i+1]
				}
				if j > 0 && e-start > c.maxDgram {
					k = j
					break
				}
				end = e
				b.tx.SetSeq(b.offs[i], b.seq+uint32(i))
				b.states[i] = msgSent
			}
			b.mu.Unlock()
			c.txParts = append(c.txParts, txDgram{batch: b, bfirst: b.sent, bcount: k, first: start, count: end - start})
			b.sent += k
			c.inflight += k
			c.units += k * unitsAck
			c.expect += k
		}
	}
	if len(c.txParts) == 0 {
		return
	}
	c.buildTx()
	c.sendTx()
}

// droppedBeforeSend lets go of a pending whose owner left before it was
// sent, and reports whether it did.
func (c *Conn) droppedBeforeSend(p *pending) bool {
	p.mu.Lock()
	ab := p.abandoned
	if ab {
		p.final = true
	}
	p.mu.Unlock()
	if ab {
		if c.dumpActive == p {
			c.dumpActive = nil
			c.promoteDump()
		}
		c.unref(p)
	}
	return ab
}

// iovecOf is an iovec for b, which must not be empty.
func iovecOf(b []byte) unix.Iovec {
	v := unix.Iovec{Base: &b[0]}
	v.SetLen(len(b))
	return v
}

func (c *Conn) buildTx() {
	for _, d := range c.txParts {
		iovStart := len(c.txIov)
		if d.batch != nil {
			b := d.batch.tx.Bytes()[d.first : d.first+d.count]
			c.txIov = append(c.txIov, iovecOf(b))
		} else {
			for _, p := range c.txSent[d.first : d.first+d.count] {
				b := p.tx.Bytes()
				c.txIov = append(c.txIov, iovecOf(b))
			}
		}
		var m unix.Mmsghdr
		m.Hdr.SetIovlen(len(c.txIov) - iovStart)
		c.txMsgs = append(c.txMsgs, m)
	}
	// NB: iovec pointers are taken after txIov stopped growing.
	iov := 0
	for i := range c.txMsgs {
		c.txMsgs[i].Hdr.Iov = &c.txIov[iov]
		iov += int(c.txMsgs[i].Hdr.Iovlen)
	}
}

func (c *Conn) sendTx() {
	sent := 0
	for sent < len(c.txMsgs) {
		var n int
		var err error
		call := "sendmmsg"
		if m := &c.txMsgs[sent].Hdr; len(c.txMsgs)-sent == 1 && m.Iovlen == 1 {
			// One datagram of one buffer (a lone request): sendto is the
			// cheapest send.
			call, n = "sendto", 1
			err = sendto(c.fd, m.Iov)
		} else if len(c.txMsgs)-sent == 1 {
			// One datagram: sendmsg is cheaper than sendmmsg's bookkeeping.
			call = "sendmsg"
			n, err = sendmsg(c.fd, m)
		} else {
			n, err = sendmmsg(c.fd, c.txMsgs[sent:])
		}
		c.stats.sendCalls.Add(1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// NB: wrapped, so that the caller can tell the socket refusing
			// the datagram from the kernel answering it with an errno.
			c.failDgram(c.txParts[sent], os.NewSyscallError(call, err))
			sent++
			continue
		}
		c.stats.datagramsSent.Add(uint64(n))
		for _, d := range c.txParts[sent : sent+n] {
			c.stats.requestsSent.Add(uint64(d.requests()))
		}
		sent += n
	}
	clear(c.txParts)
	clear(c.txSent)
	clear(c.txIov)
}

func (c *Conn) failDgram(d txDgram, err error) {
	if d.batch != nil {
		b := d.batch
		for i := d.bfirst; i < d.bfirst+d.bcount; i++ {
			if c.batchResult(b, i, c.batchOpErr(b, i, err)) {
				break
			}
		}
		return
	}
	for _, p := range c.txSent[d.first : d.first+d.count] {
		c.finish(p, c.opErr(p.op, p.typ, p.seq, err))
	}
}
