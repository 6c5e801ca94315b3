package mirror

import (
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestIntegrationMirrorNexthopSequences runs, in and out of compat mode,
// sequences TestIntegrationMirrorNexthops does not: an object used by a
// route and as a group's only member replaced by a blackhole and back,
// routes moved from a nexthop object to a plain gateway and to multipath
// gateways with a replace and back, a group's members replaced, and a
// link holding nexthop objects (single, and members of a group) moved to
// another namespace; after each step the mirror equals a fresh dump, a
// fresh rtnl.Snapshot and ip, and its changes are exactly the
// differences.
func TestIntegrationMirrorNexthopSequences(t *testing.T) {
	steps := []struct {
		name string
		cmds []string
		move bool // then move w0 to the other namespace
	}{
		{"add", []string{
			"nexthop add id 1 via 10.0.0.2 dev v0",
			"nexthop add id 2 via 10.0.2.2 dev w0",
			"nexthop add id 20 via 10.0.0.20 dev v0",
			"nexthop add id 21 group 20",
			"nexthop add id 22 group 1/2",
			"-6 nexthop add id 3 via fd00::2 dev v0",
			"-6 nexthop add id 4 via fd00:2::2 dev w0",
			"nexthop add id 23 group 3/4",
			"route add 10.60.0.0/16 nhid 21",
			"route add 10.61.0.0/16 nhid 22",
			"route add 10.62.0.0/16 nhid 1",
			"route add 10.63.0.0/16 nhid 2",
			"route add 10.64.0.0/16 nhid 20",
			"-6 route add 2001:db8:60::/48 nhid 3",
			"-6 route add 2001:db8:61::/48 nhid 4",
			"-6 route add 2001:db8:62::/48 nhid 23",
			"-6 nexthop add id 5 via fd00::5 dev v0",
			"-6 route add 2001:db8:63::/48 nhid 5",
		}, false},
		// Out of compat mode the kernel makes the routes of the object and
		// of its group blackhole routes, and back, without notification.
		{"an object used by a route and a group replaced by a blackhole", []string{
			"nexthop replace id 20 blackhole",
			"-6 nexthop replace id 5 blackhole",
		}, false},
		{"the blackhole replaced by a gateway", []string{
			"nexthop replace id 20 via 10.0.0.21 dev v0",
			"-6 nexthop replace id 5 via fd00::6 dev v0",
		}, false},
		{"routes moved from nhid to a plain gateway", []string{
			"route replace 10.62.0.0/16 via 10.0.0.9 dev v0",
			"-6 route replace 2001:db8:60::/48 via fd00::9 dev v0",
		}, false},
		{"routes moved back to nhid", []string{
			"route replace 10.62.0.0/16 nhid 1",
			"-6 route replace 2001:db8:60::/48 nhid 3",
		}, false},
		{"routes moved from nhid to multipath gateways", []string{
			"route replace 10.63.0.0/16 nexthop via 10.0.0.7 dev v0 nexthop via 10.0.2.7 dev w0",
			"-6 route replace 2001:db8:61::/48 nexthop via fd00::7 dev v0 nexthop via fd00:2::7 dev w0",
		}, false},
		{"and back to nhid", []string{
			"route replace 10.63.0.0/16 nhid 2",
			"-6 route replace 2001:db8:61::/48 nhid 4",
		}, false},
		{"a group's members replaced by another set", []string{"nexthop replace id 22 group 2/20"}, false},
		{"a link with nexthop objects moved to another namespace", nil, true},
	}
	for _, compat := range []string{"1", "0"} {
		t.Run("compat="+compat, func(t *testing.T) {
			ns, other := netnstest.New(t), netnstest.New(t)
			var log changeLog
			m, c := nexthopMirror(t, ns, compat, &log)
			for _, step := range steps {
				before, seq := snapshotReplay(m)
				for _, cmd := range step.cmds {
					ns.Run(t, "ip", strings.Fields(cmd)...)
				}
				if step.move {
					if err := c.LinkSetNetNS(bg, ns.LinkIndex(t, "w0"), other.FD()); err != nil {
						t.Fatal(err)
					}
				}
				agree(t, m, c, ns, 3*time.Second)
				time.Sleep(100 * time.Millisecond)
				agree(t, m, c, ns, 3*time.Second)
				exactChanges(t, m, &log, before, seq)
				if t.Failed() {
					t.Fatalf("step %q", step.name)
				}
			}
		})
	}
}
