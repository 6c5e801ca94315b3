//go:build linux

package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// A request from a goroutine that finds the socket idle makes its round
// trip alone (lone.go). These tests cover what it meets besides its own
// answer; TestIntegrationLoneRequestCostsOneSendAndOneReadPerDatagram counts its
// system calls and the Spoof tests its sender checks.

// Notifications queued on a listening Conn before a request's answer are
// read by the lone round trip first: they reach Receive, in order, and the
// request still gets its answer.
func TestIntegrationLoneRoundTripPassesQueuedNotificationsOn(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK))
	ns.AddVeth(t, "nlt-lone0", "nlt-lone1") // RTM_NEWLINKs now wait in the socket
	before := c.Stats()
	msgs, err := c.Request(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || !isLoReply(msgs) {
		t.Fatalf("request behind notifications: %d messages, %v; want the reply for lo", len(msgs), err)
	}
	if got := c.Stats().Notifications - before.Notifications; got == 0 {
		t.Fatal("the request's read queued no notification; want the veth's RTM_NEWLINKs first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != unix.RTM_NEWLINK {
		t.Fatalf("first notification: %v, want RTM_NEWLINK", m.Type)
	}
	checkWorks(t, c)
}

// A kernel error answers a lone round trip like any request: an *OpError
// that errors.Is the errno, with the extended ack's text.
func TestIntegrationLoneRoundTripReturnsTheKernelsError(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	_, err := c.Request(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(999_999), 0)
	var oe *OpError
	if !errors.Is(err, unix.ENODEV) || !errors.As(err, &oe) {
		t.Fatalf("GETLINK of a missing link: %v; want an *OpError for ENODEV", err)
	}
	if oe.Type != unix.RTM_GETLINK || oe.Seq == 0 {
		t.Fatalf("error names type %v seq %d; want RTM_GETLINK and its sequence number", oe.Type, oe.Seq)
	}
	checkWorks(t, c)
}

// A function that stops the answer early gets its error back, and the
// buffers of the answer all return: nothing is left for the next request.
func TestIntegrationLoneRoundTripStoppedByItsFunction(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	stop := errors.New("stop here")
	// Warm up: the same request answered whole leaves its receive slot
	// holding a buffer, as every later one does.
	if err := c.RequestFunc(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil }); err != nil {
		t.Fatal(err)
	}
	bufs := c.stats.liveBufs.Load()
	err := c.RequestFunc(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("RequestFunc: %v, want the function's error", err)
	}
	if got := c.stats.liveBufs.Load(); got != bufs {
		t.Fatalf("receive buffers held: %d after, %d before", got, bufs)
	}
	if s := driverBooks(c); s != "" {
		t.Fatalf("the driver still tracks %s", s)
	}
	checkWorks(t, c)
}

// A Noop, a write's ack and a GETLINK through RequestFunc allocate nothing
// on the lone path: the ack is read in its receive slot.
func TestIntegrationLoneRoundTripsAllocateNothing(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := context.Background()
	var err error
	calls := map[string]func(){
		"Noop": func() { err = errors.Join(err, c.Noop(ctx)) },
		"GETLINK": func() {
			err = errors.Join(err, c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil }))
		},
	}
	for name, call := range calls {
		for range 100 {
			call()
		}
		if allocs := testing.AllocsPerRun(1000, call); allocs != 0 {
			t.Errorf("%s: %.3f allocations per call, want 0", name, allocs)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// A lone round trip on a listener whose socket the kernel overran reads the
// ENOBUFS first: the request then goes on through the driver, which reads
// what is queued and fails the request only if its ack was lost; the
// listener is told of the loss, and the Conn works after.
func TestIntegrationLoneRoundTripMeetsAnOverrun(t *testing.T) {
	ns := netnstest.New(t)
	w := connectIn(t, ns, nlmsg.FamilyRoute)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithReceiveBuffer(4096), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	if err := w.Batch(testCtx(t), routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 400)); err != nil {
		t.Fatal(err)
	}
	// Nobody read l: its socket holds what fit and the kernel's ENOBUFS.
	if err := l.Noop(testCtx(t)); err != nil && !errors.Is(err, unix.ENOBUFS) {
		t.Fatalf("Noop on the overrun listener: %v, want nil or ENOBUFS", err)
	}
	if n := l.Stats().Overruns; n == 0 {
		t.Fatal("no overrun counted: the listener's socket did not overflow")
	}
	if !toldOfOverrun(t, l) {
		t.Error("the listener was not told about the overrun")
	}
	checkWorks(t, l)
}
