package sockdiag_test

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

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
				kernel = append(kernel, strconv.Itoa(int(s.Inode)))
			}
		}
		for i := range all {
			if f.Match(&all[i]) {
				user = append(user, strconv.Itoa(int(all[i].Inode)))
			}
		}
		var ss []string
		for _, l := range runSS(t, ns, "-tane", f.String()) {
			ss = append(ss, l.fields["ino"])
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
