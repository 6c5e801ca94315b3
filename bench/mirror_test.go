package bench

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	ns "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
	"github.com/nlengine/nlengine/rtnl/mirror"
)

var mirrorStormRoutes = flag.Int("mirror.routes", 20_000, "BenchmarkMirrorStorm: routes per route writer")

// mirrorStorm is the storm of rtnl/mirror's convergence test, written
// with rtnl whatever copy is measured: an IPv4 and an IPv6 writer add n
// routes each in batches, delete half, replace a quarter, delete a sixth;
// a flapper adds 50 routes through link f0 and sets it down (the kernel
// drops them without a notification) and up, 8 times.
func mirrorStorm(tb testing.TB, n *ns.NS, routes int) {
	ctx := context.Background()
	dial := func() *rtnl.Conn {
		c, err := rtnl.Dial(ctx, engine.WithNetNSFD(n.FD()))
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	v0, f0 := n.LinkIndex(tb, "v0"), n.LinkIndex(tb, "f0")
	var wg sync.WaitGroup
	writer := func(fam rtnl.Family, table rtnl.Table, gw netip.Addr) {
		defer wg.Done()
		c := dial()
		defer c.Close()
		dst := func(i int) netip.Prefix {
			if fam == rtnl.FamilyIPv4 {
				return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 100 + byte(i>>16), byte(i >> 8), byte(i)}), 32)
			}
			return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xaa, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}), 128)
		}
		batch := func(op rtnl.ChangeOp, from, step int) {
			var ch []rtnl.RouteChange
			for i := from; i < routes; i += step {
				ch = append(ch, rtnl.RouteChange{Op: op, Route: rtnl.Route{Family: fam, Table: table, Dst: dst(i), Gateway: gw, OIF: v0, Priority: uint32(i % 3)}})
				if len(ch) == 500 {
					c.ApplyRoutes(ctx, ch)
					ch = ch[:0]
				}
			}
			c.ApplyRoutes(ctx, ch)
		}
		batch(rtnl.ChangeAdd, 0, 1)
		batch(rtnl.ChangeDel, 0, 2)
		batch(rtnl.ChangeReplace, 0, 4)
		batch(rtnl.ChangeDel, 1, 6)
	}
	wg.Add(3)
	go writer(rtnl.FamilyIPv4, 100, netip.MustParseAddr("10.0.0.2"))
	go writer(rtnl.FamilyIPv6, 200, netip.MustParseAddr("fd00::2"))
	go func() {
		defer wg.Done()
		c := dial()
		defer c.Close()
		for round := 0; round < 8; round++ {
			var ch []rtnl.RouteChange
			for i := 0; i < 50; i++ {
				ch = append(ch, rtnl.RouteChange{Op: rtnl.ChangeReplace, Route: rtnl.Route{Family: rtnl.FamilyIPv4, Table: 300,
					Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 250, byte(round), byte(i)}), 32), OIF: f0}})
			}
			c.ApplyRoutes(ctx, ch)
			time.Sleep(2 * time.Millisecond)
			c.LinkSetDown(ctx, f0)
			time.Sleep(2 * time.Millisecond)
			c.LinkSetUp(ctx, f0)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
}

// routeKey is a route's identity as both copies are compared: family,
// table, destination, priority, TOS, and for an IPv6 route with one next
// hop that next hop.
func routeKey(fam int, table int, dst string, prio int, tos int, oif int, gw string) string {
	if fam != unix.AF_INET6 {
		oif, gw = 0, ""
	}
	return fmt.Sprintf("%d %d %s %d %d %d %s", fam, table, dst, prio, tos, oif, gw)
}

func rtnlKey(r *rtnl.Route) string {
	oif, gw := r.OIF, ""
	if r.Gateway.IsValid() {
		gw = r.Gateway.String()
	}
	if len(r.Multipath) > 0 {
		oif, gw = 0, ""
	}
	return routeKey(int(r.Family), int(r.Table), r.Dst.String(), int(r.Priority), int(r.TOS), oif, gw)
}

func vishKey(r *netlink.Route) string {
	dst := "0.0.0.0/0"
	if r.Family == unix.AF_INET6 {
		dst = "::/0"
	}
	if r.Dst != nil {
		p, _ := netip.ParsePrefix(r.Dst.String())
		dst = p.String()
	}
	oif, gw := r.LinkIndex, ""
	if r.Gw != nil {
		a, _ := netip.AddrFromSlice(r.Gw)
		gw = a.Unmap().String()
	}
	if len(r.MultiPath) > 0 {
		oif, gw = 0, ""
	}
	return routeKey(r.Family, r.Table, dst, r.Priority, r.Tos, oif, gw)
}

// kernelRoutes dumps the IPv4 and IPv6 routes of every table.
func kernelRoutes(tb testing.TB, n *ns.NS) map[string]bool {
	c, err := rtnl.Dial(context.Background(), engine.WithNetNSFD(n.FD()))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	out := map[string]bool{}
	for _, f := range []rtnl.Family{rtnl.FamilyIPv4, rtnl.FamilyIPv6} {
		for r, err := range c.Routes(context.Background(), rtnl.RouteFilter{Family: f}) {
			if err != nil {
				tb.Fatal(err)
			}
			out[rtnlKey(r)] = true
		}
	}
	return out
}

// routeCopy is a copy of the route tables kept by some library.
type routeCopy interface {
	keys() map[string]bool
	errors() int64 // errors the library reported (its error callback, resyncs)
	close()
}

type mirrorCopy struct{ m *mirror.Mirror }

func (c mirrorCopy) keys() map[string]bool {
	out := map[string]bool{}
	c.m.View(func(s *mirror.Snapshot) {
		for r := range s.Routes(rtnl.RouteFilter{}) {
			out[rtnlKey(r)] = true
		}
	})
	return out
}
func (c mirrorCopy) errors() int64 { s := c.m.Stats(); return int64(s.Losses) }
func (c mirrorCopy) close()        { c.m.Close() }

// vishCopy is the copy vishvananda/netlink's users write: a map updated
// from RouteSubscribeWithOptions's channel (ListExisting, so the existing
// routes come first), with an error callback that counts.
type vishCopy struct {
	mu   sync.Mutex
	m    map[string]bool
	errs atomic.Int64
	done chan struct{}
}

func startVish(tb testing.TB, n *ns.NS, rcvbuf int) *vishCopy {
	c := &vishCopy{m: map[string]bool{}, done: make(chan struct{})}
	ch := make(chan netlink.RouteUpdate)
	h := netns.NsHandle(n.FD())
	err := netlink.RouteSubscribeWithOptions(ch, c.done, netlink.RouteSubscribeOptions{
		Namespace: &h, ListExisting: true,
		ReceiveBufferSize: rcvbuf, ReceiveBufferForceSize: rcvbuf > 0,
		ErrorCallback: func(error) { c.errs.Add(1) },
	})
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		for u := range ch {
			if u.Family != unix.AF_INET && u.Family != unix.AF_INET6 {
				continue
			}
			c.mu.Lock()
			switch u.Type {
			case unix.RTM_NEWROUTE:
				c.m[vishKey(&u.Route)] = true
			case unix.RTM_DELROUTE:
				delete(c.m, vishKey(&u.Route))
			}
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *vishCopy) keys() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]bool, len(c.m))
	for k := range c.m {
		out[k] = true
	}
	return out
}
func (c *vishCopy) errors() int64 { return c.errs.Load() }
func (c *vishCopy) close()        { close(c.done) }

// BenchmarkMirrorStorm feeds the storm to rtnl/mirror and to a copy kept
// with vishvananda/netlink's RouteSubscribeWithOptions (ListExisting), at
// the default receive buffer and at 64 KiB, and reports how far each copy
// is from a fresh dump 1 s after the storm: routes missing from the copy,
// routes only in the copy (phantoms), and the errors the library reported.
func BenchmarkMirrorStorm(b *testing.B) {
	if _, err := net.InterfaceByIndex(1); err != nil {
		b.Skip(err)
	}
	for _, lib := range []string{"nlengine", "vishvananda"} {
		for _, rcvbuf := range []int{0, 64 << 10} {
			name := "lib=" + lib + "/rcvbuf=default"
			if rcvbuf > 0 {
				name = "lib=" + lib + "/rcvbuf=64KiB"
			}
			b.Run(name, func(b *testing.B) {
				var missing, phantom, errs, kernel int64
				for b.Loop() {
					n := ns.New(b)
					n.AddVeth(b, "v0", "v1")
					n.AddVeth(b, "f0", "f1")
					n.Run(b, "ip", "addr", "add", "10.0.0.1/24", "dev", "v0")
					n.Run(b, "ip", "-6", "addr", "add", "fd00::1/64", "dev", "v0", "nodad")
					var c routeCopy
					if lib == "nlengine" {
						m, err := mirror.New(context.Background(), mirror.Config{Options: []engine.Option{engine.WithNetNSFD(n.FD())}, ReceiveBuffer: rcvbuf})
						if err != nil {
							b.Fatal(err)
						}
						c = mirrorCopy{m}
					} else {
						c = startVish(b, n, rcvbuf)
					}
					mirrorStorm(b, n, *mirrorStormRoutes)
					time.Sleep(time.Second)
					// NB: the kernel is read before and after the copy, so a
					// route the kernel adds or drops by itself meanwhile (an
					// IPv6 address finishing duplicate detection) counts
					// against neither.
					before := kernelRoutes(b, n)
					got := c.keys()
					want := kernelRoutes(b, n)
					for k := range want {
						if before[k] && !got[k] {
							missing++
						}
					}
					for k := range got {
						if !want[k] && !before[k] {
							phantom++
						}
					}
					errs += c.errors()
					kernel += int64(len(want))
					c.close()
				}
				n := float64(b.N)
				b.ReportMetric(float64(missing)/n, "missing/op")
				b.ReportMetric(float64(phantom)/n, "phantom/op")
				b.ReportMetric(float64(errs)/n, "errors/op")
				b.ReportMetric(float64(kernel)/n, "routes/op")
			})
		}
	}
}
