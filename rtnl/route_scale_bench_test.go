package rtnl

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// BenchmarkRouteDumpScale compares a typed dump (the Routes iterator) of
// 1 000 000 routes with one of 10 000: the time per route of the large one
// over the small one's (measured in the same iteration: one large dump,
// then 100 small ones; the median of the per-iteration ratios; target
// ≤ 1.05), and the peak RSS the large dump adds, against the raw floor's
// (target: at most 16 MiB more). It also reports the large typed dump over
// the large raw floor's and over the plainest pipelined floor's
// (pipedFloor). The 1 000 000-route namespace takes a while to build, so
// the benchmark runs only with NLBENCH_SCALE=1; an iteration takes about
// 1.5 s, so -benchtime 5x makes each run a median of 5 ratios, not 1:
//
//	NLBENCH_SCALE=1 go test -run '^$' -bench 'RouteDumpScale' -benchtime 5x -count 6 ./rtnl/
func BenchmarkRouteDumpScale(b *testing.B) {
	if os.Getenv("NLBENCH_SCALE") != "1" {
		b.Skip("set NLBENCH_SCALE=1 (builds a namespace of 1 000 000 routes)")
	}
	const small, large = 10_000, 1_000_000
	nsSmall, nsLarge := scaleNS(b, small), scaleNS(b, large)
	ctx := context.Background()
	cs, cl := dialIn(b, nsSmall), dialIn(b, nsLarge)
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	typed := func(c *Conn, want int) {
		n := 0
		for r, err := range c.Routes(ctx, f) {
			if err != nil {
				b.Fatal(err)
			}
			if r.Dst.IsValid() {
				n++
			}
		}
		if n < want || n > want+3 { // and lo's 127.0.0.0/8, 127.0.0.1, 127.255.255.255
			b.Fatalf("%d routes, want %d", n, want)
		}
	}

	// Peak RSS, once: each contender starts from a collected heap and a
	// reset high-water mark.
	fl := newRawFloor(b, nsLarge)
	floorRSS := peakRSSOf(b, func() {
		if n, err := fl.dump(nlmsg.RTMGetRoute, req, nil); err != nil || n < large {
			b.Fatalf("floor: %d routes, %v", n, err)
		}
	})
	typedRSS := peakRSSOf(b, func() { typed(cl, large) })
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	typed(cl, large)
	runtime.ReadMemStats(&ms1)

	// The floor's own large/small ratio is the kernel's: a larger FIB
	// costs it more per route (a deeper trie, more cache misses).
	fs := newRawFloor(b, nsSmall)
	floor := func(f *rawFloor, want int) {
		if n, err := f.dump(nlmsg.RTMGetRoute, req, nil); err != nil || n < want {
			b.Fatalf("floor: %d routes (want %d), %v", n, want, err)
		}
	}
	// The plainest pipeline (see pipedFloor) on the large namespace: what
	// decoding beside the kernel costs at this size on the machine.
	pl := newPipedFloor(b, newRawFloor(b, nsLarge))
	var tSmall, tLarge, cSmall, cLarge time.Duration
	var ratio, ratioCPU, floorRatio, floorRatioCPU, largeVsFloor, pipedVsFloor, largeVsPiped []float64
	b.ReportAllocs()
	for b.Loop() {
		c0, t0 := cpuTime(), time.Now()
		typed(cl, large)
		c1, t1 := cpuTime(), time.Now()
		for range large / small {
			typed(cs, small)
		}
		c2, t2 := cpuTime(), time.Now()
		floor(fl, large)
		c3, t3 := cpuTime(), time.Now()
		for range large / small {
			floor(fs, small)
		}
		c4, t4 := cpuTime(), time.Now()
		if n, err := pl.dump(req); err != nil || n < large {
			b.Fatalf("piped floor: %d routes, %v", n, err)
		}
		t5 := time.Now()
		tLarge, tSmall, cLarge, cSmall = tLarge+t1.Sub(t0), tSmall+t2.Sub(t1), cLarge+c1-c0, cSmall+c2-c1
		ratio = append(ratio, float64(t1.Sub(t0))/float64(t2.Sub(t1)))
		ratioCPU = append(ratioCPU, float64(c1-c0)/float64(c2-c1))
		floorRatio = append(floorRatio, float64(t3.Sub(t2))/float64(t4.Sub(t3)))
		floorRatioCPU = append(floorRatioCPU, float64(c3-c2)/float64(c4-c3))
		largeVsFloor = append(largeVsFloor, float64(t1.Sub(t0))/float64(t3.Sub(t2)))
		pipedVsFloor = append(pipedVsFloor, float64(t5.Sub(t4))/float64(t3.Sub(t2)))
		largeVsPiped = append(largeVsPiped, float64(t1.Sub(t0))/float64(t5.Sub(t4)))
	}
	b.ReportMetric(median(floorRatio), "floor-large/small")
	b.ReportMetric(median(floorRatioCPU), "floor-large/small-cpu")
	b.ReportMetric(median(largeVsFloor), "large-typed/floor")
	b.ReportMetric(median(pipedVsFloor), "large-piped/floor")
	b.ReportMetric(median(largeVsPiped), "large-typed/piped")
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*large) }
	b.ReportMetric(per(tLarge), "large-ns/route")
	b.ReportMetric(per(tSmall), "small-ns/route")
	b.ReportMetric(median(ratio), "large/small")
	b.ReportMetric(per(cLarge), "large-cpu-ns/route")
	b.ReportMetric(per(cSmall), "small-cpu-ns/route")
	b.ReportMetric(median(ratioCPU), "large/small-cpu")
	b.ReportMetric(float64(floorRSS)/(1<<20), "floor-peak-rss-MiB")
	b.ReportMetric(float64(typedRSS)/(1<<20), "typed-peak-rss-MiB")
	b.ReportMetric(float64(typedRSS-floorRSS)/(1<<20), "typed-floor-rss-MiB")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc), "typed-B/dump")
}

// scaleNS is a namespace with n IPv4 host routes in main via lo, added by
// raw batches of 100 000 RTM_NEWROUTE.
func scaleNS(b *testing.B, n int) *netnstest.NS {
	t0 := time.Now()
	ns := netnstest.New(b)
	ec, err := engine.Connect(context.Background(), nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		b.Fatal(err)
	}
	defer ec.Close()
	const chunk = 100_000
	for at := 0; at < n; at += chunk {
		ops := routeOps(min(chunk, n-at), 0)
		for i := range ops { // renumber: routeOps starts at 10.0.0.0
			r := hostRoute(at+i, 1, TableMain)
			ops[i].Payload, _ = appendRoute(ops[i].Payload[:0], &r, false)
		}
		if err := ec.Batch(context.Background(), ops); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d routes in %v", n, time.Since(t0).Round(time.Millisecond))
	return ns
}

// peakRSSOf returns how much fn raised the process's peak resident set
// (VmHWM), from a collected heap and a high-water mark reset to the
// current RSS (writing 5 to /proc/self/clear_refs).
func peakRSSOf(b *testing.B, fn func()) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	base := procStatus(b, "VmRSS:")
	fn()
	return procStatus(b, "VmHWM:") - base
}

// procStatus returns a /proc/self/status field in bytes.
func procStatus(b *testing.B, field string) int64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.Index(st, []byte(field))
	if i < 0 {
		b.Fatalf("no %s in /proc/self/status", field)
	}
	line := st[i+len(field):]
	line = line[:bytes.IndexByte(line, '\n')]
	kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return kb << 10
}
