package mirror

import (
	"math/bits"
	"math/rand/v2"
)

// The routes' values live in a routeSlab; the usual IPv4 routes (those
// with a narrowKey) are found through a narrowIndex into it. Neither holds
// a pointer the garbage collector must follow inside, and neither moves an
// entry once written, so that a table of a million routes grows without
// copying them.

const (
	slabShift = 12
	slabChunk = 1 << slabShift
)

// slabEntry is one route: its narrow key (zero for a route indexed by its
// wide key) and its value.
type slabEntry struct {
	nk narrowKey
	v  routeVal
}

// routeSlab is an array of slabEntry in chunks of slabChunk.
type routeSlab struct {
	chunks []*[slabChunk]slabEntry
	n      uint32 // entries in use, free ones included
}

func (s *routeSlab) at(i uint32) *slabEntry { return &s.chunks[i>>slabShift][i&(slabChunk-1)] }

// add appends an entry and returns its index.
func (s *routeSlab) add(e *slabEntry) uint32 {
	i := s.n
	if int(i>>slabShift) == len(s.chunks) {
		s.chunks = append(s.chunks, new([slabChunk]slabEntry))
	}
	*s.at(i) = *e
	s.n++
	return i
}

// narrowIndex is an open-addressing hash index (linear probing, deletion
// by backward shift, no tombstones) from a narrowKey to a slab index.
// Each slot holds the low 32 bits of the key's hash (high half) and the
// slab index + 1 (low half; 0: empty), so a probe reads the slab only when
// the hashes agree.
type narrowIndex struct {
	slots []uint64
	n     int
	seed  [2]uint64
}

func newNarrowIndex() narrowIndex {
	return narrowIndex{seed: [2]uint64{rand.Uint64() | 1, rand.Uint64()}}
}

func (x *narrowIndex) hash(k *narrowKey) uint32 {
	a := uint64(k.dst[0]) | uint64(k.dst[1])<<8 | uint64(k.dst[2])<<16 | uint64(k.dst[3])<<24 | uint64(k.table)<<32
	b := uint64(k.prio) | uint64(k.dstLen)<<32 | uint64(k.tos)<<40
	hi, lo := bits.Mul64(a^x.seed[0], b^x.seed[1])
	h := hi ^ lo
	return uint32(h ^ h>>32)
}

// reserve makes room for n entries without growing.
func (x *narrowIndex) reserve(n int) {
	want := 8
	for want*3 < n*4 {
		want <<= 1
	}
	if want <= len(x.slots) {
		return
	}
	old := x.slots
	x.slots = make([]uint64, want)
	mask := uint32(want - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		p := uint32(s>>32) & mask
		for x.slots[p] != 0 {
			p = (p + 1) & mask
		}
		x.slots[p] = s
	}
}

// lookup returns the slot position of k (found) or of the empty slot
// where k would go.
func (x *narrowIndex) lookup(s *routeSlab, k *narrowKey, h uint32) (pos uint32, found bool) {
	mask := uint32(len(x.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		v := x.slots[p]
		if v == 0 {
			return p, false
		}
		if uint32(v>>32) == h && s.at(uint32(v)-1).nk == *k {
			return p, true
		}
	}
}

// find returns the slab index of k.
func (x *narrowIndex) find(s *routeSlab, k *narrowKey) (uint32, bool) {
	if x.n == 0 {
		return 0, false
	}
	p, ok := x.lookup(s, k, x.hash(k))
	if !ok {
		return 0, false
	}
	return uint32(x.slots[p]) - 1, true
}

// set makes k find slab index i, returning the index k found before.
func (x *narrowIndex) set(s *routeSlab, k *narrowKey, i uint32) (old uint32, existed bool) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.reserve(x.n + 1)
	}
	h := x.hash(k)
	p, ok := x.lookup(s, k, h)
	if ok {
		old = uint32(x.slots[p]) - 1
	} else {
		x.n++
	}
	x.slots[p] = uint64(h)<<32 | uint64(i+1)
	return old, ok
}

// remove drops k, shifting back the entries its slot kept from their
// home slots.
func (x *narrowIndex) remove(s *routeSlab, k *narrowKey) {
	if x.n == 0 {
		return
	}
	i, ok := x.lookup(s, k, x.hash(k))
	if !ok {
		return
	}
	x.n--
	mask := uint32(len(x.slots) - 1)
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := uint32(x.slots[j]>>32) & mask
		// The entry at j stays if its home is cyclically in (i, j].
		if (j-home)&mask < (j-i)&mask {
			continue
		}
		x.slots[i] = x.slots[j]
		i = j
	}
	x.slots[i] = 0
}

// each calls fn with the slab index of every entry until fn returns false.
func (x *narrowIndex) each(fn func(i uint32) bool) {
	if x.n == 0 {
		return
	}
	for _, v := range x.slots {
		if v != 0 && !fn(uint32(v)-1) {
			return
		}
	}
}
