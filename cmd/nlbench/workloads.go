package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// env is what a workload runs against.
type env struct {
	cfg *config
	tgt *target
}

// workload is one measured activity. run sets up (connections, payloads,
// a warm-up round), calls m.begin, works until m.done, calls m.end, and
// records in r what only it knows (counts, expectations, losses) and the
// verdict of its own check.
type workload struct {
	name    string
	desc    string
	write   bool   // changes the namespace: refused in -netns without -allow-writes
	latency string // what one latency sample times; "" when none is taken
	run     func(ctx context.Context, e *env, m *meter, r *result) error
}

// suite is every workload, in the order the default run uses.
var suite = []workload{
	{name: "route-dump", desc: "dump all IPv4 routes (RTM_GETROUTE, NLM_F_DUMP)", latency: "dump",
		run: dumpRun(nlmsg.RTMGetRoute, ipv4RouteDumpReq, isRoute, "route", func(t *target) int { return t.wantRoutes })},
	{name: "link-dump", desc: "dump all links (RTM_GETLINK, NLM_F_DUMP)", latency: "dump",
		run: dumpRun(nlmsg.RTMGetLink, func() []byte { return nlmsg.IfInfoMsg{}.AppendTo(nil) }, isLink, "link", func(t *target) int { return t.wantLinks })},
	{name: "addr-dump", desc: "dump all IPv4 addresses (RTM_GETADDR, NLM_F_DUMP)", latency: "dump",
		run: dumpRun(nlmsg.RTMGetAddr, ipv4AddrDumpReq, isIPv4Addr, "IPv4 address", func(t *target) int { return t.wantAddrs })},
	{name: "getlink", desc: "RTM_GETLINK of one link, request/response, 1 goroutine", latency: "request",
		run: getlinkRun(false)},
	{name: "getlink-parallel", desc: "RTM_GETLINK of one link, request/response, -concurrency goroutines on one Conn", latency: "request",
		run: getlinkRun(true)},
	{name: "noop", desc: "NLMSG_NOOP round trips, 1 goroutine", latency: "request",
		run: noopRun},
	{name: "route-batch", desc: "add then delete -batch routes with ACKs through Conn.Batch, repeatedly", latency: "batch", write: true,
		run: routeBatchRun},
	{name: "event-storm", desc: "listen on RTNLGRP_IPV4_ROUTE while a writer adds and deletes routes", write: true,
		run: eventStormRun},
}

func findWorkload(name string) (workload, bool) {
	for _, w := range suite {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

// dumpRun measures repeated dumps of one kind: one operation is a whole
// dump, its messages are the objects counted by match (one is a noun).
// In the sandbox every dump must return exactly what the sandbox was filled
// with; elsewhere there is nothing to compare with.
func dumpRun(typ nlmsg.Type, req func() []byte, match func(nlmsg.View) bool, noun string, want func(*target) int) func(context.Context, *env, *meter, *result) error {
	return func(ctx context.Context, e *env, m *meter, r *result) error {
		c, err := e.tgt.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		payload := req()
		if _, _, err := dumpOnce(ctx, c, typ, payload, match); err != nil { // warm-up: pools, kernel caches
			return err
		}
		intr := 0
		items := itemRange{Min: -1}
		dumps := 0
		h := &m.hist
		m.begin()
		for {
			t0 := time.Now()
			n, interrupted, err := dumpOnce(ctx, c, typ, payload, match)
			t1 := time.Now()
			if err != nil {
				m.end()
				return err
			}
			if interrupted {
				intr++ // only possible when something else changes the namespace
			}
			h.recordDuration(t1.Sub(t0))
			m.add(1, n)
			items.add(n)
			dumps++
			if m.done(t1) {
				break
			}
		}
		m.end()
		r.Items = &items
		r.Interrupted = intr
		w := want(e.tgt)
		if w < 0 {
			per := count(items.Min, noun)
			if items.Max != items.Min {
				per = fmt.Sprintf("%d..%s", items.Min, count(items.Max, noun))
			}
			r.pass(fmt.Sprintf("not compared (not nlbench's namespace): %s per dump", per))
			return nil
		}
		r.Expected = ptr(int64(w))
		switch {
		case intr > 0:
			r.fail(fmt.Sprintf("%d of %d dumps interrupted (NLM_F_DUMP_INTR) in nlbench's own sandbox", intr, dumps))
		case items.Min != w || items.Max != w:
			r.fail(fmt.Sprintf("dumps returned %d..%s, the sandbox holds %d", items.Min, count(items.Max, noun), w))
		default:
			r.pass(fmt.Sprintf("all %d dumps returned the sandbox's %s", dumps, count(w, noun)))
		}
		return nil
	}
}

// dumpOnce runs one dump and counts the messages match accepts; a dump the
// kernel marked interrupted (NLM_F_DUMP_INTR) is counted as far as it went.
//
// NB: it is a named function, not a closure, on purpose: ranged over inside a
// func literal that the compiler inlines into another (as dumpRun's closures
// once were), the Dump iterator is called indirectly, the loop body escapes,
// and it and every variable it assigns are allocated on each dump (five
// allocations per dump, which the meter then counts against the engine).
func dumpOnce(ctx context.Context, c *engine.Conn, typ nlmsg.Type, payload []byte, match func(nlmsg.View) bool) (n int, interrupted bool, err error) {
	for v, err := range c.Dump(ctx, typ, payload, 0) {
		if errors.Is(err, engine.ErrDumpInterrupted) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
		if match(v) {
			n++
		}
	}
	return n, false, nil
}

// count returns "1 route", "2 routes", "2 IPv4 addresses".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return strconv.Itoa(n) + " " + noun + "es"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// getlinkRun measures RTM_GETLINK request/response round trips, cycling
// over the namespace's links: at 1 goroutine, or at -concurrency goroutines
// sharing one Conn. Each request must get exactly one RTM_NEWLINK.
func getlinkRun(parallel bool) func(context.Context, *env, *meter, *result) error {
	return func(ctx context.Context, e *env, m *meter, r *result) error {
		c, err := e.tgt.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		reqs := make([][]byte, len(e.tgt.ifindexes))
		for i, idx := range e.tgt.ifindexes {
			reqs[i] = nlmsg.IfInfoMsg{Index: idx}.AppendTo(nil)
		}
		workers := 1
		if parallel {
			workers = e.cfg.concurrency
			r.Concurrency = workers
		}
		type worker struct {
			hist    *histogram
			replies int
			reqs    int
			fn      func(nlmsg.View) error
			err     error
		}
		ws := make([]*worker, workers)
		for i := range ws {
			w := &worker{hist: new(histogram)}
			w.fn = func(v nlmsg.View) error {
				if v.Type() == nlmsg.RTMNewLink {
					w.replies++
				}
				return nil
			}
			ws[i] = w
		}
		loop := func(w *worker, first int, measured bool) {
			for i := first; ; i += workers {
				t0 := time.Now()
				err := c.RequestFunc(ctx, nlmsg.RTMGetLink, reqs[i%len(reqs)], 0, w.fn)
				t1 := time.Now()
				if err != nil {
					w.err = err
					return
				}
				w.reqs++
				if !measured {
					return
				}
				w.hist.recordDuration(t1.Sub(t0))
				m.add(1, 1)
				if m.done(t1) {
					return
				}
			}
		}
		for _, w := range ws { // warm-up, then start counting afresh
			if loop(w, 0, false); w.err != nil {
				return w.err
			}
			w.replies, w.reqs = 0, 0
		}
		m.begin()
		var wg sync.WaitGroup
		for i, w := range ws[1:] {
			wg.Go(func() {
				defer recoverInto(&w.err)
				loop(w, i+1, true)
			})
		}
		loop(ws[0], 0, true)
		wg.Wait()
		m.end()
		var reqsDone, replies int
		for _, w := range ws {
			if w.err != nil {
				return w.err
			}
			m.mergeHist(w.hist)
			reqsDone += w.reqs
			replies += w.replies
		}
		r.Replies = int64(replies)
		if replies != reqsDone {
			r.fail(fmt.Sprintf("%d requests got %d RTM_NEWLINK replies", reqsDone, replies))
		} else {
			r.pass(fmt.Sprintf("all %d requests got their RTM_NEWLINK", reqsDone))
		}
		return nil
	}
}

// noopRun measures NLMSG_NOOP round trips: a request and its ack, the
// cheapest exchange there is.
func noopRun(ctx context.Context, e *env, m *meter, r *result) error {
	c, err := e.tgt.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Noop(ctx); err != nil {
		return err
	}
	h := &m.hist
	m.begin()
	for {
		t0 := time.Now()
		err := c.Noop(ctx)
		t1 := time.Now()
		if err != nil {
			m.end()
			return err
		}
		h.recordDuration(t1.Sub(t0))
		m.add(1, 1)
		if m.done(t1) {
			break
		}
	}
	m.end()
	r.pass(fmt.Sprintf("all %d NOOPs acked", m.ops.Load()))
	return nil
}

// writeRoutes builds the add and delete batches for n routes base.x.y/32
// dev lo. The two share payloads: a delete names the route as an add does.
func writeRoutes(base [2]byte, n int) (adds, dels []engine.Op) {
	arena := make([]byte, 0, n*routePayloadLen)
	for i := range n {
		arena = appendRoutePayload(arena, [4]byte{base[0], base[1], byte(i >> 8), byte(i)}, 1)
	}
	adds, dels = make([]engine.Op, n), make([]engine.Op, n)
	for i := range n {
		p := arena[i*routePayloadLen : (i+1)*routePayloadLen]
		adds[i] = engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: p}
		dels[i] = engine.Op{Type: nlmsg.RTMDelRoute, Payload: p}
	}
	return adds, dels
}

// Routes the write workloads add and delete, in the benchmarking range
// 198.18.0.0/15 (RFC 2544), apart from the sandbox's 10.0.0.0/8.
var (
	batchNet = [2]byte{198, 18}
	stormNet = [2]byte{198, 19}
)

// routeBatchRun measures bulk writes: one operation is a Batch of -batch
// RTM_NEWROUTE or RTM_DELROUTE requests, each acknowledged; every route
// added is deleted again, so the namespace ends as it began.
func routeBatchRun(ctx context.Context, e *env, m *meter, r *result) error {
	c, err := e.tgt.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	adds, dels := writeRoutes(batchNet, e.cfg.batch)
	r.Batch = e.cfg.batch
	round := func() error {
		if err := c.Batch(ctx, adds); err != nil {
			// Take back what did get in, so a rerun starts clean.
			_ = c.Batch(context.WithoutCancel(ctx), dels)
			return fmt.Errorf("adding routes: %w", err)
		}
		if err := c.Batch(ctx, dels); err != nil {
			return fmt.Errorf("deleting routes: %w", err)
		}
		return nil
	}
	if err := round(); err != nil { // warm-up
		return err
	}
	h := &m.hist
	m.begin()
	for {
		t0 := time.Now()
		err := c.Batch(ctx, adds)
		t1 := time.Now()
		if err == nil {
			h.recordDuration(t1.Sub(t0))
			err = c.Batch(ctx, dels)
		} else {
			_ = c.Batch(context.WithoutCancel(ctx), dels)
		}
		t2 := time.Now()
		if err != nil {
			m.end()
			return err
		}
		h.recordDuration(t2.Sub(t1))
		m.add(2*len(adds), 2*len(adds))
		if m.done(t2) {
			break
		}
	}
	m.end()
	r.pass(fmt.Sprintf("all %d writes acked", m.ops.Load()))
	return nil
}

// recoverInto turns a panic of the calling goroutine into *errp, so a bug
// ends in a one-line error rather than a crash dump.
func recoverInto(errp *error) {
	if v := recover(); v != nil {
		*errp = fmt.Errorf("internal error: panic: %v", v)
	}
}

func ptr[T any](v T) *T { return &v }
