//go:build linux

package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// cpuTime is the process's user and system CPU time so far. On a machine
// whose cores are shared with other work, wall time also counts the waits
// for a core; CPU time is what a contender costs. (The kernel's work for a
// request runs inside our syscalls, so it is our system time.)
func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// interleave runs the contenders in turn inside every iteration, each for
// block calls, so that a noisy machine slows them alike, and reports each
// one's wall and CPU time per call and each one's ratios to the first.
func interleave(b *testing.B, block int, names []string, fns []func() error) {
	wall := make([]time.Duration, len(fns))
	cpu := make([]time.Duration, len(fns))
	b.ReportAllocs()
	for b.Loop() {
		for i, fn := range fns {
			c0, t0 := cpuTime(), time.Now()
			for range block {
				if err := fn(); err != nil {
					b.Fatalf("%s: %v", names[i], err)
				}
			}
			wall[i] += time.Since(t0)
			cpu[i] += cpuTime() - c0
		}
	}
	calls := float64(block * b.N)
	for i, n := range names {
		b.ReportMetric(float64(wall[i].Nanoseconds())/calls, n+"-ns")
		b.ReportMetric(float64(cpu[i].Nanoseconds())/calls, n+"-cpu-ns")
		if i > 0 {
			b.ReportMetric(float64(wall[i])/float64(wall[0]), n+"/"+names[0])
			b.ReportMetric(float64(cpu[i])/float64(cpu[0]), n+"-cpu/"+names[0]+"-cpu")
		}
	}
}

// BenchmarkNoopInterleaved is BenchmarkNoop with the floor and the engine
// in turn, 256 round trips each per iteration. Run:
//
//	go test -run '^$' -bench 'Interleaved' -count 6 ./engine/
func BenchmarkNoopInterleaved(b *testing.B) {
	ns := netnstest.New(b)
	f := newFloor(b, ns)
	c := connectIn(b, ns, nlmsg.FamilyRoute)
	ctx := context.Background()
	interleave(b, 256, []string{"floor", "engine"}, []func() error{
		func() error { return f.roundTrip(nlmsg.Noop, 0, nil, nil) },
		func() error { return c.Noop(ctx) },
	})
}

// BenchmarkGetLinkInterleaved is BenchmarkGetLink (RTM_GETLINK of lo, with
// the ack) with the floor and the engine in turn.
func BenchmarkGetLinkInterleaved(b *testing.B) {
	ns := netnstest.New(b)
	f := newFloor(b, ns)
	c := connectIn(b, ns, nlmsg.FamilyRoute)
	ctx := context.Background()
	req := ifinfoPayload(1)
	none := func(nlmsg.View) error { return nil }
	interleave(b, 256, []string{"floor", "engine"}, []func() error{
		func() error { return f.roundTrip(unix.RTM_GETLINK, 0, req, nil) },
		func() error { return c.RequestFunc(ctx, unix.RTM_GETLINK, req, 0, none) },
	})
}

// BenchmarkGetLinkParallelInterleaved runs, in turn inside every iteration,
// 512 RTM_GETLINK round trips on the floor (one goroutine, one socket, with
// the ack), 512 on one engine Conn shared by 8 goroutines, and 512 on 2, 4
// and 8 floor sockets driven by a goroutine each (what the kernel gives two
// processors at best, and whether more sockets than processors lift it; the
// engine opens up to 8 of its own). It reports the engine's throughput over
// the single floor's (x-floor, from wall time), the two sockets'
// (ceiling-x-floor) and the 4 and 8 sockets' (floor4-x-floor,
// floor8-x-floor).
func BenchmarkGetLinkParallelInterleaved(b *testing.B) {
	const goroutines, block = 8, 512
	ns := netnstest.New(b)
	f := newFloor(b, ns)
	var socks [8]*floorConn
	for i := range socks {
		socks[i] = newFloor(b, ns)
	}
	c := connectIn(b, ns, nlmsg.FamilyRoute)
	ctx := context.Background()
	req := ifinfoPayload(1)
	none := func(nlmsg.View) error { return nil }
	widths := [...]int{2, 4, 8}
	var tFloor, tEngine time.Duration
	var tSocks [len(widths)]time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range block {
			mustNoErr(b, f.roundTrip(unix.RTM_GETLINK, 0, req, nil), "floor getlink")
		}
		t1 := time.Now()
		shareRequests(b, goroutines, block, 1, func(int) error {
			return c.RequestFunc(ctx, unix.RTM_GETLINK, req, 0, none)
		})
		tFloor += t1.Sub(t0)
		tEngine += time.Since(t1)
		for i, n := range widths {
			t := time.Now()
			shareRequests(b, n, block, 1, func(j int) error {
				return socks[j].roundTrip(unix.RTM_GETLINK, 0, req, nil)
			})
			tSocks[i] += time.Since(t)
		}
	}
	calls := float64(block * b.N)
	b.ReportMetric(float64(tFloor.Nanoseconds())/calls, "floor-ns/req")
	b.ReportMetric(float64(tEngine.Nanoseconds())/calls, "engine-ns/req")
	b.ReportMetric(float64(tSocks[0].Nanoseconds())/calls, "floor2-ns/req")
	b.ReportMetric(float64(tFloor)/float64(tEngine), "x-floor")
	b.ReportMetric(float64(tFloor)/float64(tSocks[0]), "ceiling-x-floor")
	b.ReportMetric(float64(tFloor)/float64(tSocks[1]), "floor4-x-floor")
	b.ReportMetric(float64(tFloor)/float64(tSocks[2]), "floor8-x-floor")
}

// shareRequests makes block requests from n goroutines at once, step
// requests per call of do (which is told its goroutine's index), and
// returns when they are all answered; a failure fails b.
func shareRequests(b *testing.B, n, block, step int, do func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for next.Add(int64(step)) <= int64(block) {
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
