package engine

import (
	"context"
	"iter"
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// notifyQueue holds notifications the driver read until Receive or
// Notifications takes them: pooled chunks of messages copied back to back,
// bounded in bytes. Losses (kernel ENOBUFS, a full queue, truncation) are
// remembered and reported once to the next reader.
type notifyQueue struct {
	signal chan struct{}

	mu     sync.Mutex
	chunks []*rxBuf
	bytes  int
	limit  int
	lossOf error // the loss to report next, if any
	closed bool
}

func (q *notifyQueue) init(limit int) {
	q.signal = make(chan struct{}, 1)
	q.limit = limit
}

func (q *notifyQueue) ready() bool {
	q.mu.Lock()
	r := len(q.chunks) > 0 || q.lossOf != nil || q.closed
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
		if q.lossOf == nil {
			q.lossOf = opErr("receive", 0, 0, ErrOverrun)
		}
		q.mu.Unlock()
		q.wake()
		return false
	}
	var tail *rxBuf
	if k := len(q.chunks); k > 0 {
		tail = q.chunks[k-1]
	}
	if tail == nil || len(tail.b)-tail.n < nlmsg.Align(len(data)) {
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
	tail.n = end
	q.bytes += len(data)
	q.mu.Unlock()
	q.wake()
	return true
}

// report records a loss for the next reader.
func (q *notifyQueue) report(err error) {
	q.mu.Lock()
	if q.lossOf == nil {
		q.lossOf = err
	}
	q.mu.Unlock()
	q.wake()
}

// pop takes the oldest chunk, or the pending loss report.
func (q *notifyQueue) pop() (*rxBuf, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.lossOf; err != nil {
		q.lossOf = nil
		return nil, err
	}
	if len(q.chunks) == 0 {
		return nil, nil
	}
	b := q.chunks[0]
	copy(q.chunks, q.chunks[1:])
	q.chunks[len(q.chunks)-1] = nil
	q.chunks = q.chunks[:len(q.chunks)-1]
	q.bytes -= b.n
	return b, nil
}

func (q *notifyQueue) close(c *Conn) {
	q.mu.Lock()
	for i, b := range q.chunks {
		c.putBuf(b)
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
		if b := c.rcvCur; b != nil {
			if b.off < b.n {
				v, err := nlmsg.ViewOf(b.b[b.off:b.n])
				if err != nil { // cannot happen: push only queues checked data
					b.off = b.n
					return nlmsg.View{}, opErr("receive", 0, 0, err)
				}
				b.off += nlmsg.Align(v.Len())
				return v, nil
			}
			c.rcvCur = nil
			c.putBuf(b)
		}
		if c.closed.Load() {
			return nlmsg.View{}, c.closedErr("receive")
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

// Receive returns the next unsolicited message (the API's receive()): a
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

// Notifications yields unsolicited messages in place, like Receive but
// without copying: each View points into a pooled buffer and is valid only
// until the loop body returns. A loss is yielded as (zero View, error) and
// the loop goes on; the iteration ends when ctx ends or the Conn closes,
// after yielding that error. While it runs, other Receive callers wait.
// It does not allocate per message.
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
