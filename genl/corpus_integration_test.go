package genl

import (
	"fmt"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// TestIntegrationCorpus captures the controller's family and policy
// messages as fuzz seeds (see writeSeeds).
func TestIntegrationCorpus(t *testing.T) {
	c, _ := dialNS(t)
	ctx := testCtx(t)
	fams := map[string][]byte{}
	for m, err := range c.Dump(ctx, "nlctrl", nlmsg.CtrlCmdGetFamily, 0, nil) {
		if err != nil {
			t.Fatal(err)
		}
		var f Family
		if err := DecodeFamily(m.Attrs, &f); err != nil {
			t.Fatal(err)
		}
		fams[f.Name] = append([]byte(nil), m.Attrs...)
	}
	writeSeeds(t, "FuzzDecodeFamily", fams)
	pols := map[string][]byte{}
	for _, name := range []string{"nlctrl", "ethtool"} {
		i := 0
		for m, err := range c.Dump(ctx, "nlctrl", nlmsg.CtrlCmdGetPolicy, 0, func(b *nlmsg.Builder) {
			b.String(nlmsg.CtrlAttrFamilyName, name)
		}) {
			if err != nil {
				t.Fatal(err)
			}
			// Every op policy message, and a few attribute policies.
			if i < 12 || i%20 == 0 {
				pols[fmt.Sprintf("%s-%03d", name, i)] = append([]byte(nil), m.Attrs...)
			}
			i++
		}
	}
	writeSeeds(t, "FuzzDecodePolicy", pols)
}
