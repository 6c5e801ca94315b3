package rtnl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// nexthopFixture fills ns with nexthop objects of every shape ip makes:
// IPv4 and IPv6 gateways, onlink, device-only, blackholes of both
// families, FDB next hops and an FDB group, protocols by name and by
// number, a multipath group with weights, a resilient group with its
// settings, a tunnel, a next hop on a bridge port (for the master
// filter), and a route that uses a group by id.
func nexthopFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ns.AddVeth(t, "v0", "v1")
	ns.AddVeth(t, "p0", "p1")
	for _, c := range nexthopFixtureCmds {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
}

// nexthopFixtureCmds are the ip commands of nexthopFixture after its
// veth pairs.
var nexthopFixtureCmds = []string{
	"addr add 10.0.0.1/24 dev v0",
	"-6 addr add fd00::1/64 dev v0 nodad",
	"link add br0 type bridge",
	"link set br0 up",
	"link set p0 master br0",
	"nexthop add id 1 via 10.0.0.2 dev v0",
	"nexthop add id 2 via 10.0.0.3 dev v0 onlink proto bgp",
	"nexthop add id 3 via fd00::2 dev v0 proto static",
	"nexthop add id 4 dev v0",
	"nexthop add id 5 blackhole",
	"-6 nexthop add id 6 blackhole proto 99",
	"nexthop add id 7 via 10.0.0.5 fdb",
	"nexthop add id 8 via fd00::5 fdb",
	"nexthop add id 9 via 10.0.0.9 dev v0 proto 200",
	"nexthop add id 10 group 1/2,5",
	"nexthop add id 11 group 1,3/9,200 type resilient buckets 16 idle_timer 10 unbalanced_timer 20 proto zebra",
	"nexthop add id 12 group 7 fdb",
	"nexthop add id 13 group 5",
	"nexthop add id 14 encap ip id 7 dst 10.0.0.9 via 10.0.0.2 dev v0",
	"nexthop add id 15 dev p0",
	"nexthop add id 16 group 3,7/1",
	"route add 10.50.0.0/16 nhid 10",
	"-6 route add 2001:db8:50::/48 nhid 3",
}

// nexthopView is a NexthopObject as ip -j -d nexthop show prints it, so
// the two compare key by key.
func nexthopView(n *NexthopObject, names map[int]string) map[string]any {
	m := map[string]any{
		"id":       float64(n.ID),
		"scope":    n.Scope.String(),
		"protocol": n.Protocol.String(),
		"flags":    fmt.Sprint(n.Flags.Names()),
	}
	if n.IsGroup() {
		var g []map[string]any
		for _, e := range n.Group {
			mm := map[string]any{"id": float64(e.ID)}
			if e.Weight > 1 {
				mm["weight"] = float64(e.Weight)
			}
			g = append(g, mm)
		}
		m["group"] = g
		if n.GroupType != NexthopGroupMpath {
			m["type"] = n.GroupType.String()
		}
	}
	if n.GroupType == NexthopGroupResilient {
		r := n.Resilient
		m["resilient_args"] = map[string]any{"buckets": float64(r.Buckets), "idle_timer": r.IdleTimer.Seconds(),
			"unbalanced_timer": r.UnbalancedTimer.Seconds(), "unbalanced_time": r.UnbalancedTime.Seconds()}
	}
	if n.Gateway.IsValid() {
		m["gateway"] = n.Gateway.String()
	}
	if n.OIF != 0 {
		m["dev"] = names[n.OIF]
	}
	if n.Blackhole {
		m["blackhole"] = nil
	}
	if n.FDB {
		m["fdb"] = nil
	}
	if n.EncapType != EncapNone {
		m["encap"] = n.EncapType.String()
	}
	return m
}

// fromIPNexthop normalises what ip printed to nexthopView's form: flags
// as one string, group members as maps, and of a tunnel only its type
// (its attributes are raw in Encap).
func fromIPNexthop(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "flags":
			out[k] = fmt.Sprint(strsOf(v))
		case "group":
			var g []map[string]any
			for _, e := range v.([]any) {
				g = append(g, e.(map[string]any))
			}
			out[k] = g
		default:
			out[k] = v
		}
	}
	if _, ok := out["encap"]; ok {
		// The tunnel's keys are printed into the object's own: its "id"
		// hides the object's, which its place in the list checks instead.
		for _, k := range []string{"id", "src", "dst", "ttl", "tos"} {
			delete(out, k)
		}
	}
	return out
}

// checkNexthopsAgainstIP compares objects with what ip -j -d nexthop show
// prints for args, object by object (both by id) and field by field.
func checkNexthopsAgainstIP(t *testing.T, ns *netnstest.NS, objs []NexthopObject, args ...string) {
	t.Helper()
	names := linkNames(t, ns)
	cmd := []string{"-d", "nexthop", "show"}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") { // a family option goes first
		cmd = append([]string{args[0]}, cmd...)
		args = args[1:]
	}
	shown := ipJSON(t, ns, append(cmd, args...)...)
	if len(shown) != len(objs) {
		t.Fatalf("ip nexthop show %v: %d objects, rtnl %d", args, len(shown), len(objs))
	}
	for i := range objs {
		got, exp := nexthopView(&objs[i], names), fromIPNexthop(shown[i])
		if _, ok := exp["id"]; !ok {
			delete(got, "id")
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("nexthop %d:\nrtnl %v\nip   %v", objs[i].ID, got, exp)
		}
	}
}

func TestIntegrationNexthopsAgreeWithIproute2(t *testing.T) {
	ns := netnstest.New(t)
	nexthopFixture(t, ns)
	c := dialIn(t, ns)
	objs, err := c.NexthopList(bg, NexthopFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 16 {
		t.Errorf("%d objects, the fixture has 16", len(objs))
	}
	checkNexthopsAgainstIP(t, ns, objs)
	for _, n := range objs {
		if n.IsGroup() != (n.Family == FamilyUnspec) {
			t.Errorf("%d: family %v, group %v", n.ID, n.Family, n.Group)
		}
	}
	if objs[4].Family != FamilyIPv4 || objs[5].Family != FamilyIPv6 {
		t.Errorf("blackholes of families %v and %v, want ip's IPv4 default and -6", objs[4].Family, objs[5].Family)
	}
	if objs[13].EncapType != EncapIP || len(objs[13].Encap) == 0 {
		t.Errorf("the tunnel was not decoded: %+v", objs[13])
	}

	// A route using an object carries its id, as ip route prints it.
	for _, fam := range []struct {
		f    Family
		flag string
		dst  string
		id   uint32
	}{{FamilyIPv4, "-4", "10.50.0.0/16", 10}, {FamilyIPv6, "-6", "2001:db8:50::/48", 3}} {
		routes, err := c.RouteList(bg, RouteFilter{Family: fam.f, Table: TableMain})
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, r := range routes {
			if r.Dst.String() != fam.dst {
				continue
			}
			found = true
			shown := ipJSON(t, ns, fam.flag, "route", "show", fam.dst)
			if len(shown) != 1 || num(shown[0], "nhid") != int64(r.NextHopID) || r.NextHopID != fam.id {
				t.Errorf("%s: NextHopID %d, ip shows %v", fam.dst, r.NextHopID, shown)
			}
		}
		if !found {
			t.Errorf("no route to %s", fam.dst)
		}
	}
}

// comparableNexthops drops what may change between two dumps (a resilient
// group's unbalanced time) and the raw attributes.
func comparableNexthops(ns []NexthopObject) []NexthopObject {
	out := make([]NexthopObject, len(ns))
	for i, n := range ns {
		n.Attrs, n.Resilient.UnbalancedTime = nil, 0
		out[i] = n
	}
	return out
}

func TestIntegrationNexthopFiltersGiveTheSameObjectsInTheKernelAndInUserSpace(t *testing.T) {
	ns := netnstest.New(t)
	nexthopFixture(t, ns)
	strict, plain := dialIn(t, ns), plainConn(t, ns)
	all, err := plain.NexthopList(bg, NexthopFilter{})
	if err != nil {
		t.Fatal(err)
	}
	v0, br0 := ns.LinkIndex(t, "v0"), ns.LinkIndex(t, "br0")
	for _, c := range []struct {
		f    NexthopFilter
		ip   []string // the same selection for ip nexthop show
		want int
	}{
		{NexthopFilter{}, nil, 16},
		{NexthopFilter{ID: 11}, []string{"id", "11"}, 1},
		{NexthopFilter{ID: 999}, nil, 0},
		{NexthopFilter{ID: 11, Groups: true}, nil, 1},
		{NexthopFilter{ID: 1, Groups: true}, nil, 0},
		{NexthopFilter{ID: 15, MasterIndex: br0}, nil, 1},
		{NexthopFilter{ID: 1, MasterIndex: br0}, nil, 0},
		{NexthopFilter{Family: FamilyIPv4}, []string{"-4"}, 8},
		{NexthopFilter{Family: FamilyIPv6}, []string{"-6"}, 3},
		{NexthopFilter{OIF: v0}, []string{"dev", "v0"}, 6},
		{NexthopFilter{OIF: loopbackIndex}, []string{"dev", "lo"}, 2},
		{NexthopFilter{MasterIndex: br0}, []string{"master", "br0"}, 1},
		{NexthopFilter{Groups: true}, []string{"groups"}, 5},
		{NexthopFilter{FDB: true}, nil, 3},
		{NexthopFilter{Groups: true, FDB: true}, nil, 1},
		{NexthopFilter{Protocol: ProtocolBGP}, []string{"protocol", "186"}, 1},
		{NexthopFilter{Family: FamilyIPv4, OIF: v0}, []string{"-4", "dev", "v0"}, 5},
		{NexthopFilter{OIF: 9999}, nil, 0},
	} {
		k, err := strict.NexthopList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, strict Conn: %v", c.f, err)
		}
		u, err := plain.NexthopList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, plain Conn: %v", c.f, err)
		}
		var want []NexthopObject
		for i := range all {
			if c.f.Match(&all[i]) && (c.f.MasterIndex == 0 || all[i].OIF == ns.LinkIndex(t, "p0")) {
				want = append(want, all[i])
			}
		}
		if !reflect.DeepEqual(comparableNexthops(k), comparableNexthops(u)) || !reflect.DeepEqual(comparableNexthops(k), comparableNexthops(want)) || len(k) != c.want {
			t.Errorf("%+v: strict %d objects, plain %d, Match over all %d; the fixture has %d", c.f, len(k), len(u), len(want), c.want)
		}
		if c.ip != nil {
			checkNexthopsAgainstIP(t, ns, k, c.ip...)
		}
	}

	// The kernel itself applies the dump filters but FDB: count what it sent.
	for _, c := range []struct {
		f    NexthopFilter
		sent int
	}{{NexthopFilter{Groups: true}, 5}, {NexthopFilter{OIF: v0}, 6}, {NexthopFilter{MasterIndex: br0}, 1}, {NexthopFilter{Family: FamilyIPv6}, 3}} {
		if n := kernelCount(t, strict, nlmsg.RTMGetNexthop, c.f.dumpRequest(nil), nlmsg.RTMNewNexthop); n != c.sent {
			t.Errorf("%+v: the kernel sent %d objects, want %d", c.f, n, c.sent)
		}
	}
	fdb := NexthopFilter{FDB: true}
	t.Logf("a dump request with NHA_FDB: the kernel sent %d of %d objects", kernelCount(t, strict, nlmsg.RTMGetNexthop, fdb.dumpRequest(nil), nlmsg.RTMNewNexthop), len(all))

	n, err := strict.NexthopByID(bg, 11)
	if err != nil || !reflect.DeepEqual(comparableNexthops([]NexthopObject{n}), comparableNexthops(all[10:11])) {
		t.Errorf("NexthopByID(11) = %+v, %v; the dump has %+v", n, err, all[10])
	}
	if _, err := strict.NexthopByID(bg, 999); !errors.Is(err, unix.ENOENT) {
		t.Errorf("NexthopByID of an absent id: %v, want ENOENT", err)
	}
}

// genericConn wraps a NETLINK_GENERIC engine.Conn in a private namespace
// in a Conn, as New refuses to, and returns both.
func genericConn(t *testing.T) (*Conn, *engine.Conn) {
	ns := netnstest.New(t)
	ec, err := engine.Connect(bg, nlmsg.FamilyGeneric, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ec.Close() })
	return &Conn{ec: ec}, ec
}

// TestIntegrationNexthopCallsRefuseAConnOfAnotherFamily: every nexthop
// call on a NETLINK_GENERIC engine.Conn fails before sending anything.
func TestIntegrationNexthopCallsRefuseAConnOfAnotherFamily(t *testing.T) {
	c, ec := genericConn(t)
	n := NexthopObject{ID: 1, Blackhole: true}
	_, listErr := c.NexthopList(bg, NexthopFilter{})
	_, getListErr := c.NexthopList(bg, NexthopFilter{ID: 1})
	_, byIDErr := c.NexthopByID(bg, 1)
	for what, err := range map[string]error{
		"NexthopList": listErr, "NexthopList by id": getListErr, "NexthopByID": byIDErr,
		"NexthopAdd": c.NexthopAdd(bg, &n), "NexthopReplace": c.NexthopReplace(bg, &n), "NexthopDel": c.NexthopDel(bg, 1),
	} {
		if !errors.Is(err, engine.ErrWrongFamily) {
			t.Errorf("%s: %v, want engine.ErrWrongFamily", what, err)
		}
	}
	if s := ec.Stats(); s.RequestsSent != 0 {
		t.Errorf("%d requests sent before refusing", s.RequestsSent)
	}
}

// TestIntegrationNexthopIteratorAllocatesPerDumpNotPerObject dumps a
// namespace with a few nexthop objects and one with 60 more (groups among
// them): the iterator's allocations must not grow with the objects.
func TestIntegrationNexthopIteratorAllocatesPerDumpNotPerObject(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	small, big := netnstest.New(t), netnstest.New(t)
	for _, ns := range []*netnstest.NS{small, big} {
		ns.AddVeth(t, "v0", "v1")
		ipRun(t, ns, "nexthop", "add", "id", "1", "dev", "v0")
		ipRun(t, ns, "nexthop", "add", "id", "2", "group", "1")
	}
	cb := dialIn(t, big)
	v0 := ns0Index(t, cb)
	for i := range 40 {
		if err := cb.NexthopAdd(bg, &NexthopObject{ID: uint32(100 + i), OIF: v0}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		g := NexthopObject{ID: uint32(200 + i), Group: []NexthopMember{{1, 1}, {uint32(100 + i), 3}, {uint32(120 + i), 7}}}
		if err := cb.NexthopAdd(bg, &g); err != nil {
			t.Fatal(err)
		}
	}
	dump := func(c *Conn) int {
		n := 0
		for _, err := range c.Nexthops(bg, NexthopFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	cs := dialIn(t, small)
	aSmall, nSmall := allocsPerDump(t, func() int { return dump(cs) })
	aBig, nBig := allocsPerDump(t, func() int { return dump(cb) })
	if nBig != nSmall+60 {
		t.Fatalf("%d and %d objects: the fixture did not grow by 60", nSmall, nBig)
	}
	if aBig > aSmall {
		t.Errorf("a dump of %d allocates %.0f times, a dump of %d %.0f times", nSmall, aSmall, nBig, aBig)
	}
	t.Logf("%.0f allocations per dump of %d, %.0f per dump of %d", aSmall, nSmall, aBig, nBig)
}

// ns0Index returns the index of v0 as c's namespace has it.
func ns0Index(t *testing.T, c *Conn) int {
	l, err := c.LinkByName(bg, "v0")
	if err != nil {
		t.Fatal(err)
	}
	return l.Index
}

// TestIntegrationWriteNexthopFuzzCorpus regenerates the checked-in seed
// corpus of FuzzNexthopDecode from the kernel's dump of nexthopFixture. It
// runs only with RTNL_WRITE_CORPUS=1.
func TestIntegrationWriteNexthopFuzzCorpus(t *testing.T) {
	if os.Getenv("RTNL_WRITE_CORPUS") != "1" {
		t.Skip("set RTNL_WRITE_CORPUS=1 to regenerate testdata/fuzz")
	}
	ns := netnstest.New(t)
	nexthopFixture(t, ns)
	c := dialIn(t, ns)
	dir := filepath.Join("testdata", "fuzz", "FuzzNexthopDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for m, err := range c.ec.Dump(bg, nlmsg.RTMGetNexthop, (&NexthopFilter{}).dumpRequest(nil), 0) {
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", m.Payload())
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("kernel-%03d", n)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	t.Logf("%s: %d seeds", dir, n)
}
