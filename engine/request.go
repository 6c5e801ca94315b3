//go:build linux

package engine

import (
	"context"
	"errors"
	"iter"
	"net"
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// start encodes a request into a pooled pending and submits it.
func (c *Conn) start(ctx context.Context, op string, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) (*pending, error) {
	if c.closed.Load() {
		return nil, c.closedErr(op)
	}
	if ctx.Done() != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	kind := kindSingle
	if isDumpRequest(c.family, typ, flags) {
		kind = kindDump
	}
	p := c.getPending(kind)
	p.op, p.typ = op, typ
	p.expect = expectedDatagrams(c.family, typ, flags)
	p.tx.Begin(typ, flags|nlmsg.Request|nlmsg.Ack, 0)
	p.tx.Append(payload)
	p.tx.End()
	if err := c.submit(ctx, p); err != nil {
		c.unref(p)
		return nil, err
	}
	return p, nil
}

// expectedDatagrams is how many datagrams a single request's answer should
// take (see pending.expect).
func expectedDatagrams(family nlmsg.Family, typ nlmsg.Type, flags nlmsg.Flags) int {
	if typ == nlmsg.Noop || (family == nlmsg.FamilyRoute && typ >= nlmsg.MinType && typ&3 != 2 && flags&nlmsg.Echo == 0) {
		// NOOP, and rtnetlink's NEW, DEL and SET kinds (type&3 is not
		// GET), are answered by the ack alone.
		return 1
	}
	return 2
}

// consume reads p's replies in order, passing each message that is not a
// control message to fn, until the request is over. It returns the kernel's
// error (from NLMSG_ERROR or NLMSG_DONE), ErrDumpInterrupted, fn's error, or
// ctx.Err(). When it returns early the rest of the reply is drained by the
// driver. It frees p in every case.
//
// With keep non-nil, consumed buffers are appended to *keep instead of being
// recycled, so the Views fn saw stay valid until the caller recycles them.
func (c *Conn) consume(ctx context.Context, p *pending, keep *[]*rxBuf, fn func(nlmsg.View) error) error {
	var r replyScan
	for {
		buf, over, oob := p.next()
		if buf == nil {
			if over {
				// NB: what the error needs is read before p goes back to
				// the pool, where another request may take it at once.
				op, typ, seq := p.op, p.typ, p.seq
				c.release(p)
				if oob != nil {
					return oob
				}
				return r.result(c, op, typ, seq)
			}
			if err := c.await(ctx, p, p.op); err != nil {
				c.abandon(p)
				return err
			}
			continue
		}
		r.scan(c, p.op, p.typ, p.seq, p.kind, buf, fn)
		if keep != nil {
			*keep = append(*keep, buf)
		} else {
			c.putBuf(buf)
		}
		if r.fnErr != nil {
			// The consumer stopped: leave the rest to the driver.
			c.abandon(p)
			return r.fnErr
		}
	}
}

// Request sends one request and waits for its whole answer. NLM_F_REQUEST
// and NLM_F_ACK are always added to flags; include nlmsg.Dump for a dump. It returns every message the kernel sent with the
// request's sequence number, in order, as owned copies, without the final
// ACK or NLMSG_DONE. A kernel error becomes an *OpError that errors.Is the
// errno and carries the extended-ack text and offset; a dump whose data
// changed returns its messages together with an error that errors.Is
// ErrDumpInterrupted. payload is copied before Request returns.
//
// Request allocates the returned slice and one buffer for all payloads;
// RequestFunc and Dump do not allocate per message.
func (c *Conn) Request(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) ([]nlmsg.Message, error) {
	sc := scratchPool.Get().(*scratch)
	views, total := sc.views[:0], 0
	// The buffers are kept until the end so that each payload is copied
	// once, into one block of exactly the right size.
	collect := func(v nlmsg.View) error {
		views = append(views, v)
		total += len(v.Payload())
		return nil
	}
	// NB: t is the socket the request ran on: its putBuf takes the kept
	// buffers back.
	t, err := c.requestOrDump(ctx, typ, payload, flags, &sc.bufs, collect)
	var out []nlmsg.Message
	if len(views) > 0 && (err == nil || errors.Is(err, ErrDumpInterrupted)) {
		// Two allocations whatever the count: the slice and one payload block.
		out = make([]nlmsg.Message, len(views))
		data := make([]byte, total)
		off := 0
		for i, v := range views {
			n := copy(data[off:], v.Payload())
			out[i] = nlmsg.Message{Type: v.Type(), Flags: v.Flags(), Seq: v.Seq(), PortID: v.PortID(), Payload: data[off : off+n : off+n]}
			off += n
		}
	}
	clear(views)
	for i, b := range sc.bufs {
		t.putBuf(b)
		sc.bufs[i] = nil
	}
	sc.views, sc.bufs = views[:0], sc.bufs[:0]
	scratchPool.Put(sc)
	if err != nil && !errors.Is(err, ErrDumpInterrupted) {
		return nil, err
	}
	return out, err
}

// scratch collects a Request's answer before it is copied out exactly sized.
type scratch struct {
	views []nlmsg.View
	bufs  []*rxBuf
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// RequestFunc is Request without copies: fn is called with each message of
// the answer in place, in order. The View is valid only until fn returns.
// If fn returns an error, RequestFunc stops, the rest of the answer is
// drained in the background of later calls, and the error is returned.
// RequestFunc does not allocate per message.
func (c *Conn) RequestFunc(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, fn func(nlmsg.View) error) error {
	_, err := c.requestOrDump(ctx, typ, payload, flags, nil, fn)
	return err
}

// requestOrDump runs Request's and RequestFunc's exchange: a request that
// is not a dump on the first idle socket (requestOn), a dump on a dump
// socket (dumpSocket). It returns the socket it ran on, which owns the
// buffers kept in *keep.
func (c *Conn) requestOrDump(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, keep *[]*rxBuf, fn func(nlmsg.View) error) (*Conn, error) {
	if !isDumpRequest(c.family, typ, flags) {
		return c.requestOn(ctx, "request", typ, payload, flags, keep, fn)
	}
	l, err := c.dumpSocket(ctx, "request", typ, flags)
	if err != nil {
		return c, err
	}
	err = l.conn.exchange(ctx, "request", typ, payload, flags, keep, fn)
	c.endDump(l)
	return l.conn, err
}

// Dump sends a dump request (nlmsg.Dump is added to flags) and yields its
// messages in place as they arrive: memory stays flat however large the
// dump. Each View points into a pooled receive buffer and is valid only
// until the loop body returns. Errors are yielded last, with a zero View:
// the kernel's error, ErrDumpInterrupted after all messages, or ctx.Err().
// Breaking out of the loop is safe: the rest of the dump is drained so the
// Conn stays usable. Only one dump runs per socket in the kernel; concurrent
// dumps on one Conn wait their turn.
//
// With more than one processor, a dump longer than a chunk is read ahead
// (see WithDumpReadAhead): while the loop body works on one chunk's
// messages, another goroutine reads the next chunk into another buffer, so
// that the kernel builds the one after it meanwhile. A View is still valid
// until the loop body returns, never longer: its buffer is reused after.
// A loop body that keeps a message must copy it (View.Message).
func (c *Conn) Dump(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) iter.Seq2[nlmsg.View, error] {
	return func(yield func(nlmsg.View, error) bool) {
		l, err := c.dumpSocket(ctx, "dump", typ, flags|nlmsg.Dump)
		if err != nil {
			yield(nlmsg.View{}, err)
			return
		}
		defer c.endDump(l)
		t := l.conn
		p, err := t.start(ctx, "dump", typ, payload, flags|nlmsg.Dump)
		if err != nil {
			yield(nlmsg.View{}, err)
			return
		}
		c.armAhead(ctx, t, p)
		err = t.consume(ctx, p, nil, func(v nlmsg.View) error {
			if !yield(v, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			yield(nlmsg.View{}, err)
		}
	}
}

// Noop sends NLMSG_NOOP and waits for its acknowledgement.
// It proves the connection works and measures a round trip.
func (c *Conn) Noop(ctx context.Context) error {
	return c.RequestFunc(ctx, nlmsg.Noop, nil, 0, func(nlmsg.View) error { return nil })
}

// refuseDumps fails the whole batch, before anything is sent, when one of
// its ops is a dump: every op's Err is set to the returned error.
func (c *Conn) refuseDumps(ops []Op) error {
	for i, op := range ops {
		if !isDumpRequest(c.family, op.Type, op.Flags) {
			continue
		}
		err := c.opErr("batch", op.Type, 0, ErrDumpInBatch)
		err.Index = i
		for j := range ops {
			ops[j].Err = err
		}
		return err
	}
	return nil
}

// Batch submits many requests at once (for example 10 000 RTM_NEWROUTE) and
// waits for every acknowledgement. The requests are encoded into one pooled
// buffer, sent back to back in as few sendmmsg calls as the socket buffers
// allow, and matched to their acks by sequence number; replies other than
// acks are ignored. Requests of a batch are applied in order.
//
// Each op's Err is set: nil when the kernel acknowledged it, else an
// *OpError whose Index is the op's position in ops and whose Type names it.
// When any failed, Batch returns an *OpError (Op "batch") whose Err is a
// *BatchError counting the failures and quoting the first; errors.Is(err,
// unix.EEXIST) asks about that first failure. An op that asks for a dump is
// refused before anything is sent: every op's Err and the result are then
// one *OpError with that op's Index and the cause ErrDumpInBatch. If ctx
// ends first, Batch returns ctx.Err() and ops whose outcome is not known get
// ctx.Err() too: they may or may not have been applied.
func (c *Conn) Batch(ctx context.Context, ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	if c.closed.Load() {
		return c.closedErr("batch")
	}
	if err := c.refuseDumps(ops); err != nil {
		return err
	}
	if ctx.Done() != nil {
		// Like start: an ended context sends nothing (and queues nothing).
		if err := ctx.Err(); err != nil {
			for i := range ops {
				ops[i].Err = err
			}
			return err
		}
	}
	p := c.getPending(kindBatch)
	p.op = "batch"
	for _, op := range ops {
		p.offs = append(p.offs, p.tx.Len())
		p.tx.Begin(op.Type, op.Flags|nlmsg.Request|nlmsg.Ack, 0)
		p.tx.Append(op.Payload)
	}
	p.tx.End()
	p.states = append(p.states[:0], make([]uint8, len(ops))...)
	if cap(p.errs) >= len(ops) {
		p.errs = p.errs[:len(ops)]
	} else {
		p.errs = make([]error, len(ops))
	}
	if err := c.submit(ctx, p); err != nil {
		c.unref(p)
		return err
	}
	for {
		if err := c.await(ctx, p, "batch"); err != nil {
			p.mu.Lock()
			for i := range ops {
				if p.states[i] == msgDone {
					ops[i].Err = p.errs[i]
				} else {
					ops[i].Err = err
				}
			}
			p.mu.Unlock()
			c.abandon(p)
			return err
		}
		p.mu.Lock()
		over := p.final
		p.mu.Unlock()
		if over {
			break
		}
	}
	var be *BatchError
	for i := range ops {
		err := p.errs[i]
		if err == nil && p.states[i] != msgDone {
			// Not answered: the Conn closed, or the overrun's error.
			cause := p.err
			if oe, ok := cause.(*OpError); ok {
				cause = oe.Err
			}
			if cause == nil {
				cause = net.ErrClosed
			}
			err = c.batchOpErr(p, i, cause)
		}
		ops[i].Err = err
		if err != nil {
			if be == nil {
				be = &BatchError{First: err, Total: len(ops)}
			}
			be.Failed++
		}
	}
	c.release(p)
	if be != nil {
		return c.opErr("batch", 0, 0, be)
	}
	return nil
}
