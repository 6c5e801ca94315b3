package bench

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	ns "github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// level=typed: each library's own typed objects for links and addresses,
// from its everyday call: nlengine's rtnl (the Links / Addrs iterators,
// and LinkList / AddrList for owned values), vishvananda's Handle.LinkList
// and Handle.AddrList, jsimonetti's Link.List and Address.List. Every
// object is decoded in full by the library; the benchmark only counts.

func dialRtnl(tb testing.TB, n *ns.NS) *rtnl.Conn {
	tb.Helper()
	c, err := rtnl.Dial(context.Background(), engine.WithNetNSFD(n.FD()))
	if err != nil {
		tb.Fatalf("rtnl: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// typedDumps are the contenders of a typed dump: each returns how many
// objects one dump gave.
func typedDumps(n *ns.NS, links bool) []struct {
	name string
	dump func(tb testing.TB) func() (int, error)
} {
	ctx := context.Background()
	type entry = struct {
		name string
		dump func(tb testing.TB) func() (int, error)
	}
	return []entry{
		{"nlengine", func(tb testing.TB) func() (int, error) {
			c := dialRtnl(tb, n)
			return func() (int, error) {
				count := 0
				if links {
					for _, err := range c.Links(ctx, rtnl.LinkFilter{}) {
						if err != nil {
							return count, err
						}
						count++
					}
					return count, nil
				}
				for _, err := range c.Addrs(ctx, rtnl.AddrFilter{}) {
					if err != nil {
						return count, err
					}
					count++
				}
				return count, nil
			}
		}},
		{"nlengine-stats", func(tb testing.TB) func() (int, error) {
			// The iterator asking for the statistics too, as the other
			// libraries' requests get them (nlengine leaves them out by
			// default).
			c := dialRtnl(tb, n)
			return func() (int, error) {
				count := 0
				if !links {
					return 0, errNoStats
				}
				for _, err := range c.Links(ctx, rtnl.LinkFilter{Stats: true}) {
					if err != nil {
						return count, err
					}
					count++
				}
				return count, nil
			}
		}},
		{"nlengine-list", func(tb testing.TB) func() (int, error) {
			c := dialRtnl(tb, n)
			return func() (int, error) {
				if links {
					ls, err := c.LinkList(ctx, rtnl.LinkFilter{})
					return len(ls), err
				}
				as, err := c.AddrList(ctx, rtnl.AddrFilter{})
				return len(as), err
			}
		}},
		{"vishvananda", func(tb testing.TB) func() (int, error) {
			h, err := netlink.NewHandleAt(nsHandle(n), unix.NETLINK_ROUTE)
			if err != nil {
				tb.Fatalf("vishvananda: %v", err)
			}
			tb.Cleanup(h.Close)
			return func() (int, error) {
				if links {
					ls, err := h.LinkList()
					return len(ls), err
				}
				as, err := h.AddrList(nil, netlink.FAMILY_ALL)
				return len(as), err
			}
		}},
		{"jsimonetti", func(tb testing.TB) func() (int, error) {
			c := connectJsimonetti(tb, n, 0)
			return func() (int, error) {
				if links {
					ls, err := c.Link.List()
					return len(ls), err
				}
				as, err := c.Address.List()
				return len(as), err
			}
		}},
	}
}

// errNoStats: addresses have no statistics to ask for.
var errNoStats = errors.New("addresses have no statistics")

func runTyped(b *testing.B, n *ns.NS, links bool, want int) {
	for _, d := range typedDumps(n, links) {
		if !links && d.name == "nlengine-stats" {
			continue
		}
		b.Run("lib="+d.name+"/level=typed", func(b *testing.B) {
			dump := d.dump(b)
			b.ReportAllocs()
			for b.Loop() {
				got, err := dump()
				must(b, err, "typed dump")
				if got != want {
					b.Fatalf("%d objects, want %d", got, want)
				}
			}
			reportPerMsg(b, want)
		})
	}
}

// BenchmarkLinkDumpTyped dumps the 1 001 links of BenchmarkLinkDump's
// namespace into each library's typed links.
func BenchmarkLinkDumpTyped(b *testing.B) {
	nsp, msgs := filledLinkNS(b, vethPairs)
	runTyped(b, nsp, true, msgs)
}

// BenchmarkAddrDumpTyped dumps 1 002 addresses (1 000 IPv4 addresses on a
// veth, and lo's two) into each library's typed addresses.
func BenchmarkAddrDumpTyped(b *testing.B) {
	runTyped(b, addrNS(b), false, 1002)
}

// addrNS returns a namespace with 1 000 IPv4 addresses on a veth va (and
// lo's two).
func addrNS(b *testing.B) *ns.NS {
	nsp := ns.New(b)
	c := dialRtnl(b, nsp)
	ctx := context.Background()
	if err := c.LinkAdd(ctx, &rtnl.Link{Name: "va", Kind: rtnl.KindVeth, Veth: rtnl.VethInfo{PeerName: "vb"}}); err != nil {
		b.Fatal(err)
	}
	va, err := c.LinkByName(ctx, "va")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		a := rtnl.Addr{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 16), LinkIndex: va.Index}
		if err := c.AddrAdd(ctx, &a); err != nil {
			b.Fatal(err)
		}
	}
	return nsp
}

// interleavedTyped runs every contender's dump once per iteration, in
// rotating order, and reports each one's median time per object and its
// median ratio to nlengine's iterator taken in the same iteration: on a
// shared, noisy machine a much steadier comparison than sub-benchmarks
// that run seconds apart.
func interleavedTyped(b *testing.B, n *ns.NS, links bool, want int) {
	var names []string
	var dumps []func() (int, error)
	for _, d := range typedDumps(n, links) {
		if d.name == "nlengine-stats" && !links {
			continue
		}
		names = append(names, d.name)
		dumps = append(dumps, d.dump(b))
	}
	times := make([][]float64, len(dumps))
	ratios := make([][]float64, len(dumps))
	round := 0
	for b.Loop() {
		d := make([]float64, len(dumps))
		for k := range dumps {
			i := (k + round) % len(dumps)
			start := time.Now()
			got, err := dumps[i]()
			d[i] = float64(time.Since(start).Nanoseconds()) / float64(want)
			must(b, err, "%s", names[i])
			if got != want {
				b.Fatalf("%s: %d objects, want %d", names[i], got, want)
			}
		}
		round++
		for i := range d {
			times[i] = append(times[i], d[i])
			ratios[i] = append(ratios[i], d[i]/d[0])
		}
	}
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	for i, name := range names {
		b.ReportMetric(median(times[i]), name+"-ns/msg")
		if i > 0 {
			b.ReportMetric(median(ratios[i]), name+"/nlengine")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLinkDumpTypedInterleaved compares the typed link dumps in the
// same iterations.
func BenchmarkLinkDumpTypedInterleaved(b *testing.B) {
	nsp, msgs := filledLinkNS(b, vethPairs)
	interleavedTyped(b, nsp, true, msgs)
}

// BenchmarkAddrDumpTypedInterleaved compares the typed address dumps in
// the same iterations.
func BenchmarkAddrDumpTypedInterleaved(b *testing.B) {
	interleavedTyped(b, addrNS(b), false, 1002)
}
