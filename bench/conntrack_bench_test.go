package bench

import (
	"context"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	timo "github.com/ti-mo/conntrack"
	vish "github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/conntrack"
	"github.com/nlengine/nlengine/engine"
	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// Conntrack workloads: a full table (nf_conntrack_max = 262 144 entries on
// these machines, all UDP to one service address), dumped whole, and
// 100 000 of its entries (one mark) deleted. Contenders, each through its
// public API as its users write it:
//
//   - nlengine: conntrack.Conn.Dump (in place) and .List (owned copies);
//     DeleteFiltered (a kernel-filtered dump, then engine.Batch).
//   - timo: github.com/ti-mo/conntrack v0.6.0: Conn.Dump; for the delete,
//     DumpFilter with a mark filter (kernel-side), then Conn.Delete per flow.
//   - vishvananda: github.com/vishvananda/netlink v1.3.1:
//     Handle.ConntrackTableList; Handle.ConntrackDeleteFilters with a
//     CustomConntrackFilter matching the mark (it dumps the table and
//     deletes matches one by one).
//
// Metrics: ns/entry; alloc-MiB/op (bytes allocated per op); peak-heap-MiB
// (live heap above the level before the op, sampled every millisecond);
// maxrss-MiB (the process's peak RSS so far: meaningful when one lib runs
// per process, as conntrack_run below does with -bench 'Conntrack.*/lib=X').

const (
	ctFull       = 262_144
	ctDelete     = 100_000
	ctDeleteMark = 0xd0d0
)

func ctFlow(i int) conntrack.Flow {
	f := conntrack.Flow{
		Orig:    conntrack.Tuple{Src: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Dst: netip.AddrFrom4([4]byte{10, 96, 0, 10}), Proto: conntrack.ProtoUDP, SrcPort: uint16(1024 + i%60000), DstPort: 53},
		Timeout: 3600,
	}
	if i%2 == 1 && i < 2*ctDelete {
		f.Mark = ctDeleteMark
	}
	return f
}

// ctCreate creates entries from, from+step, ... below to with nlengine, in
// chunks, so the setup holds little memory.
func ctCreate(tb testing.TB, c *conntrack.Conn, from, to, step int) {
	tb.Helper()
	chunk := make([]conntrack.Flow, 0, 8192)
	flush := func() {
		if _, err := c.CreateFlows(context.Background(), chunk); err != nil {
			tb.Fatalf("creating entries: %v", err)
		}
		chunk = chunk[:0]
	}
	for i := from; i < to; i += step {
		chunk = append(chunk, ctFlow(i))
		if len(chunk) == cap(chunk) {
			flush()
		}
	}
	flush()
}

// ctFullNS returns a namespace holding a full table and an nlengine Conn in it.
func ctFullNS(b *testing.B) (*ns.NS, *conntrack.Conn) {
	b.Helper()
	n := ns.New(b)
	c, err := conntrack.Dial(context.Background(), engine.WithNetNSFD(n.FD()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctCreate(b, c, 0, ctFull, 1)
	st, err := c.Stats(context.Background())
	if err != nil || st.Entries != ctFull {
		b.Fatalf("table holds %d entries (%v), want %d", st.Entries, err, ctFull)
	}
	return n, c
}

// heapPeak samples the live heap every millisecond until stop is called,
// which returns the peak above the level at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		if peak < base {
			return 0
		}
		return peak - base
	}
}

func maxRSSMiB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

// ctMeasure runs op b.N times and reports the conntrack metrics; op
// returns how many entries it handled.
func ctMeasure(b *testing.B, want int, op func() int, setup func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	var peak uint64
	runtime.ReadMemStats(&before)
	total := 0
	for i := 0; i < b.N; i++ {
		if setup != nil && i > 0 {
			b.StopTimer()
			setup()
			b.StartTimer()
		}
		stop := heapPeak()
		n := op()
		peak = max(peak, stop())
		if n != want {
			b.Fatalf("handled %d entries, want %d", n, want)
		}
		total += n
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/entry")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(maxRSSMiB(), "maxrss-MiB")
}

func dialTimo(b *testing.B, n *ns.NS) *timo.Conn {
	c, err := timo.Dial(&netlink.Config{NetNS: n.FD()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func dialVishCT(b *testing.B, n *ns.NS) *vish.Handle {
	h, err := vish.NewHandleAt(nsHandle(n), unix.NETLINK_NETFILTER)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

func BenchmarkConntrackDump(b *testing.B) {
	n, c := ctFullNS(b)
	b.Run("lib=nlengine/impl=iter", func(b *testing.B) {
		ctMeasure(b, ctFull, func() int {
			k := 0
			for f, err := range c.Dump(context.Background(), nil) {
				must(b, err, "dump")
				if f.Orig.DstPort == 53 {
					k++
				}
			}
			return k
		}, nil)
	})
	b.Run("lib=nlengine/impl=list", func(b *testing.B) {
		ctMeasure(b, ctFull, func() int {
			l, err := c.List(context.Background(), nil)
			must(b, err, "list")
			return len(l)
		}, nil)
	})
	b.Run("lib=timo", func(b *testing.B) {
		t := dialTimo(b, n)
		ctMeasure(b, ctFull, func() int {
			l, err := t.Dump(nil)
			must(b, err, "dump")
			return len(l)
		}, nil)
	})
	b.Run("lib=vishvananda", func(b *testing.B) {
		h := dialVishCT(b, n)
		ctMeasure(b, ctFull, func() int {
			l, err := h.ConntrackTableList(vish.ConntrackTable, unix.AF_INET)
			must(b, err, "list")
			return len(l)
		}, nil)
	})
}

// markFilter is a vishvananda CustomConntrackFilter selecting one mark.
type markFilter uint32

func (m markFilter) MatchConntrackFlow(f *vish.ConntrackFlow) bool { return f.Mark == uint32(m) }

func BenchmarkConntrackBulkDelete(b *testing.B) {
	n, c := ctFullNS(b)
	refill := func() { ctCreate(b, c, 1, 2*ctDelete, 2) }
	b.Run("lib=nlengine", func(b *testing.B) {
		flt := &conntrack.Filter{Mark: ctDeleteMark, MarkMask: 0xffffffff}
		ctMeasure(b, ctDelete, func() int {
			k, err := c.DeleteFiltered(context.Background(), flt, nil)
			must(b, err, "delete")
			return k
		}, refill)
		b.StopTimer()
		refill()
	})
	b.Run("lib=timo", func(b *testing.B) {
		t := dialTimo(b, n)
		ctMeasure(b, ctDelete, func() int {
			l, err := t.DumpFilter(timo.NewFilter().Mark(ctDeleteMark).MarkMask(0xffffffff), nil)
			must(b, err, "dump")
			k := 0
			for _, f := range l {
				if err := t.Delete(f); err == nil {
					k++
				}
			}
			return k
		}, refill)
		b.StopTimer()
		refill()
	})
	b.Run("lib=vishvananda", func(b *testing.B) {
		h := dialVishCT(b, n)
		ctMeasure(b, ctDelete, func() int {
			k, err := h.ConntrackDeleteFilters(vish.ConntrackTable, unix.AF_INET, markFilter(ctDeleteMark))
			must(b, err, "delete")
			return int(k)
		}, refill)
		b.StopTimer()
		refill()
	})
}
