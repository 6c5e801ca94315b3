package rtnl

import (
	"context"
	"errors"
	"testing"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// dialIn opens an rtnl Conn inside ns, closed by tb's cleanup.
func dialIn(tb testing.TB, ns *netnstest.NS) *Conn {
	tb.Helper()
	c, err := Dial(context.Background(), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		tb.Fatalf("rtnl.Dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestIntegrationNewRefusesAConnOfAnotherFamily(t *testing.T) {
	ns := netnstest.New(t)
	ec, err := engine.Connect(context.Background(), nlmsg.FamilyGeneric, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	if _, err := New(ec); !errors.Is(err, engine.ErrWrongFamily) {
		t.Fatalf("New on a NETLINK_GENERIC Conn: %v, want engine.ErrWrongFamily", err)
	}
	if s := ec.Stats(); s.RequestsSent != 0 {
		t.Fatalf("New sent %d requests", s.RequestsSent)
	}
}

func TestIntegrationDialTurnsStrictCheckOn(t *testing.T) {
	c := dialIn(t, netnstest.New(t))
	if !c.strict || !c.Engine().StrictCheck() {
		t.Fatal("Dial did not turn NETLINK_GET_STRICT_CHK on")
	}
}
