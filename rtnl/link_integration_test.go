package rtnl

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// linkFixture makes, inside ns: a veth pair va/vb with va up, aliased,
// promiscuous, with two alternative names and its own GSO and GRO limits,
// a bridge br0 with vb as its port, a vxlan vx0 on va, a macvlan mv0 on
// va, a vepa macvtap mt0 on va asking for a shorter broadcast queue than
// mv0 uses, a multi-queue tap tp0 with an owner
// and a group, a tun tn0 with packet information, and a veth pair vc/vd
// whose end vd is moved to other (so vc's peer lives in another
// namespace).
func linkFixture(t *testing.T, ns, other *netnstest.NS) {
	t.Helper()
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipRun(t, ns, "link", "set", "va", "up", "mtu", "1400", "alias", "the a end", "group", "7", "txqlen", "321",
		"promisc", "on", "gso_max_size", "32000", "gso_max_segs", "100", "gro_max_size", "60000")
	ipRun(t, ns, "link", "property", "add", "dev", "va", "altname", "the-a-end-with-a-long-name", "altname", "va2")
	ipRun(t, ns, "link", "add", "br0", "type", "bridge", "forward_delay", "400", "hello_time", "300", "max_age", "1000", "ageing_time", "12000", "priority", "7")
	ipRun(t, ns, "link", "set", "vb", "master", "br0")
	ipRun(t, ns, "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "group", "239.1.1.1", "dev", "va", "local", "10.0.0.1", "ttl", "9")
	ipRun(t, ns, "link", "add", "vx6", "type", "vxlan", "id", "7", "remote", "2001:db8::9", "local", "2001:db8::1", "dstport", "8472")
	ipRun(t, ns, "link", "add", "mv0", "link", "va", "type", "macvlan", "mode", "bridge")
	ipRun(t, ns, "link", "add", "mt0", "link", "va", "type", "macvtap", "mode", "vepa", "bcqueuelen", "500")
	// A uid and gid no user or group has, which ip prints as numbers.
	ipRun(t, ns, "tuntap", "add", "mode", "tap", "name", "tp0", "user", "4242", "group", "4243", "multi_queue", "vnet_hdr")
	ipRun(t, ns, "tuntap", "add", "mode", "tun", "name", "tn0", "pi")
	ipRun(t, ns, "link", "add", "vc", "type", "veth", "peer", "name", "vd")
	ipRun(t, ns, "link", "set", "vd", "netns", nsPathForTools(other))
}

// TestIntegrationLinksAgreeWithIP compares every link of the fixture with
// `ip -j -d link show`, field by field.
func TestIntegrationLinksAgreeWithIP(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	linkFixture(t, ns, other)
	c := dialIn(t, ns)
	links, err := c.LinkList(bg, LinkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := ipJSON(t, ns, "-d", "link", "show")
	if len(links) != len(want) {
		t.Fatalf("%d links, ip shows %d", len(links), len(want))
	}
	byIndex := map[int]*Link{}
	for i := range links {
		byIndex[links[i].Index] = &links[i]
	}
	for _, w := range want {
		l := byIndex[int(num(w, "ifindex"))]
		if l == nil {
			t.Errorf("ip shows link %v, rtnl does not", w["ifname"])
			continue
		}
		checkLinkAgainstIP(t, l, w, byIndex)
	}
	// The fixture's awkward cases are all there.
	for name, kind := range map[string]string{"va": "veth", "vb": "veth", "br0": "bridge", "vx0": "vxlan", "vx6": "vxlan", "mv0": "macvlan",
		"mt0": "macvtap", "tp0": "tun", "tn0": "tun", "vc": "veth", "lo": ""} {
		l, err := c.LinkByName(bg, name)
		if err != nil || l.Kind != kind {
			t.Errorf("LinkByName(%s): kind %q, %v; want %q", name, l.Kind, err, kind)
		}
	}
	vc, _ := c.LinkByName(bg, "vc")
	if vc.NetNSID < 0 {
		t.Errorf("vc's peer is in another namespace, but NetNSID is %d", vc.NetNSID)
	}
}

func checkLinkAgainstIP(t *testing.T, l *Link, w map[string]any, byIndex map[int]*Link) {
	t.Helper()
	name := str(w, "ifname")
	eq := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("link %s: %s = %v, ip says %v", name, field, got, want)
		}
	}
	eq("name", l.Name, name)
	ipFlags := slices.DeleteFunc(strs(w, "flags"), func(s string) bool { return s == "M-DOWN" })
	eq("flags", l.Flags.Names(), ipFlags)
	eq("mtu", l.MTU, num(w, "mtu"))
	eq("min_mtu", l.MinMTU, num(w, "min_mtu"))
	eq("max_mtu", l.MaxMTU, num(w, "max_mtu"))
	eq("operstate", l.OperState, str(w, "operstate"))
	eq("address", l.HardwareAddr, str(w, "address"))
	eq("broadcast", l.Broadcast, str(w, "broadcast"))
	eq("txqlen", l.TxQLen, num(w, "txqlen"))
	eq("ifalias", l.Alias, str(w, "ifalias"))
	group := str(w, "group")
	if group == "default" {
		group = "0"
	}
	eq("group", l.Group, group)
	for key, v := range map[string]uint32{
		"promiscuity": l.Promiscuity, "allmulti": l.AllMulti,
		"num_tx_queues": l.NumTxQueues, "num_rx_queues": l.NumRxQueues,
		"gso_max_size": l.GSOMaxSize, "gso_max_segs": l.GSOMaxSegs, "gro_max_size": l.GROMaxSize,
		"tso_max_size": l.TSOMaxSize, "tso_max_segs": l.TSOMaxSegs,
	} {
		eq(key, v, num(w, key))
	}
	eq("altnames", l.AppendAltNames(nil), strs(w, "altnames"))
	// ip names the master and the parent; in another namespace it gives the
	// parent's index and the netns id instead.
	master := ""
	if m := byIndex[l.MasterIndex]; m != nil {
		master = m.Name
	}
	eq("master", master, str(w, "master"))
	if nsid := num(w, "link_netnsid"); nsid >= 0 {
		eq("link_netnsid", l.NetNSID, nsid)
		eq("link_index", l.ParentIndex, num(w, "link_index"))
	} else {
		parent := ""
		if p := byIndex[l.ParentIndex]; p != nil {
			parent = p.Name
		}
		eq("link", parent, str(w, "link"))
		eq("netnsid", l.NetNSID, -1)
	}
	info := obj(w, "linkinfo")
	eq("info_kind", l.Kind, str(info, "info_kind"))
	eq("info_slave_kind", l.PortKind, str(info, "info_slave_kind"))
	d := obj(info, "info_data")
	switch l.Kind {
	case KindBridge:
		b := l.Bridge
		eq("forward_delay", b.ForwardDelay, num(d, "forward_delay"))
		eq("hello_time", b.HelloTime, num(d, "hello_time"))
		eq("max_age", b.MaxAge, num(d, "max_age"))
		eq("ageing_time", b.AgeingTime, num(d, "ageing_time"))
		eq("stp_state", b.STPState, num(d, "stp_state"))
		eq("priority", b.Priority, num(d, "priority"))
		eq("vlan_filtering", b.VLANFiltering, num(d, "vlan_filtering") == 1)
		eq("mcast_snooping", b.MulticastSnooping, num(d, "mcast_snooping") == 1)
	case KindVXLAN:
		v := l.VXLAN
		eq("id", v.ID, num(d, "id"))
		eq("port", v.Port, num(d, "port"))
		group := str(d, "group")
		if group == "" {
			group = str(d, "remote")
		}
		if group == "" {
			group = str(d, "group6")
		}
		if group == "" {
			group = str(d, "remote6")
		}
		if v.Group.IsValid() || group != "" { // neither group nor remote: ip prints none
			eq("group", v.Group, group)
		}
		local := str(d, "local")
		if local == "" {
			local = str(d, "local6")
		}
		eq("local", v.Local, local)
		dev := ""
		if p := byIndex[v.LinkIndex]; p != nil {
			dev = p.Name
		}
		eq("link", dev, str(d, "link"))
		eq("ttl", v.TTL, num(d, "ttl"))
		eq("learning", v.Learning, d["learning"])
		eq("ageing", v.Ageing, num(d, "ageing"))
	case KindMACVLAN, KindMACVTAP:
		eq("mode", l.MACVLAN.Mode, str(d, "mode"))
		eq("bcqueuelen", l.MACVLAN.BCQueueLen, num(d, "bcqueuelen"))
		eq("usedbcqueuelen", l.MACVLAN.BCQueueLenUsed, num(d, "usedbcqueuelen"))
	case KindTun:
		u := l.Tun
		eq("type", u.Type, str(d, "type"))
		eq("pi", u.PI, d["pi"])
		eq("vnet_hdr", u.VNetHdr, d["vnet_hdr"])
		eq("multi_queue", u.MultiQueue, d["multi_queue"])
		eq("persist", u.Persist, d["persist"])
		eq("user", u.Owner, max(num(d, "user"), -1))
		eq("group", u.Group, max(num(d, "group"), -1))
		eq("numqueues", u.NumQueues, max(num(d, "numqueues"), 0))
		eq("numdisabled", u.NumDisabledQueues, max(num(d, "numdisabled"), 0))
	}
}

// TestIntegrationLinkFiltersKernelAndUserSpaceAgree runs each filter on a
// strict Conn (the kernel filters) and on a Conn without strict checking
// (user space filters) and wants the same links, which are the ones
// `ip link show` with the same filter prints.
func TestIntegrationLinkFiltersKernelAndUserSpaceAgree(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	linkFixture(t, ns, other)
	strict := dialIn(t, ns)
	loose := plainConn(t, ns)
	br, err := strict.LinkByName(bg, "br0")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f  LinkFilter
		ip []string
	}{
		{LinkFilter{Kind: "veth"}, []string{"link", "show", "type", "veth"}},
		{LinkFilter{Kind: "vxlan"}, []string{"link", "show", "type", "vxlan"}},
		{LinkFilter{Kind: "bond"}, nil}, // a kind whose driver is not built: the kernel does not filter
		{LinkFilter{MasterIndex: br.Index}, []string{"link", "show", "master", "br0"}},
		{LinkFilter{NoMaster: true}, []string{"link", "show", "nomaster"}},
		{LinkFilter{NoMaster: true, Kind: "veth"}, []string{"link", "show", "nomaster", "type", "veth"}},
		{LinkFilter{Name: "mv0"}, []string{"link", "show", "dev", "mv0"}},
		{LinkFilter{Name: "nosuch"}, nil},
		{LinkFilter{Name: "va", Kind: "bridge"}, nil},
	} {
		var want []string
		if c.ip != nil {
			for _, w := range ipJSON(t, ns, c.ip...) {
				want = append(want, str(w, "ifname"))
			}
		}
		if c.f.Name == "" && c.f.Kind != "bond" {
			// The kernel itself filtered: it sent only the matching links.
			if n := kernelCount(t, strict, nlmsg.RTMGetLink, c.f.dumpRequest(true), nlmsg.RTMNewLink); n != len(want) {
				t.Errorf("filter %+v: the kernel sent %d links, want %d", c.f, n, len(want))
			}
		}
		for _, conn := range []*Conn{strict, loose} {
			var got []string
			for l, err := range conn.Links(bg, c.f) {
				if err != nil {
					t.Fatalf("%+v: %v", c.f, err)
				}
				got = append(got, l.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v (strict %v): %v, want %v", c.f, conn.strict, got, want)
			}
		}
	}
}

func TestIntegrationLinkByIndexAndNameOfAMissingLink(t *testing.T) {
	c := dialIn(t, netnstest.New(t))
	lo, err := c.LinkByIndex(bg, 1)
	if err != nil || lo.Name != "lo" || lo.Flags&LinkLoopback == 0 {
		t.Fatalf("LinkByIndex(1) = %q %v, %v", lo.Name, lo.Flags, err)
	}
	var oe *engine.OpError
	if _, err := c.LinkByIndex(bg, 999); !errors.As(err, &oe) || !errors.Is(err, unix.ENODEV) {
		t.Fatalf("LinkByIndex(999): %v, want an *engine.OpError with ENODEV", err)
	}
	if _, err := c.LinkByName(bg, "nosuch"); !errors.As(err, &oe) || !errors.Is(err, unix.ENODEV) {
		t.Fatalf("LinkByName(nosuch): %v, want an *engine.OpError with ENODEV", err)
	}
}
