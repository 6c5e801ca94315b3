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

// Joining ethtool's "monitor" group by name brings the change `ethtool -s`
// makes as a typed LINKMODES_NTF.
func TestIntegrationMonitorGroupSeesLinkModeChange(t *testing.T) {
	ns := netnstest.New(t)
	c, err := genl.Dial(testCtx(t), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ns.Run(t, "ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
	if err := c.JoinGroup(testCtx(t), nlmsg.EthtoolGenlName, nlmsg.EthtoolMcgrpMonitorName); err != nil {
		t.Fatalf("JoinGroup(ethtool, monitor): %v", err)
	}
	ns.Run(t, "ethtool", "-s", "tap0", "speed", "2500", "duplex", "full")
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	for m, err := range c.Notifications(ctx) {
		if err != nil {
			t.Fatalf("no LINKMODES_NTF for tap0: %v", err)
		}
		if m.Cmd != nlmsg.EthtoolMsgLinkModesNtf {
			continue
		}
		var lm LinkModes
		if err := DecodeLinkModes(m.Attrs, &lm); err != nil {
			t.Fatal(err)
		}
		if lm.Interface.Name != "tap0" || lm.Speed != 2500 || lm.Duplex != DuplexFull {
			t.Fatalf("notification %+v; want tap0 at 2500 Mb/s full duplex", lm)
		}
		return
	}
}
