package rtnl

import (
	"slices"
	"testing"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
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
	median := func(v []float64) float64 {
		slices.Sort(v)
		return v[len(v)/2]
	}
	for i, n := range names {
		b.ReportMetric(median(times[i]), n+"-ns/"+unit)
		if i > 0 {
			b.ReportMetric(median(ratios[i]), n+"/"+names[0])
		}
	}
	b.ReportMetric(0, "ns/op") // the per-implementation metrics say it
}

// BenchmarkLinkDumpInterleaved measures the four paths of BenchmarkLinkDump
// in the same iterations: their ratios to the floor.
func BenchmarkLinkDumpInterleaved(b *testing.B) {
	ns := linksNS(b)
	req := (&LinkFilter{}).dumpRequest(true)
	f := newRawFloor(b, ns)
	c := dialIn(b, ns)
	var l Link
	decode := decodeEach(nlmsg.RTMNewLink, func(p []byte) error { return l.Decode(p) })
	must := func(n int, err error) {
		if err != nil || n != 1001 {
			b.Fatalf("%d links, %v", n, err)
		}
	}
	interleaved(b, 1001, "link", []string{"floor", "engine", "iter", "list"}, []func(){
		func() { must(f.dump(nlmsg.RTMGetLink, req, decode)) },
		func() {
			n := 0
			for m, err := range c.Engine().Dump(bg, nlmsg.RTMGetLink, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				if m.Type() == nlmsg.RTMNewLink {
					if err := l.Decode(m.Payload()); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			must(n, nil)
		},
		func() {
			n := 0
			for _, err := range c.Links(bg, LinkFilter{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			must(n, nil)
		},
		func() { ls, err := c.LinkList(bg, LinkFilter{}); must(len(ls), err) },
	})
}

// BenchmarkAddrDumpInterleaved is BenchmarkLinkDumpInterleaved for the
// 1 002-address dump.
func BenchmarkAddrDumpInterleaved(b *testing.B) {
	ns := addrsNS(b)
	req := (&AddrFilter{}).dumpRequest(true)
	f := newRawFloor(b, ns)
	c := dialIn(b, ns)
	var a Addr
	decode := decodeEach(nlmsg.RTMNewAddr, func(p []byte) error { return a.Decode(p) })
	must := func(n int, err error) {
		if err != nil || n != 1002 {
			b.Fatalf("%d addresses, %v", n, err)
		}
	}
	interleaved(b, 1002, "addr", []string{"floor", "engine", "iter", "list"}, []func(){
		func() { must(f.dump(nlmsg.RTMGetAddr, req, decode)) },
		func() {
			n := 0
			for m, err := range c.Engine().Dump(bg, nlmsg.RTMGetAddr, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				if m.Type() == nlmsg.RTMNewAddr {
					if err := a.Decode(m.Payload()); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			must(n, nil)
		},
		func() {
			n := 0
			for _, err := range c.Addrs(bg, AddrFilter{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			must(n, nil)
		},
		func() { as, err := c.AddrList(bg, AddrFilter{}); must(len(as), err) },
	})
}
