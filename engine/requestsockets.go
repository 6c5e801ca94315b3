//go:build linux

package engine

import (
	"context"
	"runtime"
)

// Requests from goroutines that find the Conn's driver busy run on extra
// sockets.
//
// The kernel answers one socket's requests one after the other, inside the
// system calls of whichever goroutine drives it, but answers different
// sockets' requests in parallel. So a request that is not a dump, finding
// the primary's driver token taken, borrows an idle extra socket of the
// Conn (the same kind of socket a dump borrows, see dumpsockets.go: same
// namespace and options, no multicast groups, opened on demand, closed
// after dumpSocketIdle unused) and drives it alone: no hand-off to another
// goroutine, and its kernel work runs on its own processor. At most
// WithRequestSockets-1 requests borrow one at a time; past that, a request
// queues on the primary, whose driver sends it with the others. A lone
// goroutine never finds the driver busy, and with GOMAXPROCS=1 there are no
// extra request sockets by default: the kernel could not run them in
// parallel, and the primary batches them.
//
// Batches stay on the primary (their order is the caller's), as do
// multicast membership and Receive. A Conn that has joined a multicast group
// keeps every request on its own socket: there the answer to a request comes
// after every notification queued before it, an order listeners rely on (a
// Noop as a barrier behind a storm of events), which another socket would
// not keep.

// defaultRequestSockets is WithRequestSockets' default: none extra with
// one processor; else four sockets in all for each processor Go may run
// on, at most 8. More sockets than processors, since a borrower whose thread
// the OS preempts holds its socket meanwhile.
func defaultRequestSockets() int {
	if p := runtime.GOMAXPROCS(0); p > 1 {
		return min(4*p, 8)
	}
	return 1
}

// requestSocket picks the socket for a request that is not a dump: c itself
// while its driver is free or no extra socket may be borrowed, else an idle
// or new extra socket, borrowed alone. Give it back with putRequestSocket.
func (c *Conn) requestSocket(ctx context.Context) *Conn {
	if c.reqSem == nil || len(c.drive) == 0 || c.pinRequests.Load() || c.listening.Load() {
		return c
	}
	select {
	case c.reqSem <- struct{}{}:
	default:
		return c
	}
	x, err := c.takeExtra(ctx)
	if err != nil || x == nil {
		<-c.reqSem
		return c // closed (c says so), or no socket could be opened
	}
	return x
}

// putRequestSocket gives back what requestSocket returned.
func (c *Conn) putRequestSocket(x *Conn) {
	if x == c {
		return
	}
	c.putExtra(x)
	<-c.reqSem
}
