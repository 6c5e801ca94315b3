package rtnl

import (
	"context"
	"net/netip"
	"testing"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Benchmarks compare rtnl with a raw x/sys/unix floor and with the
// engine's raw API in the same run and namespace. Run:
//
//	go test -run '^$' -bench 'RouteDump|RouteFiltered|RouteBatch' -count 6 ./rtnl/

const benchRoutes = 100_000

// hostRoute is 10.x.y.z/32 dev oif scope link in table.
func hostRoute(i, oif int, table Table) Route {
	return Route{
		Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
		OIF: oif, Table: table, Scope: ScopeLink, Protocol: ProtocolStatic,
	}
}

// benchNS is a namespace with benchRoutes routes in main and 1 000 in
// table 100, all via lo.
func benchNS(b *testing.B) *netnstest.NS {
	ns := netnstest.New(b)
	c := dialIn(b, ns)
	ch := make([]RouteChange, benchRoutes+1000)
	for i := range ch {
		ch[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, 1, TableMain)}
		if i >= benchRoutes {
			ch[i].Route = hostRoute(i, 1, 100)
			ch[i].Route.Dst = netip.PrefixFrom(netip.AddrFrom4([4]byte{11, 0, byte(i >> 8), byte(i)}), 32)
		}
	}
	if err := c.ApplyRoutes(context.Background(), ch); err != nil {
		b.Fatal(err)
	}
	return ns
}

func perRoute(b *testing.B, routes int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(routes), "ns/route")
}

// floorRouteDump is the raw floor's dump of req as a sub-benchmark,
// reporting ns/route.
func floorRouteDump(ns *netnstest.NS, req []byte) func(*testing.B) {
	return func(b *testing.B) {
		fl := newRawFloor(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			n, err := fl.dump(nlmsg.RTMGetRoute, req, nil)
			if err != nil {
				b.Fatal(err)
			}
			total += n
		}
		perRoute(b, total)
	}
}

func BenchmarkRouteDump(b *testing.B) {
	ns := benchNS(b)
	ctx := context.Background()
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	b.Run("impl=floor", floorRouteDump(ns, req))
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			for _, err := range c.Engine().Dump(ctx, nlmsg.RTMGetRoute, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				total++
			}
		}
		perRoute(b, total)
	})
	b.Run("impl=iter", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		var sink uint32
		for b.Loop() {
			for r, err := range c.Routes(ctx, f) {
				if err != nil {
					b.Fatal(err)
				}
				sink += uint32(r.OIF)
				total++
			}
		}
		perRoute(b, total)
		b.ReportMetric(float64(testing.AllocsPerRun(1, func() {
			for range c.Routes(ctx, f) {
			}
		}))/float64(total/b.N), "allocs/route")
	})
	b.Run("impl=list", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			rs, err := c.RouteList(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			total += len(rs)
		}
		perRoute(b, total)
		n := 0
		allocs := testing.AllocsPerRun(1, func() { rs, _ := c.RouteList(ctx, f); n = len(rs) })
		b.ReportMetric(allocs/float64(n), "allocs/route")
	})
}

// BenchmarkRouteFiltered dumps the 1 000 routes of table 100 among the
// 101 000: filtered by the kernel (a Dial'd Conn), in user space (a Conn
// without strict checking), and the unfiltered dump of every table.
func BenchmarkRouteFiltered(b *testing.B) {
	ns := benchNS(b)
	ctx := context.Background()
	run := func(b *testing.B, c *Conn, f RouteFilter, want int) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Routes(ctx, f) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n < want {
				b.Fatalf("%d routes, want %d", n, want)
			}
		}
	}
	b.Run("impl=kernel", func(b *testing.B) { run(b, dialIn(b, ns), RouteFilter{Family: FamilyIPv4, Table: 100}, 1000) })
	b.Run("impl=userspace", func(b *testing.B) {
		ec, err := engine.Connect(ctx, nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ec.Close() })
		c, _ := New(ec)
		run(b, c, RouteFilter{Family: FamilyIPv4, Table: 100}, 1000)
	})
	b.Run("impl=unfiltered", func(b *testing.B) { run(b, dialIn(b, ns), RouteFilter{Family: FamilyIPv4}, benchRoutes+1000) })
}

// BenchmarkRouteBatch adds 100 000 routes in one call: through the typed
// ApplyRoutes, and through engine.Batch with payloads encoded beforehand.
// The routes go via a veth made for each round and deleted (with all its
// routes, untimed) after it.
func BenchmarkRouteBatch(b *testing.B) {
	ns := netnstest.New(b)
	ctx := context.Background()
	const oif = 500
	mkLink := func(b *testing.B) {
		ns.Run(b, "ip", "link", "add", "bv0", "index", "500", "type", "veth", "peer", "name", "bv1")
		ns.Run(b, "ip", "link", "set", "bv0", "up")
	}
	changes := make([]RouteChange, benchRoutes)
	raw := make([]engine.Op, benchRoutes)
	for i := range changes {
		changes[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, oif, TableMain)}
		p, _ := appendRoute(nil, &changes[i].Route, false)
		raw[i] = engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: p}
	}
	round := func(b *testing.B, apply func() error) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			mkLink(b)
			b.StartTimer()
			if err := apply(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			ns.Run(b, "ip", "link", "del", "bv0")
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRoutes), "ns/route")
	}
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		round(b, func() error { return c.Engine().Batch(ctx, raw) })
	})
	b.Run("impl=typed", func(b *testing.B) {
		c := dialIn(b, ns)
		round(b, func() error { return c.ApplyRoutes(ctx, changes) })
	})
}
