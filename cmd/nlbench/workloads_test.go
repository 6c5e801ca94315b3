package main

import (
	"context"
	"os"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// The dump workloads' measured loop allocates nothing per dump, so what the
// meter counts is the engine's (the same loop as a closure inlined into
// another closure cost five allocations per dump).
func TestDumpOnceDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a namespace in this process (the binary tests cover the unprivileged path)")
	}
	ns := netnstest.New(t)
	ctx, cancel := context.WithCancel(context.Background()) // cancellable, as nlbench's is
	defer cancel()
	tg := &target{nsfd: ns.FD()}
	c, err := tg.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := nlmsg.IfInfoMsg{}.AppendTo(nil)
	var n int
	var intr bool
	allocs := testing.AllocsPerRun(200, func() {
		n, intr, err = dumpOnce(ctx, c, nlmsg.RTMGetLink, payload, isLink)
	})
	if err != nil || intr || n < 1 {
		t.Fatalf("dump: %d links, interrupted %v, %v", n, intr, err)
	}
	if allocs != 0 {
		t.Errorf("dumpOnce allocates %v times per dump", allocs)
	}
}
