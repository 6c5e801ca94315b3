package genl

import (
	"fmt"
	"testing"

	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// TestIntegrationCorpus captures the controller's family and policy
// messages as fuzz seeds (see nltest.Seeds).
func TestIntegrationCorpus(t *testing.T) {
	c, _ := dialNS(t)
	ctx := testCtx(t)
	fams := map[string][]any{}
	for m, err := range c.Dump(ctx, "nlctrl", nlmsg.CtrlCmdGetFamily, 0, nil) {
		if err != nil {
			t.Fatal(err)
		}
		var f Family
		if err := DecodeFamily(m.Attrs, &f); err != nil {
			t.Fatal(err)
		}
		fams[f.Name] = []any{append([]byte(nil), m.Attrs...)}
	}
	nltest.Seeds(t, "FuzzDecodeFamily", fams)
	pols := map[string][]any{}
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
				pols[fmt.Sprintf("%s-%03d", name, i)] = []any{append([]byte(nil), m.Attrs...)}
			}
			i++
		}
	}
	nltest.Seeds(t, "FuzzDecodePolicy", pols)
}
