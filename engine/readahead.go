//go:build linux

package engine

import (
	"context"
	"runtime"
	"sync/atomic"
)

// readers is how many readers run in the process; aheadStarts counts the
// readers started and readersPeak the most that ran at once, for tests.
var readers, aheadStarts, readersPeak atomic.Int64

// Dump read-ahead.
//
// The kernel builds a dump's next chunk inside the recvmsg call that reads
// the previous one (netlink_recvmsg calls netlink_dump), so a Dump whose
// loop body decodes each chunk before reading the next leaves the kernel's
// work and the caller's in series on one goroutine. With read-ahead, a
// second goroutine (the reader) drives the dump's socket while the loop body
// works on the chunk in hand: it reads the next chunk into another pooled
// receive buffer, and the kernel builds the one after it meanwhile, on
// another processor.
//
// Memory stays flat: the reader stops while aheadDepth chunks wait in the
// pending's inbox, and gives the driver token back while it waits for the
// owner to take one, so that other requests on the socket go on. The
// reader starts only once the owner took the dump's second chunk and more
// are coming (a dump that fits one chunk never starts it), and only when
// GOMAXPROCS > 1: with one processor it could only take turns with the
// loop body.
//
// Ownership: the reader drives like any other goroutine (doc.go's token
// rules) and touches the pending only under its mu. It never outlives its
// owner's hold on the pending: the owner, before it lets go (release or
// abandon), tells the reader to stop and waits for it (stopAhead), so the
// pending needs no third reference and no goroutine is left when the
// owner returns. The reader leaves as soon as the pending is final or
// abandoned, its context ends or the Conn closes.

// aheadDepth is how many chunks the reader reads before the owner takes
// them: one is decoded, the next waits, the one after is being built by
// the kernel.
const aheadDepth = 2

// aheadState is a pending's read-ahead. The owner arms it before it
// consumes; every field is the owner's except where noted.
type aheadState struct {
	armed   bool // start a reader when the first chunk is taken and more come
	running bool // a reader was started and has not been stopped yet
	taken   int  // chunks taken before the reader started

	// Read by the reader from its start until it signals exited.
	c   *Conn // the socket the dump runs on
	ctx context.Context

	room   chan struct{} // cap 1: the owner took a chunk, or asks the reader to stop
	exited chan struct{} // cap 1: the reader left
	run    func()        // the reader, made once per pooled pending (no allocation per dump)
}

// DumpReadsAhead reports whether Dump reads ahead on c now: read-ahead is
// on (WithDumpReadAhead) and GOMAXPROCS > 1. A caller that would otherwise
// overlap its own decoding with the dump on another goroutine can leave
// that to Dump. Safe for concurrent use.
func (c *Conn) DumpReadsAhead() bool {
	return !c.opts.noReadAhead && runtime.GOMAXPROCS(0) > 1
}

// armAhead prepares p, a dump the owner is about to consume from c (t, the
// socket the dump runs on), for read-ahead if c allows it.
func (c *Conn) armAhead(ctx context.Context, t *Conn, p *pending) {
	if !c.DumpReadsAhead() {
		return
	}
	a := &p.ahead
	if a.run == nil {
		a.room = make(chan struct{}, 1)
		a.exited = make(chan struct{}, 1)
		a.run = p.readAhead
	}
	a.armed, a.c, a.ctx = true, t, ctx
}

// tookChunk is called by the owner, under p.mu, each time it takes a chunk
// from p's inbox: at the second, while the dump goes on, it starts the
// reader; from then on it tells the reader there is room.
func (p *pending) tookChunk() {
	a := &p.ahead
	if a.running {
		kick(a.room)
		return
	}
	// NB: not at the first chunk: a short dump's data comes in one chunk
	// and its NLMSG_DONE in a second (the kernel ends a dump in the
	// recvmsg after its last chunk), which a reader would only slow down.
	if a.taken++; a.taken < 2 || p.final || p.abandoned {
		return
	}
	a.armed = false
	// NB: a reader needs a processor of its own to gain anything: dumps
	// beyond half the processors (two at once on two cores, say) already
	// keep them busy, and a reader would only add hand-offs.
	n := readers.Add(1)
	if n > int64(max(1, runtime.GOMAXPROCS(0)/2)) {
		readers.Add(-1)
		return
	}
	raisePeak(n)
	a.running = true
	aheadStarts.Add(1)
	go a.run()
}

// raisePeak records that n readers run at once, if no more ran before.
func raisePeak(n int64) {
	for {
		peak := readersPeak.Load()
		if n <= peak || readersPeak.CompareAndSwap(peak, n) {
			return
		}
	}
}

// ended reports whether the dump's context ended. The owner asks before it
// takes each chunk: without read-ahead the chunk after a cancellation is
// never read, and with it the owner must not see the chunks read ahead.
func (a *aheadState) ended() bool {
	return a.ctx.Done() != nil && a.ctx.Err() != nil
}

// cutAhead drops the chunks read ahead for an owner whose context ended,
// under p.mu, and answers next for it: not over, so that the owner's wait
// returns ctx.Err(); or, if the dump is over already, over with ctx.Err().
func (p *pending) cutAhead() (*rxBuf, bool, error) {
	p.ahead.c.dropInbox(p)
	if p.final {
		return nil, true, p.ahead.ctx.Err()
	}
	return nil, false, nil
}

// stopAhead stops p's reader, if one runs, and waits for it to leave. The
// owner calls it before it lets go of p, after p is final or abandoned,
// holding nothing.
func (c *Conn) stopAhead(p *pending) {
	a := &p.ahead
	if !a.running {
		return
	}
	kick(a.room)
	if p.abandoned {
		// The reader may be asleep in poll waiting for a chunk that will
		// no longer be wanted (NB: abandoned is the owner's own write, so
		// reading it here needs no lock). Waking a poll no one sleeps in
		// costs one spurious wake-up of a later one.
		a.c.wake()
	}
	<-a.exited
	a.running = false
}

// reset clears what armAhead set, when p goes back to its pool. The
// channels and run stay with the pooled pending.
func (a *aheadState) reset() {
	a.armed, a.running, a.taken, a.c, a.ctx = false, false, 0, nil, nil
	select {
	case <-a.room:
	default:
	}
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// aheadWant is what the reader drives for: p has aheadDepth chunks waiting,
// or is over, or its owner left.
type aheadWant pending

func (w *aheadWant) ready() bool {
	p := (*pending)(w)
	p.mu.Lock()
	r := p.final || p.abandoned || len(p.inbox) >= aheadDepth
	p.mu.Unlock()
	return r
}

// readAhead is the reader's goroutine (see the top of the file).
func (p *pending) readAhead() {
	a := &p.ahead
	c, ctx := a.c, a.ctx
	done := ctx.Done()
	for {
		p.mu.Lock()
		stop := p.final || p.abandoned
		full := len(p.inbox) >= aheadDepth
		p.mu.Unlock()
		if stop || c.closed.Load() {
			break
		}
		if full {
			select {
			case <-a.room:
				continue
			case <-done:
			case <-c.closing:
			}
			break
		}
		select {
		case c.drive <- struct{}{}:
			err := c.driveFor(ctx, (*aheadWant)(p), p.op)
			<-c.drive
			if err == nil {
				continue
			}
			// The context ended or the Conn closed: the owner sees it too.
		case <-a.room:
			// A chunk was taken, or the owner stops us: look again.
			continue
		case <-done:
		case <-c.closing:
		}
		break
	}
	readers.Add(-1)
	a.exited <- struct{}{}
}

// awaitAhead is await for an owner whose reader runs: it waits for the
// reader's chunks and never drives itself (the reader does; an owner
// taking the token would read the next chunk in series with its own work).
// The reader leaves only when p is over or abandoned, ctx ends or the Conn
// closes, so the owner cannot wait for it forever. The owner sleeps at
// once instead of spinning for the next chunk: on two processors a spinning
// owner slowed the kernel's dump work on the reader's processor by more
// than the reader's wake-up of a sleeping owner costs.
func (c *Conn) awaitAhead(ctx context.Context, p *pending, op string) error {
	done := ctx.Done()
	for {
		if ok, err := c.waitOver(ctx, p, op); ok {
			return err
		}
		select {
		case <-p.signal:
		case <-done:
			return ctx.Err()
		case <-c.closing:
			return c.closedErr(op)
		}
	}
}
