//go:build linux

package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

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
	group := sa.Groups != 0 || c.slotGroup(i) != 0 // see groupinfo.go
	if n > int(c.rxIov[i].Len) || m.Hdr.Flags&unix.MSG_TRUNC != 0 {
		c.truncated(buf.b, n, group)
		return
	}
	data := buf.b[:n]
	if group {
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
	terminal := sawErr || (p.kind == kindDump && sawDone) || malformed
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
			terminal := v.Type() == nlmsg.Error || (p.kind == kindDump && v.Type() == nlmsg.Done)
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
		if p.kind != kindDump {
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
		if p.kind != kindDump {
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
