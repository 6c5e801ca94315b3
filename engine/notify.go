//go:build linux

package engine

import (
	"context"
	"iter"
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// notifyQueue holds notifications the driver read until Receive or
// Notifications takes them: pooled chunks of messages copied back to back,
// bounded in bytes. A loss (kernel ENOBUFS, a full queue, truncation) is a
// marker in the same stream, at the place where it happened, so a reader
// sees every notification that came before it first: one that resyncs on
// the loss must not then apply older events on top of its fresh dump.
// Consecutive losses with no notification between them are reported once.
type notifyQueue struct {
	signal chan struct{}

	mu     sync.Mutex
	chunks []*rxBuf // data chunks and loss markers (b nil, err set), in order
	bytes  int
	limit  int
	closed bool
}

func (q *notifyQueue) init(limit int) {
	q.signal = make(chan struct{}, 1)
	q.limit = limit
}

func (q *notifyQueue) ready() bool {
	q.mu.Lock()
	r := len(q.chunks) > 0 || q.closed
	q.mu.Unlock()
	return r
}

func (q *notifyQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// push copies a datagram's messages into the queue. It reports false, and
// records an overrun, when the queue is full.
func (q *notifyQueue) push(c *Conn, data []byte) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return true
	}
	if q.bytes+len(data) > q.limit {
		q.markLocked(c.opErr("receive", 0, 0, ErrOverrun))
		q.mu.Unlock()
		q.wake()
		return false
	}
	var tail *rxBuf
	if k := len(q.chunks); k > 0 {
		tail = q.chunks[k-1]
	}
	if tail == nil || tail.err != nil || len(tail.b)-tail.n < nlmsg.Align(len(data)) {
		tail = c.getBuf()
		if len(tail.b) < len(data) {
			tail.b = make([]byte, nlmsg.Align(len(data)))
		}
		q.chunks = append(q.chunks, tail)
	}
	copy(tail.b[tail.n:], data)
	// Keep each datagram aligned so the chunk scans as one message stream.
	end := tail.n + nlmsg.Align(len(data))
	clear(tail.b[tail.n+len(data) : end])
	q.bytes += end - tail.n // what pop takes off again: the padded size
	tail.n = end
	q.mu.Unlock()
	q.wake()
	return true
}

// report records a loss after the notifications queued so far.
func (q *notifyQueue) report(err error) {
	q.mu.Lock()
	if !q.closed {
		q.markLocked(err)
	}
	q.mu.Unlock()
	q.wake()
}

// markLocked appends a loss marker, unless the stream already ends with one.
// The caller holds q.mu.
func (q *notifyQueue) markLocked(err error) {
	if k := len(q.chunks); k > 0 && q.chunks[k-1].err != nil {
		return
	}
	q.chunks = append(q.chunks, &rxBuf{err: err})
}

// pop takes the oldest chunk, or returns the loss marked at its place.
func (q *notifyQueue) pop() (*rxBuf, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.chunks) == 0 {
		return nil, nil
	}
	b := q.chunks[0]
	copy(q.chunks, q.chunks[1:])
	q.chunks[len(q.chunks)-1] = nil
	q.chunks = q.chunks[:len(q.chunks)-1]
	if b.err != nil {
		return nil, b.err
	}
	q.bytes -= b.n
	return b, nil
}

func (q *notifyQueue) close(c *Conn) {
	q.mu.Lock()
	for i, b := range q.chunks {
		if b.err == nil {
			c.putBuf(b)
		}
		q.chunks[i] = nil
	}
	q.chunks = q.chunks[:0]
	q.bytes = 0
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

// nextNotification returns the next queued notification in place, waiting
// (and driving the socket) if there is none. The View is valid until the next
// call. The caller holds c.rcvMu.
func (c *Conn) nextNotification(ctx context.Context) (nlmsg.View, error) {
	for {
		// NB: closed first: after Close nothing is returned, not even the
		// rest of the chunk being read, which goes back to the pool.
		if c.closed.Load() {
			if b := c.rcvCur; b != nil {
				c.rcvCur = nil
				c.putBuf(b)
			}
			return nlmsg.View{}, c.closedErr("receive")
		}
		if b := c.rcvCur; b != nil {
			if b.off < b.n {
				v, err := nlmsg.ViewOf(b.b[b.off:b.n])
				if err != nil { // cannot happen: push only queues checked data
					b.off = b.n
					return nlmsg.View{}, c.opErr("receive", 0, 0, err)
				}
				b.off += nlmsg.Align(v.Len())
				return v, nil
			}
			c.rcvCur = nil
			c.putBuf(b)
		}
		b, err := c.nq.pop()
		if err != nil {
			return nlmsg.View{}, err
		}
		if b != nil {
			c.rcvCur = b
			continue
		}
		c.nqWaiting.Store(true)
		err = c.await(ctx, &c.nq, "receive")
		c.nqWaiting.Store(false)
		if err != nil {
			return nlmsg.View{}, err
		}
	}
}

// Receive returns the next unsolicited message: a
// multicast notification of a group the Conn joined, or a message the kernel
// sent with sequence number 0. The Message is an owned copy. Losses are
// reported in order as errors that errors.Is unix.ENOBUFS (the kernel dropped
// notifications) or ErrOverrun (the Conn's queue was full); receiving goes
// on after them.
func (c *Conn) Receive(ctx context.Context) (nlmsg.Message, error) {
	c.rcvMu.Lock()
	defer c.rcvMu.Unlock()
	v, err := c.nextNotification(ctx)
	if err != nil {
		return nlmsg.Message{}, err
	}
	return v.Message(), nil
}

// Notifications yields unsolicited messages, like Receive but without a
// copy per call: each notification was copied once, when the driver read
// it, into a pooled chunk of the Conn's notification queue (so that the
// receive buffers go back to the socket at once), and each View points into
// that chunk. A View is valid only until the loop body returns. A loss is
// yielded as (zero View, error) and the loop goes on; the iteration ends
// when ctx ends or the Conn closes, after yielding that error. While it
// runs, other Receive callers wait. It does not allocate per message.
func (c *Conn) Notifications(ctx context.Context) iter.Seq2[nlmsg.View, error] {
	return func(yield func(nlmsg.View, error) bool) {
		c.rcvMu.Lock()
		defer c.rcvMu.Unlock()
		for {
			v, err := c.nextNotification(ctx)
			if err != nil {
				if !yield(nlmsg.View{}, err) || ctx.Err() != nil || c.closed.Load() {
					return
				}
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}
