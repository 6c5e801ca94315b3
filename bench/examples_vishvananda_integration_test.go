package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// The vishvananda twins of the everyday programs run for real, so that the
// line counts compare complete programs: the same code inside a private
// namespace (NS.Do puts the calling thread there, where vishvananda's
// package-level functions open their sockets), checked against ip -j.

func ipJSONIn(t *testing.T, n *ns.NS, args ...string) []map[string]any {
	t.Helper()
	out := n.Run(t, "ip", append([]string{"-j"}, args...)...)
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ip -j %v: %v: %s", args, err, out)
	}
	return v
}

func ipIn(t *testing.T, n *ns.NS, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		n.Run(t, "ip", strings.Fields(c)...)
	}
}

func TestIntegrationVishvanandaRoutesTwinListsWhatIPShows(t *testing.T) {
	n := ns.New(t)
	n.AddVeth(t, "eth0", "eth1")
	ipIn(t, n, "link set eth0 up", "link set eth1 up", "addr add 10.0.0.1/24 dev eth0",
		"-6 addr add fd00::1/64 dev eth0 nodad", "route add default via 10.0.0.254",
		"-6 route add default via fd00::fe", "route add 192.168.1.0/24 via 10.0.0.2 table 1000 proto bird metric 10")
	example := func() string {
		var out strings.Builder
		err := n.Do(func() error {
			routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
			if err != nil {
				return err
			}
			for _, r := range routes {
				fmt.Fprintln(&out, r.Table, r.Type, r.Dst, r.Gw, r.LinkIndex, r.Protocol, r.Priority)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	// The IPv6 link-local addresses' local routes come after their
	// duplicate address detection: compare once the tables hold still.
	var out string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out = example()
		want := len(ipJSONIn(t, n, "-4", "route", "show", "table", "all")) + len(ipJSONIn(t, n, "-6", "route", "show", "table", "all"))
		again := example()
		got := strings.Count(out, "\n")
		if got == want {
			break
		}
		if time.Now().After(deadline) || again == out && len(ipJSONIn(t, n, "addr", "show", "tentative")) == 0 {
			t.Fatalf("%d routes, ip route show table all (-4 and -6): %d\n%s", got, want, out)
		}
	}
	eth0 := n.LinkIndex(t, "eth0")
	for _, line := range []string{
		fmt.Sprintf("254 1 0.0.0.0/0 10.0.0.254 %d boot 0", eth0),
		fmt.Sprintf("254 1 ::/0 fd00::fe %d boot 1024", eth0),
		fmt.Sprintf("1000 1 192.168.1.0/24 10.0.0.2 %d bird 10", eth0),
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("no line %q in the output:\n%s", line, out)
		}
	}
}

func TestIntegrationVishvanandaApplyRoutesTwinReportsEachFailureByIndex(t *testing.T) {
	n := ns.New(t)
	n.AddVeth(t, "eth0", "eth1")
	ipIn(t, n, "link set eth0 up", "route add 10.0.0.0/24 dev eth0 table 100", "route add 10.0.7.0/24 dev eth0 table 100")
	var failed []int
	err := n.Do(func() error {
		link, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		for i := range 2000 {
			dst := &net.IPNet{IP: net.IPv4(10, byte(i>>8), byte(i), 0), Mask: net.CIDRMask(24, 32)}
			if err := netlink.RouteAdd(&netlink.Route{Dst: dst, LinkIndex: link.Attrs().Index, Table: 100}); err != nil {
				if !errors.Is(err, unix.EEXIST) {
					return fmt.Errorf("route %d (%v): %w", i, dst, err)
				}
				failed = append(failed, i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(failed, []int{0, 7}) {
		t.Errorf("failed routes %v, want [0 7]", failed)
	}
	if got := len(ipJSONIn(t, n, "route", "show", "table", "100")); got != 2000 {
		t.Errorf("ip route show table 100: %d routes, want 2000", got)
	}
}

func TestIntegrationVishvanandaVethTwinShowsInBothNamespaces(t *testing.T) {
	hostNS, ctrNS := ns.New(t), ns.New(t)
	err := hostNS.Do(func() error {
		ctr := netns.NsHandle(ctrNS.FD()) // netns.GetFromName("ctr") in the example
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "veth0"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ctr)}
		if err := netlink.LinkAdd(veth); err != nil {
			return err
		}
		addr, _ := netlink.ParseAddr("10.0.0.1/24")
		if err := netlink.AddrAdd(veth, addr); err != nil {
			return err
		}
		if err := netlink.LinkSetUp(veth); err != nil {
			return err
		}
		h, err := netlink.NewHandleAt(ctr)
		if err != nil {
			return err
		}
		defer h.Close()
		eth0, err := h.LinkByName("eth0")
		if err != nil {
			return err
		}
		addr, _ = netlink.ParseAddr("10.0.0.2/24")
		if err := h.AddrAdd(eth0, addr); err != nil {
			return err
		}
		if err := h.LinkSetUp(eth0); err != nil {
			return err
		}
		gw := net.ParseIP("10.0.0.1")
		if err := h.RouteAdd(&netlink.Route{Gw: gw, LinkIndex: eth0.Attrs().Index}); err != nil {
			return err
		}
		_, dst, _ := net.ParseCIDR("192.168.0.0/16")
		multipath := &netlink.Route{Dst: dst, MultiPath: []*netlink.NexthopInfo{
			{Gw: gw, LinkIndex: eth0.Attrs().Index, Hops: 0},
			{Gw: net.ParseIP("10.0.0.3"), LinkIndex: eth0.Attrs().Index, Hops: 1},
		}}
		return h.RouteAdd(multipath)
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, side := range []struct {
		n          *ns.NS
		name, addr string
	}{{hostNS, "veth0", "10.0.0.1/24"}, {ctrNS, "eth0", "10.0.0.2/24"}} {
		l := ipJSONIn(t, side.n, "addr", "show", "dev", side.name)
		if len(l) != 1 {
			t.Fatalf("ip addr show dev %s: %v", side.name, l)
		}
		flags, _ := json.Marshal(l[0]["flags"])
		if !strings.Contains(string(flags), `"UP"`) {
			t.Errorf("%s: flags %s, want UP", side.name, flags)
		}
		var addrs []string
		for _, ai := range l[0]["addr_info"].([]any) {
			a := ai.(map[string]any)
			if a["family"] == "inet" {
				addrs = append(addrs, fmt.Sprintf("%v/%v", a["local"], a["prefixlen"]))
			}
		}
		if !slices.Equal(addrs, []string{side.addr}) {
			t.Errorf("%s: IPv4 addresses %v, want [%s]", side.name, addrs, side.addr)
		}
	}
	def := ipJSONIn(t, ctrNS, "route", "show", "default")
	if len(def) != 1 || def[0]["gateway"] != "10.0.0.1" || def[0]["dev"] != "eth0" {
		t.Errorf("ip route show default: %v, want via 10.0.0.1 dev eth0", def)
	}
	mp := ipJSONIn(t, ctrNS, "route", "show", "192.168.0.0/16")
	if len(mp) != 1 {
		t.Fatalf("ip route show 192.168.0.0/16: %v", mp)
	}
	var hops []string
	for _, h := range mp[0]["nexthops"].([]any) {
		m := h.(map[string]any)
		hops = append(hops, fmt.Sprintf("%v dev %v weight %v", m["gateway"], m["dev"], m["weight"]))
	}
	if want := []string{"10.0.0.1 dev eth0 weight 1", "10.0.0.3 dev eth0 weight 2"}; !slices.Equal(hops, want) {
		t.Errorf("multipath next hops %v, want %v", hops, want)
	}
}

func TestIntegrationVishvanandaLinkListTwinShowsEachLinkWithItsAddresses(t *testing.T) {
	n := ns.New(t)
	n.AddVeth(t, "eth0", "eth1")
	ipIn(t, n, "link set eth0 up", "addr add 10.0.0.1/24 dev eth0", "addr add 10.0.1.1/24 dev eth0 label eth0:1",
		"-6 addr add fd00::1/64 dev eth0 nodad", "addr add 10.1.0.1/30 dev eth1")
	got := map[string][]string{}
	err := n.Do(func() error {
		links, err := netlink.LinkList()
		if err != nil {
			return err
		}
		for _, l := range links {
			a := l.Attrs()
			_ = fmt.Sprintln(a.Index, a.Name, l.Type(), a.OperState, a.MTU, a.HardwareAddr)
			addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
			if err != nil {
				return err
			}
			got[a.Name] = []string{}
			for _, addr := range addrs {
				got[a.Name] = append(got[a.Name], addr.IPNet.String())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, l := range ipJSONIn(t, n, "addr", "show") {
		name := l["ifname"].(string)
		want[name] = []string{}
		for _, ai := range l["addr_info"].([]any) {
			a := ai.(map[string]any)
			want[name] = append(want[name], fmt.Sprintf("%v/%v", a["local"], a["prefixlen"]))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d links, ip addr shows %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s: addresses %v, ip addr show: %v", name, g, w)
		}
	}
}

func TestIntegrationVishvanandaNeighListTwinShowsTheLinksNeighbours(t *testing.T) {
	n := ns.New(t)
	n.AddVeth(t, "eth0", "eth1")
	ipIn(t, n, "link set eth0 up", "link set eth1 up", "addr add 10.0.0.1/24 dev eth0", "addr add 10.0.1.1/24 dev eth1",
		"neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent",
		"neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev eth0 nud reachable",
		"neigh add fd00::9 lladdr 02:00:00:00:00:19 dev eth0 nud permanent",
		"neigh add 10.0.1.9 lladdr 02:00:00:00:00:29 dev eth1 nud permanent")
	example := func() []string {
		var got []string
		err := n.Do(func() error {
			link, err := netlink.LinkByName("eth0")
			if err != nil {
				return err
			}
			neighs, err := netlink.NeighList(link.Attrs().Index, netlink.FAMILY_ALL)
			if err != nil {
				return err
			}
			for _, n := range neighs {
				got = append(got, fmt.Sprintln(n.IP, n.HardwareAddr))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// IPv6 multicast entries (ff02::16) come and go on their own: compare
	// until two readings agree.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, want := example(), []string(nil)
		for _, m := range ipJSONIn(t, n, "neigh", "show", "dev", "eth0", "nud", "all") {
			lladdr, _ := m["lladdr"].(string)
			want = append(want, fmt.Sprintln(m["dst"], lladdr))
		}
		slices.Sort(got)
		slices.Sort(want)
		if slices.Equal(got, want) && len(got) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("neighbours of eth0:\n%v\nip neigh show dev eth0 nud all:\n%v", got, want)
		}
	}
}

func TestIntegrationVishvanandaEventsTwinSeesWhatIPChanges(t *testing.T) {
	n := ns.New(t)
	done := make(chan struct{})
	defer close(done)
	links := make(chan netlink.LinkUpdate)
	addrs := make(chan netlink.AddrUpdate)
	routes := make(chan netlink.RouteUpdate)
	neighs := make(chan netlink.NeighUpdate)
	err := n.Do(func() error { // the subscriptions' sockets open in the namespace
		if err := netlink.LinkSubscribe(links, done); err != nil {
			return err
		}
		if err := netlink.AddrSubscribe(addrs, done); err != nil {
			return err
		}
		if err := netlink.RouteSubscribe(routes, done); err != nil {
			return err
		}
		return netlink.NeighSubscribe(neighs, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		for {
			select {
			case u := <-links:
				lines <- fmt.Sprintln("link", u.Header.Type == unix.RTM_DELLINK, u.Attrs().Name)
			case u := <-addrs:
				lines <- fmt.Sprintln("addr", !u.NewAddr, u.LinkAddress.String())
			case u := <-routes:
				lines <- fmt.Sprintln("route", u.Type == unix.RTM_DELROUTE, u.Table, u.Dst, u.Gw)
			case u := <-neighs:
				lines <- fmt.Sprintln("neigh", u.Type == unix.RTM_DELNEIGH, u.IP, u.HardwareAddr)
			case <-done:
				return
			}
		}
	}()

	n.AddVeth(t, "eth0", "eth1")
	ipIn(t, n, "link set eth0 up", "addr add 10.0.0.1/24 dev eth0",
		"route add 192.168.0.0/16 via 10.0.0.2 table 1000",
		"neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent",
		"route del 192.168.0.0/16 table 1000", "link del eth0")
	// Each kind comes on its own socket and channel: the kinds arrive in
	// any order, each kind's own in order.
	want := map[string]bool{
		"link false eth0": true, "addr false 10.0.0.1/24": true, "route false 1000 192.168.0.0/16 10.0.0.2": true,
		"neigh false 10.0.0.9 02:00:00:00:00:09": true, "route true 1000 192.168.0.0/16 10.0.0.2": true, "link true eth0": true,
	}
	timeout := time.After(10 * time.Second)
	var seen []string
	for len(want) > 0 {
		select {
		case l := <-lines:
			seen = append(seen, l)
			if l == "route true 1000 192.168.0.0/16 10.0.0.2\n" && want["route false 1000 192.168.0.0/16 10.0.0.2"] {
				t.Errorf("the route's deletion came before its addition")
			}
			delete(want, strings.TrimSuffix(l, "\n"))
		case <-timeout:
			t.Fatalf("no %v in time; seen:\n%s", want, strings.Join(seen, ""))
		}
	}
}
