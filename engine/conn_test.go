//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Helpers shared by the integration tests of this package.

// hangGuard bounds how long a test waits for something that should happen at
// once. It catches hangs; no test asserts speed with it.
const hangGuard = 20 * time.Second

// testCtx returns a context that ends after hangGuard, so a bug that loses a
// reply fails the test instead of hanging it.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	tb.Cleanup(cancel)
	return ctx
}

// raceDetectorOn reports whether the binary was built with -race. sync.Pool
// drops a quarter of what it is given under the race detector, so
// allocation counts are only meaningful without it.
var raceDetectorOn = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()

// linkByNamePayload encodes an ifinfomsg with IFLA_IFNAME, which asks
// RTM_GETLINK for the link of that name.
func linkByNamePayload(name string) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.Append(ifinfoPayload(0))
	b.String(unix.IFLA_IFNAME, name)
	return append([]byte(nil), b.Bytes()...)
}

// linkOf returns the index and IFLA_IFNAME of an RTM_NEWLINK payload.
func linkOf(payload []byte) (int32, string, error) {
	ifi, attrs, err := nlmsg.DecodeIfInfoMsg(payload)
	if err != nil {
		return 0, "", err
	}
	name := ""
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		if s.Attr().Type() == unix.IFLA_IFNAME {
			name = s.Attr().String()
		}
	}
	return ifi.Index, name, s.Err()
}

// decodeLink is linkOf for the test's goroutine: it fails tb on a decoding
// error.
func decodeLink(tb testing.TB, payload []byte) (int32, string) {
	tb.Helper()
	idx, name, err := linkOf(payload)
	if err != nil {
		tb.Fatalf("decoding RTM_NEWLINK: %v", err)
	}
	return idx, name
}

// route is what the tests need to know of an IPv4 route message.
type route struct {
	table  uint8
	typ    uint8
	dstLen uint8
	dst    [4]byte
	hasDst bool
	oif    uint32
}

// decodeRouteMsg decodes an RTM_NEWROUTE/RTM_DELROUTE payload.
func decodeRouteMsg(payload []byte) (route, error) {
	rtm, attrs, err := nlmsg.DecodeRtMsg(payload)
	if err != nil {
		return route{}, err
	}
	r := route{table: rtm.Table, typ: rtm.Type, dstLen: rtm.DstLen}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case unix.RTA_DST:
			if len(a.Data()) == 4 {
				copy(r.dst[:], a.Data())
				r.hasDst = true
			}
		case unix.RTA_OIF:
			r.oif, _ = a.Uint32()
		case unix.RTA_TABLE:
			if t, err := a.Uint32(); err == nil && t < 256 {
				r.table = uint8(t)
			}
		}
	}
	return r, s.Err()
}

// testRoute reports whether r is routePayload(i, 1) for some i, and which.
func (r route) testRoute() (int, bool) {
	if r.table != unix.RT_TABLE_MAIN || !r.hasDst || r.dstLen != 32 || r.dst[0] != 10 || r.oif != 1 {
		return 0, false
	}
	return int(r.dst[1])<<16 | int(r.dst[2])<<8 | int(r.dst[3]), true
}

// testRoutesIn dumps the IPv4 routes of c's namespace and returns which
// routePayload(i, 1) routes exist (a set of i), and the other routes.
func testRoutesIn(tb testing.TB, c *Conn) (map[int]bool, []route) {
	tb.Helper()
	set := make(map[int]bool)
	var others []route
	for v, err := range c.Dump(testCtx(tb), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			tb.Fatalf("route dump: %v", err)
		}
		r, err := decodeRouteMsg(v.Payload())
		if err != nil {
			tb.Fatalf("decoding route: %v", err)
		}
		if i, ok := r.testRoute(); ok {
			if set[i] {
				tb.Fatalf("route dump yielded route %d twice", i)
			}
			set[i] = true
			continue
		}
		others = append(others, r)
	}
	return set, others
}

// checkOnlyLoopbackRoutes fails tb unless every route in others is one of
// the local/broadcast routes the kernel makes for 127.0.0.1/8 on lo.
func checkOnlyLoopbackRoutes(tb testing.TB, others []route) {
	tb.Helper()
	if len(others) == 0 {
		tb.Fatal("the dump lacks lo's local routes")
	}
	for _, r := range others {
		if r.table != unix.RT_TABLE_LOCAL || r.oif != 1 || r.dst[0] != 127 ||
			(r.typ != unix.RTN_LOCAL && r.typ != unix.RTN_BROADCAST) {
			tb.Errorf("unexpected route in the dump: %+v", r)
		}
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatalf("listing fds: %v", err)
	}
	return len(ents)
}

// waitForGoroutines waits until at most limit goroutines run, and fails tb
// with every goroutine's stack if that does not happen within hangGuard.
// Goroutines that end do so asynchronously, hence the retries.
func waitForGoroutines(tb testing.TB, limit int) {
	tb.Helper()
	deadline := time.Now().Add(hangGuard)
	for runtime.NumGoroutine() > limit {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			tb.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), limit, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIntegrationConnectAssignsPortIDs(t *testing.T) {
	c1, ns := newTestConn(t, nlmsg.FamilyRoute)
	c2 := connectIn(t, ns, nlmsg.FamilyRoute)
	if c1.PortID() == 0 || c2.PortID() == 0 {
		t.Fatalf("port ids %d and %d: the kernel assigns non-zero ones", c1.PortID(), c2.PortID())
	}
	if c1.PortID() == c2.PortID() {
		t.Fatalf("two sockets share port id %d", c1.PortID())
	}
	if c1.Family() != nlmsg.FamilyRoute {
		t.Fatalf("Family() = %v, want %v", c1.Family(), nlmsg.FamilyRoute)
	}
	// The kernel's view of the socket agrees with PortID.
	sa, err := unix.Getsockname(socketFD(c1))
	if err != nil {
		t.Fatal(err)
	}
	if pid := sa.(*unix.SockaddrNetlink).Pid; pid != c1.PortID() {
		t.Fatalf("getsockname says port %d, PortID() %d", pid, c1.PortID())
	}
}

func TestIntegrationConnectAppliesOptions(t *testing.T) {
	ns := netnstest.New(t)
	type sockopts struct {
		extAck, capAck, strict, noENOBUFS int
		rcvbuf, sndbuf                    int // 0: not checked
		groups                            int // NETLINK_LIST_MEMBERSHIPS bitmask of groups 1..32
	}
	tests := []struct {
		name string
		opts []Option
		want sockopts
	}{
		{"defaults", nil, sockopts{extAck: 1, capAck: 1}},
		{"everything switched", []Option{WithExtAck(false), WithCapAck(false), WithStrictCheck(true), WithNoENOBUFS(true)},
			sockopts{strict: 1, noENOBUFS: 1}},
		// The kernel doubles the requested size for its bookkeeping; below
		// rmem_max/wmem_max the unprivileged fallback gives the same.
		{"buffer sizes", []Option{WithReceiveBuffer(100000), WithSendBuffer(90000)},
			sockopts{extAck: 1, capAck: 1, rcvbuf: 200000, sndbuf: 180000}},
		{"groups", []Option{WithGroups(unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_ROUTE)},
			sockopts{extAck: 1, capAck: 1, groups: 1<<(unix.RTNLGRP_LINK-1) | 1<<(unix.RTNLGRP_IPV4_ROUTE-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connectIn(t, ns, nlmsg.FamilyRoute, tt.opts...)
			get := func(level, opt int) int {
				v, err := unix.GetsockoptInt(socketFD(c), level, opt)
				if err != nil {
					t.Fatalf("getsockopt(%d, %d): %v", level, opt, err)
				}
				return v
			}
			got := sockopts{
				extAck:    get(unix.SOL_NETLINK, unix.NETLINK_EXT_ACK),
				capAck:    get(unix.SOL_NETLINK, unix.NETLINK_CAP_ACK),
				strict:    get(unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK),
				noENOBUFS: get(unix.SOL_NETLINK, unix.NETLINK_NO_ENOBUFS),
				groups:    get(unix.SOL_NETLINK, unix.NETLINK_LIST_MEMBERSHIPS),
			}
			if tt.want.rcvbuf != 0 {
				got.rcvbuf = get(unix.SOL_SOCKET, unix.SO_RCVBUF)
			}
			if tt.want.sndbuf != 0 {
				got.sndbuf = get(unix.SOL_SOCKET, unix.SO_SNDBUF)
			}
			if got != tt.want {
				t.Fatalf("socket options:\n got %+v\nwant %+v", got, tt.want)
			}
			// The options do not stop the Conn from working.
			if err := c.Noop(testCtx(t)); err != nil {
				t.Fatalf("Noop: %v", err)
			}
		})
	}
}

func TestIntegrationConnectInNamespaceSeesItsLinksOnly(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "nlt-in0", "nlt-in1")
	want := int32(ns.LinkIndex(t, "nlt-in0"))

	byPath, err := Connect(testCtx(t), nlmsg.FamilyRoute, WithNetNS(ns.Path()))
	if err != nil {
		t.Fatalf("Connect(WithNetNS(%s)): %v", ns.Path(), err)
	}
	defer byPath.Close()
	byFD := connectIn(t, ns, nlmsg.FamilyRoute)

	for name, c := range map[string]*Conn{"WithNetNS": byPath, "WithNetNSFD": byFD} {
		msgs, err := c.Request(testCtx(t), unix.RTM_GETLINK, linkByNamePayload("nlt-in0"), 0)
		if err != nil {
			t.Fatalf("%s: RTM_GETLINK nlt-in0: %v", name, err)
		}
		if len(msgs) != 1 {
			t.Fatalf("%s: %d replies, want 1", name, len(msgs))
		}
		if idx, ifname := decodeLink(t, msgs[0].Payload); idx != want || ifname != "nlt-in0" {
			t.Fatalf("%s: got link %d %q, want %d nlt-in0", name, idx, ifname, want)
		}
	}

	other, _ := newTestConn(t, nlmsg.FamilyRoute)
	_, err = other.Request(testCtx(t), unix.RTM_GETLINK, linkByNamePayload("nlt-in0"), 0)
	if !errors.Is(err, unix.ENODEV) {
		t.Fatalf("a Conn in another namespace asked for nlt-in0: err = %v, want ENODEV", err)
	}
	links := 0
	for v, err := range other.Dump(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(0), 0) {
		if err != nil {
			t.Fatalf("link dump: %v", err)
		}
		if _, name := decodeLink(t, v.Payload()); name != "lo" {
			t.Errorf("a fresh namespace has link %q", name)
		}
		links++
	}
	if links != 1 {
		t.Fatalf("a fresh namespace dumps %d links, want lo alone", links)
	}

	if _, err := Connect(testCtx(t), nlmsg.FamilyRoute, WithNetNS("/nonexistent/netns")); err == nil {
		t.Fatal("Connect into a namespace path that does not exist succeeded")
	}
}

func TestIntegrationCloseTwiceFails(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	if err := c.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	err := c.Close()
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v, want net.ErrClosed", err)
	}
}

func TestIntegrationMethodsAfterCloseReturnErrClosed(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	g := connectIn(t, netnstest.New(t), nlmsg.FamilyGeneric)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	firstErr := func(seq func(func(nlmsg.View, error) bool)) error {
		for _, err := range seq {
			return err
		}
		return errors.New("the iterator yielded nothing")
	}
	calls := map[string]func() error{
		"Request": func() error {
			_, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			return err
		},
		"RequestFunc": func() error {
			return c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil })
		},
		"Dump":  func() error { return firstErr(c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0)) },
		"Noop":  func() error { return c.Noop(ctx) },
		"Batch": func() error { return c.Batch(ctx, []Op{{Type: unix.RTM_NEWROUTE, Payload: routePayload(1, 1)}}) },
		"Receive": func() error {
			_, err := c.Receive(ctx)
			return err
		},
		"Notifications":  func() error { return firstErr(c.Notifications(ctx)) },
		"AddMembership":  func() error { return c.AddMembership(unix.RTNLGRP_LINK) },
		"DropMembership": func() error { return c.DropMembership(unix.RTNLGRP_LINK) },
		"Close":          c.Close,
		"ResolveGenericFamily": func() error {
			_, err := g.ResolveGenericFamily(ctx, "nlctrl")
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close: %v, want net.ErrClosed", name, err)
		}
		var oe *OpError
		if !errors.As(err, &oe) {
			t.Errorf("%s after Close: %T is not an *OpError", name, err)
		}
	}
}

func TestIntegrationCloseWakesEveryWaiter(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "nlt-cl0", "nlt-cl1")
	veth := int32(ns.LinkIndex(t, "nlt-cl0"))
	goroutines := runtime.NumGoroutine()
	fds := openFDs(t)

	c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithGroups(unix.RTNLGRP_LINK))
	if err != nil {
		t.Fatal(err)
	}
	oldFDs := c.testFDs()

	// Eight goroutines keep requests of every kind in flight, and one waits
	// for a notification that never comes; all must end with net.ErrClosed.
	const workers = 8
	var started sync.WaitGroup
	started.Add(workers)
	errs := make(chan error, workers+1)
	var ops atomic.Int64
	for w := range workers {
		go func() {
			first := true
			for {
				var err error
				switch w % 4 {
				case 0:
					err = c.Noop(context.Background())
				case 1:
					var msgs []nlmsg.Message
					msgs, err = c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(veth), 0)
					if err == nil && len(msgs) != 1 {
						err = fmt.Errorf("%d replies to RTM_GETLINK", len(msgs))
					}
				case 2:
					err = c.RequestFunc(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil })
				case 3:
					for _, e := range c.Dump(context.Background(), unix.RTM_GETLINK, ifinfoPayload(0), 0) {
						if e != nil {
							err = e
						}
					}
				}
				if first {
					started.Done()
					first = false
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
				ops.Add(1)
			}
		}()
	}
	go func() {
		_, err := c.Receive(context.Background())
		errs <- fmt.Errorf("Receive: %w", err)
	}()
	started.Wait()
	before := ops.Load()
	for ops.Load() < before+100 {
		runtime.Gosched()
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close wakes the waiters itself: none needs a reply or a timeout to
	// notice. The bound is far above what that takes even under -race on a
	// busy machine; only a waiter left asleep exceeds it.
	timeout := time.After(2 * time.Second)
	for range workers + 1 {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("%v; want net.ErrClosed", err)
			}
		case <-timeout:
			t.Fatal("Close did not wake every waiter")
		}
	}

	waitForGoroutines(t, goroutines)
	if n := openFDs(t); n != fds {
		t.Errorf("%d fds open after Close, %d before Connect", n, fds)
	}
	for _, fd := range oldFDs {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			t.Errorf("fd %d still open after Close (fcntl: %v)", fd, err)
		}
	}
}

// A receive buffer too small for the kernel's smallest dump chunk is refused
// before any socket is opened.
// (In a private namespace all the same: were the check gone, the socket
// would be opened there, not in the host's.)
func TestIntegrationConnectRefusesTinyBufferSize(t *testing.T) {
	ns := netnstest.New(t)
	for _, size := range []int{-1, 0, 100, MinReadBufferSize - 1} {
		c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithReadBufferSize(size))
		var oe *OpError
		if err == nil || !errors.As(err, &oe) || oe.Op != "connect" {
			if c != nil {
				c.Close()
			}
			t.Fatalf("Connect with a %d-byte buffer: %v, want a connect *OpError", size, err)
		}
	}
}
