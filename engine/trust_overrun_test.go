//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: a kernel overrun (ENOBUFS) is reported in order, to the
// listener and to the requests whose answers it lost, never silently, and
// a listener can resync from a dump.

// routeKey identifies an IPv4 route in a routing-table mirror.
func routeKey(tb testing.TB, payload []byte) string {
	tb.Helper()
	h, attrs, err := nlmsg.DecodeRtMsg(payload)
	if err != nil {
		tb.Fatalf("route message: %v", err)
	}
	table := uint32(h.Table)
	var dst []byte
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		switch a := s.Attr(); a.Type() {
		case unix.RTA_DST:
			dst = a.Data()
		case unix.RTA_TABLE:
			table, _ = a.Uint32()
		}
	}
	return fmt.Sprintf("table %d type %d %v/%d", table, h.Type, net.IP(dst), h.DstLen)
}

// routeMirror is what a listener keeps: the kernel's IPv4 routes as it
// learns them from a dump and from notifications.
type routeMirror map[string]bool

func dumpMirror(tb testing.TB, c *Conn) routeMirror {
	tb.Helper()
	m := routeMirror{}
	for v, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			tb.Fatalf("route dump: %v", err)
		}
		m[routeKey(tb, v.Payload())] = true
	}
	return m
}

func (m routeMirror) apply(tb testing.TB, msg nlmsg.Message) {
	switch msg.Type {
	case unix.RTM_NEWROUTE:
		m[routeKey(tb, msg.Payload)] = true
	case unix.RTM_DELROUTE:
		delete(m, routeKey(tb, msg.Payload))
	}
}

func (m routeMirror) diff(other routeMirror) []string {
	var d []string
	for k := range m {
		if !other[k] {
			d = append(d, "only in mirror: "+k)
		}
	}
	for k := range other {
		if !m[k] {
			d = append(d, "only in kernel: "+k)
		}
	}
	slices.Sort(d)
	return d
}

// TestOverrunResync: a listener with a small receive buffer mirrors the
// routing table from route notifications while a writer adds 400 routes and
// deletes 200 of them without the listener reading. The kernel overruns the
// listener's socket; the listener must report the overrun (ENOBUFS) in order,
// after the notifications that were queued before it, keep receiving, and a
// resync (a fresh dump) at that point must leave a mirror that agrees with
// the kernel once the events that follow are applied.
func TestOverrunResync(t *testing.T) {
	ns := netnstest.New(t)
	w := connectIn(t, ns, nlmsg.FamilyRoute)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithReceiveBuffer(4096), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	mirror := dumpMirror(t, l)
	if err := w.Batch(ctx, routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 400)); err != nil {
		t.Fatal(err)
	}
	if err := w.Batch(ctx, routeOps(unix.RTM_DELROUTE, 0, 0, 200)); err != nil {
		t.Fatal(err)
	}

	// Read what was queued, up to and including the overrun report.
	before, losses := 0, 0
	for losses == 0 {
		m, err := l.Receive(ctx)
		switch {
		case errors.Is(err, unix.ENOBUFS):
			var oe *OpError
			if !errors.As(err, &oe) {
				t.Fatalf("overrun reported as %T, want *OpError", err)
			}
			losses++
			mirror = dumpMirror(t, l) // the resync
		case err != nil:
			t.Fatalf("Receive: %v (after %d notifications)", err, before)
		default:
			mirror.apply(t, m)
			before++
		}
	}
	if l.Stats().Overruns == 0 {
		t.Fatal("the listener reported ENOBUFS but counted no overrun")
	}
	// The socket held notifications when the kernel overran it: they came
	// before the loss, so they must be read before its report. Reported
	// after it, they would be applied on top of the resync and bring back
	// routes deleted since.
	t.Logf("%d notifications read before the overrun report", before)
	if before == 0 {
		t.Error("the overrun was reported ahead of the notifications queued before it")
	}

	// The listener keeps receiving: the next changes arrive as events.
	final := routePayload(399, 1)
	if err := w.Batch(ctx, []Op{
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(5000, 1)},
		{Type: unix.RTM_DELROUTE, Payload: final},
	}); err != nil {
		t.Fatal(err)
	}
	after := 0
	for {
		m, err := l.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive after the resync: %v (after %d notifications)", err, after)
		}
		mirror.apply(t, m)
		after++
		if m.Type == unix.RTM_DELROUTE && routeKey(t, m.Payload) == routeKey(t, final) {
			break
		}
	}
	if after != 2 {
		t.Errorf("%d notifications after the resync, want only the 2 changes made since", after)
	}
	if d := mirror.diff(dumpMirror(t, w)); len(d) > 0 {
		t.Fatalf("after the resync the mirror disagrees with the kernel (%d differences):\n%s", len(d), strings.Join(d[:min(len(d), 10)], "\n"))
	}
	checkWorks(t, l)
}

// TestOverrunSelfInflicted: a Conn that listens to IPv4 route events adds
// 1000 routes in one Batch. Each route costs an ack and a notification, more
// than the receive buffer holds, so the kernel overruns the socket; and from
// then until the socket is read empty it drops every reply to it silently
// (ENOBUFS is reported once). The Batch must end (no hang), each op either
// acknowledged, in which case the route exists, or failed with an error that
// errors.Is ENOBUFS; the listener reports the loss and the Conn works after.
func TestOverrunSelfInflicted(t *testing.T) {
	ns := netnstest.New(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithReceiveBuffer(64<<10), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 1000)
	r := wait(t, goBatch(context.Background(), c, ops), "batch")
	var be *BatchError
	if !errors.As(r.err, &be) || !errors.Is(r.err, unix.ENOBUFS) {
		t.Fatalf("batch: %v; want a *BatchError for ENOBUFS (did the socket not overrun?)", r.err)
	}
	exists := map[int]bool{}
	for _, i := range routeDsts(t, connectIn(t, ns, nlmsg.FamilyRoute)) {
		exists[i] = true
	}
	failed := 0
	for i, op := range ops {
		switch {
		case op.Err == nil:
			if !exists[i] {
				t.Errorf("op %d was acknowledged but route %d does not exist", i, i)
			}
		case errors.Is(op.Err, unix.ENOBUFS):
			failed++ // outcome unknown: the kernel applied it, its ack was lost
		default:
			t.Errorf("op %d: %v", i, op.Err)
		}
	}
	t.Logf("%d of %d acks lost to %d overruns", failed, len(ops), c.Stats().Overruns)
	if failed != be.Failed {
		t.Errorf("BatchError counts %d failures, ops show %d", be.Failed, failed)
	}
	// The loss is reported to the listener, after what came before it.
	if !toldOfOverrun(t, c) {
		t.Error("the listener was not told about the overrun")
	}
	checkWorks(t, c)
}

// TestOverrunUnderLoad: 8 goroutines run batches, dumps and requests for 2 s
// on a Conn that listens to the route events its batches cause, with a
// small receive buffer, so that the kernel overruns it again and again.
// Every call must return, with success or an error that errors.Is ENOBUFS;
// afterwards nothing is left in flight or out of the pools.
func TestOverrunUnderLoad(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithReceiveBuffer(64<<10), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { // a listener that keeps up
		for {
			if _, err := c.Receive(ctx); errors.Is(err, context.Canceled) {
				return
			}
		}
	})
	var calls, lost atomic.Int64
	errs := make(chan error, 8)
	deadline := time.Now().Add(2 * time.Second)
	var workers sync.WaitGroup
	for w := range 8 {
		workers.Go(func() {
			for r := 0; time.Now().Before(deadline); r++ {
				var err error
				switch r % 3 {
				case 0:
					first := 10_000 + w*1000
					flags := nlmsg.Create | nlmsg.Excl
					typ := nlmsg.Type(unix.RTM_NEWROUTE)
					if r%2 == 1 {
						typ, flags = unix.RTM_DELROUTE, 0
					}
					err = c.Batch(context.Background(), routeOps(typ, flags, first, first+300))
					if err != nil && !errors.Is(err, unix.ENOBUFS) {
						// Adds and deletes alternate; after a lost ack the
						// next one may meet EEXIST or ESRCH: not a loss.
						var be *BatchError
						if errors.As(err, &be) && (errors.Is(be.First, unix.EEXIST) || errors.Is(be.First, unix.ESRCH)) {
							err = nil
						}
					}
				case 1:
					for _, e := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
						if e != nil {
							err = e
						}
					}
				case 2:
					var msgs []nlmsg.Message
					msgs, err = c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0)
					if err == nil && !isLoReply(msgs) {
						err = fmt.Errorf("wrong reply to RTM_GETLINK lo: %d messages", len(msgs))
					}
				}
				calls.Add(1)
				if errors.Is(err, unix.ENOBUFS) {
					lost.Add(1)
				} else if err != nil {
					select {
					case errs <- fmt.Errorf("worker %d: %w", w, err):
					default:
					}
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("calls hung under overruns:\n%s", buf[:runtime.Stack(buf, true)])
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := c.Stats()
	t.Logf("%d calls, %d lost replies to ENOBUFS; %d overruns", calls.Load(), lost.Load(), st.Overruns)
	if st.Overruns == 0 {
		t.Error("the kernel never overran the socket: the test proved nothing")
	}
	checkWorks(t, c)
}
