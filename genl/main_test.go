package genl

import (
	"context"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

// testCtx ends with the test or after 10 s, so a hung request fails instead
// of hanging.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialNS returns a Conn in a fresh namespace of its own, and the namespace.
func dialNS(t testing.TB) (*Conn, *netnstest.NS) {
	t.Helper()
	ns := netnstest.New(t)
	c, err := Dial(testCtx(t), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ns
}
