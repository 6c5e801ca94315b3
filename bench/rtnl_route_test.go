package bench

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	ns "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// The typed level: each library's own typed route objects, as a user
// would write the program. nlengine uses rtnl (Routes, the in-place
// iterator, and RouteList; ApplyRoutes for bulk adds), vishvananda its
// Handle (RouteListFiltered over every table, RouteAdd), jsimonetti
// rtnetlink.Conn (Route.ListMatch for IPv4, Route.Add).

func dialRTNL(tb testing.TB, n *ns.NS) *rtnl.Conn {
	tb.Helper()
	c, err := rtnl.Dial(context.Background(), engine.WithNetNSFD(n.FD()))
	if err != nil {
		tb.Fatalf("rtnl: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkRouteDumpTyped dumps the 100 000 IPv4 routes of every table
// into each library's typed route values.
func BenchmarkRouteDumpTyped(b *testing.B) {
	nsp, msgs := filledRouteNS(b, dumpRoutes)
	ctx := context.Background()
	v4 := rtnl.RouteFilter{Family: rtnl.FamilyIPv4}
	run := func(b *testing.B, dump func() (int, error)) {
		b.ReportAllocs()
		for b.Loop() {
			n, err := dump()
			must(b, err, "route dump")
			if n != msgs {
				b.Fatalf("route dump returned %d routes, want %d", n, msgs)
			}
		}
		reportPerMsg(b, msgs)
	}
	b.Run("lib=nlengine/level=typed", func(b *testing.B) {
		c := dialRTNL(b, nsp)
		run(b, func() (int, error) {
			n := 0
			for r, err := range c.Routes(ctx, v4) {
				if err != nil {
					return n, err
				}
				if r.Dst.IsValid() { // every route has one, default routes too
					n++
				}
			}
			return n, nil
		})
	})
	b.Run("lib=nlengine/level=typed-list", func(b *testing.B) {
		c := dialRTNL(b, nsp)
		run(b, func() (int, error) {
			rs, err := c.RouteList(ctx, v4)
			return len(rs), err
		})
	})
	b.Run("lib=vishvananda/level=typed", func(b *testing.B) {
		h, err := netlink.NewHandleAt(nsHandle(nsp), unix.NETLINK_ROUTE)
		must(b, err, "vishvananda")
		b.Cleanup(h.Close)
		run(b, func() (int, error) {
			rs, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
			return len(rs), err
		})
	})
	b.Run("lib=jsimonetti/level=typed", func(b *testing.B) {
		c := connectJsimonetti(b, nsp, 0)
		run(b, func() (int, error) {
			rs, err := c.Route.ListMatch(&rtnetlink.RouteMessage{Family: unix.AF_INET})
			return len(rs), err
		})
	})
}

// BenchmarkRouteAddTyped adds 20 000 routes from typed values, then
// deletes them (one op: 40 000 requests, the namespace left as found).
// nlengine sends each half as one ApplyRoutes batch; the others one
// request at a time, as their APIs do.
func BenchmarkRouteAddTyped(b *testing.B) {
	rs := benchRoutes(bulkRoutes)
	ctx := context.Background()
	run := func(b *testing.B, nsp *ns.NS, round func() error) {
		check := newFloor(b, nsp, 0)
		base, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
		must(b, err, "dump")
		b.ReportAllocs()
		for b.Loop() {
			must(b, round(), "add and delete %d routes", len(rs))
		}
		reqs := float64(b.N) * 2 * bulkRoutes
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/reqs, "ns/req")
		n, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
		must(b, err, "dump")
		if n != base {
			b.Fatalf("after the rounds the dump has %d routes, want %d", n, base)
		}
	}
	b.Run("lib=nlengine/level=typed", func(b *testing.B) {
		nsp := ns.New(b)
		c := dialRTNL(b, nsp)
		add := make([]rtnl.RouteChange, len(rs))
		del := make([]rtnl.RouteChange, len(rs))
		for i, r := range rs {
			rt := rtnl.Route{Dst: netip.PrefixFrom(r.Dst, int(r.DstLen)), OIF: int(r.OIF), Table: rtnl.Table(r.Table), Scope: rtnl.ScopeLink, Protocol: rtnl.ProtocolStatic}
			add[i] = rtnl.RouteChange{Op: rtnl.ChangeAdd, Route: rt}
			del[i] = rtnl.RouteChange{Op: rtnl.ChangeDel, Route: rt}
		}
		run(b, nsp, func() error {
			if err := c.ApplyRoutes(ctx, add); err != nil {
				return err
			}
			return c.ApplyRoutes(ctx, del)
		})
	})
	b.Run("lib=vishvananda/level=typed", func(b *testing.B) {
		nsp := ns.New(b)
		h, err := netlink.NewHandleAt(nsHandle(nsp), unix.NETLINK_ROUTE)
		must(b, err, "vishvananda")
		b.Cleanup(h.Close)
		vrs := make([]netlink.Route, len(rs))
		for i, r := range rs {
			dst := r.Dst.As4()
			vrs[i] = netlink.Route{Dst: &net.IPNet{IP: net.IP(dst[:]), Mask: net.CIDRMask(int(r.DstLen), 32)}, LinkIndex: int(r.OIF),
				Scope: netlink.SCOPE_LINK, Protocol: unix.RTPROT_STATIC, Table: int(r.Table)}
		}
		run(b, nsp, func() error {
			for i := range vrs {
				if err := h.RouteAdd(&vrs[i]); err != nil {
					return err
				}
			}
			for i := range vrs {
				if err := h.RouteDel(&vrs[i]); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("lib=jsimonetti/level=typed", func(b *testing.B) {
		nsp := ns.New(b)
		c := jsimonettiClient{connectJsimonetti(b, nsp, 0)}
		run(b, nsp, func() error {
			if err := c.bulk(decoded, true, rs, nil); err != nil {
				return err
			}
			return c.bulk(decoded, false, rs, nil)
		})
	})
}
