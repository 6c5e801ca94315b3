//go:build linux

package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

var soak = flag.Duration("soak", 3*time.Second, "how long TestSoak runs; the long run is -soak=60s")

// soakKinds names what the soak workers do, for the tally.
var soakKinds = [...]string{
	"noop", "request", "dump", "batch add+delete",
	"cancelled before", "cancelled in flight", "cancelled mid-dump", "cancelled batch", "dump left early",
}

// TestSoak runs 8 goroutines on one Conn for -soak (3 s by default, 60 s for
// the long run), each mixing requests, dumps, batches and cancellations at
// random. Every call must return, with success or an expected error
// (context.Canceled where the test cancelled, ErrDumpInterrupted for a dump
// that met a change); afterwards no reply is outstanding (the driver's books
// are empty, so every request sent got its final answer), every pooled
// pending and buffer is back, the kernel reported no overrun and sent
// nothing malformed, and the heap after the run is no larger than after the
// warm-up (plus slack for the runtime).
//
//	go test -race -run Soak ./engine/ -soak=60s
func TestSoak(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	const baseRoutes = 1000
	addRoutes(t, c, baseRoutes)
	goroutines := runtime.NumGoroutine()

	var tally [len(soakKinds)]struct{ calls, ok, canceled, intr atomic.Int64 }
	errs := make(chan error, 64)
	fail := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}

	// One round of every kind warms the pools before the heap baseline.
	run := func(w int, rng *rand.Rand, kind, round int) {
		k := &tally[kind]
		k.calls.Add(1)
		expect := func(err error, cancelled bool) {
			switch {
			case err == nil:
				k.ok.Add(1)
			case cancelled && errors.Is(err, context.Canceled):
				k.canceled.Add(1)
			case errors.Is(err, ErrDumpInterrupted):
				k.intr.Add(1)
			default:
				fail("worker %d, %s: %v", w, soakKinds[kind], err)
			}
		}
		bg := context.Background()
		switch kind {
		case 0:
			expect(c.Noop(bg), false)
		case 1:
			msgs, err := c.Request(bg, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			if err == nil && !isLoReply(msgs) {
				fail("worker %d: wrong answer to RTM_GETLINK lo: %d messages", w, len(msgs))
			}
			expect(err, false)
		case 2:
			n := 0
			var last error
			for _, err := range c.Dump(bg, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					last = err
					break
				}
				n++
			}
			if last == nil && n < baseRoutes {
				fail("worker %d: a dump returned %d routes, want at least %d", w, n, baseRoutes)
			}
			expect(last, false)
		case 3:
			// Routes of this worker's own range: adding and deleting them
			// must succeed exactly.
			first := 100_000 + w*1000 + (round%40)*20
			err := c.Batch(bg, routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, first, first+20))
			if err == nil {
				err = c.Batch(bg, routeOps(unix.RTM_DELROUTE, 0, first, first+20))
			}
			expect(err, false)
		case 4:
			ctx, cancel := context.WithCancel(bg)
			cancel()
			_, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			if err == nil {
				fail("worker %d: a request under a cancelled context succeeded", w)
			}
			expect(err, true)
		case 5:
			ctx, cancel := soakCancelSoon(rng)
			var err error
			if rng.IntN(2) == 0 {
				err = c.Noop(ctx)
			} else {
				var msgs []nlmsg.Message
				msgs, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
				if err == nil && !isLoReply(msgs) {
					fail("worker %d: wrong answer to RTM_GETLINK lo: %d messages", w, len(msgs))
				}
			}
			cancel()
			expect(err, true)
		case 6:
			ctx, cancel := context.WithCancel(bg)
			stopAt, n := rng.IntN(2*baseRoutes), 0
			var last error
			for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					last = err
					break
				}
				if n++; n == stopAt {
					cancel()
				}
			}
			cancel()
			expect(last, true)
		case 7:
			// Idempotent replaces in the worker's own range, cancelled at a
			// random moment: any prefix may have been applied.
			ctx, cancel := soakCancelSoon(rng)
			first := 200_000 + w*1000
			ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Replace, first, first+1+rng.IntN(300))
			err := c.Batch(ctx, ops)
			cancel()
			for i, op := range ops {
				if op.Err != nil && !errors.Is(op.Err, context.Canceled) {
					fail("worker %d: cancelled batch op %d: %v", w, i, op.Err)
				}
			}
			expect(err, true)
		case 8:
			n, stopAt := 0, rng.IntN(baseRoutes)
			for _, err := range c.Dump(bg, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					expect(err, false)
					return
				}
				if n++; n >= stopAt {
					break
				}
			}
			k.ok.Add(1)
		}
	}

	for kind := range soakKinds {
		run(0, rand.New(rand.NewPCG(0, uint64(kind))), kind, 0)
	}
	heapBase := settledHeap()

	start := time.Now()
	deadline := start.Add(*soak)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			for round := 0; time.Now().Before(deadline); round++ {
				run(w, rng, rng.IntN(len(soakKinds)), round)
			}
		})
	}
	// Hang watchdog: every call is short, so the workers end soon after
	// the deadline.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(*soak + 60*time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("workers hung:\n%s", buf[:runtime.Stack(buf, true)])
	}
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var total int64
	for i := range tally {
		k := &tally[i]
		total += k.calls.Load()
		t.Logf("%-20s %7d calls: %7d ok, %6d cancelled, %4d interrupted", soakKinds[i], k.calls.Load(), k.ok.Load(), k.canceled.Load(), k.intr.Load())
		if k.calls.Load() != k.ok.Load()+k.canceled.Load()+k.intr.Load() && len(errs) == 0 {
			t.Errorf("%s: %d calls but %d outcomes", soakKinds[i], k.calls.Load(), k.ok.Load()+k.canceled.Load()+k.intr.Load())
		}
	}
	st := c.Stats()
	t.Logf("%d calls in %v by 8 goroutines; stats %+v", total, elapsed.Round(time.Millisecond), st)

	// Every reply accounted for: the kernel's answers to what was abandoned
	// have been drained (a dump and a Noop come after all of them), and
	// nothing is left in flight or out of the pools.
	for range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
	}
	if err := c.Noop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkQuiet(t, c)
	if st.Overruns != 0 || st.DroppedForeign != 0 || st.DroppedMalformed != 0 || st.Truncated != 0 {
		t.Errorf("unexpected losses: %d overruns, %d foreign, %d malformed, %d truncated", st.Overruns, st.DroppedForeign, st.DroppedMalformed, st.Truncated)
	}

	// Memory flat: what the warm-up left on the heap is all the run may
	// keep, give or take what the runtime itself holds.
	heapEnd := settledHeap()
	t.Logf("heap after warm-up %d KiB, after the run %d KiB", heapBase>>10, heapEnd>>10)
	if heapEnd > heapBase+soakHeapSlack {
		t.Errorf("heap grew from %d KiB to %d KiB over the run", heapBase>>10, heapEnd>>10)
	}
	deadlineG := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadlineG) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after the run, %d before", n, goroutines)
	}
}

// soakHeapSlack is how much the live heap may differ between two settled
// measurements for reasons that are not the engine's (runtime metadata,
// the race detector's shadow bookkeeping, test logging).
const soakHeapSlack = 4 << 20

// settledHeap returns the live heap after two collections (the second
// empties sync.Pool's victim cache, so pooled buffers do not count).
func settledHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// soakCancelSoon returns a context that a goroutine cancels after a random
// number of scheduling rounds: before, during or after the call.
func soakCancelSoon(rng *rand.Rand) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	spins := rng.IntN(40)
	go func() {
		for range spins {
			runtime.Gosched()
		}
		cancel()
	}()
	return ctx, cancel
}
