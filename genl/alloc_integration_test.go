package genl

import (
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// The listing into caller-owned values and a command round trip on a
// cached family allocate nothing once warm.
func TestIntegrationListingAndCommandDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, _ := dialNS(t)
	ctx := testCtx(t)
	var fams []Family
	var err error
	for range 3 {
		if fams, err = c.AppendFamilies(ctx, fams); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(50, func() { fams, err = c.AppendFamilies(ctx, fams) }); n != 0 || err != nil {
		t.Errorf("AppendFamilies into a warm slice: %v allocations (err %v), want 0", n, err)
	}
	var f Family
	build := func(b *nlmsg.Builder) { b.String(nlmsg.CtrlAttrFamilyName, "nlctrl") }
	decode := func(m Message) error { return DecodeFamily(m.Attrs, &f) }
	for range 3 {
		if err := c.Execute(ctx, "nlctrl", nlmsg.CtrlCmdGetFamily, 0, build, decode); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(50, func() { err = c.Execute(ctx, "nlctrl", nlmsg.CtrlCmdGetFamily, 0, build, decode) }); n != 0 || err != nil {
		t.Errorf("Execute on a cached family: %v allocations (err %v), want 0", n, err)
	}
}
