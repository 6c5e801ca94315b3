//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// The error contract (errors.go): every non-nil error of an exported Conn
// call is an *OpError naming the call, except context errors and the
// caller's own callback errors; the kernel's errnos are the OpError's Err
// as they are, a failed system call is an *os.SyscallError inside it, and
// Batch names the op's index and type.

// contractCase is one way an exported call fails.
type contractCase struct {
	name   string
	call   func(ctx context.Context, c *Conn) error
	op     string                // the OpError's Op
	cause  error                 // errors.Is(err, cause)
	check  func(*OpError) string // more to check, "" when fine
	family nlmsg.Family
	opts   []Option
}

func dumpErr(ctx context.Context, c *Conn, typ nlmsg.Type, payload []byte) error {
	for _, err := range c.Dump(ctx, typ, payload, 0) {
		if err != nil {
			return err
		}
	}
	return nil
}

func notificationsErr(ctx context.Context, c *Conn) error {
	for _, err := range c.Notifications(ctx) {
		if err != nil {
			return err
		}
	}
	return nil
}

func isSyscall(name string) func(*OpError) string {
	return func(oe *OpError) string {
		var se *os.SyscallError
		if !errors.As(oe.Err, &se) || se.Syscall != name {
			return "Err is " + typeName(oe.Err) + ", want an *os.SyscallError for " + name
		}
		return ""
	}
}

func isKernelErrno(oe *OpError) string {
	if _, ok := oe.Err.(syscall.Errno); !ok {
		return "Err is " + typeName(oe.Err) + ", want the kernel's syscall.Errno as it is"
	}
	return ""
}

func typeName(err error) string { return fmt.Sprintf("%T", err) }

// bigPayload is more than the default send buffer takes in one datagram:
// sendmsg refuses it with EMSGSIZE before the kernel's netlink code sees it.
var bigPayload = make([]byte, 512<<10)

// TestErrorContract runs every exported call that can fail into a failure
// and checks the error against the contract.
func TestErrorContract(t *testing.T) {
	cases := []contractCase{
		{name: "Request kernel errno", op: "request", cause: unix.ENODEV, check: isKernelErrno,
			call: func(ctx context.Context, c *Conn) error {
				_, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(4242), 0)
				return err
			}},
		{name: "RequestFunc kernel errno", op: "request", cause: unix.ENODEV, check: isKernelErrno,
			call: func(ctx context.Context, c *Conn) error {
				return c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(4242), 0, func(nlmsg.View) error { return nil })
			}},
		{name: "Request send fails", op: "request", cause: unix.EMSGSIZE, check: isSyscall("sendto"),
			call: func(ctx context.Context, c *Conn) error {
				_, err := c.Request(ctx, unix.RTM_GETLINK, bigPayload, 0)
				return err
			}},
		{name: "Dump kernel errno", op: "dump", cause: unix.EINVAL, check: isKernelErrno, opts: []Option{WithStrictCheck(true)},
			call: func(ctx context.Context, c *Conn) error {
				// Strict checking refuses a route dump filtering on a /33.
				return dumpErr(ctx, c, unix.RTM_GETROUTE, []byte{unix.AF_INET, 33, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
			}},
		{name: "Batch op fails", op: "batch", cause: unix.ESRCH,
			call: func(ctx context.Context, c *Conn) error {
				ops := []Op{{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create, Payload: routePayload(1, 1)},
					{Type: unix.RTM_DELROUTE, Payload: routePayload(2, 1)}}
				err := c.Batch(ctx, ops)
				var oe *OpError
				if ops[0].Err != nil || !errors.As(ops[1].Err, &oe) || oe.Index != 1 || oe.Type != unix.RTM_DELROUTE || oe.Err != unix.ESRCH {
					t.Errorf("ops' Err: %v, %v; want nil and op 1's RTM_DELROUTE ESRCH", ops[0].Err, ops[1].Err)
				}
				return err
			},
			check: func(oe *OpError) string {
				be, ok := oe.Err.(*BatchError)
				if !ok || be.Failed != 1 || be.Total != 2 {
					return "Err is not a *BatchError counting 1 of 2"
				}
				if s := oe.Error(); s != "nlengine: batch: 1 of 2 ops failed, first: op 1 RTM_DELROUTE seq "+strconv.Itoa(int(be.First.(*OpError).Seq))+": no such process" {
					return "Error() reads " + s
				}
				return ""
			}},
		{name: "Batch sendmsg fails", op: "batch", cause: unix.EMSGSIZE,
			call: func(ctx context.Context, c *Conn) error {
				ops := []Op{{Type: unix.RTM_NEWROUTE, Payload: bigPayload}}
				err := c.Batch(ctx, ops)
				var se *os.SyscallError
				if !errors.As(ops[0].Err, &se) {
					t.Errorf("op 0: %v, want an *os.SyscallError", ops[0].Err)
				}
				return err
			}},
		{name: "Batch refuses a dump", op: "batch", cause: ErrDumpInBatch,
			call: func(ctx context.Context, c *Conn) error {
				return c.Batch(ctx, []Op{{Type: unix.RTM_NEWROUTE, Payload: routePayload(1, 1)}, {Type: unix.RTM_GETLINK, Flags: nlmsg.Dump}})
			},
			check: func(oe *OpError) string {
				if oe.Index != 1 || oe.Type != unix.RTM_GETLINK {
					return "does not name op 1 RTM_GETLINK"
				}
				return ""
			}},
		{name: "AddMembership setsockopt fails", op: "add membership", cause: unix.EINVAL, check: isSyscall("setsockopt"),
			call: func(ctx context.Context, c *Conn) error { return c.AddMembership(100000) }},
		{name: "DropMembership setsockopt fails", op: "drop membership", cause: unix.EINVAL, check: isSyscall("setsockopt"),
			call: func(ctx context.Context, c *Conn) error { return c.DropMembership(100000) }},
		{name: "ResolveGenericFamily unknown", op: "resolve generic family", cause: unix.ENOENT, family: nlmsg.FamilyGeneric, check: isKernelErrno,
			call: func(ctx context.Context, c *Conn) error {
				_, err := c.ResolveGenericFamily(ctx, "no-such-family")
				return err
			}},
		{name: "ResolveGenericFamily wrong family", op: "resolve generic family", cause: ErrWrongFamily,
			call: func(ctx context.Context, c *Conn) error {
				_, err := c.ResolveGenericFamily(ctx, "nlctrl")
				return err
			}},
		{name: "RequireFamily", op: "my helper", cause: ErrWrongFamily,
			call: func(ctx context.Context, c *Conn) error { return c.RequireFamily("my helper", nlmsg.FamilyNetfilter) }},
		{name: "Receive truncated notification", op: "receive", cause: ErrDatagramTruncated,
			call: func(ctx context.Context, c *Conn) error {
				injectDatagram(c, craftLink(0, 0, 1), 0, 1, 1<<20)
				_, err := c.Receive(ctx)
				return err
			}},
		{name: "Notifications truncated notification", op: "receive", cause: ErrDatagramTruncated,
			call: func(ctx context.Context, c *Conn) error {
				injectDatagram(c, craftLink(0, 0, 1), 0, 1, 1<<20)
				return notificationsErr(ctx, c)
			}},
		{name: "Receive kernel overrun", op: "receive", cause: unix.ENOBUFS, check: isSyscall("recvmsg"),
			call: func(ctx context.Context, c *Conn) error {
				kernelOverrun(c)
				_, err := c.Receive(ctx)
				return err
			}},
	}
	// Every call on a closed Conn.
	closedCalls := []struct {
		op   string
		call func(ctx context.Context, c *Conn) error
	}{
		{"request", func(ctx context.Context, c *Conn) error { _, err := c.Request(ctx, nlmsg.Noop, nil, 0); return err }},
		{"request", func(ctx context.Context, c *Conn) error {
			return c.RequestFunc(ctx, nlmsg.Noop, nil, 0, func(nlmsg.View) error { return nil })
		}},
		{"request", func(ctx context.Context, c *Conn) error { return c.Noop(ctx) }},
		{"dump", func(ctx context.Context, c *Conn) error { return dumpErr(ctx, c, unix.RTM_GETLINK, ifinfoPayload(0)) }},
		{"batch", func(ctx context.Context, c *Conn) error { return c.Batch(ctx, []Op{{Type: nlmsg.Noop}}) }},
		{"receive", func(ctx context.Context, c *Conn) error { _, err := c.Receive(ctx); return err }},
		{"receive", notificationsErr},
		{"add membership", func(ctx context.Context, c *Conn) error { return c.AddMembership(unix.RTNLGRP_LINK) }},
		{"drop membership", func(ctx context.Context, c *Conn) error { return c.DropMembership(unix.RTNLGRP_LINK) }},
		{"close", func(ctx context.Context, c *Conn) error { return c.Close() }},
	}
	for _, cc := range closedCalls {
		cases = append(cases, contractCase{name: "closed " + cc.op, op: cc.op, cause: net.ErrClosed,
			call: func(ctx context.Context, c *Conn) error { c.Close(); return cc.call(ctx, c) }})
	}

	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			c, _ := newTestConn(t, tc.family, tc.opts...)
			err := tc.call(testCtx(t), c)
			var oe *OpError
			if !errors.As(err, &oe) {
				t.Fatalf("%v (%T), want an *OpError", err, err)
			}
			if oe.Op != tc.op || !errors.Is(err, tc.cause) {
				t.Fatalf("%v: Op %q, want Op %q and errors.Is %v", err, oe.Op, tc.op, tc.cause)
			}
			if n := strings.Count(err.Error(), "nlengine:"); n != 1 {
				t.Errorf("%q has %d prefixes, want one", err.Error(), n)
			}
			if tc.check != nil {
				if msg := tc.check(oe); msg != "" {
					t.Errorf("%v: %s", err, msg)
				}
			}
		})
	}
}

// TestErrorContractConnect: Connect's failures are *OpErrors for "connect"
// too, a failed system call wrapped as such.
func TestErrorContractConnect(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		opts  []Option
		cause error
	}{
		{"no dump sockets", []Option{WithDumpSockets(0)}, nil},
		{"read buffer below the minimum", []Option{WithReadBufferSize(100)}, nil},
		{"no such namespace", []Option{WithNetNS("/nonexistent/netns")}, unix.ENOENT},
		{"both namespace options", []Option{WithNetNS("/proc/self/ns/net"), WithNetNSFD(0)}, ErrNetNSConflict},
	} {
		c, err := Connect(ctx, nlmsg.FamilyRoute, tc.opts...)
		if err == nil {
			c.Close()
			t.Errorf("%s: Connect succeeded", tc.name)
			continue
		}
		var oe *OpError
		if !errors.As(err, &oe) || oe.Op != "connect" || (tc.cause != nil && !errors.Is(err, tc.cause)) {
			t.Errorf("%s: %v, want an *OpError for connect (cause %v)", tc.name, err, tc.cause)
		}
	}
}

// TestCloseNamesEachWaitersOp: requests, a dump, a batch and a Receive are
// waiting (sent, answers not read) when Close comes; each returns an
// *OpError naming its own call.
func TestCloseNamesEachWaitersOp(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK))
	addRoutes(t, c, 200)
	ctx := testCtx(t)
	release := holdDriver(t, c)
	type named struct {
		op string
		ch <-chan callResult
	}
	waiters := []named{
		{"request", goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)},
		{"dump", goDump(ctx, c, unix.RTM_GETROUTE, rtmsgIPv4(), nil)},
		{"batch", goBatch(ctx, c, routeOps(unix.RTM_DELROUTE, 0, 0, 10))},
	}
	rcv := make(chan callResult, 1)
	go func() { _, err := c.Receive(ctx); rcv <- callResult{err: err} }()
	waiters = append(waiters, named{"receive", rcv})
	flushHeld(t, c, "the request, dump and batch to be sent", func() bool {
		return len(singleSeqs(c)) == 2 && slices.Equal(batchesSent(c), []int{10})
	})
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	for _, w := range waiters {
		r := wait(t, w.ch, w.op)
		var oe *OpError
		if !errors.As(r.err, &oe) || oe.Op != w.op || !errors.Is(r.err, net.ErrClosed) {
			t.Errorf("%s waiter: %v, want an *OpError for %q that errors.Is net.ErrClosed", w.op, r.err, w.op)
		}
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// TestBatchErrorNamesOpAndType: the failure of one op of many reads with
// its index in the caller's slice and its type's name, under one prefix;
// errors.Is reaches the kernel's errno through the BatchError.
func TestBatchErrorNamesOpAndType(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	addRoutes(t, c, 3)
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 2, 5) // route 2 exists
	err := c.Batch(ctx, ops)
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("Batch: %v, want EEXIST", err)
	}
	var be *BatchError
	if !errors.As(err, &be) || be.Failed != 1 || be.Total != 3 {
		t.Fatalf("Batch: %v, want a BatchError counting 1 of 3", err)
	}
	want := "nlengine: batch: 1 of 3 ops failed, first: op 0 RTM_NEWROUTE seq "
	if s := err.Error(); !strings.HasPrefix(s, want) || !strings.HasSuffix(s, ": file exists") {
		t.Errorf("Error() = %q, want %q...: file exists", s, want)
	}
	var oe *OpError
	if !errors.As(ops[0].Err, &oe) || oe.Index != 0 || oe.Type != unix.RTM_NEWROUTE || oe.Family != nlmsg.FamilyRoute || oe.Seq == 0 {
		t.Errorf("op 0: %#v, want Index 0, RTM_NEWROUTE, a sequence number", ops[0].Err)
	}
	if ops[1].Err != nil || ops[2].Err != nil {
		t.Errorf("ops 1 and 2: %v, %v, want nil", ops[1].Err, ops[2].Err)
	}
}

// TestStatsCountOnlySentRequests: a request the socket refused (sendmsg
// failed) is not counted in RequestsSent; the failed call is in SendCalls.
func TestStatsCountOnlySentRequests(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	before := c.Stats()
	if _, err := c.Request(ctx, unix.RTM_GETLINK, bigPayload, 0); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("oversized request: %v, want EMSGSIZE", err)
	}
	err := c.Batch(ctx, []Op{{Type: unix.RTM_NEWROUTE, Payload: bigPayload}, {Type: nlmsg.Noop}})
	if !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("batch with an oversized op: %v, want EMSGSIZE", err)
	}
	after := c.Stats()
	// The batch's Noop alone reached the kernel.
	if got := after.RequestsSent - before.RequestsSent; got != 1 {
		t.Errorf("RequestsSent grew by %d, want 1 (the batch's Noop)", got)
	}
	if after.SendCalls-before.SendCalls < 3 {
		t.Errorf("SendCalls grew by %d, want the 3 calls made", after.SendCalls-before.SendCalls)
	}
}
