package rtnl

import "unsafe"

// arena is the memory a Snapshot's values point to: the bytes of their
// messages, copied into a few large chunks instead of one allocation per
// value. reset makes every chunk free again for the next Snapshot (the
// values pointing into it are then overwritten). Not safe for concurrent
// use: each dump of a Snapshot has its own.
type arena = chunkArena[byte]

// chunkArena is an arena of values of any type: the members of a
// Snapshot's nexthop groups are copied into one too. Its chunks are
// sized in bytes as a byte arena's are.
type chunkArena[T any] struct {
	chunks [][]T // chunks[:cur+1] are in use; each keeps its capacity
	cur    int
}

const (
	arenaMinChunk = 64 << 10
	arenaMaxChunk = 4 << 20
)

// reset frees every chunk for reuse.
func (a *chunkArena[T]) reset() {
	for i := range a.chunks {
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// copy returns a copy of b in the arena (nil for nil, empty for empty),
// its capacity its length so that an append to it cannot overwrite the
// next copy.
func (a *chunkArena[T]) copy(b []T) []T {
	if len(b) == 0 {
		return b[:0:0]
	}
	for a.cur < len(a.chunks) {
		c := a.chunks[a.cur]
		if cap(c)-len(c) >= len(b) {
			n := len(c)
			c = append(c, b...)
			a.chunks[a.cur] = c
			return c[n:len(c):len(c)]
		}
		if a.cur+1 == len(a.chunks) {
			break
		}
		a.cur++
	}
	// NB: each new chunk is twice the size of the last (within bounds), so
	// 10 MiB of attributes take a dozen chunks.
	var zero T
	minChunk, maxChunk := arenaMinChunk/int(unsafe.Sizeof(zero)), arenaMaxChunk/int(unsafe.Sizeof(zero))
	size := minChunk
	if n := len(a.chunks); n > 0 {
		size = min(max(2*cap(a.chunks[n-1]), minChunk), maxChunk)
	}
	c := append(make([]T, 0, max(size, len(b))), b...)
	a.chunks = append(a.chunks, c)
	a.cur = len(a.chunks) - 1
	return c[:len(b):len(b)]
}

// unput gives back the bytes of p, the last copy made, for the next one.
func (a *chunkArena[T]) unput(p []T) {
	if a.cur >= len(a.chunks) || len(p) == 0 {
		return
	}
	c := a.chunks[a.cur]
	if n := len(c) - len(p); n >= 0 && &c[n] == &p[0] {
		a.chunks[a.cur] = c[:n]
	}
}
