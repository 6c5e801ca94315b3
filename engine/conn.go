package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/ring"
)

const (
	submitQueueLen = 4096
	minSlots       = 8
	maxSlots       = 64
	maxIovPerDgram = 64

	dumpChunksPerRead = 1

	// The reply budget is counted in units of 1 KiB of receive buffer, for
	// what the kernel queues before the driver reads it (measured on the
	// default 208 KiB buffer: 256 acks fill it, ~800 bytes each; 67
	// RTM_GETLINK replies with their acks, ~3.1 KB each). A batch message is
	// answered by an ack; a single request may return data; a dump chunk
	// holds up to 32 KiB of messages. Replies larger than this can still
	// overrun the buffer when many are in flight: that fails them with
	// ENOBUFS, never silently.
	unitsAck    = 1
	unitsSingle = 4
	unitsChunk  = 40
)

// costOf is what p holds of the reply budget while it is in flight. A dump
// holds half the budget and a chunk: the kernel builds its next chunk
// whenever a read (of anything) leaves the socket at most half full, so its
// chunks alone can fill the buffer that far, and others' replies need the
// rest.
func (c *Conn) costOf(p *pending) int {
	if p.dump {
		return c.budget/2 + unitsChunk
	}
	return unitsSingle
}

// Conn is a netlink connection to the kernel: one socket, its sequence table
// and its event loop. All methods are safe for concurrent use by many
// goroutines; requests from different goroutines are in flight together and
// are sent and received in shared batches.
type Conn struct {
	family nlmsg.Family
	fd     int
	epfd   int
	evfd   int
	portID uint32
	opts   options

	drive   chan struct{} // cap 1: holding its token makes a goroutine the driver
	closing chan struct{} // closed by Close
	closed  atomic.Bool

	fdMu      sync.RWMutex // guards fd lifetime against late wake-ups
	fdsClosed bool

	sleeping  atomic.Bool // the driver is (about to be) in epoll_wait
	nqWaiting atomic.Bool // a reader waits for notifications
	// listenerSized: AddMembership grew the receive buffer; rcvbufForced:
	// the receive buffer was set with SO_RCVBUFFORCE.
	listenerSized atomic.Bool
	rcvbufForced  atomic.Bool
	wakeFn        func()
	subq          *ring.Queue[*pending]

	bufSize atomic.Int64

	nq notifyQueue

	// rcvMu serialises Receive/Notifications consumers; rcvCur is the chunk
	// they are reading.
	rcvMu  sync.Mutex
	rcvCur *rxBuf

	stats counters

	// Extra dump sockets (see dumpsockets.go). dumpSem holds a token per
	// socket carrying a dump, nil when extra sockets are off; nsfd is the
	// namespace they are opened in.
	dumpSem     chan struct{}
	primaryDump atomic.Bool
	nsfd        int
	dumpMu      sync.Mutex // guards the fields below
	extras      []*Conn    // every open extra socket
	spare       []idleConn // the idle ones among them
	reaper      *time.Timer
	retired     Stats // counters of the extra sockets already closed

	// Everything below is owned by the driver.
	table      map[uint32]*pending
	batches    []*pending // batches with assigned sequence ranges
	nextSeq    uint32
	dumpActive *pending
	dumpQ      []*pending
	sendQ      []*pending
	drained    []*pending
	completed  int  // owners woken with a final result since the last flush
	inflight   int  // replies (acks, DONEs) expected from the kernel
	expect     int  // datagrams expected for the singles and batch messages in flight
	units      int  // reply budget held by what is in flight (see unitsAck)
	budget     int  // units that may be in flight at once without overrunning rcvbuf
	congested  bool // ENOBUFS seen and the socket not yet read empty: send nothing
	maxDgram   int

	txMsgs  []unix.Mmsghdr
	txIov   []unix.Iovec
	txParts []txDgram
	txSent  []*pending

	slots  int
	rxMsgs []unix.Mmsghdr
	rxIov  []unix.Iovec
	rxAddr []unix.RawSockaddrNetlink
	rxBufs []*rxBuf
	events [4]unix.EpollEvent
	// The context whose end wakes sleep, while registered (see sleep).
	wakeDone <-chan struct{}
	wakeStop func() bool
	evbuf    [8]byte
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

// Connect opens a netlink socket of the given family (the API's
// connect(family)). Close it when done (defer c.Close() is the API's
// `async with`). The context bounds only the setup.
func Connect(ctx context.Context, family nlmsg.Family, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return connect(ctx, family, o)
}

func connect(ctx context.Context, family nlmsg.Family, o options) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkDumpSockets(o.dumpSockets); err != nil {
		return nil, setupErr(family, err)
	}
	if o.bufSize < MinReadBufferSize {
		return nil, setupErr(family, fmt.Errorf("read buffer size %d is below the minimum of %d bytes", o.bufSize, MinReadBufferSize))
	}
	if o.netnsPath != "" && o.netnsFD >= 0 {
		return nil, setupErr(family, ErrNetNSConflict)
	}
	fd, port, err := openSocket(int(family), &o)
	if err != nil {
		return nil, setupErr(family, err)
	}
	c := &Conn{
		family:  family,
		fd:      fd,
		portID:  port,
		opts:    o,
		drive:   make(chan struct{}, 1),
		closing: make(chan struct{}),
		subq:    ring.New[*pending](submitQueueLen),
		table:   make(map[uint32]*pending),
		nextSeq: 1,
	}
	c.wakeFn = c.wake
	c.rcvbufForced.Store(o.rcvbufForced)
	c.keepNamespace()
	c.bufSize.Store(int64(o.bufSize))
	c.nq.init(o.notifyLimit)
	if err := c.setupPoll(); err != nil {
		unix.Close(fd)
		if c.nsfd >= 0 {
			unix.Close(c.nsfd)
		}
		return nil, setupErr(family, err)
	}
	rcv, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	snd, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	// Budget units are 1 KiB of receive buffer (see unitsAck): keep the
	// expected replies inside it so the kernel never drops one.
	c.budget = max(8, rcv/1024)
	c.maxDgram = max(4096, snd-32)
	c.growSlots(minSlots)
	return c, nil
}

func (c *Conn) setupPoll() error {
	var err error
	if c.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if c.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		unix.Close(c.epfd)
		return err
	}
	for _, fd := range []int{c.fd, c.evfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err = unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(c.epfd)
			unix.Close(c.evfd)
			return err
		}
	}
	return nil
}

// PortID returns the port id the kernel assigned to the socket (nl_pid).
func (c *Conn) PortID() uint32 { return c.portID }

// Family returns the netlink family the Conn speaks.
func (c *Conn) Family() nlmsg.Family { return c.family }

// AddMembership joins multicast group g (the API's add_membership). Groups
// above 32 work. Notifications arrive through Receive and Notifications.
// The first join of a Conn opened without WithReceiveBuffer or WithGroups
// also grows its receive buffer to ListenerReceiveBuffer (see
// WithReceiveBuffer).
func (c *Conn) AddMembership(g uint32) error {
	if err := c.sockopt("add membership", unix.NETLINK_ADD_MEMBERSHIP, int(g)); err != nil {
		return err
	}
	if c.opts.rcvbuf == 0 && len(c.opts.groups) == 0 && c.listenerSized.CompareAndSwap(false, true) {
		c.fdMu.RLock()
		defer c.fdMu.RUnlock()
		if c.fdsClosed {
			return c.opErr("add membership", 0, 0, net.ErrClosed)
		}
		forced, err := setBuf(c.fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, ListenerReceiveBuffer)
		if err != nil {
			return c.opErr("add membership", 0, 0, err) // setBuf names its syscall
		}
		c.rcvbufForced.Store(forced)
	}
	return nil
}

// ReceiveBuffer returns the socket's receive buffer size as the kernel
// reports it (SO_RCVBUF: twice what was asked, for its bookkeeping) and
// whether SO_RCVBUFFORCE set it; false means the size asked for was capped
// at net.core.rmem_max or never asked for. Safe for concurrent use.
func (c *Conn) ReceiveBuffer() (bytes int, forced bool) {
	c.fdMu.RLock()
	defer c.fdMu.RUnlock()
	if c.fdsClosed {
		return 0, false
	}
	n, _ := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	return n, c.rcvbufForced.Load()
}

// DropMembership leaves multicast group g.
func (c *Conn) DropMembership(g uint32) error {
	return c.sockopt("drop membership", unix.NETLINK_DROP_MEMBERSHIP, int(g))
}

func (c *Conn) sockopt(op string, opt, v int) error {
	c.fdMu.RLock()
	defer c.fdMu.RUnlock()
	if c.fdsClosed {
		return c.opErr(op, 0, 0, net.ErrClosed)
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_NETLINK, opt, v); err != nil {
		return c.opErr(op, 0, 0, os.NewSyscallError("setsockopt", err))
	}
	return nil
}

// wake interrupts a driver sleeping in epoll_wait.
func (c *Conn) wake() {
	c.fdMu.RLock()
	if !c.fdsClosed {
		unix.Write(c.evfd, eventfdOne[:])
	}
	c.fdMu.RUnlock()
}

// Close closes the connection. Every goroutine waiting on it returns an
// error that errors.Is net.ErrClosed; requests the kernel may already have
// applied are not rolled back. Close waits for a running driver to leave the
// socket, then frees the socket, the epoll set and the pooled buffers. No
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
	unix.Close(c.epfd)
	unix.Close(c.evfd)
	c.fdMu.Unlock()
	<-c.drive
	if err != nil {
		return c.opErr("close", 0, 0, os.NewSyscallError("close", err))
	}
	return nil
}

func (c *Conn) closedErr(op string) error { return c.opErr(op, 0, 0, net.ErrClosed) }

// getBuf takes a receive buffer of the Conn's current size from the shared
// pool. It is the caller's until putBuf.
func (c *Conn) getBuf() *rxBuf {
	b := takeBuf(int(c.bufSize.Load()))
	c.stats.liveBufs.Add(1)
	return b
}

func (c *Conn) putBuf(b *rxBuf) {
	c.stats.liveBufs.Add(-1)
	giveBuf(b)
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

// submit queues p for the driver and wakes a sleeping driver. Every pending
// taken from the pool is submitted once, so this is where it is counted as
// live; recycle uncounts it.
func (c *Conn) submit(ctx context.Context, p *pending) error {
	c.stats.livePendings.Add(1)
	for !c.subq.Push(p) {
		// The queue is full: take the driver role long enough to empty it.
		select {
		case c.drive <- struct{}{}:
			if !c.closed.Load() {
				c.flush()
			}
			<-c.drive
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closing:
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

// reapClosed finishes submissions that arrived after Close emptied the
// queue. The caller holds the driver token and c is closed.
func (c *Conn) reapClosed() {
	c.drained = c.subq.Drain(c.drained[:0])
	for i, p := range c.drained {
		c.drained[i] = nil
		c.finishClosed(p, c.closedErr(p.op))
	}
}

// readier is what a goroutine waits for: a pending request or the
// notification queue.
type readier interface{ ready() bool }

// await returns when w is ready, driving the socket itself whenever no one
// else is. It returns ctx.Err() or a closed error otherwise.
func (c *Conn) await(ctx context.Context, w readier, op string) error {
	done := ctx.Done()
	for {
		if w.ready() {
			return nil
		}
		if done != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if c.closed.Load() {
			return c.closedErr(op)
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

// sleep waits in epoll_wait for the socket to become readable, for a
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
	n, _ := unix.EpollWait(c.epfd, c.events[:], -1)
	c.sleeping.Store(false)
	for _, ev := range c.events[:max(n, 0)] {
		if ev.Fd == int32(c.evfd) {
			// Reset the eventfd counter. Only when it was written: a read
			// per wake-up would cost a syscall each time the socket wakes
			// the driver.
			_, _ = unix.Read(c.evfd, c.evbuf[:])
		}
	}
}

// stopWake ends the context registration sleep keeps. The caller holds the
// driver token.
func (c *Conn) stopWake() {
	if c.wakeStop != nil {
		c.wakeStop()
		c.wakeDone, c.wakeStop = nil, nil
	}
}

// allocSeq returns a sequence number that is not 0 and not in flight.
func (c *Conn) allocSeq() uint32 {
	for {
		s := c.nextSeq
		c.nextSeq++
		if s == 0 || c.table[s] != nil || c.batchFor(s) != nil {
			continue
		}
		return s
	}
}

// allocRange reserves n consecutive sequence numbers for a batch.
func (c *Conn) allocRange(n int) uint32 {
	for {
		base := c.nextSeq
		end := base + uint32(n)
		if base == 0 || end < base { // would include 0: restart after the wrap
			c.nextSeq = 1
			continue
		}
		clash := false
		for s := range c.table {
			if s-base < uint32(n) {
				clash = true
				break
			}
		}
		for _, b := range c.batches {
			if b.seq-base < uint32(n) || base-b.seq < uint32(len(b.offs)) {
				clash = true
			}
		}
		if clash {
			c.nextSeq = end
			continue
		}
		c.nextSeq = end
		return base
	}
}

// batchOpErr is the *OpError of op i of batch b failing with cause.
func (c *Conn) batchOpErr(b *pending, i int, cause error) *OpError {
	seq := b.seq
	if seq != 0 { // 0: the batch was never given its sequence numbers
		seq += uint32(i)
	}
	e := c.opErr("batch", c.batchType(b, i), seq, cause)
	e.Index = i
	return e
}

// batchType reads op i's message type back from b's encoded requests.
func (c *Conn) batchType(b *pending, i int) nlmsg.Type {
	h, _ := nlmsg.DecodeHeader(b.tx.Bytes()[b.offs[i]:])
	return h.Type
}

func (c *Conn) batchFor(seq uint32) *pending {
	for _, b := range c.batches {
		if seq-b.seq < uint32(len(b.offs)) {
			return b
		}
	}
	return nil
}

// flush moves submissions into the send queues and sends as much as the
// reply budget allows, in one sendmmsg.
func (c *Conn) flush() {
	c.drained = c.subq.Drain(c.drained[:0])
	for i, p := range c.drained {
		c.drained[i] = nil
		switch {
		case p.batch:
			p.seq = c.allocRange(len(p.offs))
			c.batches = append(c.batches, p)
		case p.dump && (c.dumpActive != nil || len(c.dumpQ) > 0):
			c.dumpQ = append(c.dumpQ, p)
		default:
			if p.dump {
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
			c.recycle(b)
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

// droppedBeforeSend frees a pending whose owner left before it was sent.
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
		c.recycle(p)
	}
	return ab
}

func (c *Conn) buildTx() {
	for _, d := range c.txParts {
		iovStart := len(c.txIov)
		if d.batch != nil {
			b := d.batch.tx.Bytes()[d.first : d.first+d.count]
			c.txIov = append(c.txIov, unix.Iovec{Base: &b[0], Len: uint64(len(b))})
		} else {
			for _, p := range c.txSent[d.first : d.first+d.count] {
				b := p.tx.Bytes()
				c.txIov = append(c.txIov, unix.Iovec{Base: &b[0], Len: uint64(len(b))})
			}
		}
		var m unix.Mmsghdr
		m.Hdr.Iovlen = uint64(len(c.txIov) - iovStart)
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
		if len(c.txMsgs)-sent == 1 {
			// One datagram: sendmsg is cheaper than sendmmsg's bookkeeping.
			call = "sendmsg"
			n, err = sendmsg(c.fd, &c.txMsgs[sent].Hdr)
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

// finish ends a single request that the driver tracks: it leaves the table
// and the budget, and its owner is woken (or it is freed if abandoned).
func (c *Conn) finish(p *pending, err error) {
	if c.table[p.seq] == p {
		delete(c.table, p.seq)
		c.inflight--
		c.units -= c.costOf(p)
		c.expect -= p.expect
	}
	if c.dumpActive == p {
		c.dumpActive = nil
		c.promoteDump()
	}
	c.settle(p, err, false)
}

// finishClosed ends p because the Conn closed; the closed error replaces any
// other.
func (c *Conn) finishClosed(p *pending, err error) { c.settle(p, err, true) }

// settle marks p final with err (an earlier error stays unless replace) and
// wakes its owner, or frees p if the owner has left.
func (c *Conn) settle(p *pending, err error, replace bool) {
	p.mu.Lock()
	if replace || p.err == nil {
		p.err = err
	}
	p.final = true
	ab := p.abandoned
	p.mu.Unlock()
	if ab {
		c.recycle(p)
		return
	}
	c.completed++
	p.wake()
}

func (c *Conn) promoteDump() {
	for len(c.dumpQ) > 0 {
		p := c.dumpQ[0]
		copy(c.dumpQ, c.dumpQ[1:])
		c.dumpQ[len(c.dumpQ)-1] = nil
		c.dumpQ = c.dumpQ[:len(c.dumpQ)-1]
		p.mu.Lock()
		ab := p.abandoned
		p.mu.Unlock()
		if ab {
			c.recycle(p)
			continue
		}
		c.dumpActive = p
		c.sendQ = append(c.sendQ, p)
		return
	}
}

// batchResult records the outcome of message i of batch b.
//
// It reports whether that ended the batch: b then belongs to its owner (or
// the pool) and the caller must not touch it again.
func (c *Conn) batchResult(b *pending, i int, err error) (over bool) {
	b.mu.Lock()
	if b.states[i] != msgSent {
		b.mu.Unlock()
		return false
	}
	b.states[i] = msgDone
	b.errs[i] = err
	b.done++
	c.inflight--
	c.units -= unitsAck
	c.expect--
	over = b.done == len(b.offs) || (b.abandoned && b.done == b.sent)
	ab := b.abandoned
	if over {
		b.final = true
	}
	b.mu.Unlock()
	if !over {
		return false
	}
	for j, x := range c.batches {
		if x == b {
			c.batches = append(c.batches[:j], c.batches[j+1:]...)
			c.batches = c.batches[:len(c.batches):len(c.batches)]
			break
		}
	}
	if ab {
		c.recycle(b)
		return true
	}
	b.wake()
	return true
}

func (c *Conn) growSlots(n int) {
	if n > maxSlots {
		n = maxSlots
	}
	if n <= c.slots {
		return
	}
	c.slots = n
	c.rxMsgs = make([]unix.Mmsghdr, n)
	c.rxIov = make([]unix.Iovec, n)
	c.rxAddr = make([]unix.RawSockaddrNetlink, n)
	bufs := make([]*rxBuf, n)
	copy(bufs, c.rxBufs)
	c.rxBufs = bufs
	for i, b := range bufs {
		if b != nil {
			c.rxIov[i].Base = &b.b[0] // receive sets the length
		}
	}
}

// receive reads what is queued on the socket with one recvmmsg and
// dispatches it. It returns how many datagrams it read.
func (c *Conn) receive() int {
	vlen := c.slots
	switch {
	case c.dumpActive != nil:
		// A dump's chunks are ~32 KiB each: reading many at once only
		// pushes them out of the CPU cache before they are parsed.
		// NB: at least 1: the dump may be active but not yet sent
		// (inflight 0) when finish promoted it from the queue.
		vlen = max(1, min(c.slots, dumpChunksPerRead+2*(c.inflight-1)))
	case c.inflight > 0 && !c.nqWaiting.Load():
		// Ask for as many datagrams as the requests in flight should bring
		// (see pending.expect): asking for more than are queued costs the
		// kernel a failed attempt.
		vlen = max(1, min(c.slots, c.expect))
	}
	want := c.bufSize.Load()
	for i := 0; i < vlen; i++ {
		b := c.rxBufs[i]
		if b != nil && int64(len(b.b)) < want {
			// Too small since a truncation grew the size.
			c.rxBufs[i] = nil
			c.putBuf(b)
			b = nil
		}
		if b == nil {
			b = c.getBuf()
			c.rxBufs[i] = b
			c.rxIov[i].Base = &b.b[0]
		}
		// NB: the Conn's size, not the buffer's (pooled buffers may be
		// larger): the kernel sizes dump chunks by what a read offers.
		c.rxIov[i].Len = uint64(want)
		m := &c.rxMsgs[i]
		m.Hdr.Name = (*byte)(unsafe.Pointer(&c.rxAddr[i]))
		m.Hdr.Namelen = unix.SizeofSockaddrNetlink
		m.Hdr.Iov = &c.rxIov[i]
		m.Hdr.Iovlen = 1
		m.Hdr.Flags = 0
		m.Len = 0
	}
	var n int
	var err error
	if vlen == 1 {
		var k int
		k, err = recvmsg(c.fd, &c.rxMsgs[0].Hdr)
		if err == nil {
			c.rxMsgs[0].Len = uint32(k)
			n = 1
		}
	} else {
		n, err = recvmmsg(c.fd, c.rxMsgs[:vlen])
	}
	c.stats.receiveCalls.Add(1)
	switch err {
	case nil:
	case unix.EAGAIN:
		if c.socketDrained() {
			return 1 // sending may resume: let the caller flush
		}
		return 0
	case unix.EINTR:
		return 0
	case unix.ENOBUFS:
		c.overrun()
		return 1 // something happened: let the caller look again
	default:
		// An unexpected socket error: report it to notification readers and
		// fail what is in flight, rather than spin.
		call := "recvmmsg"
		if vlen == 1 {
			call = "recvmsg"
		}
		err = os.NewSyscallError(call, err)
		c.failInflight(err)
		c.nq.report(c.opErr("receive", 0, 0, err))
		return 1
	}
	c.stats.datagramsReceived.Add(uint64(n))
	for i := 0; i < n; i++ {
		c.dispatch(i)
	}
	if n < vlen {
		c.socketDrained()
	}
	if n == vlen && vlen == c.slots && c.slots < maxSlots {
		c.growSlots(c.slots * 2)
	}
	return n
}

// dispatch routes datagram i of the last recvmmsg.
func (c *Conn) dispatch(i int) {
	sa := &c.rxAddr[i]
	m := &c.rxMsgs[i]
	buf := c.rxBufs[i]
	n := int(m.Len)
	if sa.Pid != 0 {
		// Only the kernel may answer; another socket is speaking for it.
		c.stats.droppedForeign.Add(1)
		return
	}
	if n > int(c.rxIov[i].Len) || m.Hdr.Flags&unix.MSG_TRUNC != 0 {
		c.truncated(buf.b, n, sa.Groups != 0)
		return
	}
	data := buf.b[:n]
	if sa.Groups != 0 {
		c.notify(data)
		return
	}
	// Classify: one owner for the whole datagram (the usual case), or not.
	s := nlmsg.NewScanner(data)
	var seq uint32
	first, same, sawErr, sawDone := true, true, false, false
	for s.Next() {
		v := s.View()
		if first {
			seq, first = v.Seq(), false
		} else if v.Seq() != seq {
			same = false
		}
		switch v.Type() {
		case nlmsg.Error:
			sawErr = true
		case nlmsg.Done:
			sawDone = true
		}
	}
	malformed := s.Err() != nil
	if first {
		// Not one well-formed message (empty, or a broken first header):
		// no one to tell.
		c.stats.droppedMalformed.Add(1)
		return
	}
	if !same || seq == 0 || c.table[seq] == nil {
		c.dispatchEach(data) // counts a malformed tail itself
		return
	}
	if malformed {
		c.stats.droppedMalformed.Add(1)
	}
	p := c.table[seq]
	terminal := sawErr || (p.dump && sawDone) || malformed
	c.stats.messagesDelivered.Add(1)
	p.mu.Lock()
	if !p.abandoned {
		buf.n = n
		p.inbox = append(p.inbox, buf)
		c.rxBufs[i] = nil
	} else {
		c.stats.droppedUnknownSeq.Add(1)
	}
	p.mu.Unlock()
	if terminal {
		c.finish(p, nil)
	} else {
		p.wake()
	}
}

// dispatchEach routes the messages of a datagram one by one, copying each:
// the slow path for datagrams that mix owners, notifications with sequence
// 0, batch acks and replies nobody waits for.
func (c *Conn) dispatchEach(data []byte) {
	s := nlmsg.NewScanner(data)
	for s.Next() {
		v := s.View()
		seq := v.Seq()
		if seq == 0 {
			c.notify(v.Bytes())
			continue
		}
		if p := c.table[seq]; p != nil {
			terminal := v.Type() == nlmsg.Error || (p.dump && v.Type() == nlmsg.Done)
			p.mu.Lock()
			if !p.abandoned {
				b := c.getBuf()
				b.n = copy(b.b, v.Bytes())
				p.inbox = append(p.inbox, b)
			}
			p.mu.Unlock()
			c.stats.messagesDelivered.Add(1)
			if terminal {
				c.finish(p, nil)
			} else {
				p.wake()
			}
			continue
		}
		if b := c.batchFor(seq); b != nil && v.Type() == nlmsg.Error {
			i := int(seq - b.seq)
			var err error
			body, perr := nlmsg.ParseError(v)
			switch {
			case perr != nil:
				err = c.batchOpErr(b, i, perr)
			case body.Errno != 0:
				e := c.kernelErr("batch", c.batchType(b, i), seq, body.Errno, &body.Ext)
				e.Index = i
				err = e
			}
			c.batchResult(b, i, err)
			continue
		}
		c.stats.droppedUnknownSeq.Add(1)
	}
	if s.Err() != nil {
		c.stats.droppedMalformed.Add(1)
	}
}

func (c *Conn) notify(data []byte) {
	// Only well-formed notifications are queued, so readers need not check.
	s := nlmsg.NewScanner(data)
	for s.Next() {
	}
	if s.Err() != nil || len(data) == 0 {
		c.stats.droppedMalformed.Add(1)
		return
	}
	c.stats.notifications.Add(1)
	if !c.nq.push(c, data) {
		c.stats.notificationsLost.Add(1)
	}
}

// truncated handles a datagram that did not fit: the data is gone, so the
// request it answered fails and the buffers grow for the next time.
func (c *Conn) truncated(b []byte, realLen int, group bool) {
	c.stats.truncated.Add(1)
	if size := int64(realLen); size > c.bufSize.Load() {
		grown := int64(1)
		for grown < size+4096 {
			grown <<= 1
		}
		// NB: the small buffers are replaced by the next receive, not here:
		// the rest of this recvmmsg batch still sits in them.
		c.bufSize.Store(grown)
	}
	h, ok := nlmsg.DecodeHeader(b)
	if group || !ok || h.Seq == 0 {
		c.nq.report(c.opErr("receive", h.Type, h.Seq, ErrDatagramTruncated))
		return
	}
	if p := c.table[h.Seq]; p != nil {
		err := c.opErr(p.op, p.typ, p.seq, ErrDatagramTruncated)
		if !p.dump {
			c.finish(p, err)
			return
		}
		// The kernel goes on with the dump: keep routing it until its DONE,
		// so the next dump does not meet EBUSY; the owner gets the error last.
		p.mu.Lock()
		if p.err == nil {
			p.err = err
		}
		p.mu.Unlock()
		return
	}
	if b := c.batchFor(h.Seq); b != nil {
		c.batchResult(b, int(h.Seq-b.seq), c.batchOpErr(b, int(h.Seq-b.seq), ErrDatagramTruncated))
	}
}

// overrun handles ENOBUFS: the kernel dropped datagrams for this socket.
// Dump chunks are never dropped (the kernel builds them only when there is
// room), but notifications, replies and acks may have been.
//
// NB: from the first drop until a read finds the socket empty, the kernel
// drops everything it would queue for this socket, and reports ENOBUFS only
// once (NETLINK_S_CONGESTED). So nothing is sent until then, or its replies
// would vanish and their requests wait forever; and the datagrams still
// queued, which came before the loss, are read first. socketDrained then
// fails the requests whose replies did not come and reports the loss to
// notification readers in its place.
func (c *Conn) overrun() {
	c.stats.overruns.Add(1)
	c.congested = true
}

// socketDrained is called when a read found the socket empty. It ends an
// overrun (see overrun) and reports whether there was one.
func (c *Conn) socketDrained() bool {
	if !c.congested {
		return false
	}
	c.congested = false
	// Every request that is not a dump was sent before the overrun was
	// seen, and what the kernel kept of its answer has now been read.
	// NB: the receive call's errno, not an NLMSG_ERROR: wrapped as such.
	lost := os.NewSyscallError("recvmsg", unix.ENOBUFS)
	c.failInflight(lost)
	c.nq.report(c.opErr("receive", 0, 0, lost))
	return true
}

func (c *Conn) failInflight(cause error) {
	for _, p := range c.table {
		if !p.dump {
			c.finish(p, c.opErr(p.op, p.typ, p.seq, cause))
		}
	}
	for _, b := range append([]*pending(nil), c.batches...) {
		for i, sent := 0, b.sent; i < sent; i++ {
			if c.batchResult(b, i, c.batchOpErr(b, i, cause)) {
				break // b is its owner's now
			}
		}
	}
}

var errStop = errors.New("stop")

// eventfdOne is the 8-byte counter increment written to wake the driver.
var eventfdOne = func() (b [8]byte) {
	binary.NativeEndian.PutUint64(b[:], 1)
	return b
}()
