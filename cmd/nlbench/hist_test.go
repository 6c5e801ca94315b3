package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketBoundsContainTheirValues(t *testing.T) {
	values := []uint64{0, 1, 63, 64, 127, 128, 129, 191, 192, 255, 256, 1000, 1 << 20, 1<<20 + 1, 1<<40 - 1, math.MaxInt64, math.MaxUint64 - 1, math.MaxUint64}
	for i := range 64 {
		values = append(values, 1<<i, 1<<i-1, 1<<i+1)
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, outside [0, %d)", v, i, histBuckets)
		}
		lo, hi := bucketBounds(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		// The bucket is narrow: at most 1/histSub of its lower bound.
		if lo >= histLinear && float64(hi-lo) > float64(lo)/histSub {
			t.Errorf("bucket %d = [%d, %d] is wider than 1/%d of %d", i, lo, hi, histSub, lo)
		}
	}
}

func TestBucketsTileTheRange(t *testing.T) {
	// Consecutive buckets must meet exactly: no gap, no overlap.
	_, prevHi := bucketBounds(0)
	for i := 1; i < histBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if hi < lo {
			t.Fatalf("bucket %d = [%d, %d]", i, lo, hi)
		}
		prevHi = hi
	}
	if prevHi != math.MaxUint64 {
		t.Fatalf("last bucket ends at %d, want MaxUint64", prevHi)
	}
}

func TestQuantilesWithinOneBucket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	vals := make([]uint64, 200_000)
	for i := range vals {
		// Log-uniform from 1 ns to about 1 s, like latencies.
		v := uint64(math.Exp(rng.Float64() * math.Log(1e9)))
		vals[i] = v
		h.record(int64(v))
	}
	slices.Sort(vals)
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := max(int(math.Ceil(q*float64(len(vals)))), 1)
		exact := vals[rank-1]
		got := h.quantile(q)
		if got < exact {
			t.Errorf("q%.3f = %d, below the exact %d", q, got, exact)
		}
		if float64(got-exact) > float64(exact)/histSub+1 {
			t.Errorf("q%.3f = %d, exact %d: more than 1/%d off", q, got, exact, histSub)
		}
	}
	if h.quantile(1) != vals[len(vals)-1] || h.min != vals[0] {
		t.Errorf("max %d min %d, want %d %d", h.quantile(1), h.min, vals[len(vals)-1], vals[0])
	}
	if h.count() != uint64(len(vals)) {
		t.Errorf("count %d, want %d", h.count(), len(vals))
	}
}

func TestSmallValuesAreExact(t *testing.T) {
	var h histogram
	for v := range 100 {
		h.record(int64(v + 1)) // 1..100
	}
	for _, tc := range []struct {
		q    float64
		want uint64
	}{{0.01, 1}, {0.5, 50}, {0.99, 99}, {1, 100}} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %d, want %d", tc.q, got, tc.want)
		}
	}
	if got := h.mean(); got != 50.5 {
		t.Errorf("mean %v, want 50.5", got)
	}
}

func TestMergeEqualsRecordingBoth(t *testing.T) {
	var a, b, both histogram
	for i := range 5000 {
		v := int64(i*i + 7)
		if i%3 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
		both.record(v)
	}
	var m histogram
	m.merge(&a)
	m.merge(&histogram{}) // merging an empty one changes nothing
	m.merge(&b)
	if m.counts != both.counts || m.n != both.n || m.min != both.min || m.max != both.max || m.sum != both.sum {
		t.Fatalf("merged histogram differs: n %d/%d min %d/%d max %d/%d", m.n, both.n, m.min, both.min, m.max, both.max)
	}
}

func TestEmptyAndNegative(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 || h.mean() != 0 || h.count() != 0 {
		t.Fatal("empty histogram does not report zeros")
	}
	h.record(-5)
	if h.quantile(1) != 0 || h.count() != 1 {
		t.Fatalf("negative value: max %d count %d, want 0 1", h.quantile(1), h.count())
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	h := new(histogram)
	v := int64(1)
	if n := testing.AllocsPerRun(1000, func() { h.record(v); v = v*3 + 1 }); n != 0 {
		t.Fatalf("record allocates %v times per call", n)
	}
}
