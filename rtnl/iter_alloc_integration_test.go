package rtnl

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// allocsPerDump counts the allocations of one full pass of dump.
func allocsPerDump(t *testing.T, dump func() int) (float64, int) {
	t.Helper()
	n := dump() // warm: intern the names, fill the pools
	return testing.AllocsPerRun(20, func() { dump() }), n
}

// TestIntegrationIteratorsAllocatePerDumpNotPerObject dumps a namespace
// with a few links, addresses and neighbours and one with 40 more of each:
// the iterators' allocations must not grow with the number of objects
// (0 per object once warm; what remains is per dump).
func TestIntegrationIteratorsAllocatePerDumpNotPerObject(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	small, big := netnstest.New(t), netnstest.New(t)
	for _, ns := range []*netnstest.NS{small, big} {
		ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
		ipRun(t, ns, "link", "set", "va", "up")
	}
	cb := dialIn(t, big)
	va := mustIndex(t, cb, "va")
	var links, addrs, neighs [][]byte
	for i := range 20 {
		l := Link{Name: fmt.Sprintf("x%d", i), Kind: KindVeth, Veth: VethInfo{PeerName: fmt.Sprintf("y%d", i)}}
		links = append(links, mustEncode(t)(l.appendAttrs(nlmsg.IfInfoMsg{}.AppendTo(nil))))
	}
	for i := range 40 {
		a := Addr{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 5, 0, byte(i + 1)}), 24), LinkIndex: va, Label: "va"}
		addrs = append(addrs, mustEncode(t)(a.appendTo(nil)))
		n := Neigh{Dst: netip.AddrFrom4([4]byte{10, 5, 1, byte(i + 1)}), LinkIndex: va, LLAddr: []byte{2, 0, 0, 0, 1, byte(i)}, State: NeighPermanent}
		neighs = append(neighs, mustEncode(t)(n.appendTo(nil, true)))
	}
	batch(t, cb.Engine(), nlmsg.RTMNewLink, nlmsg.Create|nlmsg.Excl, links)
	batch(t, cb.Engine(), nlmsg.RTMNewAddr, nlmsg.Create|nlmsg.Excl, addrs)
	batch(t, cb.Engine(), nlmsg.RTMNewNeigh, nlmsg.Create|nlmsg.Excl, neighs)
	for _, k := range []struct {
		what string
		dump func(c *Conn) int
	}{
		{"links", func(c *Conn) int {
			n := 0
			for _, err := range c.Links(bg, LinkFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}},
		{"addresses", func(c *Conn) int {
			n := 0
			for _, err := range c.Addrs(bg, AddrFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}},
		{"neighbours", func(c *Conn) int {
			n := 0
			for _, err := range c.Neighs(bg, NeighFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}},
	} {
		cs := dialIn(t, small)
		aSmall, nSmall := allocsPerDump(t, func() int { return k.dump(cs) })
		aBig, nBig := allocsPerDump(t, func() int { return k.dump(cb) })
		if nBig < nSmall+40 {
			t.Fatalf("%s: %d and %d objects: the fixture did not grow", k.what, nSmall, nBig)
		}
		if aBig > aSmall {
			t.Errorf("%s: a dump of %d allocates %.0f times, a dump of %d %.0f times", k.what, nSmall, aSmall, nBig, aBig)
		}
		t.Logf("%s: %.0f allocations per dump of %d, %.0f per dump of %d", k.what, aSmall, nSmall, aBig, nBig)
	}
}
