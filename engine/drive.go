//go:build linux

package engine

import (
	"context"
	"errors"
	"runtime"
)

// wake interrupts a driver sleeping in poll.
func (c *Conn) wake() {
	c.fdMu.RLock()
	if !c.fdsClosed {
		c.poll.wake()
	}
	c.fdMu.RUnlock()
}

// submit queues p for the driver, which takes the second reference to it,
// and wakes a sleeping driver. On error p was not queued and the owner
// still holds the only reference.
func (c *Conn) submit(ctx context.Context, p *pending) error {
	// NB: before the push: the driver may finish p and unref it at once.
	p.refs = 2
	for !c.subq.Push(p) {
		// The queue is full: take the driver role long enough to empty it.
		select {
		case c.drive <- struct{}{}:
			if !c.closed.Load() {
				c.flush()
			}
			<-c.drive
		case <-ctx.Done():
			p.refs = 1
			return ctx.Err()
		case <-c.closing:
			p.refs = 1
			return c.closedErr(p.op)
		}
	}
	if c.closed.Load() {
		// Close may have emptied the queue before p was in it, and no
		// driver will come: finish what is left so that no one waits.
		c.drive <- struct{}{}
		c.reapClosed()
		<-c.drive
		return nil
	}
	if c.sleeping.Load() {
		c.wake()
	}
	return nil
}

// readier is what a goroutine waits for: a pending request or the
// notification queue.
type readier interface{ ready() bool }

// await returns when w is ready, driving the socket itself whenever no one
// else is. It returns ctx.Err() or a closed error otherwise.
func (c *Conn) await(ctx context.Context, w readier, op string) error {
	if p, ok := w.(*pending); ok && p.ahead.running {
		return c.awaitAhead(ctx, p, op)
	}
	done := ctx.Done()
	for {
		if ok, err := c.waitOver(ctx, w, op); ok {
			return err
		}
		// Fast path: nobody drives, so drive without a full select.
		select {
		case c.drive <- struct{}{}:
			err := c.driveFor(ctx, w, op)
			<-c.drive
			if err != nil {
				return err
			}
			continue
		default:
		}
		var sig chan struct{}
		switch w := w.(type) {
		case *pending:
			sig = w.signal
		case *notifyQueue:
			sig = w.signal
		}
		select {
		case <-sig:
		case c.drive <- struct{}{}:
			err := c.driveFor(ctx, w, op)
			<-c.drive
			if err != nil {
				return err
			}
		case <-done:
			return ctx.Err()
		case <-c.closing:
			return c.closedErr(op)
		}
	}
}

// waitOver reports whether a wait for w is over, and with what: nil when w
// is ready, ctx.Err() when the context ended, a closed error when the Conn
// closed.
func (c *Conn) waitOver(ctx context.Context, w readier, op string) (bool, error) {
	if w.ready() {
		return true, nil
	}
	if ctx.Done() != nil {
		if err := ctx.Err(); err != nil {
			return true, err
		}
	}
	if c.closed.Load() {
		return true, c.closedErr(op)
	}
	return false, nil
}

// driveFor runs the event loop until w is ready. The caller holds the driver
// token.
func (c *Conn) driveFor(ctx context.Context, w readier, op string) error {
	for {
		if c.closed.Load() {
			return c.closedErr(op)
		}
		if c.completed > 1 && c.subq.Len() < c.completed-1 {
			// The owners the last receive woke (one may be this goroutine)
			// usually submit again at once: yield once so that they run
			// and queue first, and one flush sends all of their requests.
			// A lone goroutine never yields; yielding more than once costs
			// more than it batches (BenchmarkGetLinkParallel).
			runtime.Gosched()
		}
		c.completed = 0
		c.flush()
		if w.ready() {
			return nil
		}
		if c.receive() > 0 {
			// NB: a socket that stays readable (a long batch, others'
			// traffic) never lets the loop reach the check below.
			if ctx.Done() != nil && ctx.Err() != nil && !w.ready() {
				return ctx.Err()
			}
			continue
		}
		if w.ready() {
			return nil
		}
		if ctx.Done() != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c.sleep(ctx)
	}
}

// sleep waits in poll for the socket to become readable, for a
// submission, for Close or for ctx to end.
func (c *Conn) sleep(ctx context.Context) {
	c.sleeping.Store(true)
	// NB: re-check after announcing the sleep: a submitter that pushed
	// before seeing sleeping=true did not wake us. And with nothing in
	// flight no reply will wake us either, so a request that finish or
	// droppedBeforeSend queued after flush's loop (a promoted dump) must
	// be sent first.
	if c.subq.Len() > 0 || c.closed.Load() || (len(c.sendQ) > 0 && c.units == 0) {
		c.sleeping.Store(false)
		return
	}
	if done := ctx.Done(); done != nil && done != c.wakeDone {
		// ctx ending must wake the sleep. The registration stays for the
		// next sleep under the same context (a Notifications loop sleeps
		// once per burst of events): registering costs allocations, and a
		// stale one costs at most one spurious wake-up.
		c.stopWake()
		c.wakeDone, c.wakeStop = done, context.AfterFunc(ctx, c.wakeFn)
	}
	c.poll.wait()
	c.sleeping.Store(false)
}

// stopWake ends the context registration sleep keeps. The caller holds the
// driver token.
func (c *Conn) stopWake() {
	if c.wakeStop != nil {
		c.wakeStop()
		c.wakeDone, c.wakeStop = nil, nil
	}
}

var errStop = errors.New("stop")
