//go:build linux

package engine

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: Dump's read-ahead changes when chunks are read, never what a
// loop body sees or how a dump ends. It runs only for dumps longer than a
// chunk with more than one processor, holds at most aheadDepth chunks the
// loop body has not taken, lets other requests use the socket while it
// waits, and stops with its dump: when the loop breaks, the context ends or
// the Conn closes, leaving no goroutine, pending or buffer behind.

// aheadRoutes routes make a dump of about sixteen 32 KiB chunks; with the
// namespace's local routes the dump has aheadMsgs messages.
const (
	aheadRoutes = 10000
	aheadMsgs   = aheadRoutes + 3
)

func aheadNS(t *testing.T) *netnstest.NS {
	t.Helper()
	// NB: read-ahead needs GOMAXPROCS > 1; a machine with one processor
	// still runs these tests, on two Ps.
	if runtime.GOMAXPROCS(0) < 2 {
		prev := runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, aheadRoutes)
	return ns
}

// startsDuring counts the readers started while fn runs.
// peakDuring runs fn and returns the most readers that ran at once meanwhile.
func peakDuring(fn func()) int64 {
	readersPeak.Store(readers.Load())
	fn()
	return readersPeak.Load()
}

func startsDuring(fn func()) int64 {
	n := aheadStarts.Load()
	fn()
	return aheadStarts.Load() - n
}

func TestReadAheadRunsForLongDumpsOnly(t *testing.T) {
	ns := aheadNS(t)
	ctx := testCtx(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute)
	var n int
	var err error
	if s := startsDuring(func() { n, err = countDump(ctx, c) }); s != 1 || err != nil || n != aheadMsgs {
		t.Errorf("long dump: %d readers, %d messages, %v; want 1 reader", s, n, err)
	}
	if s := startsDuring(func() {
		for _, err := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}); s != 0 {
		t.Errorf("a one-chunk link dump started %d readers, want 0", s)
	}
	off := connectIn(t, ns, nlmsg.FamilyRoute, WithDumpReadAhead(false))
	if s := startsDuring(func() { n, err = countDump(ctx, off) }); s != 0 || err != nil || n != aheadMsgs {
		t.Errorf("WithDumpReadAhead(false): %d readers, %d messages, %v; want 0 readers", s, n, err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if s := startsDuring(func() { n, err = countDump(ctx, c) }); s != 0 || err != nil || n != aheadMsgs {
		t.Errorf("GOMAXPROCS=1: %d readers, %d messages, %v; want 0 readers", s, n, err)
	}
}

// TestReadAheadSeesTheSameMessages: the messages of a dump with read-ahead
// are those without it, in the same order, each valid until the loop body
// returns (the body checks the previous one's bytes are what it copied).
func TestReadAheadSeesTheSameMessages(t *testing.T) {
	ns := aheadNS(t)
	ctx := testCtx(t)
	collect := func(c *Conn) [][]byte {
		var out [][]byte
		for v, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				t.Fatal(err)
			}
			b := append([]byte(nil), v.Bytes()...)
			if string(v.Bytes()) != string(b) {
				t.Fatal("view changed under the loop body")
			}
			out = append(out, b)
		}
		return out
	}
	on := collect(connectIn(t, ns, nlmsg.FamilyRoute))
	off := collect(connectIn(t, ns, nlmsg.FamilyRoute, WithDumpReadAhead(false)))
	if len(on) != len(off) {
		t.Fatalf("%d messages with read-ahead, %d without", len(on), len(off))
	}
	for i := range on {
		// The sequence numbers and port ids differ between the Conns.
		if string(on[i][nlmsg.HeaderLen:]) != string(off[i][nlmsg.HeaderLen:]) {
			t.Fatalf("message %d differs with read-ahead", i)
		}
	}
}

// TestReadAheadStaysBounded: while the loop body holds one message, the
// reader reads at most aheadDepth chunks beyond it, and a request on the
// same socket is answered meanwhile: the reader gave the driver token back.
func TestReadAheadStaysBounded(t *testing.T) {
	ns := aheadNS(t)
	ctx := testCtx(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithRequestSockets(1))
	if err := c.Noop(ctx); err != nil { // fill the receive slots
		t.Fatal(err)
	}
	_, idle := pooled(c)
	n, stopAt := 0, 1000 // in the second chunk: the reader has started
	for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n != stopAt {
			continue
		}
		time.Sleep(20 * time.Millisecond) // the reader fills what it may
		// The chunk in hand, aheadDepth waiting, and the receive slot that
		// replaced the last one delivered.
		if _, bufs := pooled(c); bufs > idle+aheadDepth+1 {
			t.Errorf("%d receive buffers out while the loop body waits, %d idle: read-ahead is not bounded to %d chunks", bufs, idle, aheadDepth)
		}
		done := make(chan error, 1)
		go func() { done <- c.Noop(ctx) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Noop during the dump: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a Noop on the dump's socket waited for the loop body: the reader kept the driver token")
		}
	}
	if n != aheadMsgs {
		t.Errorf("%d messages, want %d", n, aheadMsgs)
	}
	checkAheadQuiet(t, c)
}

// checkAheadQuiet checks that c still works and that every pending and
// buffer a dump took is back: the reader is gone with its dump.
func checkAheadQuiet(t *testing.T, c *Conn) {
	t.Helper()
	if n, err := countDump(testCtx(t), c); n != aheadMsgs || err != nil {
		t.Fatalf("full dump afterwards: %d messages, %v", n, err)
	}
	if err := c.Noop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if p, _ := pooled(c); p != 0 {
		t.Errorf("%d pendings out after the dump", p)
	}
	var held, bufs int64
	underDriver(c, func() { held = heldBufs(c); _, bufs = pooled(c) })
	if bufs != held {
		t.Errorf("%d receive buffers out, %d held by the Conn itself", bufs, held)
	}
}

func TestReadAheadBreakMidDump(t *testing.T) {
	ns := aheadNS(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute)
	for i, at := range []int{1, 700, 1500, 5000, aheadRoutes, 1500} {
		ctx := testCtx(t)
		if i == 5 {
			// No Done channel: the reader is stopped by the break alone.
			ctx = context.Background()
		}
		n := 0
		for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == at {
				break
			}
		}
		if n != at {
			t.Fatalf("broke at %d, saw %d", at, n)
		}
		checkAheadQuiet(t, c)
	}
}

func TestReadAheadCancelMidDump(t *testing.T) {
	ns := aheadNS(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute)
	for _, at := range []int{700, 1500, 5000} {
		ctx, cancel := context.WithCancel(testCtx(t))
		n, chunk, cancelled := 0, 0, -1
		var next uintptr // where the next message of the chunk in hand would start
		var last error
		for v, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				last = err
				continue
			}
			if last != nil {
				t.Fatalf("a message after the error %v", last)
			}
			// A message that does not follow the last one in memory
			// starts a new chunk.
			b := v.Bytes()
			if addr := uintptr(unsafe.Pointer(&b[0])); addr != next {
				chunk++
			}
			next = uintptr(unsafe.Pointer(&b[0])) + uintptr(nlmsg.Align(len(b)))
			if n++; n == at {
				time.Sleep(5 * time.Millisecond) // the reader is ahead
				cancel()
				cancelled = chunk
			} else if cancelled >= 0 && chunk != cancelled {
				t.Fatalf("cancelled at %d in chunk %d: a message of chunk %d came after", at, cancelled, chunk)
			}
		}
		cancel()
		if !errors.Is(last, context.Canceled) {
			t.Fatalf("cancelled at %d: ended with %v after %d messages", at, last, n)
		}
		checkAheadQuiet(t, c)
	}
}

func TestReadAheadCloseMidDump(t *testing.T) {
	ns := aheadNS(t)
	for _, fromBody := range []bool{false, true} {
		goroutines, fds := runtime.NumGoroutine(), countFDs(t)
		c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()))
		if err != nil {
			t.Fatal(err)
		}
		var closedAt time.Time
		var last error
		n := 0
		for _, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				last = err
				continue
			}
			if n++; n != 1500 {
				continue
			}
			time.Sleep(5 * time.Millisecond) // the reader is ahead
			closedAt = time.Now()
			if fromBody {
				c.Close()
			} else {
				go c.Close()
				// Mid-way for sure: the rest of the dump takes a
				// millisecond, less than the goroutine may take to start.
				for !c.closed.Load() {
					runtime.Gosched()
				}
			}
		}
		if d := time.Since(closedAt); d > closeWithin {
			t.Errorf("Dump returned %v after Close, want within %v", d, closeWithin)
		}
		if !errors.Is(last, net.ErrClosed) {
			t.Errorf("dump closed mid-way ended with %v after %d messages, want net.ErrClosed", last, n)
		}
		checkNoLeaks(t, c, goroutines, fds)
	}
}

// TestReadAheadOverrun: ENOBUFS while the reader is ahead does not touch
// the dump (the kernel builds a dump's chunks only when there is room, so
// it loses none), as without read-ahead.
func TestReadAheadOverrun(t *testing.T) {
	ns := aheadNS(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute)
	n := 0
	for _, err := range c.Dump(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 1500 {
			time.Sleep(5 * time.Millisecond)
			kernelOverrun(c)
		}
	}
	if n != aheadMsgs {
		t.Fatalf("dump overrun mid-way: %d messages, want %d", n, aheadMsgs)
	}
	checkAheadQuiet(t, c)
}

// TestReadAheadOneReaderPerTwoProcessors: a dump inside the loop body of
// another, on two processors (on an extra socket, or queued behind it on
// the primary with WithDumpSockets(1)): only the outer one reads ahead, and
// both see the whole dump.
func TestReadAheadOneReaderPerTwoProcessors(t *testing.T) {
	ns := aheadNS(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, opts := range [][]Option{nil, {WithDumpSockets(1)}} {
		c := connectIn(t, ns, nlmsg.FamilyRoute, opts...)
		outer, inner := 0, 0
		var starts int64
		peak := peakDuring(func() {
			starts = startsDuring(func() {
				for _, err := range c.Dump(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
					if err != nil {
						t.Fatal(err)
					}
					if outer++; outer == 2000 {
						n, err := countDump(testCtx(t), c)
						if err != nil {
							t.Fatal(err)
						}
						inner = n
					}
				}
			})
		})
		if outer != aheadMsgs || inner != aheadMsgs {
			t.Errorf("%d options: outer dump %d messages, inner %d, want %d", len(opts), outer, inner, aheadMsgs)
		}
		// NB: with one dump socket the inner dump runs once the outer one
		// ended in the kernel, and may start a reader of its own then.
		if peak != 1 || (len(opts) == 0 && starts != 1) {
			t.Errorf("%d options: %d readers started, at most %d at once, for a dump inside a dump on two processors; want 1 at once (and 1 started with an extra socket)", len(opts), starts, peak)
		}
		checkAheadQuiet(t, c)
	}
}
