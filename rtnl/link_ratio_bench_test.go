package rtnl

import (
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// interleaved runs the dumps of impls one after the other in each
// iteration (rotating which goes first) and reports, besides each one's
// median time per object, the median over iterations of each one's time
// divided by the first's (the floor). On a shared, noisy machine this
// ratio is much steadier than one taken between separate sub-benchmarks,
// which run seconds apart.
func interleaved(b *testing.B, items int, unit string, names []string, impls []func()) {
	times := make([][]float64, len(impls))
	ratios := make([][]float64, len(impls))
	round := 0
	for b.Loop() {
		d := make([]float64, len(impls))
		for k := range impls {
			i := (k + round) % len(impls)
			start := time.Now()
			impls[i]()
			d[i] = float64(time.Since(start).Nanoseconds()) / float64(items)
		}
		round++
		for i := range impls {
			times[i] = append(times[i], d[i])
			ratios[i] = append(ratios[i], d[i]/d[0])
		}
	}
	for i, n := range names {
		b.ReportMetric(median(times[i]), n+"-ns/"+unit)
		if i > 0 {
			b.ReportMetric(median(ratios[i]), n+"/"+names[0])
		}
	}
	b.ReportMetric(0, "ns/op") // the per-implementation metrics say it
}

// interleavedDump runs d's four paths through interleaved, on one floor
// and one Conn.
func interleavedDump[T any](b *testing.B, d *objectDump[T], ns *netnstest.NS) {
	f, c := newRawFloor(b, ns), dialIn(b, ns)
	impls := make([]func(), len(dumpImpls))
	for i, name := range dumpImpls {
		dump := d.impl(b, name, f, c)
		impls[i] = func() {
			if n := dump(); n != d.want {
				b.Fatalf("%s: %d %ss, want %d", name, n, d.unit, d.want)
			}
		}
	}
	interleaved(b, d.want, d.unit, dumpImpls, impls)
}

// BenchmarkLinkDumpInterleaved measures the four paths of BenchmarkLinkDump
// in the same iterations: their ratios to the floor.
func BenchmarkLinkDumpInterleaved(b *testing.B) { interleavedDump(b, &linkDump, linksNS(b)) }

// BenchmarkAddrDumpInterleaved is BenchmarkLinkDumpInterleaved for the
// 1 002-address dump.
func BenchmarkAddrDumpInterleaved(b *testing.B) { interleavedDump(b, &addrDump, addrsNS(b)) }
