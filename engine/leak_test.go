//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// churn exercises c from several goroutines the ways that leave work
// behind: requests and batches whose context ends at a random moment, dumps
// left halfway, a listener that gives up. Its batches add routes numbered
// from base up. It fails tb on any error other than the context's.
func churn(tb testing.TB, c *Conn, rounds, base int) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	ok := func(err error) bool { return err == nil || errors.Is(err, context.Canceled) }
	for w := range 4 {
		wg.Go(func() {
			for r := range rounds {
				ctx, cancel := context.WithCancel(context.Background())
				// The cancellation lands before, during or after the call.
				go func() {
					for range r % 7 {
						runtime.Gosched()
					}
					cancel()
				}()
				var err error
				switch (w + r) % 5 {
				case 0:
					_, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
				case 1:
					err = c.Noop(ctx)
				case 2:
					for _, e := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
						if err = e; err != nil {
							break
						}
					}
				case 3:
					n := 0
					for _, e := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
						if err = e; err != nil || n == 100 {
							break
						}
						n++
					}
				case 4:
					first := base + (w*rounds+r)*50
					err = c.Batch(ctx, routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, first, 50))
				}
				cancel()
				if !ok(err) {
					errs <- fmt.Errorf("worker %d round %d: %w", w, r, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range rounds / 4 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			_, err := c.Receive(ctx)
			cancel()
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				errs <- fmt.Errorf("Receive: %w", err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Error(err)
	}
}

func TestIntegrationAbandonedWorkIsDrainedAndFreed(t *testing.T) {
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, 3000)
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	churn(t, c, 150, 5000)

	// Dumps run in order, and a request's reply comes after everything the
	// kernel sent before it: after a full dump and a Noop, whatever the
	// abandoned calls left in flight has been answered and dropped.
	if _, err := countDump(testCtx(t), c); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	var books string
	underDriver(c, func() { books = driverBooks(c) })
	if books != "" {
		t.Errorf("driver state left over: %s", books)
	}
	// Every pooled request came back; the only buffers out are the driver's
	// receive slots and the queued notifications.
	if n, _ := pooled(c); n != 0 {
		t.Errorf("%d pending requests were never given back to the pool", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, n := pooled(c); n != 0 {
		t.Errorf("%d receive buffers were never given back after Close", n)
	}
}

func TestIntegrationNoGoroutineOrFDLeftAfterClose(t *testing.T) {
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, 3000)
	goroutines := runtime.NumGoroutine()
	fds := openFDs(t)

	for k := range 3 {
		c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
		if err != nil {
			t.Fatal(err)
		}
		churn(t, c, 60, 100000*(k+1))
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	waitForGoroutines(t, goroutines)
	if n := openFDs(t); n != fds {
		t.Fatalf("%d fds open after closing every Conn, %d before", n, fds)
	}
}

// Receive buffers outlive the Conn that used them: the next Conn takes them
// from the shared pool rather than allocating its own (a tool that opens a
// Conn per task must not allocate and fault in 64 KiB buffers every time).
func TestIntegrationConnsReuseReceiveBuffersOfClosedConns(t *testing.T) {
	if raceDetectorOn {
		t.Skip("sync.Pool drops pooled objects at random under the race detector")
	}
	ns := netnstest.New(t)
	use := func(dump bool) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		if dump {
			for _, err := range c.Dump(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(0), 0) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	allocated := func(dump bool) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		use(dump)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	// NB: sync.Pool gives no such promise across Ps (an object Put as one
	// P's private one is not seen from another) and empties at a collection:
	// measure on one P with the collector off, so that the test sees the
	// sharing between Conns and not the scheduler.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	use(true) // fills the pool
	// What the dump adds to opening and closing a Conn: its receive
	// buffers, unless they come from the pool.
	idle, dumping := allocated(false), allocated(true)
	if bufSize := uint64(defaultOptions().bufSize); dumping >= idle+bufSize {
		t.Fatalf("a Conn that dumped allocated %d bytes, %d more than one that did not: at least one receive buffer (%d bytes) of its own",
			dumping, dumping-idle, bufSize)
	}
}
