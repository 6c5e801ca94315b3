//go:build linux

package engine

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Benchmarks compare the engine with floorConn, a plain x/sys/unix loop, in
// the same run and the same namespace, so ratios are meaningful on a noisy
// machine. Run: go test -run '^$' -bench . -count 5 ./engine/

const benchRoutes = 100_000

func filledNS(b *testing.B) *netnstest.NS {
	b.Helper()
	// netnstest.New ties the namespace to a test's cleanup; for a namespace
	// shared across sub-benchmarks, tie it to the parent benchmark instead.
	ns := netnstest.New(b)
	c := connectIn(b, ns, nlmsg.FamilyRoute)
	addRoutes(b, c, benchRoutes)
	return ns
}

func BenchmarkRouteDump(b *testing.B) {
	rt := rtmsgIPv4()
	ns := filledNS(b)
	perMsg := func(b *testing.B, msgs int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
	}
	b.Run("level=raw/impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			n, err := f.dump(unix.RTM_GETROUTE, rt, nil)
			mustNoErr(b, err, "dump")
			total += n
		}
		perMsg(b, total)
	})
	b.Run("level=raw/impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			for _, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rt, 0) {
				mustNoErr(b, err, "dump")
				total++
			}
		}
		perMsg(b, total)
	})
	b.Run("level=decoded/impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		b.ReportAllocs()
		total := 0
		var sink uint32
		for b.Loop() {
			n, err := f.dump(unix.RTM_GETROUTE, rt, func(v nlmsg.View) {
				r, _ := decodeRoute(v)
				sink += r.oif + uint32(r.dst[3])
			})
			mustNoErr(b, err, "dump")
			total += n
		}
		perMsg(b, total)
	})
	b.Run("level=decoded/impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		b.ReportAllocs()
		total := 0
		var sink uint32
		for b.Loop() {
			for v, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rt, 0) {
				mustNoErr(b, err, "dump")
				r, _ := decodeRoute(v)
				sink += r.oif + uint32(r.dst[3])
				total++
			}
		}
		perMsg(b, total)
	})
}

func BenchmarkGetLink(b *testing.B) {
	ns := netnstest.New(b)
	req := ifinfoPayload(1)
	b.Run("impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, f.roundTrip(unix.RTM_GETLINK, 0, req, nil), "getlink")
		}
	})
	b.Run("impl=engine-view", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, c.RequestFunc(ctx, unix.RTM_GETLINK, req, 0, func(nlmsg.View) error { return nil }), "getlink")
		}
	})
	b.Run("impl=engine-request", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_, err := c.Request(ctx, unix.RTM_GETLINK, req, 0)
			mustNoErr(b, err, "getlink")
		}
	})
}

func BenchmarkNoop(b *testing.B) {
	ns := netnstest.New(b)
	b.Run("impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, f.roundTrip(nlmsg.Noop, 0, nil, nil), "noop")
		}
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, c.Noop(ctx), "noop")
		}
	})
}

// latencyHist is a log-linear histogram of durations: 8 sub-buckets per
// power of two, enough for a p99 within about 12%.
type latencyHist struct{ counts [64 * 8]atomic.Uint64 }

func (h *latencyHist) record(d time.Duration) {
	v := uint64(max(d, 1))
	exp := 63 - bits.LeadingZeros64(v)
	sub := uint64(0)
	if exp >= 3 {
		sub = (v >> (exp - 3)) & 7
	}
	h.counts[exp*8+int(sub)].Add(1)
}

func (h *latencyHist) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen > want {
			exp, sub := i/8, i%8
			if exp < 3 {
				return time.Duration(1 << exp)
			}
			return time.Duration((8 + uint64(sub) + 1) << (exp - 3))
		}
	}
	return 0
}

// BenchmarkGetLinkParallel: 8 goroutines share one connection. The floor
// shares its one socket under a mutex, as a library without a sequence
// table must. ns/op is per request across all goroutines.
func BenchmarkGetLinkParallel(b *testing.B) {
	const goroutines = 8
	ns := netnstest.New(b)
	req := ifinfoPayload(1)
	run := func(b *testing.B, do func() error) {
		var h latencyHist
		var next atomic.Int64
		n := int64(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= n {
					t0 := time.Now()
					if err := do(); err != nil {
						b.Error(err)
						return
					}
					h.record(time.Since(t0))
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		b.ReportMetric(float64(h.quantile(0.5).Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(h.quantile(0.99).Nanoseconds()), "p99-ns")
	}
	b.Run("impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		var mu sync.Mutex
		run(b, func() error {
			mu.Lock()
			defer mu.Unlock()
			return f.roundTrip(unix.RTM_GETLINK, 0, req, nil)
		})
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		ctx := context.Background()
		before := c.Stats()
		run(b, func() error {
			return c.RequestFunc(ctx, unix.RTM_GETLINK, req, 0, func(nlmsg.View) error { return nil })
		})
		after := c.Stats()
		reqs := float64(after.RequestsSent - before.RequestsSent)
		b.ReportMetric(reqs/float64(after.SendCalls-before.SendCalls), "req/send")
		b.ReportMetric(reqs/float64(after.ReceiveCalls-before.ReceiveCalls), "req/recv")
	})
}

// BenchmarkBulkRoutes adds then deletes 20 000 routes per iteration; ns/op
// is per route change.
func BenchmarkBulkRoutes(b *testing.B) {
	const n = 20_000
	ns := netnstest.New(b)
	payloads := routePayloads(n)
	b.Run("impl=floor", func(b *testing.B) {
		f := newFloor(b, ns)
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, f.bulk(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, payloads), "add")
			mustNoErr(b, f.bulk(unix.RTM_DELROUTE, 0, payloads), "del")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*n*b.N), "ns/change")
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		ctx := context.Background()
		add := make([]Op, n)
		del := make([]Op, n)
		for i := range payloads {
			add[i] = Op{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: payloads[i]}
			del[i] = Op{Type: unix.RTM_DELROUTE, Payload: payloads[i]}
		}
		b.ReportAllocs()
		for b.Loop() {
			mustNoErr(b, c.Batch(ctx, add), "add")
			mustNoErr(b, c.Batch(ctx, del), "del")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*n*b.N), "ns/change")
	})
}

// BenchmarkEvents: a member of RTNLGRP_IPV4_ROUTE while one writer (the
// floor's bulk path, the same for every listener) adds and deletes 50 000
// routes as fast as it can (100 000 events). Reports the share of events
// lost; the floor listener reads with recvmmsg. The engine also reports the
// kernel overruns behind its losses per op.
func BenchmarkEvents(b *testing.B) {
	const n = 50_000
	payloads := routePayloads(n)
	for _, rcvbuf := range []int{0, 8 << 20} {
		name := "default"
		if rcvbuf > 0 {
			name = "8MiB"
		}
		b.Run("rcvbuf="+name+"/impl=floor", func(b *testing.B) {
			ns := netnstest.New(b)
			w := newFloor(b, ns)
			b.ReportAllocs()
			var lost float64
			for b.Loop() {
				l := newFloor(b, ns)
				if rcvbuf > 0 {
					mustNoErr(b, unix.SetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf), "rcvbuf")
				}
				mustNoErr(b, unix.SetsockoptInt(l.fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, unix.RTNLGRP_IPV4_ROUTE), "join")
				got := floorListen(l, func() {
					mustNoErr(b, w.bulk(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, payloads), "add")
					mustNoErr(b, w.bulk(unix.RTM_DELROUTE, 0, payloads), "del")
				})
				unix.Close(l.fd)
				lost += float64(2*n-got) / float64(2*n)
			}
			b.ReportMetric(100*lost/float64(b.N), "%lost")
		})
		b.Run("rcvbuf="+name+"/impl=engine", func(b *testing.B) {
			ns := netnstest.New(b)
			// NB: the same writer as the floor's: how fast events come
			// must not depend on the listener being measured.
			w := newFloor(b, ns)
			b.ReportAllocs()
			var lost, overruns float64
			for b.Loop() {
				opts := []Option{WithGroups(unix.RTNLGRP_IPV4_ROUTE)}
				if rcvbuf > 0 {
					opts = append(opts, WithReceiveBuffer(rcvbuf))
				}
				l := connectIn(b, ns, nlmsg.FamilyRoute, opts...)
				got := engineListen(l, func() {
					mustNoErr(b, w.bulk(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, payloads), "add")
					mustNoErr(b, w.bulk(unix.RTM_DELROUTE, 0, payloads), "del")
				})
				st := l.Stats()
				l.Close()
				if st.NotificationsLost != 0 {
					b.Fatalf("the Conn's own queue dropped %d events: the measurement is of the wrong limit", st.NotificationsLost)
				}
				overruns += float64(st.Overruns)
				lost += float64(2*n-got) / float64(2*n)
			}
			b.ReportMetric(overruns/float64(b.N), "overruns")
			b.ReportMetric(100*lost/float64(b.N), "%lost")
		})
	}
}

// quiet is how long a listener waits after the writer finished before it
// concludes that no more events will come.
const quiet = 100 * time.Millisecond

func engineListen(l *Conn, write func()) int {
	ctx, cancel := context.WithCancel(context.Background())
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v, err := range l.Notifications(ctx) {
			if err == nil && (v.Type() == unix.RTM_NEWROUTE || v.Type() == unix.RTM_DELROUTE) {
				got.Add(1)
			}
		}
	}()
	write()
	waitQuiet(&got)
	cancel()
	<-done
	return int(got.Load())
}

func floorListen(l *floorConn, write func()) int {
	var got atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	bufs, msgs := mmsgBuffers(64, 8192)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := recvmmsg(l.fd, msgs) // MSG_DONTWAIT: poll below when empty
			if err == unix.EAGAIN {
				// A 20 ms poll lets the reader notice the stop signal.
				var one [1]unix.PollFd
				one[0] = unix.PollFd{Fd: int32(l.fd), Events: unix.POLLIN}
				unix.Poll(one[:], 20)
				continue
			}
			if err != nil {
				continue // ENOBUFS: counted as loss by the total
			}
			for i := 0; i < n; i++ {
				s := nlmsg.NewScanner(bufs[i][:msgs[i].Len])
				for s.Next() {
					if t := s.View().Type(); t == unix.RTM_NEWROUTE || t == unix.RTM_DELROUTE {
						got.Add(1)
					}
				}
			}
		}
	}()
	write()
	waitQuiet(&got)
	close(stop)
	<-done
	return int(got.Load())
}

func waitQuiet(got *atomic.Int64) {
	last := got.Load()
	for {
		time.Sleep(quiet)
		now := got.Load()
		if now == last {
			return
		}
		last = now
	}
}
