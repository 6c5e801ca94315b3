package rtnl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// listenIn dials a Conn inside ns that joined every event group.
func listenIn(tb testing.TB, ns *netnstest.NS, opts ...engine.Option) *Conn {
	tb.Helper()
	c, err := Dial(context.Background(), append([]engine.Option{engine.WithNetNSFD(ns.FD()), engine.WithGroups(EventGroups...)}, opts...)...)
	if err != nil {
		tb.Fatalf("rtnl.Dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// eventLine summarises an event as a line such as "route del 10.9.0.0/16".
func eventLine(e *Event) string {
	op := "new"
	if e.Deleted {
		op = "del"
	}
	switch e.Kind {
	case EventLink:
		return fmt.Sprintf("link %s %s", op, e.Link.Name)
	case EventAddr:
		return fmt.Sprintf("addr %s %s", op, e.Addr.Prefix)
	case EventRoute:
		return fmt.Sprintf("route %s %s table %d", op, e.Route.Dst, e.Route.Table)
	case EventNeigh:
		return fmt.Sprintf("neigh %s %s", op, e.Neigh.Dst)
	case EventRule:
		return fmt.Sprintf("rule %s %d", op, e.Rule.Priority)
	}
	return e.Kind.String()
}

// TestIntegrationEventsOfEveryKind changes one object of each kind with ip
// and expects its NEW and DEL notifications, decoded, in order.
func TestIntegrationEventsOfEveryKind(t *testing.T) {
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns.AddVeth(t, "ev0", "ev1")
	for _, cmd := range [][]string{
		{"addr", "add", "10.7.0.1/24", "dev", "ev0"},
		{"route", "add", "10.8.0.0/16", "via", "10.7.0.2", "table", "1000"},
		{"route", "del", "10.8.0.0/16", "via", "10.7.0.2", "table", "1000"},
		{"-6", "route", "add", "2001:db8:5::/48", "dev", "ev0"},
		{"neigh", "add", "10.7.0.9", "lladdr", "02:00:00:00:00:09", "dev", "ev0"},
		{"neigh", "del", "10.7.0.9", "dev", "ev0"},
		{"rule", "add", "fwmark", "7", "table", "1000", "prio", "777"},
		{"rule", "del", "prio", "777"},
		{"addr", "del", "10.7.0.1/24", "dev", "ev0"},
	} {
		ns.Run(t, "ip", cmd...)
	}
	want := []string{
		"addr new 10.7.0.1/24",
		"route new 10.8.0.0/16 table 1000",
		"route del 10.8.0.0/16 table 1000",
		"route new 2001:db8:5::/48 table 254",
		"neigh new 10.7.0.9",
		"neigh del 10.7.0.9",
		"rule new 777",
		"rule del 777",
		"addr del 10.7.0.1/24",
	}
	next := 0
	sawLink := false
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("after %d of the expected events: %v", next, err)
		}
		line := eventLine(e)
		if e.Kind == EventLink && e.Link.Name == "ev0" {
			sawLink = true
		}
		if line == want[next] {
			if next++; next == len(want) {
				break
			}
		}
	}
	if !sawLink {
		t.Error("no link event for ev0")
	}
}

// TestIntegrationEventsOverrunIsAnEvent fills a tiny receive buffer with
// route notifications nobody reads, then reads: the loss arrives as an
// EventOverrun (ENOBUFS), and the stream goes on to deliver what follows.
func TestIntegrationEventsOverrunIsAnEvent(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "ov0", "ov1")
	ns.Run(t, "ip", "addr", "add", "10.6.0.1/24", "dev", "ov0")
	c := listenIn(t, ns, engine.WithReceiveBuffer(4096), engine.WithNotificationQueue(64<<10))
	w := dialIn(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes := make([]RouteChange, 2000)
	for i := range changes {
		changes[i] = RouteChange{Op: ChangeAdd, Route: Route{Family: FamilyIPv4, Table: 100,
			Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 50, byte(i >> 8), byte(i)}), 32), OIF: ns.LinkIndex(t, "ov0")}}
	}
	if err := w.ApplyRoutes(ctx, changes); err != nil {
		t.Fatal(err)
	}
	overruns, tail := 0, false
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("stream ended: %v (overruns %d)", err, overruns)
		}
		if e.Kind == EventOverrun {
			if !IsOverrun(e.Err) {
				t.Fatalf("overrun event with error %v", e.Err)
			}
			if overruns++; overruns == 1 {
				// One route added after the loss, that must still arrive.
				ns.Run(t, "ip", "route", "add", "10.51.0.0/16", "dev", "ov0", "table", "101")
			}
			continue
		}
		if e.Kind == EventRoute && e.Route.Table == 101 {
			tail = true
			break
		}
	}
	if overruns == 0 || !tail {
		t.Fatalf("overruns %d, route after the storm seen %v", overruns, tail)
	}
}

// TestIntegrationEventsEndWithTheContext: the stream ends with ctx's error.
func TestIntegrationEventsEndWithTheContext(t *testing.T) {
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var last error
	for e, err := range c.Events(ctx) {
		if e != nil {
			continue
		}
		last = err
	}
	if !errors.Is(last, context.DeadlineExceeded) {
		t.Fatalf("last error %v, want the deadline", last)
	}
}

// TestIntegrationEventDecodeAllocatesNothing decodes real route, address
// and link notifications into one Event again and again.
func TestIntegrationEventDecodeAllocatesNothing(t *testing.T) {
	if skipAllocs {
		t.Skip("the race detector allocates")
	}
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ns.AddVeth(t, "al0", "al1")
	ns.Run(t, "ip", "addr", "add", "10.5.0.1/24", "dev", "al0")
	ns.Run(t, "ip", "route", "add", "10.4.0.0/16", "via", "10.5.0.2", "metric", "5", "mtu", "1400")
	ns.Run(t, "ip", "route", "add", "10.3.0.0/16", "nexthop", "via", "10.5.0.2", "weight", "2", "nexthop", "via", "10.5.0.3")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var msgs [][]byte
	for v, err := range c.Engine().Notifications(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, append([]byte(nil), v.Bytes()...))
		if v.Type() == nlmsg.RTMNewRoute && len(msgs) > 3 {
			var r Route
			r.Decode(v.Payload())
			if len(r.Multipath) == 2 {
				break
			}
		}
	}
	views := make([]nlmsg.View, len(msgs))
	for i, m := range msgs {
		v, err := nlmsg.ViewOf(m)
		if err != nil {
			t.Fatal(err)
		}
		views[i] = v
	}
	var e Event
	for _, v := range views {
		if err := e.DecodeMessage(v); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, v := range views {
			e.DecodeMessage(v)
		}
	}); n != 0 {
		t.Fatalf("%v allocations decoding %d notifications", n, len(views))
	}
}

// TestIntegrationEventsOfPortsAndMovedLinks: a port leaving its bridge is
// an RTM_DELLINK of family bridge, a link moved to another namespace an
// RTM_DELLINK carrying its new namespace id and index (ip monitor's
// new-netnsid, new-ifindex), a link deleted an RTM_DELLINK with neither;
// the other namespace sees the moved link arrive and nothing of the first
// namespace's own links.
func TestIntegrationEventsOfPortsAndMovedLinks(t *testing.T) {
	ns, other := netnstest.New(t), netnstest.New(t)
	c, oc := listenIn(t, ns), listenIn(t, other)
	ns.AddVeth(t, "pm0", "pm1")
	ipRun(t, ns, "link", "add", "pmbr", "type", "bridge")
	ipRun(t, ns, "link", "set", "pm0", "master", "pmbr")
	ipRun(t, ns, "link", "set", "pm0", "nomaster")
	pm0, pm1, br := ns.LinkIndex(t, "pm0"), ns.LinkIndex(t, "pm1"), ns.LinkIndex(t, "pmbr")
	if err := dialIn(t, ns).LinkSetNetNS(bg, pm1, other.FD()); err != nil {
		t.Fatal(err)
	}
	ipRun(t, ns, "link", "del", "pmbr")
	movedTo := other.LinkIndex(t, "pm1")
	// pm0's peer now lives in the other namespace, under the id ip shows.
	nsid := num(ipLink(t, ns, "pm0"), "link_netnsid")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var portLeft, moved bool
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("port left %v, moved %v: %v", portLeft, moved, err)
		}
		if e.Kind != EventLink || !e.Deleted {
			continue
		}
		l := &e.Link
		switch l.Index {
		case pm0:
			if l.Family != FamilyBridge || l.MasterIndex != br || l.NewIndex != 0 {
				t.Errorf("pm0 left the bridge as %+v", l)
			}
			portLeft = true
		case pm1:
			if l.Family != FamilyUnspec || l.NewIndex != movedTo || int64(l.NewNetNSID) != nsid {
				t.Errorf("pm1 moved as family %v, new index %d, new nsid %d; want unspec, %d, %d", l.Family, l.NewIndex, l.NewNetNSID, movedTo, nsid)
			}
			moved = true
		case br:
			if l.Family != FamilyUnspec || l.NewIndex != 0 || l.NewNetNSID != -1 {
				t.Errorf("pmbr deleted as %+v", l)
			}
			if !portLeft || !moved {
				t.Fatalf("pmbr deleted before: port left %v, moved %v", portLeft, moved)
			}
		}
		if l.Index == br {
			break
		}
	}

	octx, ocancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer ocancel()
	arrived := false
	for e, err := range oc.Events(octx) {
		if err != nil {
			break
		}
		if e.Kind != EventLink {
			continue
		}
		switch e.Link.Name {
		case "pm1":
			arrived = arrived || (!e.Deleted && e.Link.Index == movedTo)
		case "pm0", "pmbr":
			t.Errorf("the other namespace saw %s", eventLine(e))
		}
	}
	if !arrived {
		t.Error("the other namespace saw no RTM_NEWLINK of pm1")
	}
}

// TestIntegrationEventsOfRouteReplaceAppendAndMultipath: route
// notifications carry the request's modifiers (NLM_F_REPLACE for ip route
// replace, NLM_F_APPEND for ip route append), and an IPv6 multipath route
// arrives as one notification holding every next hop, its append as the
// merged route (all three hops), the deletion of one hop as that hop alone and the
// deletion of the rest as one notification of the remaining hops.
func TestIntegrationEventsOfRouteReplaceAppendAndMultipath(t *testing.T) {
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ns.AddVeth(t, "rp0", "rp1")
	ipRun(t, ns, "addr", "add", "10.31.0.1/24", "dev", "rp0")
	ipRun(t, ns, "-6", "addr", "add", "2001:db8:31::1/64", "dev", "rp0", "nodad")
	steps := []struct {
		cmd  []string
		dst  string
		del  bool
		want func(e *Event) bool
	}{
		{[]string{"route", "add", "10.32.0.0/16", "via", "10.31.0.2"}, "10.32.0.0/16", false,
			func(e *Event) bool { return e.Flags&nlmsg.Replace == 0 && e.Flags&nlmsg.Create != 0 }},
		{[]string{"route", "replace", "10.32.0.0/16", "via", "10.31.0.3"}, "10.32.0.0/16", false,
			func(e *Event) bool { return e.Flags&nlmsg.Replace != 0 && e.Route.Gateway.String() == "10.31.0.3" }},
		{[]string{"route", "append", "10.32.0.0/16", "via", "10.31.0.4"}, "10.32.0.0/16", false,
			func(e *Event) bool { return e.Flags&nlmsg.Append != 0 && e.Route.Gateway.String() == "10.31.0.4" }},
		{[]string{"-6", "route", "add", "2001:db8:32::/48", "nexthop", "via", "2001:db8:31::2", "nexthop", "via", "2001:db8:31::3"}, "2001:db8:32::/48", false,
			func(e *Event) bool { return gateways(e) == "2001:db8:31::2 2001:db8:31::3" }},
		{[]string{"-6", "route", "append", "2001:db8:32::/48", "via", "2001:db8:31::4"}, "2001:db8:32::/48", false,
			func(e *Event) bool {
				return e.Flags&nlmsg.Append != 0 && gateways(e) == "2001:db8:31::2 2001:db8:31::3 2001:db8:31::4"
			}},
		{[]string{"-6", "route", "del", "2001:db8:32::/48", "via", "2001:db8:31::2"}, "2001:db8:32::/48", true,
			func(e *Event) bool { return gateways(e) == "2001:db8:31::2" }},
		{[]string{"-6", "route", "del", "2001:db8:32::/48"}, "2001:db8:32::/48", true,
			func(e *Event) bool { return gateways(e) == "2001:db8:31::3 2001:db8:31::4" }},
		{[]string{"-6", "route", "replace", "2001:db8:33::/48", "via", "2001:db8:31::5"}, "2001:db8:33::/48", false,
			func(e *Event) bool { return e.Flags&nlmsg.Create != 0 }},
		{[]string{"-6", "route", "replace", "2001:db8:33::/48", "via", "2001:db8:31::6"}, "2001:db8:33::/48", false,
			func(e *Event) bool { return e.Flags&nlmsg.Replace != 0 && gateways(e) == "2001:db8:31::6" }},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range steps {
		ipRun(t, ns, s.cmd...)
		for e, err := range c.Events(ctx) {
			if err != nil {
				t.Fatalf("ip %v: no notification: %v", s.cmd, err)
			}
			if e.Kind != EventRoute || e.Route.Dst.String() != s.dst || e.Route.Table != 254 {
				continue
			}
			if e.Deleted != s.del || !s.want(e) {
				t.Errorf("ip %v: notification deleted %v, flags %s, gateways %q", s.cmd, e.Deleted, e.FlagsString(), gateways(e))
			}
			break
		}
	}
}

// TestIntegrationEventFlagsNameTheRequestsModifiers: the notifications
// of ip route add, replace, append and del name their flags as a NEW's or
// a DELETE's (EXCL|CREATE, REPLACE, CREATE|APPEND, none), where Flags.String gives a
// GET's names (MATCH|ATOMIC, ROOT).
func TestIntegrationEventFlagsNameTheRequestsModifiers(t *testing.T) {
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ns.AddVeth(t, "rp0", "rp1")
	ipRun(t, ns, "addr", "add", "10.31.0.1/24", "dev", "rp0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range []struct {
		verb, via string
		del       bool
		want, get string
	}{
		{"add", "10.31.0.2", false, "EXCL|CREATE", "MATCH|ATOMIC"},
		// A replace by the same route changes nothing and sends nothing.
		{"replace", "10.31.0.3", false, "REPLACE", "ROOT"},
		{"append", "10.31.0.4", false, "CREATE|APPEND", "ATOMIC|APPEND"},
		{"del", "10.31.0.4", true, "0", "0"},
	} {
		ipRun(t, ns, "route", s.verb, "10.32.0.0/16", "via", s.via)
		for e, err := range c.Events(ctx) {
			if err != nil {
				t.Fatalf("ip route %s: no notification: %v", s.verb, err)
			}
			if e.Kind != EventRoute || e.Route.Dst.String() != "10.32.0.0/16" || e.Deleted != s.del {
				continue
			}
			if got := e.FlagsString(); got != s.want || e.Flags.String() != s.get {
				t.Errorf("ip route %s: FlagsString %q, Flags.String %q; want %q, %q", s.verb, got, e.Flags, s.want, s.get)
			}
			break
		}
	}
}

// gateways lists a route's gateway or its next hops' gateways, sorted
// (the kernel's order of next hops in a merged notification is its own),
// space separated.
func gateways(e *Event) string {
	if len(e.Route.Multipath) == 0 {
		return e.Route.Gateway.String()
	}
	var s []string
	for _, h := range e.Route.Multipath {
		s = append(s, h.Gateway.String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// TestIntegrationEventsOfNeighbourStatesAndIPv6Rules: each state a
// neighbour is put in arrives as an RTM_NEWNEIGH with that state and
// address; its deletion as the kernel sends it, an RTM_NEWNEIGH of state
// FAILED then the RTM_DELNEIGH; an IPv6 rule's add and delete as
// RTM_NEWRULE and RTM_DELRULE of family inet6 with its source.
func TestIntegrationEventsOfNeighbourStatesAndIPv6Rules(t *testing.T) {
	ns := netnstest.New(t)
	c := listenIn(t, ns)
	ns.AddVeth(t, "ns0", "ns1")
	steps := []struct {
		cmd  []string
		want []string
	}{
		{[]string{"neigh", "add", "10.41.0.5", "lladdr", "02:00:00:00:00:05", "dev", "ns0", "nud", "stale"}, []string{"neigh new 10.41.0.5 STALE 02:00:00:00:00:05"}},
		{[]string{"neigh", "change", "10.41.0.5", "lladdr", "02:00:00:00:00:05", "dev", "ns0", "nud", "reachable"}, []string{"neigh new 10.41.0.5 REACHABLE 02:00:00:00:00:05"}},
		{[]string{"neigh", "replace", "10.41.0.5", "lladdr", "02:00:00:00:00:06", "dev", "ns0", "nud", "permanent"}, []string{"neigh new 10.41.0.5 PERMANENT 02:00:00:00:00:06"}},
		{[]string{"neigh", "del", "10.41.0.5", "dev", "ns0"}, []string{"neigh new 10.41.0.5 FAILED ", "neigh del 10.41.0.5 FAILED "}},
		{[]string{"-6", "rule", "add", "from", "2001:db8:41::/48", "table", "41", "prio", "410"}, []string{"rule new inet6 410 from 2001:db8:41::/48 table 41"}},
		{[]string{"-6", "rule", "del", "prio", "410"}, []string{"rule del inet6 410 from 2001:db8:41::/48 table 41"}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range steps {
		ipRun(t, ns, s.cmd...)
		var got []string
		for e, err := range c.Events(ctx) {
			if err != nil {
				t.Fatalf("ip %v: after %q: %v", s.cmd, got, err)
			}
			op := "new"
			if e.Deleted {
				op = "del"
			}
			switch {
			case e.Kind == EventNeigh && e.Neigh.Dst.String() == "10.41.0.5":
				got = append(got, fmt.Sprintf("neigh %s %s %v %v", op, e.Neigh.Dst, e.Neigh.State, e.Neigh.LLAddr))
			case e.Kind == EventRule && e.Rule.Priority == 410:
				got = append(got, fmt.Sprintf("rule %s %v %d from %v table %d", op, e.Rule.Family, e.Rule.Priority, e.Rule.Src, e.Rule.Table))
			}
			if len(got) == len(s.want) {
				break
			}
		}
		if !slices.Equal(got, s.want) {
			t.Errorf("ip %v: %q, want %q", s.cmd, got, s.want)
		}
	}
}
