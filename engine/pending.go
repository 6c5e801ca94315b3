//go:build linux

package engine

import (
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// rxBuf is a pooled receive buffer. b has the Conn's buffer size; n bytes of
// it hold data (one datagram, or messages copied back to back).
type rxBuf struct {
	b   []byte
	n   int
	off int   // read position, for consumers that take one message at a time
	err error // set (and b nil) for a loss marker in the notification queue
}

// pendingKind says what a pending carries, which decides how its answer
// ends: an ack (or error) for a single request, NLMSG_DONE for a dump, one
// ack per message for a batch.
type pendingKind uint8

const (
	kindSingle pendingKind = iota // one request answered by its ack, maybe after replies
	kindDump                      // one dump request, answered until NLMSG_DONE
	kindBatch                     // many requests, each answered by its ack
)

// pending is one request (or one batch of requests) from submission to its
// final answer. Two parties hold it: the goroutine that submitted it (the
// owner) and the driver, whichever goroutine holds the driver token.
//
//   - The owner fills the fields above "driver" before submit; after that
//     they are read-only to both.
//   - The driver alone writes seq, sent, done and the tx sequence numbers.
//   - The fields below mu are shared and guarded by mu; so is states, which
//     an owner whose context ended reads.
//
// Each party holds one reference (refs): the owner lets go with release
// (after it saw final) or abandon (before), the driver when it makes p
// final (settle, batchResult) or drops it unsent. unref frees p when the
// last reference goes: that is the one place a pending returns to its pool.
type pending struct {
	op   string
	typ  nlmsg.Type
	kind pendingKind
	// expect is how many datagrams the answer should take: 1 for an ack
	// alone, 2 for a reply and its ack. It only sizes recvmmsg; a wrong
	// guess costs a syscall, never a message.
	expect int
	tx     nlmsg.Builder // the encoded request(s); the driver patches in seq
	offs   []int         // batches: start offset of each message in tx
	errs   []error       // batches: per message result, written under mu

	// driver: written by the driver only, after submission.
	seq  uint32 // first sequence number (a batch holds seq .. seq+len(offs)-1)
	sent int    // batches: messages sent
	done int    // batches: messages answered

	signal chan struct{} // cap 1: the driver delivered something or finished

	mu        sync.Mutex
	states    []uint8 // batches: per message, 0 (not sent), msgSent or msgDone
	inbox     []*rxBuf
	final     bool  // no more deliveries will come
	err       error // failure outside the message stream (closed, ENOBUFS, send error)
	abandoned bool  // the owner left; the driver drops deliveries
	refs      int   // parties still holding p: owner, driver (see unref)

	ahead aheadState // a dump's read-ahead (readahead.go)
}

// Batch message states; the zero value is a message not sent yet.
const (
	msgSent uint8 = iota + 1
	msgDone
)

var pendingPool = sync.Pool{New: func() any { return &pending{signal: make(chan struct{}, 1)} }}

// getPending takes a pending of kind from the pool for its owner, who holds
// the only reference until submit.
func (c *Conn) getPending(kind pendingKind) *pending {
	p := pendingPool.Get().(*pending)
	p.kind, p.refs = kind, 1
	c.stats.livePendings.Add(1)
	return p
}

// ready reports whether the owner has something to consume.
func (p *pending) ready() bool {
	p.mu.Lock()
	r := len(p.inbox) > 0 || p.final
	p.mu.Unlock()
	return r
}

func (p *pending) wake() {
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

// next pops the oldest delivered buffer. With none left it reports whether
// the request is over and with what out-of-band error.
func (p *pending) next() (buf *rxBuf, over bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.inbox) > 0 {
		if p.ahead.running && p.ahead.ended() {
			return p.cutAhead()
		}
		buf = p.inbox[0]
		copy(p.inbox, p.inbox[1:])
		p.inbox[len(p.inbox)-1] = nil
		p.inbox = p.inbox[:len(p.inbox)-1]
		if p.ahead.armed || p.ahead.running {
			p.tookChunk()
		}
		return buf, false, nil
	}
	return nil, p.final, p.err
}

// release is the owner's letting go of p after it saw p final.
func (c *Conn) release(p *pending) {
	c.stopAhead(p)
	c.unref(p)
}

// abandon is called by an owner that stops waiting before p is over (its
// context ended, its consumer stopped, the Conn closed). From then on the
// driver drops what arrives for p, and p is freed when the driver lets go
// too.
func (c *Conn) abandon(p *pending) {
	p.mu.Lock()
	c.dropInbox(p)
	p.abandoned = true
	p.mu.Unlock()
	c.stopAhead(p)
	c.unref(p)
}

// unref drops one party's reference to p (see pending) and frees p when it
// was the last: the only place a pending goes back to the pool. The caller
// must not touch p afterwards.
func (c *Conn) unref(p *pending) {
	p.mu.Lock()
	p.refs--
	last := p.refs == 0
	p.mu.Unlock()
	if !last {
		return
	}
	c.dropInbox(p)
	if p.kind == kindBatch {
		// A batch's buffer is far above what bytebufferpool calibrates to
		// keep: it would be dropped and regrown every time. It stays with
		// the pooled pending instead.
		p.tx.Reset()
	} else {
		p.tx.Release()
	}
	p.op, p.typ, p.kind, p.expect, p.seq = "", 0, kindSingle, 0, 0
	p.sent, p.done = 0, 0
	p.offs, p.states = p.offs[:0], p.states[:0]
	clear(p.errs)
	p.errs = p.errs[:0]
	p.final, p.err, p.abandoned = false, nil, false
	p.ahead.reset()
	select {
	case <-p.signal:
	default:
	}
	c.stats.livePendings.Add(-1)
	pendingPool.Put(p)
}

// dropInbox gives back the buffers delivered to p and not consumed. The
// caller holds p.mu or holds p alone.
func (c *Conn) dropInbox(p *pending) {
	for i, b := range p.inbox {
		c.putBuf(b)
		p.inbox[i] = nil
	}
	p.inbox = p.inbox[:0]
}
