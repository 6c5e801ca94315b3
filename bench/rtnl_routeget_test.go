package bench

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// routeGetNS makes a namespace with a veth v0 (10.0.0.1/24, up) and a
// route 192.0.2.0/24 via 10.0.0.2: what a lookup of 192.0.2.7 finds. It
// returns the namespace and v0's index.
func routeGetNS(b *testing.B) (*ns.NS, int) {
	b.Helper()
	nsp := ns.New(b)
	nsp.AddVeth(b, "v0", "v1")
	for _, c := range [][]string{
		{"link", "set", "v0", "up"}, {"link", "set", "v1", "up"},
		{"addr", "add", "10.0.0.1/24", "dev", "v0"},
		{"route", "add", "192.0.2.0/24", "via", "10.0.0.2"},
	} {
		nsp.Run(b, "ip", c...)
	}
	return nsp, nsp.LinkIndex(b, "v0")
}

// routeGetters are the contenders of a route lookup, each through its
// library's own call for ip route get: nlengine's Conn.RouteGet,
// vishvananda's Handle.RouteGet, jsimonetti's Route.Get. Each returns the
// output interface of the answer.
func routeGetters(nsp *ns.NS) []struct {
	name       string
	concurrent bool // the library's connection may be shared by goroutines
	dial       func(b *testing.B) func() (int, error)
} {
	dst := netip.MustParseAddr("192.0.2.7")
	type entry = struct {
		name       string
		concurrent bool
		dial       func(b *testing.B) func() (int, error)
	}
	return []entry{
		{"nlengine", true, func(b *testing.B) func() (int, error) {
			c := dialRTNL(b, nsp)
			ctx := context.Background()
			return func() (int, error) {
				r, err := c.RouteGet(ctx, rtnl.RouteQuery{Dst: dst})
				return r.OIF, err
			}
		}},
		{"vishvananda", false, func(b *testing.B) func() (int, error) {
			h, err := netlink.NewHandleAt(nsHandle(nsp), unix.NETLINK_ROUTE)
			must(b, err, "vishvananda")
			b.Cleanup(h.Close)
			ip := net.IP(dst.AsSlice())
			return func() (int, error) {
				rs, err := h.RouteGet(ip)
				if err != nil || len(rs) == 0 {
					return 0, err
				}
				return rs[0].LinkIndex, nil
			}
		}},
		{"jsimonetti", false, func(b *testing.B) func() (int, error) {
			c := connectJsimonetti(b, nsp, 0)
			return func() (int, error) {
				rs, err := c.Route.Get(&rtnetlink.RouteMessage{Family: unix.AF_INET, DstLength: 32,
					Attributes: rtnetlink.RouteAttributes{Dst: net.IP(dst.AsSlice())}})
				if err != nil || len(rs) == 0 {
					return 0, err
				}
				return int(rs[0].Attributes.OutIface), nil
			}
		}},
	}
}

// BenchmarkRouteGetTyped looks up one destination (ip route get
// 192.0.2.7) through each library's typed call, one goroutine at a time
// (goroutines=1), and from 8 goroutines sharing one connection
// (goroutines=8; a library whose connection is not safe for concurrent
// use gets it behind a mutex, as its users must). Each answer's output
// interface is checked.
func BenchmarkRouteGetTyped(b *testing.B) {
	nsp, v0 := routeGetNS(b)
	for _, g := range routeGetters(nsp) {
		b.Run("lib="+g.name+"/goroutines=1", func(b *testing.B) {
			get := g.dial(b)
			b.ReportAllocs()
			for b.Loop() {
				oif, err := get()
				must(b, err, "route get")
				if oif != v0 {
					b.Fatalf("the lookup answered oif %d, want %d", oif, v0)
				}
			}
		})
		b.Run("lib="+g.name+"/goroutines=8", func(b *testing.B) {
			get := g.dial(b)
			if !g.concurrent {
				var mu sync.Mutex
				inner := get
				get = func() (int, error) {
					mu.Lock()
					defer mu.Unlock()
					return inner()
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			shareOut(b, "route get", func(int) error {
				oif, err := get()
				if err == nil && oif != v0 {
					err = errWrongLink
				}
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
