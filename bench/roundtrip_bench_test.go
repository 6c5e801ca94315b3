package bench

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// loIndex is the ifindex of lo, the link every round-trip workload asks for.
const loIndex = 1

// checkLo fails b unless l is lo as a new namespace has it.
func checkLo(b *testing.B, l link) {
	if l.Index != loIndex || l.Name != "lo" || l.MTU != 65536 {
		b.Helper() // NB: only on failure: Helper walks the stack, too slow per op
		b.Fatalf("decoded %+v, want lo (index 1, MTU 65536)", l)
	}
}

// BenchmarkGetLink is one RTM_GETLINK round trip for lo, by index, from one
// goroutine.
func BenchmarkGetLink(b *testing.B) {
	nsp := ns.New(b)
	for _, lib := range libraries {
		for _, lv := range levels {
			b.Run("lib="+lib.name+"/level="+lv.String(), func(b *testing.B) {
				skipUnsupported(b, lib, wGetLink, lv)
				c := lib.dial(b, nsp)
				if lv == decoded {
					l, err := c.getLink(lv, loIndex)
					must(b, err, "get link")
					checkLo(b, l)
				}
				b.ReportAllocs()
				for b.Loop() {
					_, err := c.getLink(lv, loIndex)
					must(b, err, "get link")
				}
			})
		}
	}
}

// BenchmarkNoop is one NLMSG_NOOP round trip (request with NLM_F_ACK, wait
// for the ack): the cost of a library's request path with no kernel work.
func BenchmarkNoop(b *testing.B) {
	nsp := ns.New(b)
	for _, lib := range libraries {
		b.Run("lib="+lib.name, func(b *testing.B) {
			skipUnsupported(b, lib, wNoop, raw)
			c := lib.dial(b, nsp)
			b.ReportAllocs()
			for b.Loop() {
				must(b, c.noop(), "noop")
			}
		})
	}
}

// lockedClient serialises a client that is not safe for concurrent use.
type lockedClient struct {
	mu sync.Mutex
	client
}

func (c *lockedClient) getLink(lv level, index int32) (link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.getLink(lv, index)
}

// BenchmarkParallelGetLink runs RTM_GETLINK for lo from 8 goroutines
// sharing one connection (the floor: one socket behind a mutex). b.N round
// trips are shared out among them. It reports throughput and the p50/p99 of
// each round trip's latency as the calling goroutine sees it.
func BenchmarkParallelGetLink(b *testing.B) {
	nsp := ns.New(b)
	for _, lib := range libraries {
		for _, lv := range levels {
			b.Run("lib="+lib.name+"/level="+lv.String(), func(b *testing.B) {
				skipUnsupported(b, lib, wParallel, lv)
				c := lib.dial(b, nsp)
				if !lib.concurrent {
					c = &lockedClient{client: c}
				}
				hists := make([]hist, parallelism)
				b.ReportAllocs()
				b.ResetTimer()
				shareOut(b, "get link", func(g int) error {
					t0 := time.Now()
					l, err := c.getLink(lv, loIndex)
					hists[g].record(time.Since(t0))
					if err == nil && lv == decoded && l.Index != loIndex {
						err = errWrongLink
					}
					return err
				})
				var all hist
				for i := range hists {
					all.merge(&hists[i])
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
				b.ReportMetric(float64(all.quantile(0.50).Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(all.quantile(0.99).Nanoseconds()), "p99-ns")
			})
		}
	}
}

var errWrongLink = errors.New("reply for another link")

// shareOut makes b.N calls of call, shared out among parallelism
// goroutines (g, from 0, says which goroutine calls), stops the timer once
// all are done and fails b with the first error, naming what.
func shareOut(b *testing.B, what string, call func(g int) error) {
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for g := range parallelism {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := call(g); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatalf("%s: %v", what, *err)
	}
}
