//go:build linux

package engine

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// routeEvent is a route notification, decoded.
type routeEvent struct {
	typ nlmsg.Type
	i   int // the routePayload number, -1 for other routes
}

func routeEventOf(tb testing.TB, typ nlmsg.Type, payload []byte) routeEvent {
	tb.Helper()
	if typ != unix.RTM_NEWROUTE && typ != unix.RTM_DELROUTE {
		tb.Fatalf("notification of type %v, want a route event", typ)
	}
	r, err := decodeRouteMsg(payload)
	if err != nil {
		tb.Fatalf("decoding a route notification: %v", err)
	}
	i, ok := r.testRoute()
	if !ok {
		i = -1
	}
	return routeEvent{typ, i}
}

// expectEvent fails tb unless the next notification l receives is want.
func expectEvent(tb testing.TB, l *Conn, want routeEvent) nlmsg.Message {
	tb.Helper()
	m, err := l.Receive(testCtx(tb))
	if err != nil {
		tb.Fatalf("waiting for %+v: %v", want, err)
	}
	if got := routeEventOf(tb, m.Type, m.Payload); got != want {
		tb.Fatalf("received %+v, want %+v", got, want)
	}
	return m
}

// changeRoute adds (or deletes) routePayload(i, lo) through c.
func changeRoute(tb testing.TB, c *Conn, typ nlmsg.Type, i int) {
	tb.Helper()
	flags := nlmsg.Flags(0)
	if typ == unix.RTM_NEWROUTE {
		flags = nlmsg.Create | nlmsg.Excl
	}
	if _, err := c.Request(testCtx(tb), typ, routePayload(i, 1), flags); err != nil {
		tb.Fatalf("%v route %d: %v", typ, i, err)
	}
}

// drainEvents receives until nothing arrives for a while and returns how
// many notifications came and the errors among them. The kernel queues
// notifications during the sendmsg that causes them, so once the changes
// are made a quiet socket is a drained one; the wait only ends the loop.
func drainEvents(tb testing.TB, l *Conn) (n int, errs []error) {
	tb.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := l.Receive(ctx)
		cancel()
		switch {
		case err == nil:
			n++
		case errors.Is(err, context.DeadlineExceeded):
			return n, errs
		default:
			errs = append(errs, err)
		}
	}
}

// expectResumed adds marker routes through a until l receives one: a
// listener whose socket is still congested drops the first ones, so it
// tries a few. Events other than the markers are skipped.
func expectResumed(tb testing.TB, l, a *Conn) {
	tb.Helper()
	for try := range 5 {
		marker := 0xfff000 + try
		changeRoute(tb, a, unix.RTM_NEWROUTE, marker)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		for {
			m, err := l.Receive(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			if err != nil {
				cancel()
				tb.Fatalf("receiving after the overrun: %v", err)
			}
			if routeEventOf(tb, m.Type, m.Payload) == (routeEvent{unix.RTM_NEWROUTE, marker}) {
				cancel()
				return
			}
		}
		cancel()
	}
	tb.Fatal("the listener receives no new notifications after the overrun")
}

func TestIntegrationNotificationsOfAnotherConnsChanges(t *testing.T) {
	ns := netnstest.New(t)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	a := connectIn(t, ns, nlmsg.FamilyRoute)

	changeRoute(t, a, unix.RTM_NEWROUTE, 1)
	m := expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 1})
	// rtnetlink stamps the event with the port and sequence number of the
	// request that caused it; it is still a notification.
	if m.PortID != a.PortID() || m.Seq == 0 {
		t.Errorf("notification port %d seq %d, want the adder's port %d and its request's seq", m.PortID, m.Seq, a.PortID())
	}
	changeRoute(t, a, unix.RTM_DELROUTE, 1)
	expectEvent(t, l, routeEvent{unix.RTM_DELROUTE, 1})

	// The same through the in-place iterator.
	changeRoute(t, a, unix.RTM_NEWROUTE, 2)
	changeRoute(t, a, unix.RTM_DELROUTE, 2)
	want := []routeEvent{{unix.RTM_NEWROUTE, 2}, {unix.RTM_DELROUTE, 2}}
	var got []routeEvent
	for v, err := range l.Notifications(testCtx(t)) {
		if err != nil {
			t.Fatalf("Notifications: %v", err)
		}
		got = append(got, routeEventOf(t, v.Type(), v.Payload()))
		if len(got) == len(want) {
			break
		}
	}
	if got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Notifications yielded %+v, want %+v", got, want)
	}
	// Leaving the iterator early loses nothing that comes later.
	changeRoute(t, a, unix.RTM_NEWROUTE, 3)
	expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 3})

	if s := l.Stats(); s.Notifications != 5 || s.NotificationsLost != 0 || s.Overruns != 0 {
		t.Fatalf("listener stats %+v, want 5 notifications and no loss", s)
	}
}

func TestIntegrationOwnRequestsNotificationGoesToReceive(t *testing.T) {
	l, _ := newTestConn(t, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE))

	// The event carries the listener's own port and the request's sequence
	// number, and arrives together with the ack; neither disturbs the other.
	msgs, err := l.Request(testCtx(t), unix.RTM_NEWROUTE, routePayload(5, 1), nlmsg.Create|nlmsg.Excl)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("adding a route: %v, %v; want a bare ack", msgs, err)
	}
	m := expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 5})
	if m.PortID != l.PortID() || m.Seq == 0 {
		t.Fatalf("own notification port %d seq %d, want port %d and the request's seq", m.PortID, m.Seq, l.PortID())
	}

	// The same with a Receive already waiting while the request runs.
	got := make(chan nlmsg.Message, 1)
	errc := make(chan error, 1)
	go func() {
		m, err := l.Receive(testCtx(t))
		errc <- err
		got <- m
	}()
	changeRoute(t, l, unix.RTM_DELROUTE, 5)
	if err := <-errc; err != nil {
		t.Fatalf("Receive: %v", err)
	}
	m = <-got
	if ev := routeEventOf(t, m.Type, m.Payload); ev != (routeEvent{unix.RTM_DELROUTE, 5}) {
		t.Fatalf("waiting Receive got %+v", ev)
	}
	if s := l.Stats(); s.DroppedUnknownSeq != 0 || s.Notifications != 2 {
		t.Fatalf("stats %+v: want 2 notifications, nothing dropped", s)
	}
}

func TestIntegrationMembershipChangesAtRuntime(t *testing.T) {
	ns := netnstest.New(t)
	l := connectIn(t, ns, nlmsg.FamilyRoute)
	a := connectIn(t, ns, nlmsg.FamilyRoute)
	member := func() bool {
		groups, err := unix.GetsockoptInt(socketFD(l), unix.SOL_NETLINK, unix.NETLINK_LIST_MEMBERSHIPS)
		if err != nil {
			t.Fatal(err)
		}
		return groups&(1<<(unix.RTNLGRP_IPV4_ROUTE-1)) != 0
	}

	changeRoute(t, a, unix.RTM_NEWROUTE, 0) // before joining: not for l
	if err := l.AddMembership(unix.RTNLGRP_IPV4_ROUTE); err != nil || !member() {
		t.Fatalf("AddMembership: %v (member: %v)", err, member())
	}
	changeRoute(t, a, unix.RTM_NEWROUTE, 1)
	expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 1})

	if err := l.DropMembership(unix.RTNLGRP_IPV4_ROUTE); err != nil || member() {
		t.Fatalf("DropMembership: %v (member: %v)", err, member())
	}
	changeRoute(t, a, unix.RTM_NEWROUTE, 2) // while not a member
	if err := l.AddMembership(unix.RTNLGRP_IPV4_ROUTE); err != nil {
		t.Fatal(err)
	}
	changeRoute(t, a, unix.RTM_NEWROUTE, 3)
	expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 3})

	// Groups above 32 are joined by number too; groups the family lacks fail.
	if err := l.AddMembership(33); err != nil {
		t.Fatalf("AddMembership(33): %v", err)
	}
	err := l.AddMembership(100000)
	var oe *OpError
	if !errors.Is(err, unix.EINVAL) || !errors.As(err, &oe) {
		t.Fatalf("AddMembership of a group rtnetlink lacks: %v, want an *OpError with EINVAL", err)
	}
}

func TestIntegrationKernelOverrunReportsENOBUFSThenResumes(t *testing.T) {
	ns := netnstest.New(t)
	// The kernel's minimum receive buffer holds a handful of events.
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE), WithReceiveBuffer(4096))
	a := connectIn(t, ns, nlmsg.FamilyRoute)
	const n = 2000
	if err := a.Batch(testCtx(t), routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)); err != nil {
		t.Fatal(err)
	}

	// The events queued before the overflow come first, then the loss, as
	// an error that the iteration would go on after.
	before := 0
	var loss error
	for v, err := range l.Notifications(testCtx(t)) {
		if err != nil {
			loss = err
			break
		}
		routeEventOf(t, v.Type(), v.Payload())
		before++
	}
	var oe *OpError
	if !errors.Is(loss, unix.ENOBUFS) || !errors.As(loss, &oe) {
		t.Fatalf("after %d events: %v, want an *OpError with ENOBUFS", before, loss)
	}
	if before == 0 || before >= n {
		t.Fatalf("%d of %d events came before the loss report", before, n)
	}
	if s := l.Stats(); s.Overruns == 0 {
		t.Fatalf("Stats().Overruns = 0 after ENOBUFS: %+v", s)
	}
	if got, errs := drainEvents(t, l); got != 0 || len(errs) != 0 {
		t.Fatalf("after the loss report: %d more events and errors %v, want nothing", got, errs)
	}
	expectResumed(t, l, a)
	if err := l.Noop(testCtx(t)); err != nil {
		t.Fatalf("Noop on the listener after the overrun: %v", err)
	}
}

func TestIntegrationNoENOBUFSSuppressesOverrunReports(t *testing.T) {
	ns := netnstest.New(t)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE), WithReceiveBuffer(4096), WithNoENOBUFS(true))
	a := connectIn(t, ns, nlmsg.FamilyRoute)
	const n = 2000
	if err := a.Batch(testCtx(t), routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)); err != nil {
		t.Fatal(err)
	}
	m, err := l.Receive(testCtx(t))
	if err != nil {
		t.Fatalf("first Receive after an overflow with NETLINK_NO_ENOBUFS: %v, want a notification", err)
	}
	routeEventOf(t, m.Type, m.Payload)
	got, errs := drainEvents(t, l)
	if len(errs) != 0 {
		t.Fatalf("losses reported despite NETLINK_NO_ENOBUFS: %v", errs)
	}
	if got+1 >= n {
		t.Fatalf("%d of %d events arrived: the buffer did not overflow", got+1, n)
	}
	if s := l.Stats(); s.Overruns != 0 {
		t.Fatalf("Stats().Overruns = %d with NETLINK_NO_ENOBUFS", s.Overruns)
	}
	expectResumed(t, l, a)
}

func TestIntegrationNotificationQueueOverrunIsReported(t *testing.T) {
	ns := netnstest.New(t)
	// A large socket buffer, so the kernel keeps everything, and a small
	// queue in the Conn, which overflows while a request drives the socket.
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE),
		WithReceiveBuffer(4<<20), WithNotificationQueue(2048))
	a := connectIn(t, ns, nlmsg.FamilyRoute)
	const n = 300
	if err := a.Batch(testCtx(t), routeBatch(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)); err != nil {
		t.Fatal(err)
	}
	if err := l.Noop(testCtx(t)); err != nil {
		t.Fatalf("Noop behind %d notifications: %v", n, err)
	}
	s := l.Stats()
	if s.NotificationsLost == 0 || s.Overruns != 0 {
		t.Fatalf("stats %+v: want notifications lost in the Conn's queue, none by the kernel", s)
	}
	got, errs := drainEvents(t, l)
	if len(errs) != 1 || !errors.Is(errs[0], ErrOverrun) {
		t.Fatalf("reading the queue: errors %v, want one ErrOverrun", errs)
	}
	if got == 0 || got+int(s.NotificationsLost) != n {
		t.Fatalf("%d received + %d lost, want %d in all", got, s.NotificationsLost, n)
	}
	expectResumed(t, l, a)
}

func TestIntegrationReceiveAfterCloseReturnsErrClosed(t *testing.T) {
	ns := netnstest.New(t)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	a := connectIn(t, ns, nlmsg.FamilyRoute)
	// Three events that the listener reads in one go and queues together.
	for i := range 3 {
		changeRoute(t, a, unix.RTM_NEWROUTE, i)
	}
	expectEvent(t, l, routeEvent{unix.RTM_NEWROUTE, 0})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if m, err := l.Receive(testCtx(t)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Receive after Close: %v %v, want net.ErrClosed", m.Type, err)
	}
	// Close gave back the buffer the reader was in the middle of.
	if _, n := pooled(l); n != 0 {
		t.Fatalf("%d receive buffers not given back after Close", n)
	}
}
