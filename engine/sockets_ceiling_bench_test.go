//go:build linux

package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// BenchmarkGetLinkSocketsCeiling asks whether more raw sockets than
// processors lift the kernel's ceiling for the 8-goroutine RTM_GETLINK
// figure of BenchmarkGetLinkParallelInterleaved. In turn inside every
// iteration: 512 requests on one floor socket one at a time (the
// reference), 512 on 2, 4 and 8 floor sockets driven by a goroutine each,
// and 512 on one engine Conn shared by 8 goroutines (which opens up to 8
// sockets of its own on two processors). Each floor socket does what
// roundTrip does: sendto of one request with NLM_F_REQUEST|NLM_F_ACK, a
// blocking recvfrom for the reply and one for the ack, the ack's errno
// checked, nothing allocated. It reports each one's throughput over the
// reference. Run:
//
//	go test -run '^$' -bench GetLinkSocketsCeiling -count 6 ./engine/
func BenchmarkGetLinkSocketsCeiling(b *testing.B) {
	const goroutines, block = 8, 512
	ns := netnstest.New(b)
	f := newFloor(b, ns)
	var socks [8]*floorConn
	for i := range socks {
		socks[i] = newFloor(b, ns)
	}
	c := connectIn(b, ns, nlmsg.FamilyRoute)
	ctx := context.Background()
	req := ifinfoPayload(1)
	none := func(nlmsg.View) error { return nil }
	widths := []int{2, 4, 8}
	var tOne, tEngine time.Duration
	tSocks := make([]time.Duration, len(widths))
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range block {
			mustNoErr(b, f.roundTrip(unix.RTM_GETLINK, 0, req, nil), "floor getlink")
		}
		tOne += time.Since(t0)
		for i, n := range widths {
			t := time.Now()
			shareRequests(b, n, block, 1, func(j int) error {
				return socks[j].roundTrip(unix.RTM_GETLINK, 0, req, nil)
			})
			tSocks[i] += time.Since(t)
		}
		t := time.Now()
		shareRequests(b, goroutines, block, 1, func(int) error {
			return c.RequestFunc(ctx, unix.RTM_GETLINK, req, 0, none)
		})
		tEngine += time.Since(t)
	}
	b.ReportMetric(float64(tOne.Nanoseconds())/float64(block*b.N), "floor-ns/req")
	for i, n := range widths {
		b.ReportMetric(float64(tOne)/float64(tSocks[i]), fmt.Sprintf("floor%d-x-floor", n))
	}
	b.ReportMetric(float64(tOne)/float64(tEngine), "engine-x-floor")
}
