package ring

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

const benchCap = 1024

// BenchmarkPushPop is the uncontended cost of one hand-off: one goroutine
// pushes an item and pops it again.
func BenchmarkPushPop(b *testing.B) {
	b.Run("ring", func(b *testing.B) {
		q := New[uint64](benchCap)
		b.ReportAllocs()
		for i := range uint64(b.N) {
			q.Push(i)
			if v, ok := q.Pop(); !ok || v != i {
				b.Fatalf("Pop = %d, %t, want %d, true", v, ok, i)
			}
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan uint64, benchCap)
		b.ReportAllocs()
		for i := range uint64(b.N) {
			ch <- i
			if v := <-ch; v != i {
				b.Fatalf("receive = %d, want %d", v, i)
			}
		}
	})
}

// BenchmarkPushBatchDrain pushes 64 items and drains them with one call,
// the consumer's batched pattern without contention. ns/op is per item.
func BenchmarkPushBatchDrain(b *testing.B) {
	const batch = 64
	b.Run("ring", func(b *testing.B) {
		q := New[uint64](benchCap)
		dst := make([]uint64, 0, q.Cap())
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			for j := range uint64(batch) {
				q.Push(j)
			}
			dst = q.Drain(dst[:0])
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan uint64, benchCap)
		dst := make([]uint64, 0, benchCap)
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			for j := range uint64(batch) {
				ch <- j
			}
			dst = drainChan(ch, dst[:0])
		}
	})
}

// drainChan receives without blocking what is buffered in ch, at most
// cap(ch) items, the channel equivalent of Queue.Drain. The bound matters:
// with producers refilling the channel an unbounded loop would never return
// and would grow dst without limit.
func drainChan(ch chan uint64, dst []uint64) []uint64 {
	for range cap(ch) {
		select {
		case v, ok := <-ch:
			if !ok {
				return dst // closed: the caller's range loop ends next
			}
			dst = append(dst, v)
		default:
			return dst
		}
	}
	return dst
}

// BenchmarkContended has b.RunParallel producers pushing into one queue
// while a single consumer goroutine drains it in batches; ns/op is per
// pushed item. Ring producers retry on full with runtime.Gosched (Push never
// blocks); channel producers use a blocking send, the idiomatic form.
func BenchmarkContended(b *testing.B) {
	b.Run("ring", func(b *testing.B) {
		q := New[uint64](benchCap)
		var stop atomic.Bool
		var consumed int
		var wg sync.WaitGroup
		wg.Go(func() {
			dst := make([]uint64, 0, q.Cap())
			for {
				dst = q.Drain(dst[:0])
				consumed += len(dst)
				if len(dst) == 0 {
					if stop.Load() && q.Len() == 0 {
						return
					}
					runtime.Gosched()
				}
			}
		})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var v uint64
			for pb.Next() {
				for !q.Push(v) {
					runtime.Gosched()
				}
				v++
			}
		})
		stop.Store(true)
		wg.Wait()
		if consumed != b.N {
			b.Fatalf("consumed %d items, pushed %d", consumed, b.N)
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan uint64, benchCap)
		var consumed int
		var wg sync.WaitGroup
		wg.Go(func() {
			dst := make([]uint64, 0, benchCap+1)
			for v := range ch {
				dst = append(dst[:0], v)
				dst = drainChan(ch, dst)
				consumed += len(dst)
			}
		})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var v uint64
			for pb.Next() {
				ch <- v
				v++
			}
		})
		close(ch)
		wg.Wait()
		if consumed != b.N {
			b.Fatalf("consumed %d items, pushed %d", consumed, b.N)
		}
	})
}
