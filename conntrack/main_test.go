package conntrack

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

// dial makes a private namespace and a Conn inside it.
func dial(t testing.TB) (*Conn, *netnstest.NS) {
	t.Helper()
	ns := netnstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ns
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// dialNS makes a private namespace only.
func dialNS(t testing.TB) *netnstest.NS { return netnstest.New(t) }
