package bench

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// BenchmarkEvents measures a member of RTNLGRP_IPV4_ROUTE while another
// socket (the floor's bulk path, as fast as the kernel takes it) adds 50 000
// routes and deletes them again: 100 000 notifications per op. It reports
// per op the notifications received, those lost (expected - received) and
// the ENOBUFS errors the library reported, with the default receive buffer
// and with 8 MiB. Libraries that report losses of their own (nlengine's
// queue overruns) or that need re-subscribing after an error (vishvananda's
// RouteSubscribe) report those too. ns/op is the writer's time plus the
// time the subscriber needs to catch up.
func BenchmarkEvents(b *testing.B) {
	rs := benchRoutes(eventRoutes)
	bufs := []struct {
		name string
		size int
	}{{"default", 0}, {"8MiB", eventsBigBuf}}
	for _, lib := range libraries {
		for _, lv := range levels {
			for _, buf := range bufs {
				b.Run(fmt.Sprintf("lib=%s/level=%s/rcvbuf=%s", lib.name, lv, buf.name), func(b *testing.B) {
					skipUnsupported(b, lib, wEvents, lv)
					nsp := ns.New(b)
					if buf.size > 0 {
						if why := rcvbufUnavailable(nsp, buf.size); why != "" {
							b.Skip(why)
						}
					}
					sub := lib.subscribe(b, nsp, lv, buf.size)
					w := newFloor(b, nsp, 0)
					var tot eventStats
					gen := 0
					b.ReportAllocs()
					for b.Loop() {
						gen++
						st := eventStats{gen: gen}
						must(b, eventsOp(w, sub, rs, &st), "events op")
						tot.received += st.received
						tot.enobufs += st.enobufs
						tot.overruns += st.overruns
						tot.resubscribes += st.resubscribes
					}
					n := float64(b.N)
					b.ReportMetric(float64(tot.received)/n, "events/op")
					b.ReportMetric(float64(2*len(rs)*b.N-tot.received)/n, "lost/op")
					b.ReportMetric(float64(tot.enobufs)/n, "enobufs/op")
					if tot.overruns > 0 {
						b.ReportMetric(float64(tot.overruns)/n, "overruns/op")
					}
					if tot.resubscribes > 0 {
						b.ReportMetric(float64(tot.resubscribes)/n, "resubs/op")
					}
					if tot.received > 2*len(rs)*b.N {
						b.Fatalf("received %d notifications, more than the %d sent", tot.received, 2*len(rs)*b.N)
					}
				})
			}
		}
	}
}

// eventsOp runs one burst: the subscriber reads on its own goroutine while w
// adds and deletes rs, then w adds and deletes the op's sentinel route
// until the subscriber has seen it.
func eventsOp(w *floor, sub subscriber, rs []route, st *eventStats) error {
	done := make(chan error, 1)
	go func() { done <- sub.run(st) }()
	if err := w.addRoutes(rs); err != nil {
		return fmt.Errorf("add: %w", err)
	}
	if err := w.delRoutes(rs); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	s := sentinelRoute()
	s.Table = sentinelFor(st.gen)
	sentinel := appendRoutePayload(nil, s)
	deadline := time.After(subscriberTimeout + 5*time.Second)
	for {
		if err := w.roundTrip(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, sentinel, nil); err != nil {
			return fmt.Errorf("add sentinel: %w", err)
		}
		var err error
		finished := false
		select {
		case err = <-done:
			finished = true
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			return errors.New("subscriber never saw the sentinel")
		}
		if derr := w.roundTrip(unix.RTM_DELROUTE, 0, sentinel, nil); derr != nil && !errors.Is(derr, syscall.ESRCH) {
			return fmt.Errorf("delete sentinel: %w", derr)
		}
		if finished {
			return err
		}
	}
}

// rcvbufUnavailable says why this process cannot give a netlink socket a
// receive buffer of size bytes ("" if it can): above net.core.rmem_max that
// takes SO_RCVBUFFORCE, which needs CAP_NET_ADMIN in the initial user
// namespace (so not in the user namespace of a non-root run).
func rcvbufUnavailable(n *ns.NS, size int) string {
	fd, err := n.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		return err.Error()
	}
	defer unix.Close(fd)
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) == nil {
		return ""
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	// The kernel doubles the value it stores, for its bookkeeping overhead.
	if got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil && got >= 2*size {
		return ""
	}
	return fmt.Sprintf("a %d-byte receive buffer needs SO_RCVBUFFORCE (CAP_NET_ADMIN in the initial user namespace) or net.core.rmem_max >= %d; run as root", size, size)
}
