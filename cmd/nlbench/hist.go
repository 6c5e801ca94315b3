package main

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout, HDR style: values below histLinear are counted exactly;
// above, each power of two is split into histSub equal buckets, so a value
// is known to within 1/histSub of itself (1.6 %: two significant digits)
// whatever its size, in a fixed 30 KB array instead of a slice of samples.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits // buckets per power of two
	histLinear  = 2 * histSub      // values below this have a bucket each
	// The largest index: shift 64-histSubBits-1, mantissa 2*histSub-1.
	histBuckets = (64-histSubBits-1)*histSub + 2*histSub
)

// histogram counts non-negative values (nanoseconds) in log-linear buckets.
// It never allocates. The zero value is empty and ready to use. Not safe for
// concurrent use: give each goroutine its own and merge them.
type histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64
	min, max uint64
}

// bucketOf returns the index of the bucket that holds v.
func bucketOf(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	// v has bits.Len64(v) >= histSubBits+2 bits; keep its top
	// histSubBits+1, so the mantissa m is in [histSub, 2*histSub).
	shift := bits.Len64(v) - histSubBits - 1
	m := v >> shift
	return shift*histSub + int(m)
}

// bucketBounds returns the smallest and largest value bucket i holds.
func bucketBounds(i int) (lo, hi uint64) {
	if i < histLinear {
		return uint64(i), uint64(i)
	}
	shift := i/histSub - 1
	m := uint64(i%histSub + histSub)
	// For the last bucket (m+1)<<shift wraps to 0 and hi to MaxUint64.
	return m << shift, (m+1)<<shift - 1
}

// record adds one value; negative values count as 0.
func (h *histogram) record(v int64) {
	u := uint64(max(v, 0))
	h.counts[bucketOf(u)]++
	if h.n == 0 || u < h.min {
		h.min = u
	}
	if u > h.max {
		h.max = u
	}
	h.n++
	h.sum += float64(u)
}

// recordDuration adds d in nanoseconds.
func (h *histogram) recordDuration(d time.Duration) { h.record(int64(d)) }

// merge adds every value counted by o to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// count returns how many values were recorded.
func (h *histogram) count() uint64 { return h.n }

// mean returns the exact mean, 0 when empty.
func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// quantile returns the value below or at which a fraction q of the values
// lie: the largest value of the bucket holding the value of rank ceil(q*n),
// clamped to the exact minimum and maximum (so quantile(1) is the maximum).
// It returns 0 when the histogram is empty.
func (h *histogram) quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max // unreachable: the counts add up to n
}
