package ring

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func TestNewCapacity(t *testing.T) {
	tests := []struct {
		in, want int
	}{
		{-5, 2}, {0, 2}, {1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8},
		{1000, 1024}, {1024, 1024}, {1025, 2048},
	}
	for _, tt := range tests {
		q := New[int](tt.in)
		if got := q.Cap(); got != tt.want {
			t.Errorf("New(%d).Cap() = %d, want %d", tt.in, got, tt.want)
		}
		if got := len(q.slots); got != tt.want {
			t.Errorf("New(%d): %d slots, want %d", tt.in, got, tt.want)
		}
		if got := q.Len(); got != 0 {
			t.Errorf("New(%d).Len() = %d, want 0", tt.in, got)
		}
	}
}

func TestNewTooLargePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(maxCapacity+1) did not panic")
		}
	}()
	New[byte](maxCapacity + 1)
}

func TestFIFOFullEmpty(t *testing.T) {
	for _, capacity := range []int{2, 4, 8, 64} {
		q := New[int](capacity)

		if v, ok := q.Pop(); ok {
			t.Fatalf("cap %d: Pop on empty = %d, true", capacity, v)
		}
		if got := q.Drain(nil); len(got) != 0 {
			t.Fatalf("cap %d: Drain on empty = %v", capacity, got)
		}
		for i := range capacity {
			if !q.Push(i) {
				t.Fatalf("cap %d: Push(%d) = false before full", capacity, i)
			}
			if got := q.Len(); got != i+1 {
				t.Fatalf("cap %d: Len = %d after %d pushes", capacity, got, i+1)
			}
		}
		if q.Push(-1) {
			t.Fatalf("cap %d: Push on full queue = true", capacity)
		}
		if got := q.Len(); got != capacity {
			t.Fatalf("cap %d: Len on full = %d", capacity, got)
		}

		// One Pop frees exactly one slot.
		if v, ok := q.Pop(); !ok || v != 0 {
			t.Fatalf("cap %d: Pop = %d, %t, want 0, true", capacity, v, ok)
		}
		if !q.Push(capacity) {
			t.Fatalf("cap %d: Push after one Pop = false", capacity)
		}
		if q.Push(-1) {
			t.Fatalf("cap %d: Push on refilled queue = true", capacity)
		}

		for want := 1; want <= capacity; want++ {
			v, ok := q.Pop()
			if !ok || v != want {
				t.Fatalf("cap %d: Pop = %d, %t, want %d, true", capacity, v, ok, want)
			}
		}
		if v, ok := q.Pop(); ok {
			t.Fatalf("cap %d: Pop after emptying = %d, true", capacity, v)
		}
		if got := q.Len(); got != 0 {
			t.Fatalf("cap %d: Len after emptying = %d", capacity, got)
		}
	}
}

func TestDrain(t *testing.T) {
	q := New[string](4)
	for _, s := range []string{"a", "b", "c"} {
		q.Push(s)
	}
	// Drain appends after what dst already holds.
	got := q.Drain([]string{"x"})
	if want := []string{"x", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("Drain = %q, want %q", got, want)
	}
	if q.Len() != 0 {
		t.Fatalf("Len after Drain = %d", q.Len())
	}
	if got := q.Drain(got[:0]); len(got) != 0 {
		t.Fatalf("second Drain = %q, want empty", got)
	}
	// A full queue drains completely, and Drain takes at most one lap.
	for _, s := range []string{"d", "e", "f", "g"} {
		q.Push(s)
	}
	if got := q.Drain(nil); !slices.Equal(got, []string{"d", "e", "f", "g"}) {
		t.Fatalf("Drain of full queue = %q", got)
	}
}

func TestDrainStopsAtUnfilledSlot(t *testing.T) {
	q := New[int](8)
	q.Push(1)
	q.Push(2)
	// Simulate a producer that has claimed position 2 but not yet
	// published it, followed by a producer that published position 3.
	pos := q.tail.Load()
	q.tail.Store(pos + 1)
	q.Push(4)

	if got := q.Drain(nil); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("Drain = %v, want [1 2]", got)
	}
	if v, ok := q.Pop(); ok {
		t.Fatalf("Pop of unpublished slot = %d, true", v)
	}
	if got := q.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2 (one claimed, one filled)", got)
	}
	// The stalled producer finishes.
	s := &q.slots[pos&q.mask]
	s.val = 3
	s.seq.Store(pos + 1)
	if got := q.Drain(nil); !slices.Equal(got, []int{3, 4}) {
		t.Fatalf("Drain after publish = %v, want [3 4]", got)
	}
}

// TestWrapAround runs the queue for many laps against a slice model,
// with random interleavings of Push, Pop and Drain.
func TestWrapAround(t *testing.T) {
	for _, capacity := range []int{2, 4, 16} {
		q := New[int](capacity)
		var model []int
		rng := rand.New(rand.NewPCG(1, uint64(capacity)))
		next := 0
		var buf []int
		const ops = 20000
		for range ops {
			switch r := rng.IntN(10); {
			case r < 5:
				ok := q.Push(next)
				if want := len(model) < capacity; ok != want {
					t.Fatalf("cap %d: Push(%d) = %t with %d queued", capacity, next, ok, len(model))
				}
				if ok {
					model = append(model, next)
				}
				next++
			case r < 9:
				v, ok := q.Pop()
				if ok != (len(model) > 0) {
					t.Fatalf("cap %d: Pop ok = %t with %d queued", capacity, ok, len(model))
				}
				if ok {
					if v != model[0] {
						t.Fatalf("cap %d: Pop = %d, want %d", capacity, v, model[0])
					}
					model = model[1:]
				}
			default:
				buf = q.Drain(buf[:0])
				if !slices.Equal(buf, model) {
					t.Fatalf("cap %d: Drain = %v, want %v", capacity, buf, model)
				}
				model = model[:0]
			}
			if q.Len() != len(model) {
				t.Fatalf("cap %d: Len = %d, want %d", capacity, q.Len(), len(model))
			}
		}
		if laps := q.head.Load() / uint64(capacity); laps < 100 {
			t.Fatalf("cap %d: only %d laps; the test did not exercise wrap-around", capacity, laps)
		}
	}
}

func TestPoppedSlotsZeroed(t *testing.T) {
	q := New[*int](4)
	vals := make([]*int, 6)
	for i := range vals {
		vals[i] = new(int)
	}
	assertEmptySlots := func(step string) {
		t.Helper()
		head, tail := q.head.Load(), q.tail.Load()
		for pos := tail; pos < head+uint64(q.Cap()); pos++ {
			if p := q.slots[pos&q.mask].val; p != nil {
				t.Fatalf("%s: empty slot %d still holds %p", step, pos&q.mask, p)
			}
		}
	}

	q.Push(vals[0])
	q.Push(vals[1])
	q.Push(vals[2])
	if v, _ := q.Pop(); v != vals[0] {
		t.Fatal("Pop returned the wrong pointer")
	}
	assertEmptySlots("after Pop")

	q.Push(vals[3])
	q.Push(vals[4]) // wraps into slot 0
	if got := q.Drain(nil); !slices.Equal(got, vals[1:5]) {
		t.Fatal("Drain returned the wrong pointers")
	}
	assertEmptySlots("after Drain")
	for i := range q.slots {
		if p := q.slots[i].val; p != nil {
			t.Fatalf("slot %d holds %p after the queue emptied", i, p)
		}
	}
}

// TestConcurrentProducers checks that with many producers and one consumer
// mixing Drain and Pop, every item arrives exactly once and each producer's
// items arrive in the order it pushed them. Run it with -race: the queue's
// non-atomic element accesses are ordered only by the slot sequence numbers.
func TestConcurrentProducers(t *testing.T) {
	const producers = 8
	perProducer := 20000
	if testing.Short() {
		perProducer = 2000
	}
	for _, capacity := range []int{2, 64} {
		q := New[uint64](capacity)
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				for i := range perProducer {
					v := uint64(p)<<32 | uint64(i)
					for !q.Push(v) {
						runtime.Gosched()
					}
				}
			})
		}
		// An observer checks Len stays in range while everything moves.
		stop := make(chan struct{})
		var lenErr sync.WaitGroup
		lenBad := -1
		lenErr.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if n := q.Len(); n < 0 || n > q.Cap() {
					lenBad = n
					return
				}
				runtime.Gosched()
			}
		})

		next := make([]int, producers)
		total := producers * perProducer
		got := 0
		check := func(v uint64) {
			p, i := int(v>>32), int(uint32(v))
			if p >= producers {
				t.Fatalf("cap %d: item %#x from unknown producer", capacity, v)
			}
			if i != next[p] {
				t.Fatalf("cap %d: producer %d: got item %d, want %d", capacity, p, i, next[p])
			}
			next[p]++
			got++
		}
		// If items are lost the consumer must fail, not wait forever: once
		// every producer has returned, an empty queue means the rest is gone.
		producersDone := make(chan struct{})
		go func() { wg.Wait(); close(producersDone) }()
		buf := make([]uint64, 0, capacity)
		for round := 0; got < total; round++ {
			if round%2 == 0 {
				buf = q.Drain(buf[:0])
				if len(buf) > capacity {
					t.Fatalf("cap %d: Drain returned %d items", capacity, len(buf))
				}
				for _, v := range buf {
					check(v)
				}
				if len(buf) > 0 {
					continue
				}
			} else if v, ok := q.Pop(); ok {
				check(v)
				continue
			}
			select {
			case <-producersDone:
				// Every push has been published; if the consumer now
				// sees nothing, the remaining items are lost or stuck.
				if buf = q.Drain(buf[:0]); len(buf) == 0 {
					close(stop)
					t.Fatalf("cap %d: producers done, queue yields nothing, %d of %d items delivered (%v per producer)",
						capacity, got, total, next)
				}
				for _, v := range buf {
					check(v)
				}
			default:
			}
			runtime.Gosched()
		}
		wg.Wait()
		close(stop)
		lenErr.Wait()

		if lenBad != -1 {
			t.Errorf("cap %d: Len = %d, outside [0, %d]", capacity, lenBad, q.Cap())
		}
		for p, n := range next {
			if n != perProducer {
				t.Errorf("cap %d: producer %d: %d items delivered, want %d", capacity, p, n, perProducer)
			}
		}
		if v, ok := q.Pop(); ok {
			t.Errorf("cap %d: extra item %#x after all were delivered", capacity, v)
		}
		if q.Len() != 0 {
			t.Errorf("cap %d: Len = %d after all were delivered", capacity, q.Len())
		}
	}
}

type request struct {
	buf []byte
	seq uint32
	op  uint16
}

func TestAllocs(t *testing.T) {
	q := New[request](64)
	qp := New[*request](64)
	r := request{buf: make([]byte, 8), seq: 1}
	rp := &r
	dst := make([]request, 0, q.Cap())

	tests := []struct {
		name string
		fn   func()
	}{
		{"Push+Pop struct", func() {
			if !q.Push(r) {
				panic("full")
			}
			if _, ok := q.Pop(); !ok {
				panic("empty")
			}
		}},
		{"Push+Pop pointer", func() {
			qp.Push(rp)
			qp.Pop()
		}},
		{"Push full", func() {
			for q.Push(r) {
			}
			dst = q.Drain(dst[:0])
		}},
		{"Push×8+Drain", func() {
			for range 8 {
				q.Push(r)
			}
			dst = q.Drain(dst[:0])
			if len(dst) != 8 {
				panic("short drain")
			}
		}},
		{"Pop+Drain empty", func() {
			q.Pop()
			dst = q.Drain(dst[:0])
		}},
		{"Len+Cap", func() {
			_ = q.Len() + q.Cap()
		}},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(1000, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
}
