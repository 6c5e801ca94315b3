//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// A lone round trip: a single request (not a dump, not a batch) whose
// goroutine finds the socket idle is sent and answered by that goroutine
// alone, without the submission queue, the sequence table or a pending.
//
// It takes the driver token without waiting and, holding it, finds nothing
// queued or in flight: it then owns the socket outright. It encodes the
// request into the Conn's own buffer, sends it with one sendto and reads
// the answer with non-blocking reads (the kernel answers a netlink request
// inside the sendto that carries it, so the answer is normally there).
// Then it gives the token back and shows the answer's messages to the
// caller's function, so that the function may itself use the Conn.
//
// Whatever is not plainly its answer (a datagram from another sender, a
// notification, a truncated or malformed datagram, another sequence
// number, an answer that is not there yet or longer than loneDatagrams)
// makes the request an ordinary one: it is adopted into the sequence table
// as if flush had sent it, with the datagrams read so far in its inbox, the
// datagram in hand is dispatched as receive would, and the caller waits
// for the rest through consume. Every guarantee of the usual path therefore
// holds on this one: only the kernel is heard, notifications go to their
// queue, an overrun or a socket error fails the request the usual way.
//
// The token is held only across the send and the reads (one per datagram),
// none of which blocks: Close, a submitter or a reader waits at most for
// them.

// loneDatagrams is how many datagrams of an answer a lone round trip keeps
// before it hands the request to the driver: a reply and its ack, with
// room for a reply in a few parts.
const loneDatagrams = 4

// loneAnswer holds the datagrams of a lone round trip's answer, in order;
// they are the caller's, given back with putBuf.
type loneAnswer struct {
	bufs [loneDatagrams]*rxBuf
	n    int
	r    replyScan // the outcome so far
}

// exchange sends one request and passes every message of its answer that
// is not a control message to fn, in place, like consume (keep likewise
// keeps the buffers fn saw). A request that is not a dump goes as a lone
// round trip when the socket is idle, else through the driver.
func (c *Conn) exchange(ctx context.Context, op string, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, keep *[]*rxBuf, fn func(nlmsg.View) error) error {
	if !isDumpRequest(c.family, typ, flags) {
		var a loneAnswer
		if seq, p, st, err := c.lone(ctx, op, typ, payload, flags, &a); st == loneSent {
			return c.finishLone(ctx, op, typ, seq, p, err, &a, keep, fn)
		}
	}
	return c.queued(ctx, op, typ, payload, flags, keep, fn)
}

// queued sends one request through the submission queue and the driver,
// passing its answer to fn like consume.
func (c *Conn) queued(ctx context.Context, op string, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, keep *[]*rxBuf, fn func(nlmsg.View) error) error {
	p, err := c.start(ctx, op, typ, payload, flags)
	if err != nil {
		return err
	}
	return c.consume(ctx, p, keep, fn)
}

// finishLone ends a request lone sent: with lone's error, through the
// driver when lone handed it over (p), or from the answer in a.
func (c *Conn) finishLone(ctx context.Context, op string, typ nlmsg.Type, seq uint32, p *pending, err error, a *loneAnswer, keep *[]*rxBuf, fn func(nlmsg.View) error) error {
	switch {
	case err != nil:
		return err
	case p != nil:
		return c.consume(ctx, p, keep, fn)
	}
	return c.consumeLone(op, typ, seq, a, keep, fn)
}

// loneStatus says what became of a lone round trip's attempt.
type loneStatus uint8

const (
	loneSent    loneStatus = iota // sent: see lone
	loneBusy                      // not sent: another goroutine holds the driver token
	loneNotIdle                   // not sent: the socket has work queued or in flight
	loneOff                       // not sent: closed, or ctx ended (the usual path says so)
)

// lone tries a lone round trip. Unless it says loneSent nothing was sent,
// and the request must go another way. Once sent, the answer is in a (p
// nil), or p carries the request from here on, or err says why it failed.
func (c *Conn) lone(ctx context.Context, op string, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, a *loneAnswer) (seq uint32, p *pending, st loneStatus, err error) {
	if c.closed.Load() || (ctx.Done() != nil && ctx.Err() != nil) {
		return 0, nil, loneOff, nil
	}
	select {
	case c.drive <- struct{}{}:
	default:
		return 0, nil, loneBusy, nil
	}
	if !c.idle() {
		<-c.drive
		return 0, nil, loneNotIdle, nil
	}
	seq = c.allocSeq()
	c.loneTx = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags | nlmsg.Request | nlmsg.Ack, Seq: seq}.AppendTo(c.loneTx[:0])
	c.loneTx = append(c.loneTx, payload...)
	for len(c.loneTx)&3 != 0 {
		c.loneTx = append(c.loneTx, 0)
	}
	c.loneIov = iovecOf(c.loneTx)
	for {
		err = sendto(c.fd, &c.loneIov)
		if err != unix.EINTR {
			break
		}
		c.stats.sendCalls.Add(1)
	}
	if err != nil {
		c.stats.sendCalls.Add(1)
		<-c.drive
		return seq, nil, loneSent, c.opErr(op, typ, seq, os.NewSyscallError("sendto", err))
	}
	c.stats.loneTrips.Add(1) // this send and the first read
	// NB: read once per trip, under the token: AddMembership waits for a
	// trip that read false (awaitLoneTrip).
	// The socket is connected to the kernel unless a test asked otherwise
	// (see openSocket).
	bare := !c.opts.unconnected && !c.listening.Load()
	p = c.readLone(op, typ, seq, expectedDatagrams(c.family, typ, flags), bare, a)
	<-c.drive
	return seq, p, loneSent, nil
}

// awaitLoneTrip returns once no lone round trip that began before the call
// is still running: when the driver token is free, or held by a driver
// asleep in poll (a lone trip never sleeps), or the Conn is closed.
func (c *Conn) awaitLoneTrip() {
	for !c.closed.Load() && !c.sleeping.Load() {
		select {
		case c.drive <- struct{}{}:
			<-c.drive
			return
		default:
			runtime.Gosched() // a lone trip holds it for two system calls
		}
	}
}

// idle reports whether nothing is queued, in flight or held back on the
// socket, so that a lone round trip may use it. The caller holds the driver
// token.
func (c *Conn) idle() bool {
	return !c.closed.Load() && c.subq.Len() == 0 && len(c.table) == 0 && len(c.batches) == 0 &&
		len(c.sendQ) == 0 && len(c.dumpQ) == 0 && c.dumpActive == nil && !c.congested
}

// How a datagram relates to a lone request (see loneReply).
const (
	loneOther   = iota // not plainly part of the answer
	loneData           // part of it, more to come
	loneLast           // part of it, ending it (messages and the ack)
	loneAckOnly        // the ack (or error) alone, ending it
	loneAck            // a plain ack alone (errno 0): the request succeeded
)

// plainAckLen is the length of a plain ack to a request: its header, the
// errno, the echoed request header (with NETLINK_CAP_ACK, or a request
// without payload), no TLVs.
const plainAckLen = nlmsg.HeaderLen + 4 + nlmsg.HeaderLen

// isPlainAck reports whether b is one message, a plain ack of seq with
// errno 0: what a Noop or a write without echo is answered by.
func isPlainAck(b []byte, seq uint32) bool {
	if len(b) != plainAckLen {
		return false
	}
	h, _ := nlmsg.DecodeHeader(b)
	return h.Len == plainAckLen && h.Type == nlmsg.Error && h.Seq == seq && h.Flags&nlmsg.AckTLVs == 0 &&
		binary.NativeEndian.Uint32(b[nlmsg.HeaderLen:]) == 0
}

// readLone reads the answer to the lone request seq until its ack (or
// error) came, and returns nil: the datagrams with messages for the caller
// are in a, and the ack's outcome in a.r. Or it adopts the request (see
// adopt) and returns its pending. The caller holds the driver token.
//
// NB: one datagram per read, a reply and its ack in two: two raw recvfrom
// calls cost less than one recvmmsg of two (RTM_GETLINK went from 1.12x to
// 1.07x the floor's round trip).
func (c *Conn) readLone(op string, typ nlmsg.Type, seq uint32, expect int, bare bool, a *loneAnswer) *pending {
	for reads := 0; ; reads++ {
		c.armSlots(1, false) // no lone trip on a Conn in a group (see lone.go)
		err := c.readLoneSlot(bare)
		if reads > 0 {
			c.stats.receiveCalls.Add(1) // the first is counted in loneTrips
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Not there yet (EAGAIN), or lost: the driver takes over.
			p := c.adopt(op, typ, seq, expect, a)
			if err != unix.EAGAIN {
				c.receiveFailed("recvfrom", err)
			}
			return p
		}
		kind := c.loneReply(0, seq)
		if kind == loneOther {
			p := c.adopt(op, typ, seq, expect, a)
			c.stats.datagramsReceived.Add(1)
			c.dispatch(0)
			return p
		}
		c.stats.loneReplies.Add(1)
		buf := c.rxBufs[0]
		switch kind {
		case loneAck:
			return nil // the buffer stays in its slot
		case loneAckOnly:
			// Nothing in it for the caller: read the outcome here and
			// leave the buffer in its slot for the next read.
			buf.n = int(c.rxMsgs[0].Len)
			a.r.scan(c, op, typ, seq, kindSingle, buf, nil)
			return nil
		}
		c.rxBufs[0] = nil
		buf.n = int(c.rxMsgs[0].Len)
		a.bufs[a.n] = buf
		a.n++
		switch {
		case kind == loneLast:
			return nil
		case a.n == len(a.bufs):
			return c.adopt(op, typ, seq, expect, a)
		}
	}
}

// readLoneSlot reads one datagram into slot 0 like readSlots, for a lone
// round trip, whose reads cannot take long (see recvfromNow). bare reads
// without the sender's address: the slot then reads as the kernel's.
func (c *Conn) readLoneSlot(bare bool) error {
	sa := &c.rxAddr[0]
	if bare {
		*sa = unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}
		sa = nil
	}
	k, err := recvfromNow(c.fd, &c.rxIov[0], sa, &c.rxAddrLen)
	if err != nil {
		return err
	}
	c.rxMsgs[0].Len = uint32(k)
	return nil
}

// loneReply says how datagram i of the last read relates to the lone
// request seq: plainly part of its answer (from the kernel, whole, well
// formed, every message carrying seq), and then whether it ends it, or not.
func (c *Conn) loneReply(i int, seq uint32) int {
	sa, m := &c.rxAddr[i], &c.rxMsgs[i]
	n := int(m.Len)
	if sa.Pid != 0 || sa.Groups != 0 || n > int(c.rxIov[i].Len) || m.Hdr.Flags&unix.MSG_TRUNC != 0 {
		return loneOther
	}
	if isPlainAck(c.rxBufs[i].b[:n], seq) {
		return loneAck
	}
	s := nlmsg.NewScanner(c.rxBufs[i].b[:n])
	msgs, data, last := 0, false, false
	for s.Next() {
		v := s.View()
		if v.Seq() != seq {
			return loneOther
		}
		msgs++
		switch v.Type() {
		case nlmsg.Error:
			last = true
		case nlmsg.Done, nlmsg.Noop:
		default:
			data = true
		}
	}
	switch {
	case msgs == 0 || s.Err() != nil:
		return loneOther
	case last && !data:
		return loneAckOnly
	case last:
		return loneLast
	}
	return loneData
}

// adopt makes the lone request seq an ordinary one, as if flush had sent
// it: a pending in the sequence table, holding the reply budget, with the
// datagrams of a moved to its inbox. The caller holds the driver token and
// consumes the returned pending as its owner.
func (c *Conn) adopt(op string, typ nlmsg.Type, seq uint32, expect int, a *loneAnswer) *pending {
	p := c.getPending(kindSingle)
	p.op, p.typ, p.seq, p.expect = op, typ, seq, expect
	p.refs = 2 // the owner's and the driver's, as submit gives
	p.inbox = append(p.inbox, a.bufs[:a.n]...)
	clear(a.bufs[:a.n])
	a.n = 0
	c.table[seq] = p
	c.inflight++
	c.units += c.costOf(p)
	c.expect += p.expect
	return p
}

// consumeLone shows the messages of a lone round trip's answer to fn and
// returns the request's result, as consume does. It gives every buffer back
// (or, with keep, the buffers fn saw to *keep).
func (c *Conn) consumeLone(op string, typ nlmsg.Type, seq uint32, a *loneAnswer, keep *[]*rxBuf, fn func(nlmsg.View) error) error {
	for i, buf := range a.bufs[:a.n] {
		a.bufs[i] = nil
		if a.r.fnErr != nil {
			c.putBuf(buf) // fn stopped: the rest is not shown
			continue
		}
		a.r.scan(c, op, typ, seq, kindSingle, buf, fn)
		if keep != nil {
			*keep = append(*keep, buf)
		} else {
			c.putBuf(buf)
		}
	}
	return a.r.result(c, op, typ, seq)
}
