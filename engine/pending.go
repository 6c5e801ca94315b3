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

// pending is one request (or one batch of requests) from submission to its
// final reply. Ownership: the submitting goroutine (the owner) and the driver
// share it; the fields below mu are guarded by mu, those above it are set by
// the owner before submission and then read only by the driver. Whoever
// sees final && abandoned, or the owner after it consumed a final pending,
// returns it to the pool; never both (see abandon and finish).
type pending struct {
	op    string
	typ   nlmsg.Type
	flags nlmsg.Flags
	dump  bool
	// expect is how many datagrams the answer should take: 1 for an ack
	// alone, 2 for a reply and its ack. It only sizes recvmmsg; a wrong
	// guess costs a syscall, never a message.
	expect int
	seq    uint32 // assigned by the driver at send time; first seq of a batch

	tx nlmsg.Builder // the encoded request(s), seq patched at send time

	// Batches only (driver-owned after submission, results under mu).
	batch  bool
	offs   []int   // start offset of each message in tx
	states []uint8 // per message: unsent, sent, done
	errs   []error // per message result
	sent   int     // messages sent
	done   int     // messages finished

	signal chan struct{} // cap 1: the driver delivered something or finished

	mu        sync.Mutex
	inbox     []*rxBuf
	final     bool  // no more deliveries will come
	err       error // failure outside the message stream (closed, ENOBUFS, send error)
	abandoned bool  // the owner left; the driver drops deliveries and frees it
}

const (
	msgUnsent uint8 = iota
	msgSent
	msgDone
)

var pendingPool = sync.Pool{New: func() any { return &pending{signal: make(chan struct{}, 1)} }}

func getPending() *pending { return pendingPool.Get().(*pending) }

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
		buf = p.inbox[0]
		copy(p.inbox, p.inbox[1:])
		p.inbox[len(p.inbox)-1] = nil
		p.inbox = p.inbox[:len(p.inbox)-1]
		return buf, false, nil
	}
	return nil, p.final, p.err
}

// release returns an owner-consumed pending to the pool.
func (c *Conn) release(p *pending) {
	p.mu.Lock()
	for i, b := range p.inbox {
		c.putBuf(b)
		p.inbox[i] = nil
	}
	p.inbox = p.inbox[:0]
	p.mu.Unlock()
	c.recycle(p)
}

// recycle clears p and puts it back in the pool. The caller owns p alone.
func (c *Conn) recycle(p *pending) {
	if p.batch {
		// A batch's buffer is far above what bytebufferpool calibrates to
		// keep: it would be dropped and regrown every time. It stays with
		// the pooled pending instead.
		p.tx.Reset()
	} else {
		p.tx.Release()
	}
	p.op, p.typ, p.flags, p.dump, p.seq = "", 0, 0, false, 0
	p.batch, p.sent, p.done = false, 0, 0
	p.offs, p.states = p.offs[:0], p.states[:0]
	clear(p.errs)
	p.errs = p.errs[:0]
	p.final, p.err, p.abandoned = false, nil, false
	select {
	case <-p.signal:
	default:
	}
	c.stats.livePendings.Add(-1)
	pendingPool.Put(p)
}

// abandon is called by an owner that stops waiting before p is over (its
// context ended, its consumer stopped, the Conn closed). From then on the
// driver drops what arrives for p and frees it when the kernel is done.
func (c *Conn) abandon(p *pending) {
	p.mu.Lock()
	for i, b := range p.inbox {
		c.putBuf(b)
		p.inbox[i] = nil
	}
	p.inbox = p.inbox[:0]
	if p.final {
		p.mu.Unlock()
		c.recycle(p)
		return
	}
	p.abandoned = true
	p.mu.Unlock()
}
