//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// The seam between the tests and the driver's internals: tests that must
// read or steer the driver's state do it through these, so that a change
// inside the driver changes this file, not every test.

// withUnconnected leaves the Conn's socket unconnected (see openSocket), so
// that another socket can reach its port: for the tests of the sender
// check that stands behind the kernel's refusal.
func withUnconnected() Option { return func(o *options) { o.unconnected = true } }

// testFDs returns the Conn's socket and eventfd descriptors.
func (c *Conn) testFDs() []int { return []int{c.fd, c.poll.evfd} }

// holdDriver takes c's driver token and returns the function that gives it
// back. The token is also given back by tb's cleanup (before the Conn's own
// cleanup closes it, which needs the token), so a failing test cannot hang.
func holdDriver(tb testing.TB, c *Conn) (release func()) {
	tb.Helper()
	c.pinRequests.Store(true) // the test plays the kernel for the primary
	return busyDriver(tb, c)
}

// flushHeld sends what owners have submitted, as the driver would, until
// cond holds. The caller holds the driver token. It fails tb after 10 s: a
// guard against hangs, not a timing assertion.
func flushHeld(tb testing.TB, c *Conn, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.flush()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// injectHeld is injectDatagram for a caller that already holds the driver
// token: data enters c's dispatch as if recvmmsg had read it from sender
// port pid with multicast groups (pid 0, groups 0: a kernel unicast).
// truncLen > len(data) reports MSG_TRUNC with that real length.
func injectHeld(c *Conn, data []byte, pid, groups uint32, truncLen int) {
	n := fillSlot0(c, data)
	c.rxAddr[0] = unix.RawSockaddrNetlink{Family: unix.AF_NETLINK, Pid: pid, Groups: groups}
	c.rxMsgs[0].Len = uint32(n)
	c.rxMsgs[0].Hdr.Flags = 0
	c.rxMsgs[0].Hdr.Control = nil
	c.rxMsgs[0].Hdr.SetControllen(0)
	if truncLen > n {
		c.rxMsgs[0].Len = uint32(truncLen)
		c.rxMsgs[0].Hdr.Flags = unix.MSG_TRUNC
	}
	c.dispatch(0)
	c.rxMsgs[0].Len, c.rxMsgs[0].Hdr.Flags = 0, 0
}

// injectHeldInGroup is injectHeld for a kernel datagram whose address says
// no group (pid 0, groups 0, as for any group above 32) but whose
// NETLINK_PKTINFO control message names group, as the kernel writes it.
// The caller holds the driver token.
func injectHeldInGroup(c *Conn, data []byte, group uint32) {
	n := fillSlot0(c, data)
	c.rxAddr[0] = unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}
	ctl := c.rxCtl[0][:]
	clear(ctl)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
	h.Level, h.Type = unix.SOL_NETLINK, unix.NETLINK_PKTINFO
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(ctl[unix.CmsgLen(0):], group)
	m := &c.rxMsgs[0]
	m.Len, m.Hdr.Flags = uint32(n), 0
	m.Hdr.Control = &ctl[0]
	m.Hdr.SetControllen(unix.CmsgSpace(4))
	c.dispatch(0)
	m.Len, m.Hdr.Control = 0, nil
	m.Hdr.SetControllen(0)
}

// fillSlot0 copies data into the buffer of receive slot 0, giving it one
// if it has none, and returns how much it copied.
func fillSlot0(c *Conn, data []byte) int {
	b := c.rxBufs[0]
	if b == nil {
		b = c.getBuf()
		c.rxBufs[0] = b
		c.rxIov[0] = iovecOf(b.b)
	}
	return copy(b.b, data)
}

// seqWhere returns the sequence number of the single request in c.table
// that match accepts, or 0. The caller holds the driver token.
func seqWhere(c *Conn, match func(p *pending) bool) uint32 {
	for s, p := range c.table {
		if match(p) {
			return s
		}
	}
	return 0
}

func isGetLink(p *pending) bool { return p.typ == unix.RTM_GETLINK && p.kind != kindDump }

func isNoop(p *pending) bool { return p.typ == nlmsg.Noop }

func isDumpOf(t nlmsg.Type) func(*pending) bool {
	return func(p *pending) bool { return p.typ == t && p.kind == kindDump }
}

// heldBufs counts the receive buffers c itself holds: its receive slots,
// the notification queue and the reader's current chunk. The caller holds
// the driver token.
func heldBufs(c *Conn) int64 {
	var n int64
	for _, b := range c.rxBufs {
		if b != nil {
			n++
		}
	}
	c.nq.mu.Lock()
	for _, b := range c.nq.chunks {
		if b.b != nil {
			n++
		}
	}
	c.nq.mu.Unlock()
	c.rcvMu.Lock()
	if c.rcvCur != nil {
		n++
	}
	c.rcvMu.Unlock()
	return n
}

// injectDatagram feeds data to c's receive path as if recvmmsg had just read
// it from a sender with port pid and multicast groups (pid 0, groups 0 is a
// unicast from the kernel). truncLen > len(data) simulates MSG_TRUNC with the
// datagram's real length. It takes the driver role, so it is safe to call
// while other goroutines use c. It is how tests play the kernel's part with
// input the real kernel never sends; injectHeld (trust_test.go) is the same
// for a caller that already holds the driver token.
func injectDatagram(c *Conn, data []byte, pid, groups uint32, truncLen int) {
	c.drive <- struct{}{}
	defer func() { <-c.drive }()
	if c.closed.Load() {
		return
	}
	injectHeld(c, data, pid, groups, truncLen)
}

// underDriver runs fn while holding c's driver token, so fn may read and
// write the driver's state.
func underDriver(c *Conn, fn func()) {
	c.pinRequests.Store(true)
	c.drive <- struct{}{}
	defer func() { <-c.drive }()
	fn()
}

// The driver's books, read by a test that holds the driver token (or calls
// them through underDriver).

// singleSeqs returns the sequence numbers of the single requests and dumps
// in flight, sorted.
func singleSeqs(c *Conn) []uint32 {
	seqs := make([]uint32, 0, len(c.table))
	for s := range c.table {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	return seqs
}

// batchesSent returns, for each batch in flight, how many of its messages
// were sent.
func batchesSent(c *Conn) []int {
	var sent []int
	for _, b := range c.batches {
		sent = append(sent, b.sent)
	}
	return sent
}

// submitted is how many submissions wait for the driver.
func submitted(c *Conn) int { return c.subq.Len() }

// predictSeq returns the sequence number the next single request sent will
// get, and false if the next number is not free (then it cannot be told).
func predictSeq(c *Conn) (uint32, bool) {
	s := c.nextSeq
	return s, s != 0 && c.table[s] == nil && c.batchFor(s) == nil
}

// driverBooks describes what the driver still tracks, "" when nothing:
// requests and batches in flight, replies expected, dumps and sends
// queued, submissions not yet taken.
func driverBooks(c *Conn) string {
	if len(c.table) == 0 && c.inflight == 0 && len(c.batches) == 0 && c.dumpActive == nil &&
		len(c.dumpQ) == 0 && len(c.sendQ) == 0 && c.subq.Len() == 0 {
		return ""
	}
	return fmt.Sprintf("table %d, inflight %d, batches %d, dump active %v, dumps queued %d, sends queued %d, submissions %d",
		len(c.table), c.inflight, len(c.batches), c.dumpActive != nil, len(c.dumpQ), len(c.sendQ), c.subq.Len())
}

// pooled returns how many pendings and receive buffers c has taken from
// their pools and not given back.
func pooled(c *Conn) (pendings, bufs int64) {
	return c.stats.livePendings.Load(), c.stats.liveBufs.Load()
}

// kernelOverrun plays a kernel overrun: ENOBUFS from a read, then a read
// that finds the socket empty, as receive meets them.
func kernelOverrun(c *Conn) {
	underDriver(c, func() {
		c.overrun()
		c.socketDrained()
	})
}

// batchSeqs returns the first sequence number of each batch in flight.
func batchSeqs(c *Conn) []uint32 {
	var seqs []uint32
	for _, b := range c.batches {
		seqs = append(seqs, b.seq)
	}
	return seqs
}

// setNextSeq makes s the next sequence number the driver tries.
func setNextSeq(c *Conn, s uint32) { underDriver(c, func() { c.nextSeq = s }) }

// occupySeqs marks seqs in flight, as requests that are never answered
// would, until the returned function frees them.
func occupySeqs(c *Conn, seqs ...uint32) (free func()) {
	underDriver(c, func() {
		for _, s := range seqs {
			c.table[s] = &pending{signal: make(chan struct{}, 1)}
		}
	})
	return func() {
		underDriver(c, func() {
			for _, s := range seqs {
				delete(c.table, s)
			}
		})
	}
}

// socketFD is the Conn's netlink socket.
func socketFD(c *Conn) int { return c.fd }

// extraSockets is how many extra dump sockets c has open.
func extraSockets(c *Conn) int {
	c.dumpMu.Lock()
	defer c.dumpMu.Unlock()
	return len(c.extras)
}

// busyDriver takes c's driver token as a goroutine driving c holds it,
// without pinning requests to c (see holdDriver): a request then finds c
// busy and goes to an extra request socket. The returned function gives the
// token back; tb's cleanup does too.
func busyDriver(tb testing.TB, c *Conn) (release func()) {
	c.drive <- struct{}{}
	var once sync.Once
	release = func() { once.Do(func() { <-c.drive }) }
	tb.Cleanup(release)
	return release
}

// openRequestSocket returns c's extra request socket i, opening it.
func openRequestSocket(tb testing.TB, c *Conn, i int) *Conn {
	tb.Helper()
	if i >= len(c.reqs.conns) {
		tb.Fatalf("the Conn has %d extra request sockets, not %d", len(c.reqs.conns), i+1)
	}
	x := c.requestSocket(context.Background(), i)
	if x == nil {
		tb.Fatalf("extra request socket %d could not be opened", i)
	}
	return x
}

// spareDumpSocket returns the extra dump socket c keeps idle for the next
// dump; it fails tb unless there is exactly one.
func spareDumpSocket(tb testing.TB, c *Conn) *Conn {
	tb.Helper()
	c.dumpMu.Lock()
	defer c.dumpMu.Unlock()
	if len(c.spare) != 1 {
		tb.Fatalf("%d idle extra dump sockets, want 1", len(c.spare))
	}
	return c.spare[0].conn
}

// setDumpSocketIdle makes extra sockets close after d unused, for the
// Conns that arm their reaper from now until tb ends (a test that waits
// for them to close, or one that must find one it opened a while ago still
// open on a slow machine).
func setDumpSocketIdle(tb testing.TB, d time.Duration) {
	old := dumpSocketIdle
	dumpSocketIdle = d
	tb.Cleanup(func() { dumpSocketIdle = old })
}
