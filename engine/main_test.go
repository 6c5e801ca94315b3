//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

// newTestConn returns a Conn of family inside a fresh network namespace
// that belongs to tb, closed by tb's cleanup.
func newTestConn(tb testing.TB, family nlmsg.Family, opts ...Option) (*Conn, *netnstest.NS) {
	tb.Helper()
	ns := netnstest.New(tb)
	c := connectIn(tb, ns, family, opts...)
	return c, ns
}

// connectIn opens another Conn inside ns, closed by tb's cleanup.
func connectIn(tb testing.TB, ns *netnstest.NS, family nlmsg.Family, opts ...Option) *Conn {
	tb.Helper()
	c, err := Connect(context.Background(), family, append([]Option{WithNetNSFD(ns.FD())}, opts...)...)
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// routePayload encodes an rtmsg for the IPv4 /32 route 10.(i>>16).(i>>8).i
// via ifindex oif (1 is lo, up in every test namespace), with RTA_DST and
// RTA_OIF, like `ip route add 10.x.y.z/32 dev lo`.
func routePayload(i int, oif uint32) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.Append([]byte{unix.AF_INET, 32, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_STATIC, unix.RT_SCOPE_LINK, unix.RTN_UNICAST, 0, 0, 0, 0})
	b.Attr(unix.RTA_DST, []byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	b.Uint32(unix.RTA_OIF, oif)
	return append([]byte(nil), b.Bytes()...)
}

// addRoutes adds n routes (routePayload(0..n-1, lo)) with one Batch.
func addRoutes(tb testing.TB, c *Conn, n int) {
	tb.Helper()
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(i, 1)}
	}
	if err := c.Batch(context.Background(), ops); err != nil {
		tb.Fatalf("adding %d routes: %v", n, err)
	}
}

// ifinfoPayload encodes an ifinfomsg for ifindex idx.
func ifinfoPayload(idx int32) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint32(b[4:], uint32(idx))
	return b
}

// rtmsgIPv4 is an empty rtmsg asking for IPv4 routes.
func rtmsgIPv4() []byte { return []byte{unix.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} }
