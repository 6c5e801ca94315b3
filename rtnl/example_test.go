package rtnl_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/rtnl"
)

// Every route of every table, IPv4 and IPv6, as ip route show table all
// lists them: default routes print 0.0.0.0/0 and ::/0, a route of table
// 1000 prints 1000.
func ExampleRoutes() {
	for r, err := range rtnl.Routes(context.Background(), rtnl.RouteFilter{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.Table, r.Type, r.Dst, r.Gateway, r.OIF, r.Protocol, r.Priority)
	}
}

// Every link with its addresses, as ip addr shows them.
func ExampleLinkList() {
	ctx := context.Background()
	links, err := rtnl.LinkList(ctx, rtnl.LinkFilter{})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range links {
		fmt.Println(l.Index, l.Name, l.Kind, l.OperState, l.MTU, l.HardwareAddr)
		for a, err := range rtnl.Addrs(ctx, rtnl.AddrFilter{LinkIndex: l.Index}) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("   ", a.Prefix, a.Scope, a.Label)
		}
	}
}

// 50 000 routes in one batch; each failure is reported by its index.
func ExampleApplyRoutes() {
	ctx := context.Background()
	link, err := rtnl.LinkByName(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	changes := make([]rtnl.RouteChange, 50000)
	for i := range changes {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		changes[i] = rtnl.RouteChange{Op: rtnl.ChangeAdd, Route: rtnl.Route{Dst: dst, OIF: link.Index, Table: 100}}
	}
	if err := rtnl.ApplyRoutes(ctx, changes); err != nil {
		fmt.Println(err) // how many failed, and the first
	}
	for i, ch := range changes {
		if ch.Err != nil {
			fmt.Println(i, ch.Route.Dst, ch.Err)
		}
	}
}

// A CNI-style veth pair: veth0 here, eth0 in the namespace ctr, each with
// an address and up; in ctr a default route through veth0's address and a
// multipath route over two gateways.
func ExampleLinkAdd_veth() {
	ctx := context.Background()
	ctr, err := os.Open("/run/netns/ctr")
	if err != nil {
		log.Fatal(err)
	}
	defer ctr.Close()
	veth := &rtnl.Link{Name: "veth0", Kind: rtnl.KindVeth, Veth: rtnl.VethInfo{PeerName: "eth0", PeerNetNSFD: int(ctr.Fd())}}
	if err := rtnl.LinkAdd(ctx, veth); err != nil {
		log.Fatal(err)
	}
	if err := rtnl.AddrAdd(ctx, &rtnl.Addr{LinkIndex: veth.Index, Prefix: netip.MustParsePrefix("10.0.0.1/24")}); err != nil {
		log.Fatal(err)
	}
	if err := rtnl.LinkSetUp(ctx, veth.Index); err != nil {
		log.Fatal(err)
	}
	cc, err := rtnl.Dial(ctx, engine.WithNetNSFD(int(ctr.Fd())))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	eth0, err := cc.LinkByName(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	if err := cc.AddrAdd(ctx, &rtnl.Addr{LinkIndex: eth0.Index, Prefix: netip.MustParsePrefix("10.0.0.2/24")}); err != nil {
		log.Fatal(err)
	}
	if err := cc.LinkSetUp(ctx, eth0.Index); err != nil {
		log.Fatal(err)
	}
	gw := netip.MustParseAddr("10.0.0.1")
	if err := cc.RouteAdd(ctx, &rtnl.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw, OIF: eth0.Index}); err != nil {
		log.Fatal(err)
	}
	multipath := &rtnl.Route{Dst: netip.MustParsePrefix("192.168.0.0/16"), Multipath: []rtnl.NextHop{
		{Gateway: gw, OIF: eth0.Index, Weight: 1},
		{Gateway: netip.MustParseAddr("10.0.0.3"), OIF: eth0.Index, Weight: 2},
	}}
	if err := cc.RouteAdd(ctx, multipath); err != nil {
		log.Fatal(err)
	}
}

// The neighbours (ARP and NDP entries) of one link, as ip neigh show dev
// eth0.
func ExampleNeighs() {
	ctx := context.Background()
	link, err := rtnl.LinkByName(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	for n, err := range rtnl.Neighs(ctx, rtnl.NeighFilter{LinkIndex: link.Index}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n.Dst, n.LLAddr, n.State)
	}
}
