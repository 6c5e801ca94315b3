//go:build linux

package engine

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/nlengine/nlengine/nlmsg"
)

// Requests from goroutines that find the Conn's socket busy run on extra
// sockets.
//
// The kernel answers one socket's requests one after the other, inside the
// system calls of whichever goroutine drives it, but answers different
// sockets' requests in parallel. So a request that is not a dump goes to
// the first socket of the Conn it finds idle, its own first, then its extra
// request sockets in order, and makes its round trip there alone (lone.go):
// no hand-off to another goroutine, and its kernel work runs on its own
// processor. Finding one costs a try of each busy socket's driver token. An
// extra request socket is the same kind of socket a dump borrows (see
// dumpsockets.go: same namespace and options, no multicast groups), opened
// when every open one is busy, up to WithRequestSockets-1 of them, and
// closed when it carried no request for dumpSocketIdle. With every socket
// busy, a request queues on the Conn's own socket, whose driver sends it
// with the others. A lone goroutine never finds its socket busy, and with
// GOMAXPROCS=1 there are no extra request sockets by default: the kernel
// could not run them in parallel, and the primary batches them.
//
// Batches stay on the primary (their order is the caller's), as do
// multicast membership and Receive. A Conn that has joined a multicast group
// keeps every request on its own socket: there the answer to a request comes
// after every notification queued before it, an order listeners rely on (a
// Noop as a barrier behind a storm of events), which another socket would
// not keep.

// defaultRequestSockets is WithRequestSockets' default: none extra with
// one processor; else four sockets in all for each processor Go may run
// on, at most 8. More sockets than processors, since a goroutine whose
// thread the OS preempts holds its socket meanwhile.
func defaultRequestSockets() int {
	if p := runtime.GOMAXPROCS(0); p > 1 {
		return min(4*p, 8)
	}
	return 1
}

// requestSlots are the Conn's extra request sockets: slot i holds nil
// until the socket is first needed, and again once the reaper closed it.
// Slots are loaded without a lock; dumpMu guards opening and closing them
// and seen.
type requestSlots struct {
	conns  []atomic.Pointer[Conn]
	seen   []uint64     // requests each had sent at the reaper's last visit
	usable atomic.Int32 // slots a request may try: fewer after an open failed
}

// requestOn runs one request that is not a dump on the first idle socket
// of the Conn (see above), like exchange, and returns the socket it ran
// on: buffers kept in *keep go back with that socket's putBuf.
func (c *Conn) requestOn(ctx context.Context, op string, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, keep *[]*rxBuf, fn func(nlmsg.View) error) (*Conn, error) {
	if len(c.reqs.conns) == 0 || c.pinRequests.Load() || c.listening.Load() {
		return c, c.exchange(ctx, op, typ, payload, flags, keep, fn)
	}
	var a loneAnswer
	t := c
	for i := 0; ; i++ {
		seq, p, st, err := t.lone(ctx, op, typ, payload, flags, &a)
		if st == loneSent {
			return t, t.finishLone(ctx, op, typ, seq, p, err, &a, keep, fn)
		}
		// NB: the Conn's own socket with work left (an abandoned dump or
		// batch still answered) and no driver gets this request's
		// goroutine as its driver, which reads that work out while it waits.
		if (t == c && st == loneNotIdle) || st == loneOff || i == int(c.reqs.usable.Load()) {
			break
		}
		if t = c.requestSocket(ctx, i); t == nil {
			break
		}
	}
	// Every socket is busy, or the Conn's own has work left (or closed, or
	// ctx ended, which start reports): queue on the Conn's own. NB: not
	// exchange, whose lone round trip was tried on it already.
	return c, c.queued(ctx, op, typ, payload, flags, keep, fn)
}

// requestSocket returns extra request socket i, opening it if it is not
// open, or nil when it cannot be opened or the Conn closed.
func (c *Conn) requestSocket(ctx context.Context, i int) *Conn {
	if x := c.reqs.conns[i].Load(); x != nil {
		return x
	}
	c.dumpMu.Lock()
	defer c.dumpMu.Unlock()
	if x := c.reqs.conns[i].Load(); x != nil {
		return x
	}
	x, err := c.openExtra(ctx)
	if err != nil || x == nil {
		// NB: not retried at every request (opening runs under dumpMu);
		// the reaper gives the slots back.
		c.reqs.usable.Store(int32(i))
		c.armReaper()
		return nil
	}
	c.reqs.conns[i].Store(x)
	c.reqs.seen[i] = 0
	c.armReaper()
	return x
}

// reapRequestSockets closes the extra request sockets that carried no
// request since the reaper's last visit, and reports whether some remain
// open. The caller holds dumpMu and closes what it appends to old.
func (c *Conn) reapRequestSockets(old *[]*Conn) (open bool) {
	c.reqs.usable.Store(int32(len(c.reqs.conns)))
	for i := range c.reqs.conns {
		x := c.reqs.conns[i].Load()
		if x == nil {
			continue
		}
		if n := x.ownStats().RequestsSent; n != c.reqs.seen[i] {
			c.reqs.seen[i] = n
			open = true
			continue
		}
		// NB: under x's driver token, so that no request is on it when its
		// slot empties; one that loaded it before finds it closed and goes
		// elsewhere.
		select {
		case x.drive <- struct{}{}:
		default:
			open = true
			continue
		}
		idle := x.idle()
		if idle {
			c.reqs.conns[i].Store(nil)
		}
		<-x.drive
		if !idle {
			open = true
			continue
		}
		c.forgetExtra(x)
		*old = append(*old, x)
	}
	return open
}
