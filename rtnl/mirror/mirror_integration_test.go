package mirror

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/rtnl"
)

// fixture gives ns the awkward cases: two links, IPv4 and IPv6 addresses,
// routes in main, in table 1000 and in table local, a default route, a
// multipath route with weights, blackhole/unreachable/prohibit routes,
// metrics, a source-specific IPv6 route, permanent neighbours.
func fixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ns.AddVeth(t, "v0", "v1")
	for _, c := range []string{
		"addr add 10.0.0.1/24 dev v0",
		"addr add 10.0.1.1/24 dev v1 label v1:x",
		"-6 addr add fd00::1/64 dev v0 nodad",
		"route add default via 10.0.0.254",
		"route add 192.168.1.0/24 via 10.0.0.2 table 1000 proto bird metric 10 mtu 1400",
		"route add 192.168.2.0/24 via 10.0.0.2 tos 0x10",
		"route add 192.168.2.0/24 via 10.0.0.3 metric 5",
		"route add blackhole 10.9.0.0/16",
		"route add unreachable 10.10.0.0/16",
		"route add prohibit 10.11.0.0/16 table 1000",
		"route add 10.12.0.0/16 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.1.2 weight 1",
		"-6 route add 2001:db8:1::/48 via fd00::2 metric 7",
		"-6 route add 2001:db8:2::/48 from 2001:db8:9::/48 via fd00::3",
		"-6 route add 2001:db8:3::/48 nexthop via fd00::2 weight 2 nexthop via fd00::3",
		"neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev v0",
		"-6 neigh add fd00::2 lladdr 02:00:00:00:00:03 dev v0 nud reachable",
	} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
}

// TestIntegrationMirrorInitialSync: right after New, the mirror holds what
// a fresh dump shows, and the routes ip -j route show table all lists.
func TestIntegrationMirrorInitialSync(t *testing.T) {
	ns := netnstest.New(t)
	fixture(t, ns)
	var log changeLog
	m := start(t, ns, Config{OnChange: log.record})
	c := dialIn(t, ns)
	// What the kernel adds by itself after the fixture (IPv6 link-local
	// routes) may still be on its way: within 1 s.
	converge(t, m, c, time.Second)
	if got, want := mirrorRouteKeys(m), ipRouteKeys(t, ns); !slices.Equal(got, want) {
		t.Fatalf("mirror routes\n%s\nip routes\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The initial sync is reported as additions and one marker.
	empty := replay{KindLink: {}, KindAddr: {}, KindRoute: {}, KindNeigh: {}, KindNexthop: {}}
	now, nowSeq := snapshotReplay(m)
	empty.applyUpTo(t, &log, 0, nowSeq)
	if d := empty.tables().diff(now.tables()); d != "" {
		t.Fatalf("the initial changes do not give the copy:\n%s", d)
	}
	if len(log.resyncs) != 1 || log.resyncs[0].Reason != ReasonInitial || !log.resyncs[0].Full {
		t.Fatalf("resync markers %+v, want one initial", log.resyncs)
	}
	if _, ok := m.Route(RouteKey{Family: rtnl.FamilyIPv4, Table: 1000, Dst: pfx("192.168.1.0/24"), Priority: 10}); !ok {
		t.Fatal("Route by key: table 1000 route not found")
	}
	s := m.Stats()
	if s.Resyncs[ReasonInitial] != 1 || s.ResyncsTotal() != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestIntegrationMirrorFollowsNotifications: changes of every kind after
// New reach the mirror, and the change stream applied to a snapshot gives
// the same tables.
func TestIntegrationMirrorFollowsNotifications(t *testing.T) {
	ns := netnstest.New(t)
	fixture(t, ns)
	var log changeLog
	m := start(t, ns, Config{OnChange: log.record})
	first, seq := snapshotReplay(m)
	c := dialIn(t, ns)
	for _, cmd := range []string{
		"route add 10.30.0.0/16 via 10.0.0.2 table 2000",
		"route replace 10.30.0.0/16 via 10.0.0.3 table 2000",
		"route del 192.168.2.0/24 via 10.0.0.3 metric 5",
		"-6 route add 2001:db8:7::/64 dev v0 metric 9",
		"-6 route del 2001:db8:1::/48 via fd00::2 metric 7",
		"addr add 10.0.2.1/24 dev v0",
		"link set v1 mtu 1400",
		"neigh replace 10.0.0.2 lladdr 02:00:00:00:00:22 dev v0",
		"neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev v0",
		"-6 neigh del fd00::2 dev v0",
	} {
		ns.Run(t, "ip", strings.Fields(cmd)...)
	}
	took := converge(t, m, c, time.Second)
	t.Logf("converged %v after the last change", took)
	now, nowSeq := snapshotReplay(m)
	first.applyUpTo(t, &log, seq, nowSeq)
	if d := first.tables().diff(now.tables()); d != "" {
		t.Fatalf("snapshot + changes differ from the mirror:\n%s", d)
	}
	if r, ok := m.Route(RouteKey{Family: rtnl.FamilyIPv4, Table: 2000, Dst: pfx("10.30.0.0/16")}); !ok || r.Gateway.String() != "10.0.0.3" {
		t.Fatalf("replaced route: %v %v", r.Gateway, ok)
	}
	if s := m.Stats(); s.Events == 0 {
		t.Fatalf("no events counted: %+v", s)
	}
}

// TestIntegrationMirrorSilentDeletions: the kernel drops routes without a
// notification when their link goes down, when their link is deleted and
// when the address they use goes; the mirror loses them within 1 s too.
func TestIntegrationMirrorSilentDeletions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   []string
		action  string
		gone    RouteKey
		reasons []Reason // the reason counted is the first event's
		// silent: the kernel always drops the route without a notification,
		// so only a re-read can remove it. (On a link deletion the kernel
		// sometimes reports it.)
		silent bool
	}{
		{"link-down", []string{"route add 10.40.0.0/16 via 10.0.1.2 dev v1"}, "link set v1 down",
			RouteKey{Family: rtnl.FamilyIPv4, Table: rtnl.TableMain, Dst: pfx("10.40.0.0/16")}, []Reason{ReasonLinkChange}, true},
		{"link-delete", []string{"route add 10.41.0.0/16 via 10.0.1.2 dev v1"}, "link del v1",
			RouteKey{Family: rtnl.FamilyIPv4, Table: rtnl.TableMain, Dst: pfx("10.41.0.0/16")}, []Reason{ReasonLinkChange, ReasonLinkDeleted}, false},
		{"addr-removed", []string{"route add 10.42.0.0/16 dev v0 src 10.0.0.1 table 3000"}, "addr del 10.0.0.1/24 dev v0",
			RouteKey{Family: rtnl.FamilyIPv4, Table: 3000, Dst: pfx("10.42.0.0/16")}, []Reason{ReasonAddrRemoved}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := netnstest.New(t)
			fixture(t, ns)
			for _, c := range tc.setup {
				ns.Run(t, "ip", strings.Fields(c)...)
			}
			var log changeLog
			m := start(t, ns, Config{OnChange: log.record})
			if _, ok := m.Route(tc.gone); !ok {
				t.Fatalf("%v not in the mirror before", tc.gone)
			}
			_, seq := snapshotReplay(m)
			ns.Run(t, "ip", strings.Fields(tc.action)...)
			c := dialIn(t, ns)
			for r, err := range c.Routes(bg, rtnl.RouteFilter{Family: rtnl.FamilyIPv4}) {
				if err != nil {
					t.Fatal(err)
				}
				if KeyOfRoute(r) == tc.gone {
					t.Fatalf("the kernel still has %v: the case tests nothing", tc.gone)
				}
			}
			took := converge(t, m, c, time.Second)
			if _, ok := m.Route(tc.gone); ok {
				t.Fatalf("%v still in the mirror", tc.gone)
			}
			// The removal is in the change stream.
			log.mu.Lock()
			found, reported := false, false
			for _, ch := range log.changes {
				if ch.seq > seq && ch.op == Removed && ch.kind == KindRoute && strings.Contains(ch.old, tc.gone.Dst.String()) {
					found, reported = true, !ch.resync
				}
			}
			log.mu.Unlock()
			if !found {
				t.Fatalf("no removal of %v in the change stream", tc.gone)
			}
			// NB: a re-read's removal reaches the change stream before the
			// re-read is counted in Stats (once it ends): wait for the count.
			var s Stats
			var rereads, corrections uint64
			for deadline := time.Now().Add(2 * time.Second); ; {
				s = m.Stats()
				rereads, corrections = 0, 0
				for _, r := range tc.reasons {
					rereads += s.Resyncs[r]
					corrections += s.Corrections[r]
				}
				if reported || (rereads > 0 && corrections > 0) || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if tc.silent && !reported && (rereads == 0 || corrections == 0) {
				t.Fatalf("no %v re-read with corrections: %+v", tc.reasons, s)
			}
			if reported {
				t.Logf("a notification removed %v", tc.gone)
			}
			t.Logf("converged in %v; %v re-reads %d, corrections %d", took, tc.reasons, rereads, corrections)
		})
	}
}

// TestIntegrationMirrorVerifies: with Config.Verify the mirror dumps
// everything again at the interval, counts it, and a copy that followed
// every notification needs no correction, nexthop objects (a resilient
// group among them) included.
func TestIntegrationMirrorVerifies(t *testing.T) {
	ns := netnstest.New(t)
	// No duplicate address detection, whose end the kernel announces
	// late: a verification could see it before its notification.
	if err := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/default/accept_dad", []byte("0"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	fixture(t, ns)
	for _, c := range []string{"nexthop add id 1 via 10.0.0.2 dev v0", "-6 nexthop add id 2 via fd00::2 dev v0",
		"nexthop add id 10 group 1/2 type resilient buckets 8", "nexthop add id 11 group 1,3/2", "route add 10.61.0.0/16 nhid 10"} {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
	var log changeLog
	m := start(t, ns, Config{Verify: 20 * time.Millisecond, OnChange: log.record})
	if n := len(m.NexthopList(rtnl.NexthopFilter{})); n != 4 {
		t.Fatalf("%d nexthop objects held, the fixture has 4", n)
	}
	ns.Run(t, "ip", "route", "add", "10.60.0.0/16", "via", "10.0.0.2")
	deadline := time.Now().Add(5 * time.Second)
	for m.Stats().Resyncs[ReasonVerify] < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no verification in 5 s: %+v", m.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	converge(t, m, dialIn(t, ns), time.Second)
	s := m.Stats()
	if s.Corrections[ReasonVerify] != 0 {
		t.Fatalf("verification corrected %d objects of a copy that lost nothing", s.Corrections[ReasonVerify])
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	verified := 0
	for _, r := range log.resyncs {
		if r.Reason == ReasonVerify {
			verified++
			if !r.Full || r.Dumps < 6 {
				t.Fatalf("verification %+v: not a full dump", r)
			}
		}
	}
	if verified == 0 {
		t.Fatal("no verification marker in the change stream")
	}
}
