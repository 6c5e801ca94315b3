package ethtool

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Joining ethtool's "monitor" group by name brings the change `ethtool -K`
// makes to a veth as an ETHTOOL_MSG_FEATURES_NTF naming the link, which
// DecodeFeatures reads as the features now are.
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
	names, err := New(c).FeatureNames(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	tso := slices.Index(names, "tx-tcp-segmentation")
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
		var f Features
		if err := DecodeFeatures(m.Attrs, &f); err != nil {
			t.Fatal(err)
		}
		if ifc := f.Interface; ifc.Name != "va" || ifc.Index != uint32(ns.LinkIndex(t, "va")) {
			t.Fatalf("notification for %+v, want va", ifc)
		}
		// It carries the features as they now are: TSO off, as a read says.
		now, err := New(c).Features(testCtx(t), Interface{Name: "va"})
		if err != nil {
			t.Fatal(err)
		}
		if f != now || f.Active.Has(tso) || f.Wanted.Has(tso) {
			t.Fatalf("notification features\n%+v\nread afterwards\n%+v\n(tx-tcp-segmentation is bit %d)", f, now, tso)
		}
		return
	}
}
