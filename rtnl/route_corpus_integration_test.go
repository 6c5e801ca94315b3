package rtnl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// TestIntegrationWriteRouteFuzzCorpus regenerates the fuzz seed corpora from the
// kernel's messages for the route and rule fixtures. It runs only with
// NLTEST_WRITE_CORPUS=1.
func TestIntegrationWriteRouteFuzzCorpus(t *testing.T) {
	if os.Getenv("NLTEST_WRITE_CORPUS") != "1" {
		t.Skip("set NLTEST_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	ns := netnstest.New(t)
	routeFixture(t, ns)
	for _, c := range []string{"fwmark 0x10/0xff table 100 prio 100", "not from 10.1.0.0/16 oif v1 goto 32766 prio 300", "from all table main suppress_prefixlength 0 prio 400"} {
		ns.Run(t, "ip", append([]string{"rule", "add"}, strings.Fields(c)...)...)
	}
	c := dialIn(t, ns)
	write := func(dir string, typ, want nlmsg.Type) {
		os.MkdirAll(dir, 0o755)
		n := 0
		for v, err := range c.Engine().Dump(context.Background(), typ, make([]byte, 12), 0) {
			if err != nil {
				t.Fatal(err)
			}
			if v.Type() != want {
				continue
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", v.Payload())
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("kernel-%03d", n)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
		t.Logf("%s: %d seeds", dir, n)
	}
	write("testdata/fuzz/FuzzRouteDecode", nlmsg.RTMGetRoute, nlmsg.RTMNewRoute)
	write("testdata/fuzz/FuzzRuleDecode", nlmsg.RTMGetRule, nlmsg.RTMNewRule)
}
