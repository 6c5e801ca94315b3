// Package ring knows bounded queues and nothing about netlink.
//
// Queue is the hand-off on the engine's submission path: any number of
// goroutines Push requests, and whichever goroutine holds the engine's
// driver role at the moment (there is no background goroutine; the role
// passes between callers, one at a time) Drains them in batches before one
// sendmmsg. It is a fixed-size
// array of slots, each carrying a sequence number (Dmitry Vyukov's bounded
// queue), so producers coordinate with one compare-and-swap and the consumer
// with none.
//
// Contract in brief:
//   - Push may be called from any goroutine; it never blocks and reports
//     false when the queue is full, leaving back-pressure to the caller.
//   - Pop and Drain must only ever be called by one goroutine at a time
//     (the consumer, which may be a different goroutine each time as long
//     as the hand-over is synchronised); calling them concurrently corrupts
//     the queue.
//   - Len and Cap may be called from anywhere; Len is a snapshot.
//
// Allocation contract: New allocates the slot array once. Push, Pop and Len
// never allocate; Drain allocates only when it must grow dst, so a caller that
// passes dst[:0] with cap(dst) >= Cap() never allocates. A popped slot is
// zeroed, so the queue never keeps an element's pointers alive after the
// consumer has taken it.
package ring
