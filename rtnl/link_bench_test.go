package rtnl

import (
	"fmt"
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

// BenchmarkLinkDump dumps 1 001 links decoded into rtnl.Link: by the raw
// floor, by the engine's Dump with Link.Decode, by Links (the in-place
// iterator) and by LinkList (owned values).
func BenchmarkLinkDump(b *testing.B) {
	ns := linksNS(b)
	const want = 1001
	req := (&LinkFilter{}).dumpRequest(true)
	check := func(b *testing.B, n int) {
		if n != want {
			b.Fatalf("%d links, want %d", n, want)
		}
	}
	b.Run("impl=floor", func(b *testing.B) {
		f := newRawFloor(b, ns)
		var l Link
		decode := decodeEach(nlmsg.RTMNewLink, func(p []byte) error { return l.Decode(p) })
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n, err := f.dump(nlmsg.RTMGetLink, req, decode)
			if err != nil {
				b.Fatal(err)
			}
			check(b, n)
		}
		perItem(b, &ms, want, "link")
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		var l Link
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for m, err := range c.Engine().Dump(bg, nlmsg.RTMGetLink, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				if m.Type() == nlmsg.RTMNewLink {
					if err := l.Decode(m.Payload()); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			check(b, n)
		}
		perItem(b, &ms, want, "link")
	})
	b.Run("impl=iter", func(b *testing.B) {
		c := dialIn(b, ns)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Links(bg, LinkFilter{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			check(b, n)
		}
		perItem(b, &ms, want, "link")
	})
	b.Run("impl=list", func(b *testing.B) {
		c := dialIn(b, ns)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			ls, err := c.LinkList(bg, LinkFilter{})
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(ls))
		}
		perItem(b, &ms, want, "link")
	})
}

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

// BenchmarkAddrDump dumps 1 002 addresses decoded into rtnl.Addr, by the
// same four paths as BenchmarkLinkDump.
func BenchmarkAddrDump(b *testing.B) {
	ns := addrsNS(b)
	const want = 1002
	req := (&AddrFilter{}).dumpRequest(true)
	check := func(b *testing.B, n int) {
		if n != want {
			b.Fatalf("%d addresses, want %d", n, want)
		}
	}
	b.Run("impl=floor", func(b *testing.B) {
		f := newRawFloor(b, ns)
		var a Addr
		decode := decodeEach(nlmsg.RTMNewAddr, func(p []byte) error { return a.Decode(p) })
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n, err := f.dump(nlmsg.RTMGetAddr, req, decode)
			if err != nil {
				b.Fatal(err)
			}
			check(b, n)
		}
		perItem(b, &ms, want, "addr")
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		var a Addr
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for m, err := range c.Engine().Dump(bg, nlmsg.RTMGetAddr, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				if m.Type() == nlmsg.RTMNewAddr {
					if err := a.Decode(m.Payload()); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			check(b, n)
		}
		perItem(b, &ms, want, "addr")
	})
	b.Run("impl=iter", func(b *testing.B) {
		c := dialIn(b, ns)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Addrs(bg, AddrFilter{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			check(b, n)
		}
		perItem(b, &ms, want, "addr")
	})
	b.Run("impl=list", func(b *testing.B) {
		c := dialIn(b, ns)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportAllocs()
		for b.Loop() {
			as, err := c.AddrList(bg, AddrFilter{})
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(as))
		}
		perItem(b, &ms, want, "addr")
	})
}
