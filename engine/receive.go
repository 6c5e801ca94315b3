//go:build linux

package engine

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

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
	c.rxCtl = make([][groupInfoSpace]byte, n)
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
		// So: its next chunk, and a reply and an ack for each other
		// request in flight.
		// NB: at least 1: the dump may be active but not yet sent
		// (inflight 0) when finish promoted it from the queue.
		vlen = max(1, min(c.slots, 1+2*(c.inflight-1)))
	case c.inflight > 0 && !c.nqWaiting.Load():
		// Ask for as many datagrams as the requests in flight should bring
		// (see pending.expect): asking for more than are queued costs the
		// kernel a failed attempt.
		vlen = max(1, min(c.slots, c.expect))
	}
	c.readEpoch.Add(1) // odd: see groupinfo.go
	ctl := c.groupInfo.Load()
	c.armSlots(vlen, ctl)
	n, err := c.readSlots(vlen, ctl)
	c.readEpoch.Add(1)
	c.stats.receiveCalls.Add(1)
	if err != nil {
		return c.receiveFailed(readCall(vlen, ctl), err)
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

// armSlots readies the first vlen receive slots for a read: each has a
// buffer of the Conn's current size and a fresh header, with its control
// buffer if ctl (the socket tells each datagram's group, see groupinfo.go).
func (c *Conn) armSlots(vlen int, ctl bool) {
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
		c.rxIov[i].SetLen(int(want))
		m := &c.rxMsgs[i]
		m.Hdr.Name = (*byte)(unsafe.Pointer(&c.rxAddr[i]))
		m.Hdr.Namelen = unix.SizeofSockaddrNetlink
		m.Hdr.Iov = &c.rxIov[i]
		m.Hdr.SetIovlen(1)
		m.Hdr.Flags = 0
		m.Len = 0
		if ctl {
			m.Hdr.Control = &c.rxCtl[i][0]
			m.Hdr.SetControllen(groupInfoSpace)
		} else {
			m.Hdr.Control = nil
			m.Hdr.SetControllen(0)
		}
	}
}

// readSlots reads up to vlen datagrams into the armed slots without
// blocking and returns how many it read; with ctl, by recvmmsg even for
// one, so that each comes with its control message. The caller counts the
// call.
func (c *Conn) readSlots(vlen int, ctl bool) (int, error) {
	if vlen > 1 || ctl {
		return recvmmsg(c.fd, c.rxMsgs[:vlen])
	}
	// One datagram: recvfrom is the cheapest read (dispatch tells a
	// truncation by the length, which MSG_TRUNC makes the real one).
	k, err := recvfrom(c.fd, &c.rxIov[0], &c.rxAddr[0], &c.rxAddrLen)
	if err != nil {
		return 0, err
	}
	c.rxMsgs[0].Len = uint32(k)
	return 1, nil
}

// readCall names the system call readSlots makes for vlen datagrams.
func readCall(vlen int, ctl bool) string {
	if vlen > 1 || ctl {
		return "recvmmsg"
	}
	return "recvfrom"
}

// receiveFailed handles a read (call) that failed with err and returns what
// receive returns for it: 1 when something changed that the caller should
// look at, 0 when the socket is simply empty.
func (c *Conn) receiveFailed(call string, err error) int {
	switch err {
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
	}
	// An unexpected socket error: report it to notification readers and
	// fail what is in flight, rather than spin.
	err = os.NewSyscallError(call, err)
	c.failInflight(err)
	c.nq.report(c.opErr("receive", 0, 0, err))
	return 1
}
