package mirror

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// TestIntegrationMirrorLinksMovedDuringAStorm: while the storm overruns a
// mirror with a 64 KiB receive buffer (so that it resyncs), a link with
// routes of both families, an address and a neighbour moves to another
// namespace and back, again and again; the mirror ends equal to a fresh
// Snapshot, with none of the routes the moves removed silently.
func TestIntegrationMirrorLinksMovedDuringAStorm(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	stormFixture(t, ns)
	ns.AddVeth(t, "mv0", "mv1")
	ns.Run(t, "ip", "link", "set", "mv1", "up")
	m := start(t, ns, Config{ReceiveBuffer: 64 << 10})
	c, oc := dialIn(t, ns), dialIn(t, other)
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	mv1 := ns.LinkIndex(t, "mv1")

	var wg sync.WaitGroup
	wg.Go(func() {
		for round := 0; round < 12; round++ {
			// Back home: its address, routes and neighbour again.
			c.LinkSetUp(ctx, mv1)
			c.AddrAdd(ctx, &rtnl.Addr{LinkIndex: mv1, Prefix: netip.MustParsePrefix("10.88.0.1/24")})
			c.AddrAdd(ctx, &rtnl.Addr{LinkIndex: mv1, Prefix: netip.MustParsePrefix("fd88::1/64"), Flags: rtnl.AddrNoDAD})
			var ch []rtnl.RouteChange
			for i := 0; i < 40; i++ {
				ch = append(ch,
					rtnl.RouteChange{Op: rtnl.ChangeReplace, Route: rtnl.Route{Family: rtnl.FamilyIPv4, Table: 400,
						Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 89, byte(round), byte(i)}), 32), OIF: mv1}},
					rtnl.RouteChange{Op: rtnl.ChangeReplace, Route: rtnl.Route{Family: rtnl.FamilyIPv6, Table: 400,
						Dst: netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0x89, 2: byte(round), 15: byte(i)}), 128), OIF: mv1}})
			}
			c.ApplyRoutes(ctx, ch)
			c.NeighAdd(ctx, &rtnl.Neigh{LinkIndex: mv1, Dst: netip.MustParseAddr("10.88.0.2"), LLAddr: []byte{2, 0, 0, 0, 0x88, 2}})
			time.Sleep(3 * time.Millisecond)
			if err := c.LinkSetNetNS(ctx, mv1, other.FD()); err != nil {
				t.Errorf("moving mv1 out: %v", err)
				return
			}
			time.Sleep(3 * time.Millisecond)
			if err := oc.LinkSetNetNS(ctx, mv1, ns.FD()); err != nil {
				t.Errorf("moving mv1 back: %v", err)
				return
			}
		}
		// Out for good, with what it had on its last visit.
		c.LinkSetUp(ctx, mv1)
		c.ApplyRoutes(ctx, []rtnl.RouteChange{{Op: rtnl.ChangeReplace, Route: rtnl.Route{Family: rtnl.FamilyIPv4, Table: 400,
			Dst: netip.MustParsePrefix("10.89.99.0/24"), OIF: mv1}}})
		if err := c.LinkSetNetNS(ctx, mv1, other.FD()); err != nil {
			t.Errorf("moving mv1 out: %v", err)
		}
	})
	wg.Go(func() { storm(t, ns, *stormRoutes) })
	wg.Wait()
	converge(t, m, c, *within)
	convergeSnapshot(t, m, c, *within)
	s := m.Stats()
	if s.Losses == 0 {
		t.Fatalf("no loss with a 64 KiB buffer: the case tests nothing: %+v", s)
	}
	t.Logf("losses %d, resyncs %v, corrections %v", s.Losses, s.Resyncs, s.Corrections)
}

// TestIntegrationMirrorLinkMovedDuringASync moves a link with routes of
// both families, addresses and a neighbour to another namespace from
// OnChange, that is in the middle of the initial sync: once its first
// link, address, IPv4 route, IPv6 route or neighbour is stored. Whatever
// the dumps had read of it, nothing of it stays in the mirror.
func TestIntegrationMirrorLinkMovedDuringASync(t *testing.T) {
	for _, during := range []Kind{KindLink, KindAddr, KindRoute, KindNeigh} {
		for _, v6 := range []bool{false, true} {
			if v6 && during != KindRoute {
				continue
			}
			name := during.String()
			if during == KindRoute {
				name += map[bool]string{false: "4", true: "6"}[v6]
			}
			t.Run(name, func(t *testing.T) {
				ns, other := netnstest.New(t), netnstest.New(t)
				fixture(t, ns)
				ns.AddVeth(t, "mv0", "mv1")
				for _, c := range []string{
					"link set mv1 up", "addr add 10.88.0.1/24 dev mv1", "-6 addr add fd88::1/64 dev mv1 nodad",
					"route add 10.89.0.0/16 via 10.88.0.2 table 400", "-6 route add fd89::/48 via fd88::2 table 400",
					"route add 10.90.0.0/16 nexthop via 10.88.0.2 nexthop via 10.0.0.2",
					"-6 route add fd90::/48 nexthop via fd88::2 nexthop via fd00::2",
					"neigh add 10.88.0.2 lladdr 02:00:00:00:88:02 dev mv1",
				} {
					ns.Run(t, "ip", strings.Fields(c)...)
				}
				c := dialIn(t, ns)
				mv1 := ns.LinkIndex(t, "mv1")
				var moved bool
				var moveErr error
				m := start(t, ns, Config{OnChange: func(ch *Change) {
					if moved || ch.Op != Added || ch.Kind != during ||
						(during == KindRoute && (ch.NewRoute.Family == rtnl.FamilyIPv6) != v6) {
						return
					}
					moved = true
					moveErr = c.LinkSetNetNS(bg, mv1, other.FD())
				}})
				if !moved || moveErr != nil {
					t.Fatalf("moved %v: %v", moved, moveErr)
				}
				convergeSnapshot(t, m, c, time.Second)
				converge(t, m, c, time.Second)
				m.View(func(s *Snapshot) {
					if _, ok := s.Link(mv1); ok {
						t.Error("the moved link is held")
					}
					for r := range s.Routes(rtnl.RouteFilter{OIF: mv1}) {
						t.Errorf("a route through the moved link is held: %s", routeLine(r))
					}
				})
			})
		}
	}
}

// TestIntegrationMirrorSaysWhereAMovedLinkWent: the Removed change of a
// link moved to another namespace carries the kernel's NewNetNSID (the
// id this namespace gives the other) and NewIndex (its index there);
// that of a link deleted carries -1 and 0.
func TestIntegrationMirrorSaysWhereAMovedLinkWent(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	ns.AddVeth(t, "mv0", "mv1")
	ns.AddVeth(t, "dl0", "dl1")
	var mu sync.Mutex
	removed := map[string]rtnl.Link{}
	m := start(t, ns, Config{OnChange: func(ch *Change) {
		if ch.Op == Removed && ch.Kind == KindLink {
			mu.Lock()
			removed[ch.OldLink.Name] = *ch.OldLink
			mu.Unlock()
		}
	}})
	c := dialIn(t, ns)
	mv1 := ns.LinkIndex(t, "mv1")
	if err := c.LinkSetNetNS(bg, mv1, other.FD()); err != nil {
		t.Fatal(err)
	}
	ns.Run(t, "ip", "link", "del", "dl0")
	convergeSnapshot(t, m, c, time.Second)
	var nsid int32 = -1
	var shown []map[string]any
	if err := json.Unmarshal(ns.Run(t, "ip", "-j", "link", "show", "mv0"), &shown); err != nil {
		t.Fatal(err)
	}
	for _, l := range shown {
		if v, ok := l["link_netnsid"].(float64); ok {
			nsid = int32(v) // mv0's peer is in the other namespace now
		}
	}
	mu.Lock()
	defer mu.Unlock()
	mv, dl := removed["mv1"], removed["dl1"]
	if nsid < 0 || mv.NewNetNSID != nsid || mv.NewIndex != other.LinkIndex(t, "mv1") {
		t.Errorf("moved mv1: new nsid %d, new index %d; want nsid %d (ip's link-netnsid of mv0) and index %d", mv.NewNetNSID, mv.NewIndex, nsid, other.LinkIndex(t, "mv1"))
	}
	if dl.Name != "dl1" || dl.NewNetNSID != -1 || dl.NewIndex != 0 {
		t.Errorf("deleted dl1: %q, new nsid %d, new index %d; want -1 and 0", dl.Name, dl.NewNetNSID, dl.NewIndex)
	}
}
