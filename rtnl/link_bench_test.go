package rtnl

import (
	"fmt"
	"iter"
	"net/netip"
	"runtime"
	"testing"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// batch applies payloads as typ requests in one engine.Batch.
func batch(tb testing.TB, ec *engine.Conn, typ nlmsg.Type, flags nlmsg.Flags, payloads [][]byte) {
	tb.Helper()
	ops := make([]engine.Op, len(payloads))
	for i, p := range payloads {
		ops[i] = engine.Op{Type: typ, Flags: flags, Payload: p}
	}
	if err := ec.Batch(bg, ops); err != nil {
		tb.Fatal(err)
	}
}

// linksNS returns a namespace with 1 001 links: lo and 500 veth pairs,
// made by one Batch of 500 RTM_NEWLINK.
func linksNS(b *testing.B) *netnstest.NS {
	ns := netnstest.New(b)
	c := dialIn(b, ns)
	payloads := make([][]byte, 500)
	for i := range payloads {
		l := Link{Name: fmt.Sprintf("bv%d", i), Kind: KindVeth, Veth: VethInfo{PeerName: fmt.Sprintf("bp%d", i)}}
		payloads[i] = mustEncode(b)(l.appendAttrs(nlmsg.IfInfoMsg{}.AppendTo(nil)))
	}
	batch(b, c.Engine(), nlmsg.RTMNewLink, nlmsg.Create|nlmsg.Excl, payloads)
	links, err := c.LinkList(bg, LinkFilter{Kind: KindVeth}) // also interns the names
	if err != nil {
		b.Fatal(err)
	}
	// NB: the veths are deleted before the namespace goes, so that its
	// teardown does not run in the kernel during the next benchmark.
	b.Cleanup(func() {
		var dels [][]byte
		for _, l := range links {
			if l.Name[1] == 'v' { // deleting bv<i> deletes its peer bp<i>
				dels = append(dels, nlmsg.IfInfoMsg{Index: int32(l.Index)}.AppendTo(nil))
			}
		}
		batch(b, c.Engine(), nlmsg.RTMDelLink, 0, dels)
	})
	return ns
}

// perItem reports ns and allocations per dumped object; run it right
// after the timed loop with the MemStats taken before it.
func perItem(b *testing.B, before *runtime.MemStats, items int, unit string) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	total := float64(b.N) * float64(items)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/"+unit)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/"+unit)
}

// objectDump is one object's dump through the four paths its benchmarks
// compare: the raw floor decoding into one value, the engine's Dump with
// the same Decode, the in-place iterator and the list.
type objectDump[T any] struct {
	unit     string     // "link": the unit of the per-object metrics
	want     int        // objects in the namespace
	get, new nlmsg.Type // RTM_GET*, and the RTM_NEW* the dump answers with
	req      []byte     // the dump request
	decode   func(*T, []byte) error
	iter     func(*Conn) iter.Seq2[*T, error]
	list     func(*Conn) (int, error)
}

var dumpImpls = []string{"floor", "engine", "iter", "list"}

// impl returns a function that runs one dump by the path named impl, on
// floor f or Conn c, and returns how many objects it decoded. A failed
// dump fails b.
func (d *objectDump[T]) impl(b *testing.B, impl string, f *rawFloor, c *Conn) func() int {
	var v T
	switch impl {
	case "floor":
		each := decodeEach(d.new, func(p []byte) error { return d.decode(&v, p) })
		return func() int {
			n, err := f.dump(d.get, d.req, each)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	case "engine":
		return func() int {
			n := 0
			for m, err := range c.Engine().Dump(bg, d.get, d.req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				if m.Type() == d.new {
					if err := d.decode(&v, m.Payload()); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			return n
		}
	case "iter":
		return func() int {
			n := 0
			for _, err := range d.iter(c) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			return n
		}
	}
	return func() int {
		n, err := d.list(c)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// run runs the four paths as sub-benchmarks impl=floor, impl=engine,
// impl=iter and impl=list, each with its own socket, reporting ns and
// allocations per object.
func (d *objectDump[T]) run(b *testing.B, ns *netnstest.NS) {
	for _, impl := range dumpImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			var f *rawFloor
			var c *Conn
			if impl == "floor" {
				f = newRawFloor(b, ns)
			} else {
				c = dialIn(b, ns)
			}
			dump := d.impl(b, impl, f, c)
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportAllocs()
			for b.Loop() {
				if n := dump(); n != d.want {
					b.Fatalf("%d %ss, want %d", n, d.unit, d.want)
				}
			}
			perItem(b, &ms, d.want, d.unit)
		})
	}
}

// linkDump is the dump of linksNS's 1 001 links.
var linkDump = objectDump[Link]{
	unit: "link", want: 1001, get: nlmsg.RTMGetLink, new: nlmsg.RTMNewLink,
	req:    (&LinkFilter{}).dumpRequest(true),
	decode: (*Link).Decode,
	iter:   func(c *Conn) iter.Seq2[*Link, error] { return c.Links(bg, LinkFilter{}) },
	list:   func(c *Conn) (int, error) { ls, err := c.LinkList(bg, LinkFilter{}); return len(ls), err },
}

// BenchmarkLinkDump dumps 1 001 links decoded into rtnl.Link: by the raw
// floor, by the engine's Dump with Link.Decode, by Links (the in-place
// iterator) and by LinkList (owned values).
func BenchmarkLinkDump(b *testing.B) { linkDump.run(b, linksNS(b)) }

// addrsNS returns a namespace whose veth va holds 1 000 IPv4 addresses
// (one Batch of RTM_NEWADDR), 1 002 addresses with lo's two.
func addrsNS(b *testing.B) *netnstest.NS {
	ns := netnstest.New(b)
	c := dialIn(b, ns)
	if err := c.LinkAdd(bg, &Link{Name: "va", Kind: KindVeth, Veth: VethInfo{PeerName: "vb"}}); err != nil {
		b.Fatal(err)
	}
	va, err := c.LinkByName(bg, "va")
	if err != nil {
		b.Fatal(err)
	}
	payloads := make([][]byte, 1000)
	for i := range payloads {
		a := Addr{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 16), LinkIndex: va.Index, Label: "va"}
		payloads[i] = mustEncode(b)(a.appendTo(nil))
	}
	batch(b, c.Engine(), nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Excl, payloads)
	if _, err := c.AddrList(bg, AddrFilter{}); err != nil { // intern the labels
		b.Fatal(err)
	}
	return ns
}

// addrDump is the dump of addrsNS's 1 002 addresses.
var addrDump = objectDump[Addr]{
	unit: "addr", want: 1002, get: nlmsg.RTMGetAddr, new: nlmsg.RTMNewAddr,
	req:    (&AddrFilter{}).dumpRequest(true),
	decode: (*Addr).Decode,
	iter:   func(c *Conn) iter.Seq2[*Addr, error] { return c.Addrs(bg, AddrFilter{}) },
	list:   func(c *Conn) (int, error) { as, err := c.AddrList(bg, AddrFilter{}); return len(as), err },
}

// BenchmarkAddrDump dumps 1 002 addresses decoded into rtnl.Addr, by the
// same four paths as BenchmarkLinkDump.
func BenchmarkAddrDump(b *testing.B) { addrDump.run(b, addrsNS(b)) }
