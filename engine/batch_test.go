//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// routeBatch returns one op of type typ for each route routePayload(first..
// first+n-1, lo).
func routeBatch(typ nlmsg.Type, flags nlmsg.Flags, first, n int) []Op {
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Type: typ, Flags: flags, Payload: routePayload(first+i, 1)}
	}
	return ops
}

// checkBatchFailedWith fails tb unless err is a *BatchError counting every
// op, and each op failed with want, with its own sequence number.
func checkBatchFailedWith(tb testing.TB, err error, ops []Op, want error) {
	tb.Helper()
	var be *BatchError
	if !errors.As(err, &be) {
		tb.Fatalf("batch: %v (%T), want a *BatchError", err, err)
	}
	if be.Failed != len(ops) || !errors.Is(be.First, want) || !errors.Is(err, want) {
		tb.Fatalf("BatchError{Failed: %d, First: %v}, want %d failures, first %v", be.Failed, be.First, len(ops), want)
	}
	seqs := make(map[uint32]bool, len(ops))
	for i, op := range ops {
		var oe *OpError
		if !errors.As(op.Err, &oe) || oe.Err != want || oe.Type != op.Type {
			tb.Fatalf("op %d: %#v, want an *OpError of type %v with %v", i, op.Err, op.Type, want)
		}
		if oe.Seq == 0 || seqs[oe.Seq] {
			tb.Fatalf("op %d reports sequence number %d: 0 or shared", i, oe.Seq)
		}
		seqs[oe.Seq] = true
	}
}

func TestIntegrationBatchReportsEveryResult(t *testing.T) {
	const n = 20000
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)

	add := routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)
	if err := c.Batch(ctx, add); err != nil {
		t.Fatalf("adding %d routes: %v", n, err)
	}
	for i, op := range add {
		if op.Err != nil {
			t.Fatalf("op %d of a successful batch: %v", i, op.Err)
		}
	}
	set, _ := testRoutesIn(t, c)
	if len(set) != n {
		t.Fatalf("%d routes exist after adding %d", len(set), n)
	}

	again := routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)
	checkBatchFailedWith(t, c.Batch(ctx, again), again, unix.EEXIST)

	del := routeBatch(unix.RTM_DELROUTE, 0, 0, n)
	if err := c.Batch(ctx, del); err != nil {
		t.Fatalf("deleting %d routes: %v", n, err)
	}
	set, others := testRoutesIn(t, c)
	if len(set) != 0 {
		t.Fatalf("%d routes left after deleting them all", len(set))
	}
	checkOnlyLoopbackRoutes(t, others)

	checkBatchFailedWith(t, c.Batch(ctx, del), del, unix.ESRCH)
	if s := c.Stats(); s.Overruns != 0 || s.DroppedUnknownSeq != 0 {
		t.Fatalf("acks were lost or unmatched: %+v", s)
	}
}

func TestIntegrationBatchMixedResultsInOrder(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	badPrefix := []byte{unix.AF_INET, 33, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_STATIC, unix.RT_SCOPE_LINK, unix.RTN_UNICAST, 0, 0, 0, 0}
	a, b := routePayload(1, 1), routePayload(2, 1)
	ops := []Op{
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: a},
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: a},
		{Type: unix.RTM_DELROUTE, Payload: b},
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: b},
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create, Payload: badPrefix},
		{Type: nlmsg.Noop},
		{Type: unix.RTM_GETLINK, Payload: ifinfoPayload(1)}, // its RTM_NEWLINK reply is not an ack
		{Type: unix.RTM_DELROUTE, Payload: a},
		{Type: unix.RTM_DELROUTE, Payload: a},
	}
	want := []error{nil, unix.EEXIST, unix.ESRCH, nil, unix.EINVAL, nil, nil, nil, unix.ESRCH}

	err := c.Batch(testCtx(t), ops)
	var be *BatchError
	if !errors.As(err, &be) || be.Failed != 4 || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("batch: %v, want a BatchError with 4 failures, the first EEXIST", err)
	}
	for i, op := range ops {
		if want[i] == nil {
			if op.Err != nil {
				t.Errorf("op %d: %v, want success", i, op.Err)
			}
			continue
		}
		var oe *OpError
		if !errors.As(op.Err, &oe) || oe.Err != want[i] || oe.Op != "batch" {
			t.Errorf("op %d: %#v, want a batch *OpError with %v", i, op.Err, want[i])
		}
	}
	// The kernel's explanation reaches the op it belongs to.
	if oe, ok := ops[4].Err.(*OpError); !ok || oe.Message == "" {
		t.Errorf("op 4 has no extended-ack message: %#v", ops[4].Err)
	}
	set, _ := testRoutesIn(t, c)
	if set[1] || !set[2] || len(set) != 1 {
		t.Fatalf("routes after the batch: %v, want route 2 alone", set)
	}
}

func TestIntegrationBatchCancelledMidway(t *testing.T) {
	const n = 20000
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	// Every tenth route exists already, so some known results are errors.
	var pre []Op
	for i := 0; i < 3*n; i += 10 {
		pre = append(pre, Op{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(i, 1)})
	}
	if err := c.Batch(testCtx(t), pre); err != nil {
		t.Fatal(err)
	}

	// Cancel once a tenth of the batch was sent. On a fast machine the batch
	// may finish first; then try again with other routes.
	var ops []Op
	var err error
	first := 0 // the route number of ops[0]
	for attempt := range 3 {
		first = attempt * n
		ops = routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, first, n)
		ctx, cancel := context.WithCancel(context.Background())
		sent := c.Stats().RequestsSent
		go func() {
			for c.Stats().RequestsSent < sent+n/10 {
				runtime.Gosched()
			}
			cancel()
		}()
		err = c.Batch(ctx, ops)
		cancel()
		if err == context.Canceled {
			break
		}
		t.Logf("attempt %d: the batch finished before it was cancelled: %v", attempt, err)
	}
	if err != context.Canceled {
		t.Fatalf("cancelled batch: %v, want context.Canceled itself", err)
	}
	known, unknown := 0, 0
	for i, op := range ops {
		existed := (first+i)%10 == 0
		switch {
		case op.Err == context.Canceled:
			unknown++
		case op.Err == nil && !existed:
			known++
		case errors.Is(op.Err, unix.EEXIST) && existed:
			known++
		default:
			t.Fatalf("op %d (route existed: %v): %v", i, existed, op.Err)
		}
	}
	if known == 0 || unknown == 0 {
		t.Fatalf("%d known and %d unknown results: the cancellation did not fall mid-batch", known, unknown)
	}
	t.Logf("%d results known, %d unknown", known, unknown)

	if err := c.Noop(testCtx(t)); err != nil {
		t.Fatalf("Noop after the cancelled batch: %v", err)
	}
	// The Noop's ack came after every ack of the abandoned batch: nothing of
	// it is left in the driver.
	var books string
	underDriver(c, func() { books = driverBooks(c) })
	if books != "" {
		t.Errorf("after the cancelled batch: %s", books)
	}
	set, _ := testRoutesIn(t, c)
	for i, op := range ops {
		if op.Err == nil && !set[first+i] {
			t.Fatalf("op %d succeeded but its route is missing", i)
		}
	}
	// Every route is either one of ops or pre-existing.
	for i := range set {
		if i%10 != 0 && (i < first || i >= first+n) {
			t.Fatalf("route %d exists but was never added", i)
		}
	}
}

func TestIntegrationConcurrentBatchesGetTheirOwnAcks(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	const workers, per = 4, 1500
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Go(func() {
			add := routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, w*per, per)
			if err := c.Batch(ctx, add); err != nil {
				errs <- fmt.Errorf("worker %d add: %w", w, err)
				return
			}
			again := routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, w*per, per)
			var be *BatchError
			if err := c.Batch(ctx, again); !errors.As(err, &be) || be.Failed != per {
				errs <- fmt.Errorf("worker %d add again: %v, want %d failures", w, err, per)
				return
			}
			for i, op := range again {
				if !errors.Is(op.Err, unix.EEXIST) {
					errs <- fmt.Errorf("worker %d op %d: %v, want EEXIST", w, i, op.Err)
					return
				}
			}
			if err := c.Batch(ctx, routeBatch(unix.RTM_DELROUTE, 0, w*per, per/2)); err != nil {
				errs <- fmt.Errorf("worker %d delete: %w", w, err)
			}
		})
	}
	wg.Go(func() {
		for range 300 {
			msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			if err != nil || len(msgs) != 1 {
				errs <- fmt.Errorf("RTM_GETLINK among batches: %d replies, %v", len(msgs), err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	set, _ := testRoutesIn(t, c)
	for w := range workers {
		for i := w * per; i < (w+1)*per; i++ {
			if set[i] != (i-w*per >= per/2) {
				t.Fatalf("route %d exists: %v", i, set[i])
			}
		}
	}
}

// A dump ends with NLMSG_DONE, not with the ack a batch waits for: a dump op
// made Batch wait for ever (and the next dump op met EBUSY). It is refused
// at once, with nothing sent, and the Conn goes on working.
func TestIntegrationBatchRefusesDumpOpsBeforeSending(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	for _, flags := range []nlmsg.Flags{nlmsg.Dump, nlmsg.Root, nlmsg.Match} {
		ops := []Op{
			{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(1, 1)},
			{Type: unix.RTM_GETROUTE, Flags: flags, Payload: nlmsg.RtMsg{Family: unix.AF_INET}.AppendTo(nil)},
		}
		done := make(chan error, 1)
		go func() { done <- c.Batch(context.Background(), ops) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Batch with a dump op (flags %v) has not returned after 10 s", flags)
		}
		var oe *OpError
		if !errors.Is(err, ErrDumpInBatch) || !errors.As(err, &oe) || oe.Type != unix.RTM_GETROUTE || !strings.Contains(err.Error(), "op 1") {
			t.Fatalf("flags %v: Batch = %v, want an *OpError for op 1 (RTM_GETROUTE) that errors.Is ErrDumpInBatch", flags, err)
		}
		for i, op := range ops {
			if !errors.Is(op.Err, ErrDumpInBatch) {
				t.Fatalf("flags %v: op %d Err = %v, want the refusal", flags, i, op.Err)
			}
		}
	}
	if s := c.Stats(); s.RequestsSent != 0 {
		t.Fatalf("the refused batches sent %d requests", s.RequestsSent)
	}
	// NEW with REPLACE (the same bit as ROOT) is not a dump.
	if err := c.Batch(testCtx(t), []Op{{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Replace, Payload: routePayload(1, 1)}}); err != nil {
		t.Fatalf("a replace batch after the refusals: %v", err)
	}
	n := 0
	for _, err := range c.Dump(testCtx(t), unix.RTM_GETROUTE, nlmsg.RtMsg{Family: unix.AF_INET}.AppendTo(nil), 0) {
		if err != nil {
			t.Fatalf("a dump after the refusals: %v", err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("the dump after the refusals returned no route")
	}
}

// rtnetlink dumps a GET request that carries NLM_F_ROOT alone; Request must
// then wait for NLMSG_DONE, not for an ack that never comes.
func TestIntegrationRequestWithRootAloneIsADump(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := c.Request(ctx, unix.RTM_GETLINK, nlmsg.IfInfoMsg{}.AppendTo(nil), nlmsg.Root)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("RTM_GETLINK with NLM_F_ROOT: %d messages, %v; want the link dump", len(msgs), err)
	}
}
