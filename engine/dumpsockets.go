//go:build linux

package engine

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Dumps beyond the first run on extra sockets.
//
// The kernel runs one dump per socket at a time, and a dump's chunks are
// read by whichever goroutine drives the socket. A second dump queued on the
// primary socket behind a dump whose reader is busy (a Dump started inside
// another Dump's loop) would have its driver read the whole first dump into
// memory before its own could start. So a dump that finds the primary's dump
// slot taken runs on an extra socket of its own: same namespace, same
// options but no multicast groups, opened on demand, kept while dumps come,
// closed after dumpSocketIdle without one. Only the dump's own goroutine
// drives an extra socket, so every dump is read at its reader's pace and
// memory stays flat.
//
// Lock order: dumpMu is taken alone, never with another lock of c held.
// An extra socket is opened under it (so that Close cannot close the
// namespace handle under the open) and closed outside it.

// dumpSocketIdle is how long an extra dump socket stays open unused.
var dumpSocketIdle = time.Second

// dumpLease says where a request runs and what it holds.
type dumpLease struct {
	conn *Conn
	slot uint8
}

const (
	leaseNone    uint8 = iota // not a dump, or extra sockets are off
	leasePrimary              // holds the primary's dump slot
	leaseExtra                // holds an extra socket
	leaseQueued               // holds a slot but queues on the primary (no extra socket could be opened)
)

// dumpSocket picks the socket for a request of type typ with flags: c itself
// for anything that is not a dump; for a dump, the primary when its dump
// slot is free, else an extra socket, waiting (bounded by ctx) while
// WithDumpSockets' limit is reached. The lease must be given back with
// endDump when the request is over.
func (c *Conn) dumpSocket(ctx context.Context, op string, typ nlmsg.Type, flags nlmsg.Flags) (dumpLease, error) {
	if c.dumpSem == nil || !isDumpRequest(c.family, typ, flags) {
		return dumpLease{conn: c}, nil
	}
	select {
	case c.dumpSem <- struct{}{}:
	default:
		select {
		case c.dumpSem <- struct{}{}:
		case <-ctx.Done():
			return dumpLease{}, ctx.Err()
		case <-c.closing:
			return dumpLease{}, c.closedErr(op)
		}
	}
	if c.primaryDump.CompareAndSwap(false, true) {
		return dumpLease{conn: c, slot: leasePrimary}, nil
	}
	x, err := c.takeExtra(ctx)
	if err != nil {
		<-c.dumpSem
		return dumpLease{}, err
	}
	if x == nil {
		return dumpLease{conn: c, slot: leaseQueued}, nil
	}
	return dumpLease{conn: x, slot: leaseExtra}, nil
}

// endDump gives back what dumpSocket leased.
func (c *Conn) endDump(l dumpLease) {
	switch l.slot {
	case leaseNone:
		return
	case leasePrimary:
		c.primaryDump.Store(false)
	case leaseExtra:
		c.putExtra(l.conn)
	}
	<-c.dumpSem
}

// takeExtra returns an idle extra socket or opens one. It returns nil, nil
// when none can be opened (too many files, say): the dump then queues on the
// primary, as with WithDumpSockets(1).
func (c *Conn) takeExtra(ctx context.Context) (*Conn, error) {
	c.dumpMu.Lock()
	if n := len(c.spare); n > 0 {
		x := c.spare[n-1].conn
		c.spare[n-1] = idleConn{}
		c.spare = c.spare[:n-1]
		c.dumpMu.Unlock()
		return x, nil
	}
	defer c.dumpMu.Unlock()
	return c.openExtra(ctx)
}

// openExtra opens an extra socket: in the Conn's namespace, with its
// options but no groups. It returns nil, nil when none can be opened. The
// caller holds dumpMu.
func (c *Conn) openExtra(ctx context.Context) (*Conn, error) {
	// NB: opened under dumpMu, so that Close cannot close nsfd under the
	// setns that uses it; opening takes tens of microseconds.
	if c.closed.Load() {
		return nil, c.closedErr("dump")
	}
	o := c.opts
	o.groups, o.netnsPath, o.netnsFD, o.dumpSockets, o.requestSockets = nil, "", c.nsfd, 1, 1
	x, err := connect(ctx, c.family, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil
	}
	c.extras = append(c.extras, x)
	return x, nil
}

// idleConn is an extra socket waiting for a dump, and since when.
type idleConn struct {
	conn  *Conn
	since time.Time
}

// putExtra keeps x for the next dump, or closes it if c closed meanwhile.
func (c *Conn) putExtra(x *Conn) {
	c.dumpMu.Lock()
	if c.closed.Load() {
		c.dumpMu.Unlock()
		return // Close closes every extra socket
	}
	c.spare = append(c.spare, idleConn{conn: x, since: time.Now()})
	c.armReaper()
	c.dumpMu.Unlock()
}

// armReaper makes sure reapIdle will run. The caller holds dumpMu.
//
// NB: armed once, not reset per use: the reaper comes back while extra
// sockets remain.
func (c *Conn) armReaper() {
	if c.reaper == nil {
		c.reaper = time.AfterFunc(dumpSocketIdle, c.reapIdle)
		c.reaperArmed = true
	} else if !c.reaperArmed {
		c.reaper.Reset(dumpSocketIdle)
		c.reaperArmed = true
	}
}

// reapIdle closes the extra sockets that have not carried a dump for
// dumpSocketIdle, and comes back while some remain.
func (c *Conn) reapIdle() {
	var old []*Conn
	c.dumpMu.Lock()
	if c.closed.Load() {
		c.dumpMu.Unlock()
		return
	}
	keep := c.spare[:0]
	for _, s := range c.spare {
		if time.Since(s.since) >= dumpSocketIdle {
			old = append(old, s.conn)
			c.forgetExtra(s.conn)
		} else {
			keep = append(keep, s)
		}
	}
	clear(c.spare[len(keep):])
	c.spare = keep
	requests := c.reapRequestSockets(&old)
	c.reaperArmed = len(c.spare) > 0 || requests
	if c.reaperArmed {
		c.reaper.Reset(dumpSocketIdle)
	}
	c.dumpMu.Unlock()
	for _, x := range old {
		x.Close()
	}
}

// forgetExtra removes x from the live extra sockets and keeps its counters.
// The caller holds dumpMu.
func (c *Conn) forgetExtra(x *Conn) {
	for i, e := range c.extras {
		if e == x {
			c.extras = append(c.extras[:i], c.extras[i+1:]...)
			break
		}
	}
	c.retired.add(x.Stats())
}

// closeExtras closes every extra socket, idle or carrying a dump (whose
// reader then gets net.ErrClosed), and the namespace handle. Called by
// Close once c is marked closed, so no extra socket is added afterwards.
func (c *Conn) closeExtras() {
	c.dumpMu.Lock()
	all := c.extras
	c.extras, c.spare = nil, nil
	if c.reaper != nil {
		c.reaper.Stop()
	}

	for _, x := range all {
		c.retired.add(x.Stats())
	}
	if c.nsfd >= 0 {
		unix.Close(c.nsfd)
		c.nsfd = -1
	}
	c.dumpMu.Unlock()
	for _, x := range all {
		x.Close()
	}
}

// keepNamespace opens a handle on the namespace the socket lives in, for
// the extra sockets. Without one (no /proc, say), extra sockets are off.
func (c *Conn) keepNamespace() {
	c.nsfd = -1
	if c.opts.dumpSockets <= 1 && c.opts.requestSockets <= 1 {
		return
	}
	var fd int
	var err error
	switch {
	case c.opts.netnsPath != "":
		fd, err = unix.Open(c.opts.netnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	case c.opts.netnsFD >= 0:
		fd, err = unix.FcntlInt(uintptr(c.opts.netnsFD), unix.F_DUPFD_CLOEXEC, 0)
	default:
		// NB: the thread that just created the socket: a goroutine that
		// moved its locked thread into another namespace made it there.
		fd, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return
	}
	c.nsfd, c.extrasOn = fd, true
	if c.opts.dumpSockets > 1 {
		c.dumpSem = make(chan struct{}, c.opts.dumpSockets)
	}
	if n := c.opts.requestSockets - 1; n > 0 {
		c.reqs.conns = make([]atomic.Pointer[Conn], n)
		c.reqs.seen = make([]uint64, n)
		c.reqs.usable.Store(int32(n))
	}
}

// Stats returns a snapshot of the Conn's counters, its extra dump sockets'
// included. Safe for concurrent use.
func (c *Conn) Stats() Stats {
	st := c.ownStats()
	if !c.extrasOn {
		return st
	}
	c.dumpMu.Lock()
	st.add(c.retired)
	extras := append([]*Conn(nil), c.extras...)
	c.dumpMu.Unlock()
	for _, x := range extras {
		st.add(x.ownStats())
	}
	return st
}
