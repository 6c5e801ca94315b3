//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// A Dump started inside another Dump's loop used to queue behind it, and
// its driver read the whole outer dump into memory first (12 MiB at 100 000
// routes). It runs on a socket of its own now: the outer dump waits in the
// kernel, unread, while the inner one runs.
func TestIntegrationDumpInsideADumpLoopLeavesTheOuterDumpUnread(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	const routes = 20000 // about 40 dump chunks
	rawAddRoutes(t, ns, 0, routes)
	ctx := testCtx(t)

	outer, inner, held := 0, 0, int64(0)
	for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			t.Fatalf("outer dump: %v", err)
		}
		outer++
		if outer != 1 {
			continue
		}
		for _, err := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
			if err != nil {
				t.Fatalf("inner dump: %v", err)
			}
			inner++
		}
		_, held = pooled(c)
	}
	if outer < routes || inner == 0 {
		t.Fatalf("outer dump gave %d routes (want ≥ %d), inner dump %d links", outer, routes, inner)
	}
	// The outer dump's reader holds its current chunk; the receive slots
	// hold a few empty buffers. Reading the outer dump ahead would hold 40.
	if held > 8 {
		t.Fatalf("while the inner dump ran the Conn held %d receive buffers: the outer dump was read ahead", held)
	}
}

// Concurrent dumps run at once, each on its own socket, and each sees the
// whole table.
func TestIntegrationConcurrentDumpsEachGetEverything(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	rawAddRoutes(t, ns, 0, 3000)
	want, err := countDump(testCtx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	// One dump holds the Conn's own socket (its reader waits in the loop
	// body), so the 8 that follow must run on extra sockets.
	held := make(chan struct{})
	release := make(chan struct{})
	heldDone := make(chan error, 1)
	go func() {
		n, first := 0, true
		var err error
		for _, e := range c.Dump(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err = e; err != nil {
				break
			}
			n++
			if first {
				first = false
				close(held)
				<-release
			}
		}
		if err == nil && n != want {
			err = fmt.Errorf("the held dump got %d routes, want %d", n, want)
		}
		heldDone <- err
	}()
	<-held
	var wg sync.WaitGroup
	counts := make([]int, 8)
	errs := make([]error, 8)
	for i := range counts {
		wg.Go(func() { counts[i], errs[i] = countDump(testCtx(t), c) })
	}
	wg.Wait()
	extras := extraSockets(c)
	close(release)
	if err := <-heldDone; err != nil {
		t.Fatal(err)
	}
	for i := range counts {
		if errs[i] != nil || counts[i] != want {
			t.Fatalf("dump %d: %d routes, %v; want %d", i, counts[i], errs[i], want)
		}
	}
	if extras == 0 || extras > 3 {
		t.Fatalf("%d extra dump sockets after 8 dumps beside a held one, want 1 to 3 (WithDumpSockets' default of 4 in all)", extras)
	}
	if s := c.Stats(); s.RequestsSent < 9 {
		t.Fatalf("Stats counts %d requests for 9 dumps: the extra sockets' counters are missing", s.RequestsSent)
	}
}

// Extra dump sockets close when idle, and Close closes the busy ones: their
// readers get net.ErrClosed; no descriptor is left.
func TestIntegrationExtraDumpSocketsCloseWhenIdleAndWithTheConn(t *testing.T) {
	setDumpSocketIdle(t, 50*time.Millisecond)
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, 3000)
	fds := openFDs(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute)

	hold := make(chan struct{})         // the outer dump's reader waits on it
	innerStarted := make(chan struct{}) // the inner dump has its first route
	outerDone := make(chan error, 1)
	go func() {
		var err error
		for _, e := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if e != nil {
				err = e
				break
			}
			<-hold
		}
		outerDone <- err
	}()
	hold <- struct{}{} // the outer dump holds the Conn's own dump slot
	if _, err := countDump(testCtx(t), c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := extraSockets(c)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d extra sockets still open 5 s after their dump", n)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A dump on an extra socket, its reader stuck in the loop body: Close
	// ends it.
	innerDone := make(chan error, 1)
	go func() {
		var err error
		first := true
		for _, e := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if e != nil {
				err = e
				break
			}
			if first {
				first = false
				close(innerStarted)
				<-hold
			}
		}
		innerDone <- err
	}()
	<-innerStarted
	start := time.Now()
	c.Close()
	close(hold)
	for _, ch := range []chan error{outerDone, innerDone} {
		select {
		case err := <-ch:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				t.Fatalf("a dump ended by Close: %v, want nil or net.ErrClosed", err)
			}
		case <-time.After(time.Second):
			t.Fatal("a dump reader was still waiting 1 s after Close")
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close and its readers took %v", d)
	}
	runtime.GC()
	if n := openFDs(t); n != fds {
		t.Fatalf("%d file descriptors open after Close, %d before Connect", n, fds)
	}
}

// A Conn that listens sizes its receive buffer for event storms unless told
// otherwise, and says what it got.
func TestIntegrationListenersGetALargeReceiveBufferByDefault(t *testing.T) {
	ns := netnstest.New(t)
	plain := connectIn(t, ns, nlmsg.FamilyRoute)
	grouped := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK))
	chosen := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK), WithReceiveBuffer(64<<10))
	joined := connectIn(t, ns, nlmsg.FamilyRoute)
	if err := joined.AddMembership(unix.RTNLGRP_LINK); err != nil {
		t.Fatal(err)
	}
	base, _ := plain.ReceiveBuffer()
	for name, c := range map[string]*Conn{"WithGroups": grouped, "AddMembership": joined} {
		n, forced := c.ReceiveBuffer()
		if !forced || n < ListenerReceiveBuffer {
			t.Errorf("%s: receive buffer %d bytes, forced %v; want ≥ %d, forced (the test runs with CAP_NET_ADMIN)", name, n, forced, ListenerReceiveBuffer)
		}
	}
	if n, _ := chosen.ReceiveBuffer(); n >= ListenerReceiveBuffer || n < 64<<10 {
		t.Errorf("WithReceiveBuffer(64 KiB) and groups: %d bytes, want the size asked for", n)
	}
	if base >= ListenerReceiveBuffer {
		t.Errorf("a Conn that does not listen got %d bytes", base)
	}
}
