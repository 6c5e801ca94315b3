package main

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// snapshot is what the process had consumed at one instant.
type snapshot struct {
	t            time.Time
	allocs       uint64 // heap objects allocated, tiny ones included
	bytes        uint64 // heap bytes allocated
	utime, stime time.Duration
}

var metricNames = []string{
	"/gc/heap/allocs:objects",
	"/gc/heap/tiny/allocs:objects", // not part of the line above
	"/gc/heap/allocs:bytes",
}

// take reads the allocation counters and the CPU time used so far.
//
// NB: runtime/metrics counts small allocations when a P's cached span is
// swapped, so a read can miss up to a span per size class per P; the GC
// before each read flushes those caches and makes the deltas exact.
func (s *snapshot) take(samples []metrics.Sample, cpuFirst bool) {
	readCPU := func() {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			s.utime = time.Duration(ru.Utime.Nano())
			s.stime = time.Duration(ru.Stime.Nano())
		}
	}
	if cpuFirst { // at the end of a run: stop the clocks before the GC
		s.t = time.Now()
		readCPU()
	}
	runtime.GC()
	if !cpuFirst {
		refillSudogCache()
		// The refill allocated after the GC; reading MemStats flushes the
		// per-processor caches again so that those are counted before.
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
	}
	metrics.Read(samples)
	s.allocs, s.bytes = 0, 0
	for i, smp := range samples {
		if smp.Value.Kind() != metrics.KindUint64 {
			continue
		}
		if i < 2 {
			s.allocs += smp.Value.Uint64()
		} else {
			s.bytes = smp.Value.Uint64()
		}
	}
	if !cpuFirst { // at the start: the GC is not the workload's
		readCPU()
		s.t = time.Now()
	}
}

// meter measures one run of one workload: its window (begin to end), the
// operations and messages counted in it, their latency histogram, and the
// allocations and CPU time the process used meanwhile. ops and msgs may be
// added to from any goroutine and are read live by the progress line; hist
// belongs to the workload's own goroutine, others merge theirs with mergeHist.
type meter struct {
	ctx      context.Context
	dur      time.Duration
	deadline time.Time
	state    atomic.Int32 // 0 before begin, 1 running, 2 ended

	ops  atomic.Int64
	msgs atomic.Int64

	mu   sync.Mutex
	hist histogram

	samples       []metrics.Sample
	before, after snapshot
}

func newMeter(ctx context.Context, dur time.Duration) *meter {
	m := &meter{ctx: ctx, dur: dur, samples: make([]metrics.Sample, len(metricNames))}
	for i, n := range metricNames {
		m.samples[i].Name = n
	}
	// The runtime builds its table of metrics at the first read, 55 small
	// allocations that begin's read would otherwise count against the run.
	metrics.Read(m.samples)
	return m
}

// begin opens the measured window; everything before it (connecting,
// warming up) is not counted.
func (m *meter) begin() {
	m.before.take(m.samples, false)
	m.deadline = m.before.t.Add(m.dur)
	m.state.Store(1)
}

// end closes the measured window; only the first call after begin counts.
// Only the workload's own goroutine calls begin and end.
func (m *meter) end() {
	if m.state.Load() != 1 {
		return
	}
	m.after.take(m.samples, true)
	m.state.Store(2) // publishes after to elapsed's readers
}

// done reports whether the window's time is up (as of now) or the run was
// interrupted.
func (m *meter) done(now time.Time) bool {
	return !now.Before(m.deadline) || m.ctx.Err() != nil
}

// add counts ops operations that carried msgs messages.
func (m *meter) add(ops, msgs int) {
	m.ops.Add(int64(ops))
	m.msgs.Add(int64(msgs))
}

// mergeHist adds a goroutine's latencies to the run's histogram.
func (m *meter) mergeHist(h *histogram) {
	m.mu.Lock()
	m.hist.merge(h)
	m.mu.Unlock()
}

// elapsed returns the window's length so far (or in total, once ended).
func (m *meter) elapsed() time.Duration {
	switch m.state.Load() {
	case 1:
		return time.Since(m.before.t)
	case 2:
		return m.after.t.Sub(m.before.t)
	}
	return 0
}

// refillSudogCache gives the runtime back the free sudogs its GC just
// dropped, before the window's counters are read.
//
// A sudog is the record a goroutine parks on in a channel operation or a
// select. Each processor caches up to 128 and the runtime keeps a central
// list that every GC empties; a processor whose cache runs dry takes from
// the central list and allocates only when that too is empty. After the
// GC that opens the window, a goroutine that parks on one processor and
// wakes on the other (a dump's owner waiting on its reader) moves sudogs
// from one cache to the other, and the runtime allocates new ones until
// there are as many as the caches hold, up to about 130 on two
// processors, sooner or later in the run (a CI run counted 63 allocations
// in 200 ms and 167 in 1 s): counted against the workload, they looked
// like a cost per dump. Parking more goroutines at once than the caches
// hold and waking them all leaves that many free sudogs behind, so the
// workload's parking allocates nothing until the next GC, as it would in
// a process whose heap does not churn.
func refillSudogCache() {
	n := 128*runtime.GOMAXPROCS(0) + 64
	var parked, woken sync.WaitGroup
	wake := make(chan struct{})
	parked.Add(n)
	woken.Add(n)
	for range n {
		go func() {
			parked.Done()
			<-wake
			woken.Done()
		}()
	}
	parked.Wait()
	time.Sleep(time.Millisecond) // let the last ones reach the receive
	close(wake)
	woken.Wait()
}
