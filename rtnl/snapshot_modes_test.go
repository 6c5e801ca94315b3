package rtnl

import (
	"runtime"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestIntegrationSnapshotLongestModes: with read-ahead on or off, and the
// longest dump decoded on its own goroutine or on one of its own, a
// Snapshot of a namespace with 20 000 extra routes (dozens of chunks, so
// the read-ahead and the pipeline run) equals the separate lists, fresh
// and reused.
func TestIntegrationSnapshotLongestModes(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ns := netnstest.New(t)
	snapshotFixture(t, ns, 20000)
	saved := snapshotPipeline
	defer func() { snapshotPipeline = saved }()
	for _, ahead := range []bool{true, false} {
		c := dialAhead(t, ns, ahead)
		want := separateLists(t, c)
		for _, pipelined := range []bool{false, true} {
			snapshotPipeline = func(*Conn) bool { return pipelined }
			var s *Snapshot
			for round := range 3 {
				got, err := c.Snapshot(bg, SnapshotOptions{Reuse: s})
				if err != nil {
					t.Fatalf("read-ahead %v, pipelined %v, round %d: %v", ahead, pipelined, round, err)
				}
				sameSnapshot(t, got, want)
				s = got
			}
		}
	}
}
