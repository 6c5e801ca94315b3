package rtnl

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// cpuTime is the process's user and system CPU time so far: on a machine
// whose cores are shared with other work, CPU time is what a contender
// costs, while wall time also counts the waits for a core. (The kernel's
// dump work runs in our recvmsg calls, so it is our system time.)
func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The Interleaved benchmarks run the contenders of BenchmarkRouteDump and
// BenchmarkRouteBatch in turn inside every iteration, so that a noisy
// machine slows them alike, and report each one's time per route and the
// ratios. On a shared machine their ratios are steadier than those of
// sub-benchmarks run minutes apart. Run:
//
//	go test -run '^$' -bench 'Interleaved' -count 6 ./rtnl/

func BenchmarkRouteDumpInterleaved(b *testing.B) {
	ns := benchNS(b)
	ctx := context.Background()
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	fl := newRawFloor(b, ns)
	c := dialIn(b, ns)
	var tFloor, tEngine, tIter, tList time.Duration
	var cFloor, cEngine, cIter, cList time.Duration
	routes := 0
	b.ReportAllocs()
	for b.Loop() {
		c0, t0 := cpuTime(), time.Now()
		n, err := fl.dump(nlmsg.RTMGetRoute, req, nil)
		if err != nil {
			b.Fatal(err)
		}
		c1, t1 := cpuTime(), time.Now()
		for _, err := range c.Engine().Dump(ctx, nlmsg.RTMGetRoute, req, 0) {
			if err != nil {
				b.Fatal(err)
			}
		}
		c2, t2 := cpuTime(), time.Now()
		m := 0
		for r, err := range c.Routes(ctx, f) {
			if err != nil {
				b.Fatal(err)
			}
			if r.Dst.IsValid() {
				m++
			}
		}
		c3, t3 := cpuTime(), time.Now()
		rs, err := c.RouteList(ctx, f)
		if err != nil || m != n || len(rs) != n {
			b.Fatalf("floor %d routes, iter %d, list %d (%v)", n, m, len(rs), err)
		}
		c4, t4 := cpuTime(), time.Now()
		tFloor, tEngine, tIter, tList = tFloor+t1.Sub(t0), tEngine+t2.Sub(t1), tIter+t3.Sub(t2), tList+t4.Sub(t3)
		cFloor, cEngine, cIter, cList = cFloor+c1-c0, cEngine+c2-c1, cIter+c3-c2, cList+c4-c3
		routes += n
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(routes) }
	b.ReportMetric(per(tFloor), "floor-ns/route")
	b.ReportMetric(per(tEngine), "engine-ns/route")
	b.ReportMetric(per(tIter), "iter-ns/route")
	b.ReportMetric(per(tList), "list-ns/route")
	b.ReportMetric(float64(tIter)/float64(tFloor), "iter/floor")
	b.ReportMetric(float64(tList)/float64(tFloor), "list/floor")
	b.ReportMetric(per(cFloor), "floor-cpu-ns/route")
	b.ReportMetric(per(cEngine), "engine-cpu-ns/route")
	b.ReportMetric(per(cIter), "iter-cpu-ns/route")
	b.ReportMetric(per(cList), "list-cpu-ns/route")
	b.ReportMetric(float64(cIter)/float64(cFloor), "iter/floor-cpu")
	b.ReportMetric(float64(cList)/float64(cFloor), "list/floor-cpu")
}

func BenchmarkRouteBatchInterleaved(b *testing.B) {
	ns := netnstest.New(b)
	ctx := context.Background()
	const oif = 500
	changes := make([]RouteChange, benchRoutes)
	raw := make([]engine.Op, benchRoutes)
	for i := range changes {
		changes[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, oif, TableMain)}
		p, _ := appendRoute(nil, &changes[i].Route, false)
		raw[i] = engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: p}
	}
	c := dialIn(b, ns)
	timed := func(apply func() error) (time.Duration, time.Duration) {
		b.StopTimer()
		ns.Run(b, "ip", "link", "add", "bv0", "index", "500", "type", "veth", "peer", "name", "bv1")
		ns.Run(b, "ip", "link", "set", "bv0", "up")
		b.StartTimer()
		c0, t0 := cpuTime(), time.Now()
		if err := apply(); err != nil {
			b.Fatal(err)
		}
		d, cd := time.Since(t0), cpuTime()-c0
		b.StopTimer()
		ns.Run(b, "ip", "link", "del", "bv0")
		b.StartTimer()
		return d, cd
	}
	var tEngine, tTyped, cEngine, cTyped time.Duration
	b.ReportAllocs()
	b.ResetTimer() // the payloads encoded above are not the batch's work
	for i := 0; i < b.N; i++ {
		d, cd := timed(func() error { return c.Engine().Batch(ctx, raw) })
		tEngine, cEngine = tEngine+d, cEngine+cd
		d, cd = timed(func() error { return c.ApplyRoutes(ctx, changes) })
		tTyped, cTyped = tTyped+d, cTyped+cd
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*benchRoutes) }
	b.ReportMetric(per(tEngine), "engine-ns/route")
	b.ReportMetric(per(tTyped), "typed-ns/route")
	b.ReportMetric(float64(tTyped)/float64(tEngine), "typed/engine")
	b.ReportMetric(per(cEngine), "engine-cpu-ns/route")
	b.ReportMetric(per(cTyped), "typed-cpu-ns/route")
	b.ReportMetric(float64(cTyped)/float64(cEngine), "typed/engine-cpu")
}
