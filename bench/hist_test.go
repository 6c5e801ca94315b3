package bench

import (
	"math/bits"
	"testing"
	"time"
)

// hist is a fixed-size latency histogram: values below 32 ns have a bucket
// each, and every power-of-two range above is split into 16 buckets, so a
// recorded value is known to within 1/16 (6%). Recording is a few
// instructions and never allocates, unlike keeping every sample.
type hist struct {
	counts [64 * 16]uint64
	n      uint64
}

const histSub = 16 // buckets per power of two

func histBucket(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - 5 // keep the top 5 bits: 1 and 4 bits of sub-bucket
	return (shift+1)*histSub + int((v>>shift)&(histSub-1))
}

// histLow returns the smallest value that falls in bucket i.
func histLow(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	return (histSub + uint64(i%histSub)) << shift
}

func (h *hist) record(d time.Duration) {
	h.counts[histBucket(uint64(max(d, 0)))]++
	h.n++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the lower bound of the bucket holding the q-quantile.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n-1)) + 1
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(histLow(i))
		}
	}
	return time.Duration(histLow(len(h.counts) - 1))
}

// TestHistBuckets checks that every value lands in a bucket whose bounds
// hold it, within 1/16, and that bucket bounds increase.
func TestHistBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 31, 32, 33, 47, 48, 63, 64, 1000, 5_500, 123_456_789, 1 << 40} {
		i := histBucket(v)
		lo, hi := histLow(i), histLow(i+1)
		if v < lo || v >= hi {
			t.Errorf("value %d in bucket %d = [%d, %d)", v, i, lo, hi)
		}
		if v >= 32 && float64(hi-lo) > float64(v)/16+1 {
			t.Errorf("bucket of %d is [%d, %d): wider than 1/16", v, lo, hi)
		}
	}
	for i := 1; i < 40*histSub; i++ {
		if histLow(i) <= histLow(i-1) {
			t.Fatalf("bucket %d starts at %d, not above bucket %d at %d", i, histLow(i), i-1, histLow(i-1))
		}
	}
}

// TestHistQuantiles checks p50 and p99 of a known distribution.
func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ { // 1 µs .. 1000 µs
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.quantile(c.q)
		if got > c.want || float64(c.want-got) > float64(c.want)/16 {
			t.Errorf("quantile(%v) = %v, want within 1/16 below %v", c.q, got, c.want)
		}
	}
}
