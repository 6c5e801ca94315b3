package ethtool

import (
	"context"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Joining ethtool's "monitor" group by name brings the change `ethtool -K`
// makes to a veth as an ETHTOOL_MSG_FEATURES_NTF naming the link.
func TestIntegrationMonitorGroupSeesFeatureChange(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "va", "vb")
	c, err := genl.Dial(testCtx(t), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.JoinGroup(testCtx(t), nlmsg.EthtoolGenlName, nlmsg.EthtoolMcgrpMonitorName); err != nil {
		t.Fatalf("JoinGroup(ethtool, monitor): %v", err)
	}
	ns.Run(t, "ethtool", "-K", "va", "tso", "off")
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	for m, err := range c.Notifications(ctx) {
		if err != nil {
			t.Fatalf("no FEATURES_NTF for va: %v", err)
		}
		if m.Cmd != nlmsg.EthtoolMsgFeaturesNtf {
			continue
		}
		var ifc Interface
		as := m.AttrScanner()
		for as.Next() {
			if a := as.Attr(); a.Type() == 1 { // ETHTOOL_A_FEATURES_HEADER
				if err := decodeHeader(a, "ETHTOOL_MSG_FEATURES_NTF", &ifc); err != nil {
					t.Fatal(err)
				}
			}
		}
		if ifc.Name != "va" || ifc.Index != uint32(ns.LinkIndex(t, "va")) {
			t.Fatalf("notification for %+v, want va", ifc)
		}
		return
	}
}
