//go:build linux

package engine

import (
	"math/bits"
	"sync"
)

// Receive buffers are shared by every Conn of the process, in power-of-two
// size classes: a Conn opened after another closed reuses its buffers
// instead of allocating (and the kernel faulting in) fresh ones. A Conn
// reading notifications holds up to maxSlots of them, 4 MiB at the default
// 64 KiB size.
const (
	minBufClass = 12 // 4 KiB
	maxBufClass = 30 // 1 GiB; larger buffers are not pooled
)

var bufClasses [maxBufClass + 1]sync.Pool

// takeBuf returns a buffer of at least size bytes, its length a power of
// two unless it is larger than the largest class.
func takeBuf(size int) *rxBuf {
	k := max(minBufClass, bits.Len(uint(size-1))) // smallest 2^k >= size
	if k > maxBufClass {
		return &rxBuf{b: make([]byte, size)}
	}
	if b, ok := bufClasses[k].Get().(*rxBuf); ok {
		return b
	}
	return &rxBuf{b: make([]byte, 1<<k)}
}

// giveBuf pools b in the largest class it can serve whole. The caller must
// not use b afterwards.
func giveBuf(b *rxBuf) {
	k := bits.Len(uint(len(b.b))) - 1 // largest 2^k <= len
	if k < minBufClass {
		return
	}
	b.n, b.off, b.err = 0, 0, nil
	bufClasses[min(k, maxBufClass)].Put(b)
}

// getBuf takes a receive buffer of the Conn's current size from the shared
// pool. It is the caller's until putBuf.
func (c *Conn) getBuf() *rxBuf {
	b := takeBuf(int(c.bufSize.Load()))
	c.stats.liveBufs.Add(1)
	return b
}

func (c *Conn) putBuf(b *rxBuf) {
	c.stats.liveBufs.Add(-1)
	giveBuf(b)
}
