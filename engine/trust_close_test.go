//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: Close, with requests in flight or under load, wakes every
// waiter with net.ErrClosed within closeWithin and leaves no goroutine, fd,
// pending or receive buffer behind.

func countFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(ents)
}

// checkNoLeaks fails tb unless the goroutine and fd counts come back to
// their baselines (polling: goroutines take a moment to exit) and every
// pooled object of c is back in its pool.
func checkNoLeaks(tb testing.TB, c *Conn, goroutines, fds int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		tb.Errorf("%d goroutines, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
	if n := countFDs(tb); n != fds {
		tb.Errorf("%d open fds, %d before", n, fds)
	}
	pendings, bufs := pooled(c)
	if n := pendings; n != 0 {
		tb.Errorf("%d pendings never returned to the pool", n)
	}
	if n := bufs; n != 0 {
		tb.Errorf("%d receive buffers never returned to the pool", n)
	}
}

// closeWithin is how fast every waiter must return once Close is called
// (the bound; it is a liveness bound with a wide margin: waiters
// are woken by a closed channel, not by the driver).
const closeWithin = 100 * time.Millisecond

// TestCloseInFlight: Close while 100 requests and a dump are in flight (sent
// to the kernel, answers not yet read). Every caller returns an error that
// errors.Is net.ErrClosed within 100 ms, even though the test still holds
// the socket (so waiters need no driver to leave); afterwards no goroutine,
// fd, pending or receive buffer is left over.
func TestCloseInFlight(t *testing.T) {
	ns := netnstest.New(t)
	setup := connectIn(t, ns, nlmsg.FamilyRoute)
	addRoutes(t, setup, 3000)
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	// A receive buffer with room for all 101 answers, so that the reply
	// budget lets every request go to the kernel at once.
	c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithReceiveBuffer(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release := holdDriver(t, c)
	results := make([]<-chan callResult, 0, 101)
	for range 100 {
		results = append(results, goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0))
	}
	results = append(results, goDump(ctx, c, unix.RTM_GETROUTE, rtmsgIPv4(), nil))
	flushHeld(t, c, "100 requests and a dump to be sent", func() bool { return len(singleSeqs(c)) == 101 })

	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	var slowest time.Duration
	for i, ch := range results {
		r := wait(t, ch, "call")
		if !errors.Is(r.err, net.ErrClosed) {
			t.Errorf("call %d: %v, want net.ErrClosed", i, r.err)
		}
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("all 101 callers returned %v after Close was called", slowest)
	if slowest > closeWithin {
		t.Errorf("callers took %v to return after Close, want under %v", slowest, closeWithin)
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after Close: %v", err)
	}
	checkNoLeaks(t, c, goroutines, fds)
}

// TestCloseUnderLoad: Close while 100 goroutines send requests in a loop
// and another runs dumps with a slow consumer. Every goroutine's last call
// fails with net.ErrClosed within 100 ms, none fails otherwise before, and
// nothing is left over.
func TestCloseUnderLoad(t *testing.T) {
	ns := netnstest.New(t)
	setup := connectIn(t, ns, nlmsg.FamilyRoute)
	addRoutes(t, setup, 3000)
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var calls atomic.Int64
	var closedAt atomic.Int64
	var wg sync.WaitGroup
	lastErrs := make([]error, 101)
	latency := make([]time.Duration, 101)
	finish := func(i int, err error) {
		lastErrs[i] = err
		if at := closedAt.Load(); at != 0 {
			latency[i] = time.Duration(time.Now().UnixNano() - at)
		}
	}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var err error
				if i%2 == 0 {
					err = c.Noop(ctx)
				} else {
					var msgs []nlmsg.Message
					msgs, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
					if err == nil && !isLoReply(msgs) {
						err = fmt.Errorf("wrong reply: %d messages", len(msgs))
					}
				}
				calls.Add(1)
				if err != nil {
					finish(i, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var last error
			for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					last = err
					break
				}
				runtime.Gosched() // a slow consumer keeps the dump in flight
			}
			calls.Add(1)
			if last != nil {
				finish(100, last)
				return
			}
		}
	}()
	waitFor(t, "a few hundred calls", func() bool { return calls.Load() > 500 })
	closedAt.Store(time.Now().UnixNano())
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitDone := make(chan struct{})
	go func() { wg.Wait(); close(waitDone) }()
	select {
	case <-waitDone:
	case <-time.After(10 * time.Second):
		t.Fatal("callers hung after Close")
	}
	slowest := slices.Max(latency)
	t.Logf("%d calls; every caller returned within %v of Close", calls.Load(), slowest)
	for i, err := range lastErrs {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("goroutine %d stopped on %v, want net.ErrClosed", i, err)
		}
	}
	if slowest > closeWithin {
		t.Errorf("callers took %v to return after Close, want under %v", slowest, closeWithin)
	}
	checkNoLeaks(t, c, goroutines, fds)
}
