package ring

import (
	"math/bits"
	"sync/atomic"
)

// cacheLineSize is the distance kept between the producers' index and the
// consumer's index. 128 rather than 64 because x86's adjacent-line prefetcher
// pulls 64-byte lines in pairs and some arm64 cores use 128-byte lines; both
// would otherwise make the two sides share a line and bounce it.
const cacheLineSize = 128

// maxCapacity keeps the rounded capacity and the sequence arithmetic far from
// overflow on every platform.
const maxCapacity = 1 << (bits.UintSize - 2)

// slot holds one element and the sequence number that says whose turn it is:
// seq == pos means empty and ready for the producer of position pos;
// seq == pos+1 means filled and ready for the consumer of position pos.
type slot[T any] struct {
	seq atomic.Uint64
	val T
}

// Queue is a bounded multi-producer single-consumer FIFO of T, for handing
// work from many goroutines to one goroutine that processes it in batches.
//
// Push is safe for concurrent use by any number of goroutines. Pop and Drain
// must be called by one goroutine at a time only (the consumer); they may run
// concurrently with Push. Len and Cap are safe from any goroutine. None of
// these methods blocks or allocates (Drain allocates only to grow its dst).
//
// Items pushed by one goroutine are popped in the order that goroutine pushed
// them; items from different goroutines are ordered by the moment each claimed
// its slot.
//
// The zero Queue is not usable; make one with New.
type Queue[T any] struct {
	// Read-only after New; shared by both sides without contention.
	slots []slot[T]
	mask  uint64

	_    [cacheLineSize]byte
	tail atomic.Uint64 // next position to claim; written by producers (CAS)
	_    [cacheLineSize - 8]byte
	head atomic.Uint64 // next position to consume; written by the consumer only
	_    [cacheLineSize - 8]byte
}

// New returns an empty queue that holds at least capacity elements: the
// capacity is rounded up to a power of two and is at least 2. It allocates the
// slot array once; nothing else in the queue allocates.
//
// New panics if capacity exceeds 1<<62 (1<<30 on 32-bit platforms).
func New[T any](capacity int) *Queue[T] {
	if capacity > maxCapacity {
		panic("ring: capacity too large")
	}
	// NB: capacity 1 cannot work with per-slot sequences: an emptied slot
	// gets seq pos+cap = pos+1, the same value that marks it filled, so a
	// producer could not tell a full queue from an empty one.
	n := 2
	if capacity > 2 {
		n = 1 << bits.Len(uint(capacity-1))
	}
	q := &Queue[T]{
		slots: make([]slot[T], n),
		mask:  uint64(n - 1),
	}
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
	return q
}

// Push appends v to the queue and reports true, or reports false without
// waiting if the queue is full. It is safe for concurrent use by any number
// of goroutines and never allocates. On false the caller still owns v.
func (q *Queue[T]) Push(v T) bool {
	pos := q.tail.Load()
	for {
		s := &q.slots[pos&q.mask]
		seq := s.seq.Load()
		switch diff := int64(seq - pos); {
		case diff == 0:
			// The slot is free for position pos; claim pos before writing.
			if q.tail.CompareAndSwap(pos, pos+1) {
				s.val = v
				// NB: this atomic store publishes val. Go atomics are
				// sequentially consistent, so the consumer's Load of seq
				// that sees pos+1 happens after the write of val above.
				s.seq.Store(pos + 1)
				return true
			}
			pos = q.tail.Load()
		case diff < 0:
			// The slot still holds the element from the previous lap,
			// pos-cap, which the consumer has not taken: the queue is full.
			return false
		default:
			// Another producer claimed pos and already filled it; our view
			// of tail is stale.
			pos = q.tail.Load()
		}
	}
}

// Pop removes and returns the oldest element, or reports false if the queue is
// empty (or the oldest claimed slot is still being written by its producer).
//
// NB: Pop and Drain belong to the single consumer. Two goroutines calling
// them at once would both read head, take the same slot and deliver it twice.
func (q *Queue[T]) Pop() (T, bool) {
	var zero T
	pos := q.head.Load()
	s := &q.slots[pos&q.mask]
	if s.seq.Load() != pos+1 {
		return zero, false
	}
	v := s.val
	q.release(s, pos)
	q.head.Store(pos + 1)
	return v, true
}

// Drain appends the available elements to dst in FIFO order and returns the
// extended slice; dst then belongs to the caller and the queue keeps no
// reference to it. It stops at the first slot not yet filled and after at most
// Cap() elements, so it terminates even while producers keep pushing.
//
// It allocates only when dst must grow: passing dst[:0] with
// cap(dst) >= Cap() never allocates. Like Pop it must only be called by the
// single consumer.
func (q *Queue[T]) Drain(dst []T) []T {
	start := q.head.Load()
	end := start + q.mask + 1
	pos := start
	for ; pos != end; pos++ {
		s := &q.slots[pos&q.mask]
		if s.seq.Load() != pos+1 {
			break
		}
		dst = append(dst, s.val)
		q.release(s, pos)
	}
	if pos != start {
		// One store of head per batch: Len is approximate anyway, and
		// producers never read head (they read the slots' seq).
		q.head.Store(pos)
	}
	return dst
}

// release empties the slot the consumer just read at position pos and hands
// it to the producer of position pos+cap.
func (q *Queue[T]) release(s *slot[T], pos uint64) {
	var zero T
	// Zero the slot so the queue does not keep the element's pointers
	// reachable until the slot is reused a lap later.
	s.val = zero
	// NB: the store of seq comes after the zeroing write, so the producer
	// that sees pos+cap (and then writes val) is ordered after it; without
	// that order the race detector and the hardware would both see two
	// unsynchronised writes to val.
	s.seq.Store(pos + q.mask + 1)
}

// Len returns the number of elements in the queue, including ones whose
// producer has claimed a slot but not finished writing. It is safe from any
// goroutine and never blocks, but it is only a snapshot: with concurrent
// Push, Pop or Drain it may be stale by the time it returns. The result is
// always between 0 and Cap().
func (q *Queue[T]) Len() int {
	// NB: head first, then tail: tail never decreases and head never passes
	// tail, so the difference cannot go negative; it can overshoot if the
	// consumer and producers both moved in between, hence the clamp.
	head := q.head.Load()
	tail := q.tail.Load()
	n := tail - head
	if n > q.mask+1 {
		n = q.mask + 1
	}
	return int(n)
}

// Cap returns the number of elements the queue can hold: the capacity given
// to New, rounded up to a power of two and at least 2. It is safe from any
// goroutine.
func (q *Queue[T]) Cap() int { return len(q.slots) }
