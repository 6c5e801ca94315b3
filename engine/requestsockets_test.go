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
	// Run until some requests went through an extra socket.
	deadline := time.Now().Add(10 * time.Second)
	for extraSockets(c) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if extraSockets(c) == 0 {
		t.Fatal("8 goroutines looping on requests opened no extra socket")
	}
	if own, all := c.ownStats().RequestsSent, c.Stats().RequestsSent; all <= own {
		t.Errorf("Stats counts %d requests, the primary alone %d: the extra sockets' are missing", all, own)
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
// them lost.
func TestIntegrationListenersKeepRequestsOnTheirOwnSocket(t *testing.T) {
	ns := netnstest.New(t)
	for name, c := range map[string]*Conn{
		"WithGroups":    connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK)),
		"AddMembership": connectIn(t, ns, nlmsg.FamilyRoute),
	} {
		if name == "AddMembership" {
			if err := c.AddMembership(unix.RTNLGRP_LINK); err != nil {
				t.Fatal(err)
			}
		}
		c.drive <- struct{}{} // another goroutine drives
		got := c.requestSocket(context.Background())
		<-c.drive
		if got != c {
			c.putRequestSocket(got)
			t.Fatalf("%s: a listener's request went to an extra socket", name)
		}
	}
	plain := connectIn(t, ns, nlmsg.FamilyRoute)
	if plain.reqSem != nil {
		plain.drive <- struct{}{}
		got := plain.requestSocket(context.Background())
		<-plain.drive
		plain.putRequestSocket(got)
		if got == plain {
			t.Fatal("a Conn that does not listen kept a request on its busy socket")
		}
	}
}
