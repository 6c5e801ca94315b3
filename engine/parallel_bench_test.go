//go:build linux

package engine

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// BenchmarkParallelDumps: two 100 000-route dumps. The floor runs them one
// after the other on one socket (floorConn.dump: raw syscalls, the engine's
// flags, nothing allocated), which is all one socket can do; the engine
// runs them from two goroutines on one Conn, which puts the second on an
// extra socket so that the kernel builds both at once.
func BenchmarkParallelDumps(b *testing.B) {
	rt := rtmsgIPv4()
	ns := filledNS(b)
	b.Run("impl=floor", func(b *testing.B) {
		d := newFloor(b, ns)
		b.ReportAllocs()
		for b.Loop() {
			for range 2 {
				n, err := d.dump(unix.RTM_GETROUTE, rt, nil)
				mustNoErr(b, err, "dump")
				if n < benchRoutes {
					b.Fatalf("dump returned %d routes", n)
				}
			}
		}
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := connectIn(b, ns, nlmsg.FamilyRoute)
		b.ReportAllocs()
		dump := func() {
			n := 0
			for _, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rt, 0) {
				mustNoErr(b, err, "dump")
				n++
			}
			if n < benchRoutes {
				b.Fatalf("dump returned %d routes", n)
			}
		}
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Go(dump)
			dump()
			wg.Wait()
		}
	})
}
