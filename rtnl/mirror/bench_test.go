package mirror

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/rtnl"
)

const benchRoutes = 100_000

// benchRoute is the i-th route of the benchmarks: a host route of
// 10.0.0.0/8 via the veth v0 in the main table.
func benchRoute(i, oif int) rtnl.Route {
	return rtnl.Route{Family: rtnl.FamilyIPv4, Table: rtnl.TableMain, OIF: oif,
		Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)}
}

// benchNS is a namespace with a veth pair and n routes through it.
func benchNS(b *testing.B, n int) *netnstest.NS {
	b.Helper()
	ns := netnstest.New(b)
	ns.AddVeth(b, "v0", "v1")
	oif := ns.LinkIndex(b, "v0")
	c := dialIn(b, ns)
	ch := make([]rtnl.RouteChange, n)
	for i := range ch {
		ch[i] = rtnl.RouteChange{Op: rtnl.ChangeAdd, Route: benchRoute(i, oif)}
	}
	if err := c.ApplyRoutes(context.Background(), ch); err != nil {
		b.Fatal(err)
	}
	return ns
}

// BenchmarkInitialSync compares New (subscribe, dump links, addresses,
// IPv4 and IPv6 routes and neighbours, build the copy) with 100 000 routes
// in the namespace against the typed route dump alone (rtnl's Routes
// iterator over both families, decoding each route and nothing more).
// Sub-benchmarks run alternately in one run, so noise hits both.
func BenchmarkInitialSync(b *testing.B) {
	ns := benchNS(b, benchRoutes)
	c := dialIn(b, ns)
	dump := func(b *testing.B) {
		n := 0
		for _, f := range []rtnl.Family{rtnl.FamilyIPv4, rtnl.FamilyIPv6} {
			for _, err := range c.Routes(bg, rtnl.RouteFilter{Family: f}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		if n < benchRoutes {
			b.Fatalf("%d routes", n)
		}
	}
	mirror := func(b *testing.B) {
		m, err := New(bg, Config{Options: []engine.Option{engine.WithNetNSFD(ns.FD())}})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, r, _ := lens(m); r < benchRoutes {
			b.Fatalf("%d routes", r)
		}
		m.Close()
	}
	// impl=ratio runs the two in each iteration (in alternating order)
	// and reports the medians of the mirror's time over the dump's, wall
	// clock and CPU (the process's user and system time, so the kernel's
	// work for each and the garbage collector count): the figures the
	// noise of a shared machine spares most.
	var wall, cpu []float64
	ratio := func(b *testing.B) {
		var dw, dc, mw, mc time.Duration
		if len(wall)%2 == 0 {
			dw, dc = timed(b, dump)
			mw, mc = timed(b, mirror)
		} else {
			mw, mc = timed(b, mirror)
			dw, dc = timed(b, dump)
		}
		wall = append(wall, float64(mw)/float64(dw))
		cpu = append(cpu, float64(mc)/float64(dc))
	}
	for _, bc := range []struct {
		name string
		fn   func(*testing.B)
	}{{"impl=dump", dump}, {"impl=mirror", mirror}, {"impl=ratio", ratio}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var c0 time.Duration
			if bc.name != "impl=ratio" {
				c0 = cpuTime(b)
			}
			for b.Loop() {
				bc.fn(b)
			}
			if bc.name == "impl=ratio" {
				b.ReportMetric(median(wall), "mirror/dump")
				b.ReportMetric(median(cpu), "cpu-mirror/dump")
				wall, cpu = wall[:0], cpu[:0]
				return
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRoutes, "ns/route")
			b.ReportMetric(float64((cpuTime(b)-c0).Nanoseconds())/float64(b.N)/benchRoutes, "cpu-ns/route")
		})
	}
}

// timed runs fn and returns the wall-clock and CPU time it took.
func timed(b *testing.B, fn func(*testing.B)) (wall, cpu time.Duration) {
	c0, t0 := cpuTime(b), time.Now()
	fn(b)
	return time.Since(t0), cpuTime(b) - c0
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// captured returns real kernel notifications: for n routes, their
// RTM_NEWROUTE with gateway 10.9.0.2 and then with 10.9.0.3 (a replace).
func captured(b *testing.B, n int) (first, second [][]byte) {
	b.Helper()
	ns := netnstest.New(b)
	ns.AddVeth(b, "v0", "v1")
	ns.Run(b, "ip", "addr", "add", "10.9.0.1/24", "dev", "v0")
	oif := ns.LinkIndex(b, "v0")
	l, err := rtnl.Dial(bg, engine.WithNetNSFD(ns.FD()), engine.WithGroups(rtnl.GroupIPv4Route))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c := dialIn(b, ns)
	ch := make([]rtnl.RouteChange, n)
	for _, gw := range []string{"10.9.0.2", "10.9.0.3"} {
		for i := range ch {
			r := benchRoute(i, oif)
			r.Gateway = netip.MustParseAddr(gw)
			ch[i] = rtnl.RouteChange{Op: rtnl.ChangeReplace, Route: r}
		}
		if err := c.ApplyRoutes(bg, ch); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	for v, err := range l.Engine().Notifications(ctx) {
		if err != nil {
			b.Fatal(err)
		}
		if v.Type() != nlmsg.RTMNewRoute {
			continue
		}
		msg := append([]byte(nil), v.Bytes()...)
		if len(first) < n {
			first = append(first, msg)
		} else {
			second = append(second, msg)
		}
		if len(second) == n {
			break
		}
	}
	return first, second
}

// detached is a Mirror with no Conns, for feeding it notifications
// directly.
func detached(cfg Config) *Mirror {
	if cfg.RereadDelay == 0 {
		cfg.RereadDelay = time.Hour
	}
	return &Mirror{cfg: cfg, done: make(chan struct{}),
		links:  newObjTable(func(l *rtnl.Link) LinkKey { return l.Index }, sameLink, ownLink),
		addrs:  newObjTable(KeyOfAddr, sameAddr, ownAddr),
		neighs: newObjTable(KeyOfNeigh, sameNeigh, ownNeigh),
		routes: newRouteTable(), ctx: context.Background()}
}

// BenchmarkApplyRouteEvents applies real RTM_NEWROUTE notifications, each
// an update of a held route (its gateway alternates), through the same
// path as the mirror's goroutine: decode into the stream's one Event,
// then merge by identity under the lock. impl=quiet has no OnChange;
// impl=onchange gives every change (old and new) to a callback.
func BenchmarkApplyRouteEvents(b *testing.B) {
	const n = 10_000
	first, second := captured(b, n)
	if len(first) != n || len(second) != n {
		b.Fatalf("captured %d and %d notifications", len(first), len(second))
	}
	views := func(msgs [][]byte) []nlmsg.View {
		out := make([]nlmsg.View, len(msgs))
		for i, m := range msgs {
			v, err := nlmsg.ViewOf(m)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = v
		}
		return out
	}
	a, z := views(first), views(second)
	for _, bc := range []struct {
		name     string
		onChange func(*Change)
	}{{"impl=quiet", nil}, {"impl=onchange", func(*Change) {}}} {
		b.Run(bc.name, func(b *testing.B) {
			m := detached(Config{OnChange: bc.onChange})
			var e rtnl.Event
			for _, v := range a {
				e.DecodeMessage(v)
				m.apply(&e)
			}
			b.ReportAllocs()
			events := 0
			for i := 0; b.Loop(); i++ {
				src := z
				if i%2 == 1 {
					src = a
				}
				for _, v := range src {
					if err := e.DecodeMessage(v); err != nil {
						b.Fatal(err)
					}
					m.apply(&e)
				}
				events += len(src)
			}
			if s := m.Stats(); s.Changes < uint64(n) {
				b.Fatalf("only %d changes", s.Changes)
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

// BenchmarkRouteMemory measures the heap the copy holds per route, for
// 100 000 and 1 000 000 IPv4 host routes with a gateway (the mirror's
// route table alone, filled as a dump fills it).
func BenchmarkRouteMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run("routes="+itoa(uint64(n)), func(b *testing.B) {
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				t := newRouteTable()
				r := benchRoute(0, 2)
				r.Gateway = netip.MustParseAddr("10.255.0.1")
				r.Protocol, r.Scope, r.Type = rtnl.Protocol(4), rtnl.Scope(0), rtnl.RouteType(1)
				for i := range n {
					r.Dst = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
					r.Table = rtnl.Table(254 + i>>24)
					t.upsert(keyOf(&r), &r, 1)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/route")
				runtime.KeepAlive(t)
			}
		})
	}
}
