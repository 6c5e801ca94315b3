//go:build linux

package engine

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: a context that ends in any phase (before the send, after it,
// mid-dump, mid-batch) returns its caller promptly with ctx.Err(), and the
// Conn drains what the kernel still sends and stays usable.

// routeDsts returns the IPv4 destinations of the 10.0.0.0/8 routes in the
// main table, as routePayload indexes, sorted.
func routeDsts(tb testing.TB, c *Conn) []int {
	tb.Helper()
	var out []int
	for v, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			tb.Fatalf("route dump: %v", err)
		}
		r, err := decodeRoute(v)
		if err != nil {
			tb.Fatal(err)
		}
		if r.dstLen == 32 && r.dst[0] == 10 {
			out = append(out, int(r.dst[1])<<16|int(r.dst[2])<<8|int(r.dst[3]))
		}
	}
	slices.Sort(out)
	return out
}

func routeOps(typ nlmsg.Type, flags nlmsg.Flags, from, to int) []Op {
	ops := make([]Op, 0, to-from)
	for i := from; i < to; i++ {
		ops = append(ops, Op{Type: typ, Flags: flags, Payload: routePayload(i, 1)})
	}
	return ops
}

func goBatch(ctx context.Context, c *Conn, ops []Op) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() { ch <- callResult{err: c.Batch(ctx, ops)} }()
	return ch
}

// TestCancelBeforeSend: a context that ended before the call, or that ends
// while the request waits in the submission queue, returns ctx.Err(); the
// request never reaches the kernel, and the Conn keeps working.
func TestCancelBeforeSend(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	before := c.Stats()
	if _, err := c.Request(done, unix.RTM_GETLINK, ifinfoPayload(1), 0); err != context.Canceled {
		t.Errorf("Request: %v", err)
	}
	if err := c.RequestFunc(done, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil }); err != context.Canceled {
		t.Errorf("RequestFunc: %v", err)
	}
	if err := c.Noop(done); err != context.Canceled {
		t.Errorf("Noop: %v", err)
	}
	for _, err := range c.Dump(done, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
		if err != context.Canceled {
			t.Errorf("Dump: %v", err)
		}
	}
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 3)
	if err := c.Batch(done, ops); err != context.Canceled {
		t.Errorf("Batch: %v", err)
	}
	if _, err := c.Receive(done); err != context.Canceled {
		t.Errorf("Receive: %v", err)
	}
	if d := c.Stats().RequestsSent - before.RequestsSent; d != 0 {
		t.Errorf("%d requests sent under a cancelled context", d)
	}

	// Cancelled while queued: the test holds the socket, so nothing is sent.
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	req := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	dump := goDump(ctx, c, unix.RTM_GETLINK, ifinfoPayload(0), nil)
	batch := goBatch(ctx, c, ops)
	waitFor(t, "three submissions", func() bool { return submitted(c) == 3 })
	cancel()
	for _, ch := range []<-chan callResult{req, dump, batch} {
		if r := wait(t, ch, "call"); r.err != context.Canceled {
			t.Errorf("cancelled while queued: %v", r.err)
		}
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Errorf("op %d: %v, want context.Canceled (outcome unknown)", i, op.Err)
		}
	}
	release()
	sent := c.Stats().RequestsSent
	checkWorks(t, c) // a Noop, a request and a dump
	if d := c.Stats().RequestsSent - sent; d != 3 {
		t.Errorf("%d requests sent, want only checkWorks' 3", d)
	}
	if got := routeDsts(t, c); len(got) != 0 {
		t.Errorf("routes %v exist: a batch cancelled before sending was applied", got)
	}
}

// TestCancelAfterSend: the context ends after the request reached the
// kernel and before its answer is read. The caller returns ctx.Err() at
// once; the answer is drained and dropped later; the Conn keeps working.
// The kernel did apply what was sent, which is why Op.Err says "unknown"
// (ctx.Err()) rather than failure.
func TestCancelAfterSend(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 3)
	req := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	batch := goBatch(ctx, c, ops)
	flushHeld(t, c, "the request and the batch to be sent", func() bool {
		return seqWhere(c, isGetLink) != 0 && slices.Equal(batchesSent(c), []int{3})
	})
	cancel()
	for _, ch := range []<-chan callResult{req, batch} {
		if r := wait(t, ch, "call"); r.err != context.Canceled {
			t.Errorf("cancelled after send: %v", r.err)
		}
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Errorf("op %d: %v, want context.Canceled", i, op.Err)
		}
	}
	release()
	checkWorks(t, c)
	if got := routeDsts(t, c); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("routes %v, want the 3 the kernel received", got)
	}
}

// TestCancelMidDump: the context ends in the middle of a dump of thousands
// of routes. The iteration ends with ctx.Err(), the rest of the dump is
// drained, and the next dump is complete.
func TestCancelMidDump(t *testing.T) {
	const routes = 5000
	// Small buffers make the kernel cut the dump into many chunks.
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithReadBufferSize(8192))
	addRoutes(t, c, routes)
	for _, how := range []string{"cancel", "break"} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		var last error
		for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				last = err
				break
			}
			n++
			if n == 1 {
				if how == "break" {
					break
				}
				cancel()
			}
		}
		cancel()
		if how == "cancel" && last != context.Canceled {
			t.Errorf("cancelled dump ended with %v after %d messages", last, n)
		}
		if n >= routes {
			t.Errorf("%s: the dump went on to %d messages", how, n)
		}
		if got := routeDsts(t, c); len(got) != routes {
			t.Errorf("after a %s: a full dump has %d routes, want %d", how, len(got), routes)
		}
		checkWorks(t, c)
	}
}

// TestCancelDuringBatch: the context ends after the first window of a large
// batch was sent and before any ack was read. Batch returns ctx.Err() at
// once, with every op's outcome unknown; nothing more is sent; the kernel
// applied exactly the window that was sent, in order (a prefix); the Conn
// keeps working.
func TestCancelDuringBatch(t *testing.T) {
	const n = 2000
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)
	batch := goBatch(ctx, c, ops)
	flushHeld(t, c, "the batch to start", func() bool { s := batchesSent(c); return len(s) == 1 && s[0] > 0 })
	sent := batchesSent(c)[0]
	if sent >= n {
		t.Fatalf("the whole batch (%d) went out in one window; the test needs a partial one", sent)
	}
	cancel()
	if r := wait(t, batch, "batch"); r.err != context.Canceled {
		t.Fatalf("batch: %v", r.err)
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Fatalf("op %d: %v, want context.Canceled (outcome unknown)", i, op.Err)
		}
	}
	release()
	checkWorks(t, c)
	got := routeDsts(t, c)
	if len(got) != sent || (sent > 0 && got[len(got)-1] != sent-1) {
		t.Fatalf("kernel has %d routes (last %v), want the first %d", len(got), got[len(got)-1:], sent)
	}
	// The rest was never sent: adding it exclusively succeeds.
	if err := c.Batch(context.Background(), routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, sent, n)); err != nil {
		t.Fatalf("adding the unsent rest: %v", err)
	}
	checkQuiet(t, c)
}

// TestCancelMidDumpOnAnExtraSocket: a dump on an extra socket (a dump
// inside another dump's loop) that its caller leaves midway, by breaking out
// of its loop or by cancelling its context, leaves nothing behind on that
// socket: the kernel would refuse the next dump there while the first one
// runs (EBUSY), and its chunks must not reach the next caller. The next
// dump on the same extra socket sees the whole table and nothing more.
func TestCancelMidDumpOnAnExtraSocket(t *testing.T) {
	setDumpSocketIdle(t, time.Hour) // the extra sockets the test opens stay open
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	rawAddRoutes(t, ns, 0, 3000) // about 6 chunks
	want, err := countDump(testCtx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"break", "cancel"} {
		insideADump(t, c, func() {
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			seen := 0
			for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					if how == "cancel" && errors.Is(err, context.Canceled) {
						break
					}
					t.Fatalf("%s: the dump left midway: %v", how, err)
				}
				if seen++; seen == 10 {
					if how == "break" {
						break
					}
					cancel()
				}
			}
			if seen < 10 || seen >= want {
				t.Fatalf("%s: the dump left midway gave %d routes of %d", how, seen, want)
			}
			x := spareDumpSocket(t, c)
			got, err := countDump(testCtx(t), c)
			if err != nil || got != want {
				t.Fatalf("%s: the next dump on the extra socket: %d routes, %v; want %d", how, got, err, want)
			}
			if spareDumpSocket(t, c) != x {
				t.Fatalf("%s: the next dump did not run on the extra socket the first one left", how)
			}
		})
	}
	checkWorks(t, c)
}
