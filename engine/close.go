//go:build linux

package engine

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Close closes the connection. Every goroutine waiting on it returns an
// error that errors.Is net.ErrClosed; requests the kernel may already have
// applied are not rolled back. Close waits for a running driver to leave the
// socket, then frees the socket, the eventfd and the pooled buffers. No
// goroutine is left behind. Closing twice returns an error.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.opErr("close", 0, 0, net.ErrClosed)
	}
	close(c.closing)
	c.wake()
	c.closeExtras()
	// NB: the token is given back at the end: a driver that takes it later
	// sees closed and leaves (driveFor); a late submitter reaps (submit).
	c.drive <- struct{}{}
	c.drained = c.subq.Drain(c.drained[:0])
	all := append(c.drained, c.sendQ...)
	all = append(all, c.dumpQ...)
	for _, p := range c.table {
		all = append(all, p)
	}
	all = append(all, c.batches...)
	for _, p := range all {
		c.finishClosed(p, c.opErr(p.op, p.typ, p.seq, net.ErrClosed))
	}
	clear(c.table)
	c.sendQ, c.dumpQ, c.batches, c.dumpActive = nil, nil, nil, nil
	c.stopWake()
	c.nq.close(c)
	// The chunk a reader was in the middle of; a reader still running (a
	// Notifications loop body may be what calls Close) frees it itself.
	if c.rcvMu.TryLock() {
		if b := c.rcvCur; b != nil {
			c.rcvCur = nil
			c.putBuf(b)
		}
		c.rcvMu.Unlock()
	}
	for i, b := range c.rxBufs {
		if b != nil {
			c.putBuf(b)
			c.rxBufs[i] = nil
		}
	}
	c.fdMu.Lock()
	c.fdsClosed = true
	err := unix.Close(c.fd)
	c.poll.close()
	c.fdMu.Unlock()
	<-c.drive
	if err != nil {
		return c.opErr("close", 0, 0, os.NewSyscallError("close", err))
	}
	return nil
}

func (c *Conn) closedErr(op string) error { return c.opErr(op, 0, 0, net.ErrClosed) }

// reapClosed finishes submissions that arrived after Close emptied the
// queue. The caller holds the driver token and c is closed.
func (c *Conn) reapClosed() {
	c.drained = c.subq.Drain(c.drained[:0])
	for i, p := range c.drained {
		c.drained[i] = nil
		c.finishClosed(p, c.closedErr(p.op))
	}
}
