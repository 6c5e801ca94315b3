package rtnl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// RouteChange is one write of a typed batch: Op applied to Route. Err
// receives its outcome.
type RouteChange struct {
	Op    ChangeOp
	Route Route
	Err   error // nil once the kernel acknowledged it; the reason otherwise
}

// BatchError reports the failed writes of a typed batch (ApplyRoutes,
// ...): how many, and the first by index in the caller's slice. Each
// failure is also in its own change's Err.
type BatchError struct {
	Failed int        // how many changes failed
	Total  int        // how many changes the batch had
	Index  int        // index of the first failure in the caller's slice
	Type   nlmsg.Type // its message type (RTM_NEWROUTE, RTM_DELROUTE, ...)
	Err    error      // its error: an *engine.OpError, or an encoding error
}

var msgNames = map[nlmsg.Type]string{
	nlmsg.RTMNewRoute: "RTM_NEWROUTE", nlmsg.RTMDelRoute: "RTM_DELROUTE",
	nlmsg.RTMNewRule: "RTM_NEWRULE", nlmsg.RTMDelRule: "RTM_DELRULE",
}

// Error reads "rtnl: 3 of 100000 changes failed, first #17 (RTM_NEWROUTE): ...".
func (e *BatchError) Error() string {
	name, ok := msgNames[e.Type]
	if !ok {
		name = fmt.Sprint(uint16(e.Type))
	}
	return fmt.Sprintf("rtnl: %d of %d changes failed, first #%d (%s): %v", e.Failed, e.Total, e.Index, name, e.Err)
}

// Unwrap returns the first failure, so errors.Is(err, unix.EEXIST) asks
// about it.
func (e *BatchError) Unwrap() error { return e.Err }

// batchScratch is the memory a batch encodes into, pooled across calls.
type batchScratch struct {
	arena []byte
	ops   []engine.Op
	idx   []int // idx[j] is the change of ops[j]
	ends  []int // end offset in arena of each op's payload
}

var batchPool = sync.Pool{New: func() any { return new(batchScratch) }}

// routePayloadGuess is the size of a typical route payload (rtmsg, table,
// destination, gateway, interface), to size a batch's buffer up front.
const routePayloadGuess = 48

// ApplyRoutes applies many route changes with one engine.Batch: every
// change is encoded into one pooled buffer, sent back to back, and matched
// to its acknowledgement. Each change's Err is set (nil on success). It
// returns a *BatchError when any failed (a change that cannot be encoded
// fails with ErrInvalidRoute and is not sent), or the engine's error (for
// example ctx.Err(), when changes without a known outcome get it too).
// Changes are applied in order. changes is not retained. Safe for
// concurrent use.
func (c *Conn) ApplyRoutes(ctx context.Context, changes []RouteChange) error {
	sc := batchPool.Get().(*batchScratch)
	defer func() {
		clear(sc.ops) // drop payload references
		sc.arena, sc.ops, sc.idx, sc.ends = sc.arena[:0], sc.ops[:0], sc.idx[:0], sc.ends[:0]
		batchPool.Put(sc)
	}()
	// Sized once for the whole batch: no regrowth while encoding.
	sc.ops = slices.Grow(sc.ops, len(changes))
	sc.idx = slices.Grow(sc.idx, len(changes))
	sc.ends = slices.Grow(sc.ends, len(changes))
	sc.arena = slices.Grow(sc.arena, len(changes)*routePayloadGuess)
	for i := range changes {
		ch := &changes[i]
		ch.Err = nil
		flags, ok := ch.Op.flags()
		if !ok {
			ch.Err = fmt.Errorf("%w: change op %v", ErrInvalidRoute, ch.Op)
			continue
		}
		typ := nlmsg.RTMNewRoute
		if ch.Op == ChangeDel {
			typ = nlmsg.RTMDelRoute
		}
		var err error
		start := len(sc.arena)
		if sc.arena, err = appendRoute(sc.arena, &ch.Route, ch.Op == ChangeDel); err != nil {
			sc.arena = sc.arena[:start]
			ch.Err = err
			continue
		}
		sc.ops = append(sc.ops, engine.Op{Type: typ, Flags: flags})
		sc.idx = append(sc.idx, i)
		sc.ends = append(sc.ends, len(sc.arena))
	}
	// The arena may have moved while growing: slice the payloads now.
	start := 0
	for j := range sc.ops {
		sc.ops[j].Payload = sc.arena[start:sc.ends[j]:sc.ends[j]]
		start = sc.ends[j]
	}
	err := c.ec.Batch(ctx, sc.ops)
	for j := range sc.ops {
		changes[sc.idx[j]].Err = sc.ops[j].Err
	}
	var be *engine.BatchError
	if err != nil && !errors.As(err, &be) {
		return err
	}
	return batchResult(len(changes), func(i int) (error, nlmsg.Type) {
		t := nlmsg.RTMNewRoute
		if changes[i].Op == ChangeDel {
			t = nlmsg.RTMDelRoute
		}
		return changes[i].Err, t
	})
}

// batchResult builds the BatchError of a typed batch of n changes, or nil
// when none failed; at(i) gives change i's error and message type.
func batchResult(n int, at func(int) (error, nlmsg.Type)) error {
	var out *BatchError
	for i := 0; i < n; i++ {
		err, t := at(i)
		if err == nil {
			continue
		}
		if out == nil {
			out = &BatchError{Total: n, Index: i, Type: t, Err: err}
		}
		out.Failed++
	}
	if out == nil {
		return nil
	}
	return out
}
