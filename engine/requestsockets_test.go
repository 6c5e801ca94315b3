//go:build linux

package engine

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Concurrent requests that find the primary's driver busy run on extra
// sockets: each gets its own answer (the sequence numbers are per socket),
// the extra sockets' traffic is in Stats, and Close while they loop returns
// every caller net.ErrClosed within closeWithin and leaves nothing behind.
func TestIntegrationConcurrentRequestsUseExtraSocketsAndCloseCleanly(t *testing.T) {
	ns := netnstest.New(t)
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	// NB: an explicit limit, so the test runs with one processor too, where
	// the default opens no extra request socket.
	c, err := Connect(testCtx(t), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithRequestSockets(4))
	if err != nil {
		t.Fatal(err)
	}
	req := ifinfoPayload(1)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				msgs, err := c.Request(ctx, unix.RTM_GETLINK, req, 0)
				if err != nil {
					errs <- err
					return
				}
				if len(msgs) != 1 || msgs[0].Type != unix.RTM_NEWLINK {
					errs <- errors.New("a GETLINK answered by something else than its one RTM_NEWLINK")
					return
				}
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
			}
		})
	}
	// Run until some requests went through an extra socket: one is open,
	// and Stats counts more requests than the primary sent.
	// NB: both, in that order: a socket is counted open before its first
	// request is sent.
	throughExtras := func() bool { return c.Stats().RequestsSent > c.ownStats().RequestsSent }
	deadline := time.Now().Add(10 * time.Second)
	seen := false
	for !seen && time.Now().Before(deadline) {
		seen = extraSockets(c) > 0 && throughExtras()
		time.Sleep(time.Millisecond)
	}
	if extraSockets(c) == 0 {
		t.Fatal("8 goroutines looping on requests opened no extra socket")
	}
	if !seen {
		t.Errorf("Stats counts %d requests, the primary alone %d: the extra sockets' are missing", c.Stats().RequestsSent, c.ownStats().RequestsSent)
	}
	t0 := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if d := time.Since(t0); d > closeWithin {
		t.Errorf("callers returned %v after Close, want within %v", d, closeWithin)
	}
	close(stop)
	for range 8 {
		if err := <-errs; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("a caller got %v, want nil or net.ErrClosed", err)
		}
	}
	checkNoLeaks(t, c, goroutines, fds)
}

// With WithRequestSockets(1) every request stays on the Conn's own socket.
func TestIntegrationRequestSocketsOne(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithRequestSockets(1), WithDumpSockets(1))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if err := c.Noop(testCtx(t)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := extraSockets(c); n != 0 {
		t.Fatalf("%d extra sockets with WithRequestSockets(1)", n)
	}
	if _, err := Connect(testCtx(t), nlmsg.FamilyRoute, WithRequestSockets(0)); err == nil {
		t.Fatal("WithRequestSockets(0) accepted")
	}
}

// A listener's requests stay on its own socket even while its driver is
// busy: there a request's answer comes after every notification queued
// before it (a Noop behind a storm of events is a barrier). On an extra
// socket the Noop overtook events still queued, and nlbench's storm counted
// them lost. A Conn that does not listen sends the same request on an
// extra socket and gets its answer while its own driver is still busy.
func TestIntegrationListenersKeepRequestsOnTheirOwnSocket(t *testing.T) {
	ns := netnstest.New(t)
	for name, c := range map[string]*Conn{
		"WithGroups":    connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK), WithRequestSockets(4)),
		"AddMembership": connectIn(t, ns, nlmsg.FamilyRoute, WithRequestSockets(4)),
	} {
		if name == "AddMembership" {
			if err := c.AddMembership(unix.RTNLGRP_LINK); err != nil {
				t.Fatal(err)
			}
		}
		c.drive <- struct{}{} // another goroutine drives
		done := make(chan error, 1)
		go func() { done <- c.Noop(context.Background()) }()
		waitFor(t, name+": the Noop to queue on the listener's own socket", func() bool { return submitted(c) == 1 })
		<-c.drive
		if err := <-done; err != nil {
			t.Fatalf("%s: Noop: %v", name, err)
		}
		if n := extraSockets(c); n != 0 {
			t.Fatalf("%s: %d extra sockets opened for a listener's request", name, n)
		}
	}
	plain := connectIn(t, ns, nlmsg.FamilyRoute, WithRequestSockets(4))
	plain.drive <- struct{}{}
	err := plain.Noop(testCtx(t)) // would wait for the token if it queued
	<-plain.drive
	if err != nil {
		t.Fatalf("Noop on an extra socket: %v", err)
	}
	if n := extraSockets(plain); n != 1 {
		t.Fatalf("a Conn that does not listen opened %d extra sockets for a request its busy socket could not take, want 1", n)
	}
}

// An extra request socket that carries no request for the reaper's period
// closes; one in use stays open.
func TestIntegrationIdleRequestSocketsClose(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithRequestSockets(4))
	c.drive <- struct{}{}
	err := c.Noop(testCtx(t))
	<-c.drive
	if err != nil || extraSockets(c) != 1 {
		t.Fatalf("Noop with the driver busy: %v, %d extra sockets; want nil, 1", err, extraSockets(c))
	}
	deadline := time.Now().Add(3*dumpSocketIdle + 2*time.Second)
	for extraSockets(c) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("an idle request socket still open after %v", 3*dumpSocketIdle+2*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkWorks(t, c)
}
