package engine

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

func TestIntegrationResolveGenericFamilyNlctrl(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyGeneric)
	fam, err := c.ResolveGenericFamily(testCtx(t), "nlctrl")
	if err != nil {
		t.Fatalf("resolving nlctrl: %v", err)
	}
	if fam.ID != 0x10 || fam.Name != "nlctrl" || fam.Version == 0 {
		t.Fatalf("nlctrl resolved to %+v, want ID 0x10 (GENL_ID_CTRL), its name and a version", fam)
	}
	g, ok := fam.Groups["notify"]
	if !ok || g == 0 {
		t.Fatalf("nlctrl groups %v, want its \"notify\" group", fam.Groups)
	}
	// The group id is what AddMembership takes.
	if err := c.AddMembership(g); err != nil {
		t.Fatalf("joining nlctrl's notify group %d: %v", g, err)
	}
	// Resolving is an ordinary request: the Conn goes on working.
	if err := c.Noop(testCtx(t)); err != nil {
		t.Fatalf("Noop after resolving: %v", err)
	}
}

func TestIntegrationResolveUnknownGenericFamilyIsENOENT(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyGeneric)
	fam, err := c.ResolveGenericFamily(testCtx(t), "no-such-family")
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("resolving an unknown family: %+v, %v; want ENOENT", fam, err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Type != 0x10 || oe.Seq == 0 {
		t.Fatalf("%#v: want an *OpError for the nlctrl request", err)
	}
	if _, err := c.ResolveGenericFamily(testCtx(t), "nlctrl"); err != nil {
		t.Fatalf("resolving nlctrl after the failure: %v", err)
	}
}
