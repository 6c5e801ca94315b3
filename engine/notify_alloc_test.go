//go:build linux

package engine

import (
	"context"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// readEvents consumes n route notifications with Notifications and returns
// how many heap allocations the process made meanwhile.
func readEvents(t *testing.T, l *Conn, n int) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := 0
	for v, err := range l.Notifications(ctx) {
		if err != nil {
			t.Fatalf("after %d of %d events: %v", got, n, err)
		}
		if v.Type() == unix.RTM_NEWROUTE || v.Type() == unix.RTM_DELROUTE {
			got++
		}
		if got == n {
			break
		}
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// The zero-copy event path allocates nothing per event once its pooled
// buffers are warm: the events are queued in the kernel first (nothing else
// runs while they are read), then read twice over, the second round counted.
func TestIntegrationNotificationsDoNotAllocatePerEvent(t *testing.T) {
	if raceDetectorOn {
		t.Skip("sync.Pool drops pooled objects at random under the race detector; allocation counts mean nothing")
	}
	const n = 2000
	w, ns := newTestConn(t, nlmsg.FamilyRoute)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE), WithReceiveBuffer(4<<20))
	add := routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)
	del := routeBatch(unix.RTM_DELROUTE, 0, 0, n)

	if err := w.Batch(context.Background(), add); err != nil {
		t.Fatal(err)
	}
	readEvents(t, l, n) // warm-up: buffers and slots grow here

	if err := w.Batch(context.Background(), del); err != nil {
		t.Fatal(err)
	}
	allocs := readEvents(t, l, n)
	t.Logf("%d allocations while reading %d events", allocs, n)
	if perEvent := float64(allocs) / n; perEvent > 0.01 {
		t.Errorf("reading %d events made %d allocations (%.3f per event), want about 0", n, allocs, perEvent)
	}
	if s := l.Stats(); s.Overruns != 0 || s.NotificationsLost != 0 {
		t.Fatalf("events were lost (overruns %d, queue drops %d): the measurement is void", s.Overruns, s.NotificationsLost)
	}
}

// Events that trickle in one at a time make the reader sleep before each
// one, under a context that can end: waiting costs no allocation either.
func TestIntegrationNotificationsTrickleWithoutAllocating(t *testing.T) {
	if raceDetectorOn {
		t.Skip("sync.Pool drops pooled objects at random under the race detector; allocation counts mean nothing")
	}
	const n = 200
	w, ns := newTestConn(t, nlmsg.FamilyRoute)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	payloads := routePayloads(n + 1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := make(chan struct{})
	readerDone := make(chan error, 1)
	go func() {
		for v, err := range l.Notifications(ctx) {
			if err != nil {
				if ctx.Err() == nil {
					readerDone <- err
					return
				}
				break
			}
			if v.Type() == unix.RTM_NEWROUTE {
				select {
				case arrived <- struct{}{}:
				case <-ctx.Done(): // the test stopped waiting
				}
			}
		}
		readerDone <- nil
	}()
	next := 0
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	addOne := func() {
		err := w.RequestFunc(ctx, unix.RTM_NEWROUTE, payloads[next], nlmsg.Create|nlmsg.Excl, func(nlmsg.View) error { return nil })
		if err != nil {
			t.Fatalf("adding route %d: %v", next, err)
		}
		next++
		timeout.Reset(10 * time.Second)
		select {
		case <-arrived:
		case err := <-readerDone:
			t.Fatalf("the reader stopped after %d events: %v", next-1, err)
		case <-timeout.C:
			t.Fatalf("event %d did not arrive", next-1)
		}
	}
	// NB: AllocsPerRun counts the whole process: the writer, the reader and
	// the reader's sleeps between events.
	perEvent := testing.AllocsPerRun(n, addOne)
	cancel()
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Overruns != 0 || s.Notifications < n {
		t.Fatalf("listener stats %+v: want %d notifications and no overrun", s, n)
	}
	if perEvent > 0 {
		t.Errorf("%.2f allocations per trickled event, want 0", perEvent)
	}
}
