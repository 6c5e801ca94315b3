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
		n := 0
		for m, err := range c.ec.Dump(bg, typ, req, 0) {
			if err != nil {
				t.Fatal(err)
			}
			writeSeed(t, dir, m.Payload())
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

// writeSeed writes payload as a seed of the fuzz target dir, named by its
// hash.
func writeSeed(t *testing.T, dir string, p []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join("testdata", "fuzz", dir), 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%x", sha256.Sum256(p))[:16]
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p)
	if err := os.WriteFile(filepath.Join("testdata", "fuzz", dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationWriteRouteGetCorpus adds the kernel's answers to the
// route lookups of the route-get agreement test to FuzzRouteDecode's
// seeds, and its namespace id messages (a dump with and without a target,
// an answer by fd) to FuzzNSIDDecode's. It runs only with
// RTNL_WRITE_CORPUS=1.
func TestIntegrationWriteRouteGetCorpus(t *testing.T) {
	if os.Getenv("RTNL_WRITE_CORPUS") != "1" {
		t.Skip("set RTNL_WRITE_CORPUS=1 to regenerate testdata/fuzz")
	}
	ns := netnstest.New(t)
	routeGetFixture(t, ns)
	c := dialIn(t, ns)
	keep := func(dir string) func(nlmsg.View) error {
		return func(v nlmsg.View) error {
			writeSeed(t, dir, v.Payload())
			return nil
		}
	}
	for _, tt := range routeGetCases(func(n string) int { return ns.LinkIndex(t, n) }) {
		req, err := tt.q.appendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ec.RequestFunc(bg, nlmsg.RTMGetRoute, req, 0, keep("FuzzRouteDecode")); err != nil {
			t.Fatal(err)
		}
	}
	peer, other := netnstest.New(t), netnstest.New(t)
	if err := c.SetNetNSIDByFD(bg, peer.FD(), 7); err != nil {
		t.Fatal(err)
	}
	if err := c.SetNetNSIDByFD(bg, other.FD(), NSIDNotAssigned); err != nil {
		t.Fatal(err)
	}
	if err := dialIn(t, peer).SetNetNSIDByFD(bg, other.FD(), 3); err != nil {
		t.Fatal(err)
	}
	hdr := nlmsg.RtGenMsg{}.AppendTo(nil)
	for _, req := range [][]byte{hdr, appendU32Attr(hdr, nlmsg.NETNSATargetNSID, 7), appendU32Attr(hdr, nlmsg.NETNSAFD, uint32(peer.FD()))} {
		flags := nlmsg.Dump
		if len(req) > 4 && req[6] == byte(nlmsg.NETNSAFD) {
			flags = 0
		}
		if err := c.ec.RequestFunc(bg, nlmsg.RTMGetNSID, req, flags, keep("FuzzNSIDDecode")); err != nil {
			t.Fatal(err)
		}
	}
}
