package rtnl

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// The pipelined dump benchmarks measure the typed route iterator, which
// decodes every route, against the raw floor, which only scans: with the
// engine's read-ahead the kernel builds the next chunk while the loop body
// decodes this one, so the typed dump can take no longer than the raw one.
// impl=noahead is the iterator with read-ahead off. Run:
//
//	go test -run '^$' -bench 'RouteDumpPipelined' -count 6 ./rtnl/

// dialAhead is dialIn with read-ahead on or off.
func dialAhead(tb testing.TB, ns *netnstest.NS, on bool) *Conn {
	tb.Helper()
	c, err := Dial(context.Background(), engine.WithNetNSFD(ns.FD()), engine.WithDumpReadAhead(on))
	if err != nil {
		tb.Fatalf("rtnl.Dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// iterRoutes runs c.Routes to the end and returns how many routes it saw.
func iterRoutes(tb testing.TB, c *Conn, f RouteFilter) int {
	n := 0
	var sink uint32
	for r, err := range c.Routes(context.Background(), f) {
		if err != nil {
			tb.Fatal(err)
		}
		sink += uint32(r.OIF)
		n++
	}
	_ = sink
	return n
}

func BenchmarkRouteDumpPipelined(b *testing.B) {
	ns := benchNS(b)
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	b.Run("impl=floor", floorRouteDump(ns, req))
	for _, k := range []struct {
		impl string
		on   bool
	}{{"engine", true}, {"noahead", false}} {
		b.Run("impl="+k.impl, func(b *testing.B) {
			c := dialAhead(b, ns, k.on)
			b.ReportAllocs()
			total := 0
			for b.Loop() {
				total += iterRoutes(b, c, f)
			}
			perRoute(b, total)
		})
	}
}

// BenchmarkRouteDumpPipelinedInterleaved runs the three of
// BenchmarkRouteDumpPipelined in turn inside every iteration and reports
// each one's wall and CPU time per route and the ratios to the floor: on a
// shared machine a noisy moment slows all three alike.
//
// A fourth contender, floor-busy, is the raw floor's dump while another
// goroutine keeps the second processor busy with arithmetic alone (no
// memory traffic, no system calls): what the kernel's share of a pipelined
// dump costs when the other processor decodes, the best any pipeline can
// do on the machine. On a VM whose two vCPUs share a core or a power
// budget, it is slower than the floor alone (floor-busy/floor), and
// engine/floor-busy is how far the engine is from that bound. It runs only
// with GOMAXPROCS > 1.
//
// A fifth, piped, is the raw floor with the decoding moved to a second
// goroutine and nothing else (pipedFloor): raw system calls, a channel, the
// same Route decoder. engine/piped is what the engine's read-ahead adds to
// the plainest pipeline; piped/floor is what running the decoder beside
// the kernel's work costs on the machine.
func BenchmarkRouteDumpPipelinedInterleaved(b *testing.B) {
	ns := benchNS(b)
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	fl := newRawFloor(b, ns)
	on, off := dialAhead(b, ns, true), dialAhead(b, ns, false)
	busy := runtime.GOMAXPROCS(0) > 1
	piped := newPipedFloor(b, newRawFloor(b, ns))
	var tFloor, tOn, tOff, tBusy, tPiped, cFloor, cOn, cOff time.Duration
	routes := 0
	b.ReportAllocs()
	for b.Loop() {
		c0, t0 := cpuTime(), time.Now()
		n, err := fl.dump(nlmsg.RTMGetRoute, req, nil)
		if err != nil {
			b.Fatal(err)
		}
		c1, t1 := cpuTime(), time.Now()
		m := iterRoutes(b, on, f)
		c2, t2 := cpuTime(), time.Now()
		k := iterRoutes(b, off, f)
		c3, t3 := cpuTime(), time.Now()
		if m != n || k != n {
			b.Fatalf("floor %d routes, engine %d, noahead %d", n, m, k)
		}
		t4 := time.Now()
		if p, err := piped.dump(req); err != nil || p != n {
			b.Fatalf("piped floor: %d routes, %v; the floor %d", p, err, n)
		}
		tPiped += time.Since(t4)
		if busy {
			d, err := whileNeighbourBusy(func() error {
				_, err := fl.dump(nlmsg.RTMGetRoute, req, nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			tBusy += d
		}
		tFloor, tOn, tOff = tFloor+t1.Sub(t0), tOn+t2.Sub(t1), tOff+t3.Sub(t2)
		cFloor, cOn, cOff = cFloor+c1-c0, cOn+c2-c1, cOff+c3-c2
		routes += n
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(routes) }
	b.ReportMetric(per(tFloor), "floor-ns/route")
	b.ReportMetric(per(tOn), "engine-ns/route")
	b.ReportMetric(per(tOff), "noahead-ns/route")
	b.ReportMetric(float64(tOn)/float64(tFloor), "engine/floor")
	b.ReportMetric(float64(tOff)/float64(tFloor), "noahead/floor")
	b.ReportMetric(per(cFloor), "floor-cpu-ns/route")
	b.ReportMetric(per(cOn), "engine-cpu-ns/route")
	b.ReportMetric(per(cOff), "noahead-cpu-ns/route")
	b.ReportMetric(float64(cOn)/float64(cFloor), "engine/floor-cpu")
	b.ReportMetric(per(tPiped), "piped-ns/route")
	b.ReportMetric(float64(tPiped)/float64(tFloor), "piped/floor")
	b.ReportMetric(float64(tOn)/float64(tPiped), "engine/piped")
	if busy {
		b.ReportMetric(per(tBusy), "floor-busy-ns/route")
		b.ReportMetric(float64(tBusy)/float64(tFloor), "floor-busy/floor")
		b.ReportMetric(float64(tOn)/float64(tBusy), "engine/floor-busy")
	}
}

// whileNeighbourBusy returns how long fn took while another goroutine kept
// a second processor busy with arithmetic that touches no memory; the
// spinner has stopped when it returns.
func whileNeighbourBusy(fn func() error) (time.Duration, error) {
	var stop atomic.Bool
	started, done := make(chan struct{}), make(chan uint64)
	go func() {
		x := uint64(1)
		close(started)
		for !stop.Load() {
			for range 1000 {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		done <- x
	}()
	<-started
	t0 := time.Now()
	err := fn()
	d := time.Since(t0)
	stop.Store(true)
	<-done
	return d, err
}
