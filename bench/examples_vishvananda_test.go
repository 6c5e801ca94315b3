package bench

// The six everyday programs of rtnl/example_test.go (and the watcher of
// rtnl/event_example_test.go) written on github.com/vishvananda/netlink
// v1.3.1 as its users write them: the package-level functions, which work
// in the calling thread's namespace, and a Handle for another namespace.
// They compile in go test and go vet and are never run (no Output
// comment). TestExamplesNoLongerThanVishvananda compares their lengths.

import (
	"fmt"
	"log"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Every route of every table, IPv4 and IPv6.
func Example_vishvanandaRoutes() {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range routes {
		fmt.Println(r.Table, r.Type, r.Dst, r.Gw, r.LinkIndex, r.Protocol, r.Priority)
	}
}

// Every link with its addresses.
func Example_vishvanandaLinkList() {
	links, err := netlink.LinkList()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range links {
		a := l.Attrs()
		fmt.Println(a.Index, a.Name, l.Type(), a.OperState, a.MTU, a.HardwareAddr)
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			log.Fatal(err)
		}
		for _, addr := range addrs {
			fmt.Println("   ", addr.IPNet, addr.Scope, addr.Label)
		}
	}
}

// A watcher of link, address, route and neighbour changes.
func Example_vishvanandaEvents() {
	done := make(chan struct{})
	defer close(done)
	links := make(chan netlink.LinkUpdate)
	addrs := make(chan netlink.AddrUpdate)
	routes := make(chan netlink.RouteUpdate)
	neighs := make(chan netlink.NeighUpdate)
	if err := netlink.LinkSubscribe(links, done); err != nil {
		log.Fatal(err)
	}
	if err := netlink.AddrSubscribe(addrs, done); err != nil {
		log.Fatal(err)
	}
	if err := netlink.RouteSubscribe(routes, done); err != nil {
		log.Fatal(err)
	}
	if err := netlink.NeighSubscribe(neighs, done); err != nil {
		log.Fatal(err)
	}
	for {
		select {
		case u := <-links:
			fmt.Println("link", u.Header.Type == unix.RTM_DELLINK, u.Attrs().Index, u.Attrs().Name, u.Attrs().OperState)
		case u := <-addrs:
			fmt.Println("addr", !u.NewAddr, u.LinkIndex, u.LinkAddress)
		case u := <-routes:
			fmt.Println("route", u.Type == unix.RTM_DELROUTE, u.Table, u.Dst, u.Gw)
		case u := <-neighs:
			fmt.Println("neigh", u.Type == unix.RTM_DELNEIGH, u.LinkIndex, u.IP, u.HardwareAddr, u.State)
		}
	}
}

// 50 000 routes, each failure reported with its index (the library has no
// batch: one request and one acknowledgement per route).
func Example_vishvanandaApplyRoutes() {
	link, err := netlink.LinkByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	for i := range 50000 {
		dst := &net.IPNet{IP: net.IPv4(10, byte(i>>8), byte(i), 0), Mask: net.CIDRMask(24, 32)}
		if err := netlink.RouteAdd(&netlink.Route{Dst: dst, LinkIndex: link.Attrs().Index, Table: 100}); err != nil {
			fmt.Println(i, dst, err)
		}
	}
}

// A CNI-style veth pair: veth0 here, eth0 in the namespace ctr, each with
// an address and up; in ctr a default route through veth0's address and a
// multipath route over two gateways.
func Example_vishvanandaLinkAddVeth() {
	ctr, err := netns.GetFromName("ctr")
	if err != nil {
		log.Fatal(err)
	}
	defer ctr.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "veth0"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ctr)}
	if err := netlink.LinkAdd(veth); err != nil {
		log.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.0.0.1/24")
	if err := netlink.AddrAdd(veth, addr); err != nil {
		log.Fatal(err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		log.Fatal(err)
	}
	h, err := netlink.NewHandleAt(ctr)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	addr, _ = netlink.ParseAddr("10.0.0.2/24")
	if err := h.AddrAdd(eth0, addr); err != nil {
		log.Fatal(err)
	}
	if err := h.LinkSetUp(eth0); err != nil {
		log.Fatal(err)
	}
	gw := net.ParseIP("10.0.0.1")
	if err := h.RouteAdd(&netlink.Route{Gw: gw, LinkIndex: eth0.Attrs().Index}); err != nil {
		log.Fatal(err)
	}
	_, dst, _ := net.ParseCIDR("192.168.0.0/16")
	multipath := &netlink.Route{Dst: dst, MultiPath: []*netlink.NexthopInfo{
		{Gw: gw, LinkIndex: eth0.Attrs().Index, Hops: 0},
		{Gw: net.ParseIP("10.0.0.3"), LinkIndex: eth0.Attrs().Index, Hops: 1},
	}}
	if err := h.RouteAdd(multipath); err != nil {
		log.Fatal(err)
	}
}

// The neighbours (ARP and NDP entries) of one link.
func Example_vishvanandaNeighList() {
	link, err := netlink.LinkByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	neighs, err := netlink.NeighList(link.Attrs().Index, netlink.FAMILY_ALL)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range neighs {
		fmt.Println(n.IP, n.HardwareAddr, n.State)
	}
}
