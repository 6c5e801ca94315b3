package ethtool

import "testing"

// Reading link modes, link info, features and channels into caller-owned values allocates
// nothing once warm.
func TestIntegrationReadsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	ctx := testCtx(t)
	ifc := Interface{Name: "va"}
	var lm LinkModes
	var li LinkInfo
	var f Features
	var ch Channels
	var err error
	for range 3 {
		if err = e.LinkModesInto(ctx, ifc, &lm); err != nil {
			t.Fatal(err)
		}
		if err = e.LinkInfoInto(ctx, ifc, &li); err != nil {
			t.Fatal(err)
		}
		if err = e.FeaturesInto(ctx, ifc, &f); err != nil {
			t.Fatal(err)
		}
		if err = e.ChannelsInto(ctx, ifc, &ch); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(50, func() { err = e.LinkModesInto(ctx, ifc, &lm) }); n != 0 || err != nil {
		t.Errorf("LinkModesInto: %v allocations (err %v), want 0", n, err)
	}
	if n := testing.AllocsPerRun(50, func() { err = e.LinkInfoInto(ctx, ifc, &li) }); n != 0 || err != nil {
		t.Errorf("LinkInfoInto: %v allocations (err %v), want 0", n, err)
	}
	if n := testing.AllocsPerRun(50, func() { err = e.FeaturesInto(ctx, ifc, &f) }); n != 0 || err != nil {
		t.Errorf("FeaturesInto: %v allocations (err %v), want 0", n, err)
	}
	if n := testing.AllocsPerRun(50, func() { err = e.ChannelsInto(ctx, ifc, &ch) }); n != 0 || err != nil {
		t.Errorf("ChannelsInto: %v allocations (err %v), want 0", n, err)
	}
}
