package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

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

// eventStormRun measures notification delivery under load: a listener on
// RTNLGRP_IPV4_ROUTE, with the receive buffer -listener-rcvbuf chooses
// (the engine's default for a listener unless told otherwise), counts
// events while a writer adds and deletes routes in batches as fast as it
// can. Every acknowledged add or delete is one event sent; the check holds
// only when the listener received every one. A loss fails it, and a loss
// with no ENOBUFS from the kernel or overrun of the Conn's own queue to
// show for it is also reported as unexplained.
func eventStormRun(ctx context.Context, e *env, m *meter, r *result) error {
	writer, err := e.tgt.connect(ctx)
	if err != nil {
		return err
	}
	defer writer.Close()
	adds, dels := writeRoutes(stormNet, e.cfg.batch)
	r.Batch = e.cfg.batch
	// Warm the writer up before anyone listens, so every event counts.
	if err := writer.Batch(ctx, adds); err != nil {
		return fmt.Errorf("adding routes: %w", err)
	}
	if err := writer.Batch(ctx, dels); err != nil {
		return fmt.Errorf("deleting routes: %w", err)
	}
	var opts []engine.Option
	switch e.cfg.rcvbufChoice {
	case "engine":
	case "system":
		// The writer joins no group, so its socket has what any socket
		// starts with; asking for half of it gives the listener exactly
		// that (the kernel doubles the size asked for).
		n, _ := writer.ReceiveBuffer()
		opts = append(opts, engine.WithReceiveBuffer(n/2))
	default:
		opts = append(opts, engine.WithReceiveBuffer(e.cfg.rcvbuf))
	}
	listener, err := e.tgt.connect(ctx, opts...)
	if err != nil {
		return err
	}
	defer listener.Close()
	// Joined explicitly rather than with engine.WithGroups: before its fix,
	// Connect joined before bind(2), which cleared groups 1..32 again.
	if err := listener.AddMembership(nlmsg.RTNLGrpIPv4Route); err != nil {
		return err
	}

	var ev events
	ev.BufferChoice = e.cfg.rcvbufChoice
	ev.ReceiveBuffer, ev.Forced = listener.ReceiveBuffer()
	lctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	listenErr := make(chan error, 1)
	m.begin()
	go func() {
		var err error
		defer func() { listenErr <- err }()
		defer recoverInto(&err)
		for v, lerr := range listener.Notifications(lctx) {
			switch {
			case lerr == nil:
				if isStormEvent(v) {
					ev.Received++
					m.add(0, 1)
				}
			case errors.Is(lerr, unix.ENOBUFS), errors.Is(lerr, engine.ErrOverrun):
				ev.LossReports++
			case lctx.Err() != nil:
				// The end: the iteration stops after this.
			default:
				err = lerr
				return
			}
		}
	}()

	var werr error
	for werr == nil {
		for _, ops := range [][]engine.Op{adds, dels} {
			werr = writer.Batch(ctx, ops)
			for _, op := range ops {
				if op.Err == nil {
					ev.Expected++ // one notification per applied change
				}
			}
			m.add(len(ops), 0)
			if werr != nil {
				break
			}
		}
		if m.done(time.Now()) {
			break
		}
	}
	if werr != nil {
		_ = writer.Batch(context.WithoutCancel(ctx), dels)
	}
	// Every event of the storm is now queued on the listener's socket or
	// lost. The ack of a NOOP queues behind them: once it is in, the rest
	// are in the Conn's queue, and cancelling lets the listener drain it.
	var nerr error
	for range 100 {
		if nerr = listener.Noop(ctx); !errors.Is(nerr, unix.ENOBUFS) {
			break // an ENOBUFS that overtook the ack fails it: ask again
		}
	}
	stopListening()
	lerr := <-listenErr
	m.end()
	st := listener.Stats()
	ev.ENOBUFS = int64(st.Overruns)
	ev.QueueDrops = int64(st.NotificationsLost)
	ev.Lost = ev.Expected - ev.Received
	r.Events = &ev
	switch {
	case werr != nil:
		return werr
	case lerr != nil:
		return fmt.Errorf("listener: %w", lerr)
	case nerr != nil:
		return fmt.Errorf("draining the listener: %w", nerr)
	}
	judgeStorm(r, &ev)
	return nil
}

// judgeStorm records the storm's verdict in r: it passes only when the
// listener received every event the writer caused.
func judgeStorm(r *result, ev *events) {
	switch {
	case ev.Received > ev.Expected:
		r.fail(fmt.Sprintf("received %d events, only %d changes were made", ev.Received, ev.Expected))
	case ev.Lost > 0:
		r.fail(lossText(ev))
	default:
		r.pass(fmt.Sprintf("all %d events received", ev.Expected))
	}
}

// lossText says how many events a storm lost and what reported the loss:
// "lost 1497 of 20000 (ENOBUFS ×2)".
func lossText(ev *events) string {
	var why []string
	if ev.ENOBUFS > 0 {
		why = append(why, fmt.Sprintf("ENOBUFS ×%d", ev.ENOBUFS))
	}
	if ev.QueueDrops > 0 {
		why = append(why, fmt.Sprintf("%d dropped from the Conn's full queue", ev.QueueDrops))
	}
	if len(why) == 0 {
		why = append(why, "unexplained: no ENOBUFS or queue overrun reported")
	}
	return fmt.Sprintf("lost %d of %d (%s)", ev.Lost, ev.Expected, strings.Join(why, ", "))
}

// isStormEvent reports whether v is the notification of a change the
// event storm's writer made: a route in stormNet. Other changes (possible in
// a -netns namespace that others use) are not counted.
func isStormEvent(v nlmsg.View) bool {
	if t := v.Type(); t != nlmsg.RTMNewRoute && t != nlmsg.RTMDelRoute {
		return false
	}
	h, attrs, err := nlmsg.DecodeRtMsg(v.Payload())
	if err != nil || h.Family != unix.AF_INET || h.DstLen != 32 {
		return false
	}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		if a := s.Attr(); a.Type() == nlmsg.RTADst {
			d := a.Data()
			return len(d) == 4 && d[0] == stormNet[0] && d[1] == stormNet[1]
		}
	}
	return false
}

// recoverInto turns a panic of the calling goroutine into *errp, so a bug
// ends in a one-line error rather than a crash dump.
func recoverInto(errp *error) {
	if v := recover(); v != nil {
		*errp = fmt.Errorf("internal error: panic: %v", v)
	}
}

func ptr[T any](v T) *T { return &v }
