//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// rawAddRoutes adds routePayload(first..first+n-1, lo) to ns through a plain
// netlink socket, without acks, in datagrams of about 100 KiB: the fastest
// way to fill a table, and independent of the engine under test. A final
// NLMSG_NOOP with ACK proves every add was applied (the kernel handles a
// datagram's messages in order, during sendmsg); a failed add would queue an
// error before that ack.
func rawAddRoutes(tb testing.TB, ns *netnstest.NS, first, n int) {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatal(err)
	}
	defer unix.Close(fd)
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	var b nlmsg.Builder
	defer b.Release()
	send := func() {
		if err := unix.Sendto(fd, b.Bytes(), 0, kernel); err != nil {
			tb.Fatalf("sending routes: %v", err)
		}
		b.Reset()
	}
	for i := first; i < first+n; i++ {
		b.Begin(unix.RTM_NEWROUTE, nlmsg.Request|nlmsg.Create|nlmsg.Excl, uint32(i+1))
		b.Append(routePayload(i, 1))
		if b.Len() > 100<<10 {
			send()
		}
	}
	b.Begin(nlmsg.Noop, nlmsg.Request|nlmsg.Ack, 0)
	send()
	buf := make([]byte, 64<<10)
	n, _, err = unix.Recvfrom(fd, buf, 0)
	if err != nil {
		tb.Fatalf("reading the final ack: %v", err)
	}
	v, err := nlmsg.ViewOf(buf[:n])
	if err != nil {
		tb.Fatal(err)
	}
	body, err := nlmsg.ParseError(v)
	if err != nil || body.Errno != 0 || body.Request.Type != nlmsg.Noop {
		tb.Fatalf("adding routes failed: %v %v (reply to type %v)", err, body.Errno, body.Request.Type)
	}
}

// countDump runs a whole dump of IPv4 routes and returns how many messages
// it yielded.
func countDump(ctx context.Context, c *Conn) (int, error) {
	n := 0
	for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func TestIntegrationDump(t *testing.T) {
	const routes = 10000
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, routes)
	// Every IPv4 route: ours and lo's.
	_, lo := testRoutesIn(t, connectIn(t, ns, nlmsg.FamilyRoute))
	total := routes + len(lo)

	t.Run("yields exactly the routes that exist", func(t *testing.T) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		set, others := testRoutesIn(t, c)
		if len(set) != routes {
			t.Fatalf("the dump has %d of the %d routes in table main", len(set), routes)
		}
		for i := range routes {
			if !set[i] {
				t.Fatalf("route %d is missing from the dump", i)
			}
		}
		checkOnlyLoopbackRoutes(t, others)

		// Every view is a multi-part reply to the dump's own request.
		var seq uint32
		for v, err := range c.Dump(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				t.Fatal(err)
			}
			if seq == 0 {
				seq = v.Seq()
			}
			if v.Type() != unix.RTM_NEWROUTE || v.Flags()&nlmsg.Multi == 0 || v.Seq() != seq || seq == 0 || v.PortID() != c.PortID() {
				t.Fatalf("dump message type %v flags %v seq %d port %d", v.Type(), v.Flags(), v.Seq(), v.PortID())
			}
		}
	})

	t.Run("Request with Dump returns the same messages", func(t *testing.T) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		msgs, err := c.Request(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), nlmsg.Dump)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != total {
			t.Fatalf("Request returned %d messages, the dump %d", len(msgs), total)
		}
		ours := 0
		for _, m := range msgs {
			r, err := decodeRouteMsg(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.testRoute(); ok {
				ours++
			}
		}
		if ours != routes {
			t.Fatalf("Request returned %d of the %d routes", ours, routes)
		}
	})

	t.Run("breaking out halfway leaves the Conn usable", func(t *testing.T) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		for range 2 {
			n := 0
			for _, err := range c.Dump(testCtx(t), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == total/2 {
					break
				}
			}
		}
		msgs, err := c.Request(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(1), 0)
		if err != nil || len(msgs) != 1 || msgs[0].Type != unix.RTM_NEWLINK {
			t.Fatalf("RTM_GETLINK after abandoned dumps: %v %v", msgs, err)
		}
		if n, err := countDump(testCtx(t), c); n != total || err != nil {
			t.Fatalf("full dump after abandoned ones: %d messages, %v; want %d", n, err, total)
		}
	})

	t.Run("cancelling mid-dump returns ctx.Err promptly", func(t *testing.T) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const cancelAt = 1000
		n, after := 0, 0
		var last error
		for v, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				if v.Len() != 0 {
					t.Errorf("error %v yielded with a message", err)
				}
				last = err
				continue
			}
			if last != nil {
				t.Fatalf("a message came after the error %v", last)
			}
			if n++; n == cancelAt {
				cancel()
			} else if n > cancelAt {
				after++
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Fatalf("dump cancelled at message %d ended with %v after %d messages, want context.Canceled", cancelAt, last, n)
		}
		// What is already in the buffer being read may still come, but not
		// the rest of the dump: a 32 KiB chunk holds fewer than 600 routes.
		t.Logf("%d messages came after the cancellation", after)
		if after >= 600 {
			t.Fatalf("%d messages were yielded after the cancellation", after)
		}
		if err := c.Noop(testCtx(t)); err != nil {
			t.Fatalf("Noop after a cancelled dump: %v", err)
		}
		if n, err := countDump(testCtx(t), c); n != total || err != nil {
			t.Fatalf("full dump after a cancelled one: %d messages, %v; want %d", n, err, total)
		}
	})

	t.Run("concurrent dumps on one Conn are queued, not refused", func(t *testing.T) {
		c := connectIn(t, ns, nlmsg.FamilyRoute)
		ctx := testCtx(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 4 {
			wg.Go(func() {
				for d := range 2 {
					seen := make([]bool, routes)
					n, ours := 0, 0
					for v, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
						if err != nil {
							errs <- fmt.Errorf("goroutine %d dump %d: %w", w, d, err)
							return
						}
						n++
						r, err := decodeRouteMsg(v.Payload())
						if err != nil {
							errs <- err
							return
						}
						if i, ok := r.testRoute(); ok && i < routes && !seen[i] {
							seen[i] = true
							ours++
						}
					}
					if n != total || ours != routes {
						errs <- fmt.Errorf("goroutine %d dump %d: %d messages, %d distinct routes; want %d and %d", w, d, n, ours, total, routes)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestIntegrationDumpWhileRequestsRun(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	const pairs = 4
	var index []int32
	for i := range pairs {
		a, b := fmt.Sprintf("nlt-dr%d", 2*i), fmt.Sprintf("nlt-dr%d", 2*i+1)
		ns.AddVeth(t, a, b)
		ns.AddAddr(t, a, fmt.Sprintf("10.77.%d.1/24", 2*i))
		ns.AddAddr(t, b, fmt.Sprintf("10.77.%d.1/24", 2*i+1))
		index = append(index, int32(ns.LinkIndex(t, a)), int32(ns.LinkIndex(t, b)))
	}
	const links, addrs = 2*pairs + 1, 2*pairs + 1 // and lo, with 127.0.0.1
	ctx := testCtx(t)
	inet := nlmsg.IfAddrMsg{Family: unix.AF_INET}.AppendTo(nil)

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		for i := range 30 {
			n := 0
			for v, err := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
				if err != nil {
					errs <- fmt.Errorf("link dump %d: %w", i, err)
					return
				}
				if v.Type() != unix.RTM_NEWLINK {
					errs <- fmt.Errorf("link dump %d yielded type %v", i, v.Type())
					return
				}
				n++
			}
			m := 0
			for v, err := range c.Dump(ctx, unix.RTM_GETADDR, inet, 0) {
				if err != nil {
					errs <- fmt.Errorf("address dump %d: %w", i, err)
					return
				}
				if v.Type() != unix.RTM_NEWADDR {
					errs <- fmt.Errorf("address dump %d yielded type %v", i, v.Type())
					return
				}
				m++
			}
			if n != links || m != addrs {
				errs <- fmt.Errorf("dump %d: %d links and %d addresses, want %d and %d", i, n, m, links, addrs)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 600 {
			want := index[i%len(index)]
			msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(want), 0)
			if err != nil || len(msgs) != 1 {
				errs <- fmt.Errorf("RTM_GETLINK %d: %d replies, %v", want, len(msgs), err)
				return
			}
			if got, _, err := linkOf(msgs[0].Payload); got != want || err != nil {
				errs <- fmt.Errorf("RTM_GETLINK %d answered with link %d (%v)", want, got, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIntegrationDumpMemoryStaysFlat(t *testing.T) {
	routes := 200_000
	if testing.Short() {
		routes = 20_000
	}
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	rawAddRoutes(t, ns, 0, routes)
	ctx := context.Background() // no AfterFunc registrations to count
	if n, err := countDump(ctx, c); err != nil || n < routes {
		t.Fatalf("warm-up dump: %d messages, %v", n, err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := countDump(ctx, c)
	runtime.ReadMemStats(&after)
	if err != nil || n < routes {
		t.Fatalf("dump: %d messages, %v", n, err)
	}
	mallocs := after.Mallocs - before.Mallocs
	bytes := after.TotalAlloc - before.TotalAlloc
	t.Logf("dump of %d routes: %d allocations, %d bytes allocated", n, mallocs, bytes)
	// The dump's data is about 60 bytes a route. Streaming it must cost a
	// constant, not something per message or per datagram. Under the race
	// detector sync.Pool drops a quarter of the buffers it is given back,
	// so there it can only be bounded per datagram (about 500 routes each),
	// and by the dump's own size.
	maxMallocs, maxBytes := uint64(64), uint64(1<<20)
	if raceDetectorOn {
		maxMallocs, maxBytes = uint64(routes/100), uint64(routes*60+2<<20)
	}
	if mallocs > maxMallocs || bytes > maxBytes {
		t.Fatalf("a dump of %d routes made %d allocations of %d bytes in all, want at most %d and %d bytes",
			n, mallocs, bytes, maxMallocs, maxBytes)
	}
}

// The kernel never sends a dump chunk larger than a default buffer (it
// sizes them by the reader's buffer, and skips a link that does not fit
// instead), so the truncated chunk is injected: as if one datagram of a dump
// in progress had been larger than the buffer.
func TestIntegrationTruncatedDumpChunkFailsTheDumpAtItsEnd(t *testing.T) {
	const routes = 3000
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	rawAddRoutes(t, ns, 0, routes)
	ctx := testCtx(t)
	total, err := countDump(ctx, c)
	if err != nil {
		t.Fatal(err)
	}

	n, injected := 0, false
	var last error
	for v, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			last = err
			continue
		}
		if last != nil {
			t.Fatalf("a message came after the error %v", last)
		}
		n++
		if !injected {
			injected = true
			h := nlmsg.Header{Len: 100 << 10, Type: unix.RTM_NEWROUTE, Flags: nlmsg.Multi, Seq: v.Seq(), PortID: c.PortID()}
			injectDatagram(c, h.AppendTo(nil), 0, 0, 100<<10)
		}
	}
	if !errors.Is(last, ErrDatagramTruncated) {
		t.Fatalf("dump with a truncated chunk ended with %v, want ErrDatagramTruncated", last)
	}
	// The kernel's own chunks all arrived: the lost one was extra.
	if n != total {
		t.Fatalf("the dump yielded %d messages, want %d", n, total)
	}
	if s := c.Stats(); s.Truncated != 1 {
		t.Fatalf("Stats().Truncated = %d, want 1", s.Truncated)
	}
	// The kernel's dump was followed to its end, so the next one is not
	// refused with EBUSY.
	if n, err := countDump(ctx, c); n != total || err != nil {
		t.Fatalf("dump after the truncated one: %d messages, %v; want %d", n, err, total)
	}
}
