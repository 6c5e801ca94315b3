package rtnl

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// TestIntegrationWriteFuzzCorpus regenerates the checked-in seed corpora
// of every decoder's fuzz target from the kernel's own messages about the
// fixtures of the agreement tests. It runs only with RTNL_WRITE_CORPUS=1.
func TestIntegrationWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("RTNL_WRITE_CORPUS") != "1" {
		t.Skip("set RTNL_WRITE_CORPUS=1 to regenerate testdata/fuzz")
	}
	ns, other := netnstest.New(t), netnstest.New(t)
	linkFixture(t, ns, other)
	neighFixture2 := netnstest.New(t)
	neighFixture(t, neighFixture2)
	fdbNS := netnstest.New(t)
	fdbFixture(t, fdbNS)
	addrNS := netnstest.New(t)
	addrFixture(t, addrNS)
	routeNS := netnstest.New(t)
	routeFixture(t, routeNS)
	for _, c := range []string{"fwmark 0x10/0xff table 100 prio 100", "not from 10.1.0.0/16 oif v1 goto 32766 prio 300", "from all table main suppress_prefixlength 0 prio 400",
		"uidrange 100-200 ipproto tcp sport 1000 dport 2000-3000 realms 3/4 table 302 prio 700", "tun_id 7 suppress_ifgroup 5 table 303 prio 710"} {
		ipRun(t, routeNS, append([]string{"rule", "add"}, strings.Fields(c)...)...)
	}
	write := func(dir string, ns *netnstest.NS, typ nlmsg.Type, req []byte) {
		c := dialIn(t, ns)
		if err := os.MkdirAll(filepath.Join("testdata", "fuzz", dir), 0o755); err != nil {
			t.Fatal(err)
		}
		n := 0
		for m, err := range c.ec.Dump(bg, typ, req, 0) {
			if err != nil {
				t.Fatal(err)
			}
			p := m.Payload()
			name := fmt.Sprintf("%x", sha256.Sum256(p))[:16]
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p)
			if err := os.WriteFile(filepath.Join("testdata", "fuzz", dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
		t.Logf("%s: %d seeds", dir, n)
	}
	lf := LinkFilter{}
	write("FuzzLinkDecode", ns, nlmsg.RTMGetLink, lf.dumpRequest(false))
	af := AddrFilter{}
	write("FuzzAddrDecode", addrNS, nlmsg.RTMGetAddr, af.dumpRequest(false))
	nf, pf := NeighFilter{}, NeighFilter{Proxy: true}
	write("FuzzNeighDecode", neighFixture2, nlmsg.RTMGetNeigh, nf.dumpRequest(false))
	write("FuzzNeighDecode", neighFixture2, nlmsg.RTMGetNeigh, pf.dumpRequest(false))
	bf := NeighFilter{Family: FamilyBridge}
	write("FuzzNeighDecode", fdbNS, nlmsg.RTMGetNeigh, bf.dumpRequest(false))
	write("FuzzRouteDecode", routeNS, nlmsg.RTMGetRoute, (&RouteFilter{}).dumpRequest(nil, false))
	write("FuzzRuleDecode", routeNS, nlmsg.RTMGetRule, (&RuleFilter{}).dumpRequest())
}
