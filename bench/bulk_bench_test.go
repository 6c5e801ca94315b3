package bench

import (
	"testing"

	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// BenchmarkBulk adds 20 000 routes, each an RTM_NEWROUTE with NLM_F_ACK,
// then deletes them with as many RTM_DELROUTE: one op is all 40 000
// requests, and leaves the namespace as it found it. nlengine sends each
// half as one Batch, the floor 64 requests per datagram with the acks read
// by recvmmsg, the others one request at a time as their APIs do. Each
// library gets a namespace of its own.
func BenchmarkBulk(b *testing.B) {
	rs := benchRoutes(bulkRoutes)
	payloads := routePayloads(rs)
	for _, lib := range libraries {
		for _, lv := range levels {
			b.Run("lib="+lib.name+"/level="+lv.String(), func(b *testing.B) {
				skipUnsupported(b, lib, wBulk, lv)
				nsp := ns.New(b)
				c := lib.dial(b, nsp)
				check := newFloor(b, nsp, 0)
				base, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
				must(b, err, "dump")
				b.ReportAllocs()
				for b.Loop() {
					must(b, c.bulk(lv, true, rs, payloads), "add %d routes", len(rs))
					must(b, c.bulk(lv, false, rs, payloads), "delete %d routes", len(rs))
				}
				reqs := float64(b.N) * 2 * bulkRoutes
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/reqs, "ns/req")
				b.ReportMetric(reqs/b.Elapsed().Seconds(), "reqs/s")
				// Prove the work was done: a round with the floor watching.
				must(b, c.bulk(lv, true, rs, payloads), "add")
				n, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
				must(b, err, "dump")
				if n != base+bulkRoutes {
					b.Fatalf("after adding %d routes the dump has %d, want %d", bulkRoutes, n, base+bulkRoutes)
				}
				must(b, c.bulk(lv, false, rs, payloads), "delete")
			})
		}
	}
}
