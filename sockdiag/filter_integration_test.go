package sockdiag_test

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationFilterAgreesWithSS runs filtered TCP dumps (the program
// runs in the kernel) and `ss -tan` with the same expression (Filter.String)
// in the same namespace: both list the same sockets, and the same as
// Filter.Match applied to an unfiltered dump.
func TestIntegrationFilterAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	inetFixture(t, ns)
	c := dial(t, ns)
	pfx := netip.MustParsePrefix
	filters := []sockdiag.Filter{
		sockdiag.SrcPort(8080),
		sockdiag.Or(sockdiag.SrcPort(8080), sockdiag.DstPort(8443)),
		sockdiag.And(sockdiag.SrcPrefix(pfx("127.0.0.0/8")), sockdiag.Not(sockdiag.DstPort(0))),
		sockdiag.DstPrefix(pfx("::1/128")),
		sockdiag.And(sockdiag.SrcPortAtLeast(1024), sockdiag.SrcPortAtMost(9000), sockdiag.Not(sockdiag.Dev(1))),
		sockdiag.Or(sockdiag.Dev(1), sockdiag.And(sockdiag.DstPortAtLeast(9000), sockdiag.DstPortAtMost(9000))),
		sockdiag.Not(sockdiag.Or(sockdiag.SrcPrefix(pfx("::1/128")), sockdiag.SrcPort(7000))),
		// (Not "::/0": ss reads a /0 prefix as any address of either
		// family, while the kernel's condition, and Filter, keep the
		// family.)
	}
	checkFiltersAgainstSS(t, ns, c, filters)
}

// TestIntegrationMarkFilterAgreesWithSS runs mark conditions (ss's fwmark
// = mark/mask) over detailFixture, whose listener, its accepted sockets
// and one client carry marks, as TestIntegrationFilterAgreesWithSS runs
// the others.
func TestIntegrationMarkFilterAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	detailFixture(t, ns)
	c := dial(t, ns)
	checkFiltersAgainstSS(t, ns, c, []sockdiag.Filter{
		sockdiag.Mark(0x1234, 0xffffffff),
		sockdiag.Not(sockdiag.Mark(0, 0xffffffff)),
		sockdiag.Mark(0x1000, 0xf000),
		sockdiag.Or(sockdiag.Mark(0xabc, 0xfff), sockdiag.SrcPort(8081)),
		sockdiag.And(sockdiag.Mark(0x1234, 0xffff), sockdiag.Not(sockdiag.DstPort(0))),
	})
}

// checkFiltersAgainstSS runs each filter as a kernel-filtered TCP dump of
// both families and as `ss -tane` with the filter's String, and applies
// its Match to an unfiltered dump: the three select the same sockets (by
// cookie, which TIME-WAIT and request sockets have too), some but not all.
func checkFiltersAgainstSS(t *testing.T, ns *netnstest.NS, c *engine.Conn, filters []sockdiag.Filter) {
	t.Helper()
	var all []sockdiag.InetSocket
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		var err error
		if all, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: fam}, all); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range filters {
		var kernel, user []string
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			for s, err := range sockdiag.DumpInet(testCtx(t), c, sockdiag.InetRequest{Family: fam, Filter: f}) {
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				kernel = append(kernel, strconv.FormatUint(s.Cookie, 16))
			}
		}
		for i := range all {
			if f.Match(&all[i]) {
				user = append(user, strconv.FormatUint(all[i].Cookie, 16))
			}
		}
		var ss []string
		for _, l := range runSS(t, ns, "-tane", f.String()) {
			ss = append(ss, l.fields["sk"])
		}
		slices.Sort(kernel)
		slices.Sort(user)
		slices.Sort(ss)
		if !slices.Equal(kernel, ss) || !slices.Equal(kernel, user) {
			t.Errorf("%s:\n kernel-filtered dump %v\n ss                   %v\n Match                %v", f, kernel, ss, user)
		}
		if len(kernel) == 0 || len(kernel) == len(all) {
			t.Errorf("%s selects %d of %d sockets: not a discriminating case", f, len(kernel), len(all))
		}
	}
}
