package ethtool

import (
	"context"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialNS returns a Client in a fresh namespace of its own.
func dialNS(t testing.TB) (*Client, *netnstest.NS) {
	t.Helper()
	ns := netnstest.New(t)
	e, err := Dial(testCtx(t), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e, ns
}
