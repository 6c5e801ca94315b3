//go:build linux

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

// On a NETLINK_ROUTE socket the controller's type 0x10 is RTM_NEWLINK, and
// the request for "nlctrl" reads as an ifinfomsg for ifindex 0x2000b (the
// genlmsghdr and the name attribute's header) whose flags are the name's
// bytes: sent, it changed that link's flags. Refused, nothing is sent.
func TestIntegrationResolveGenericFamilyRefusesARouteConn(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	ns.Run(t, "ip", "link", "add", "victim0", "index", "131083", "type", "veth", "peer", "name", "victim1")
	before := string(ns.Run(t, "ip", "-j", "-d", "link", "show", "dev", "victim0"))

	fam, err := c.ResolveGenericFamily(testCtx(t), "nlctrl")
	if !errors.Is(err, ErrWrongFamily) {
		t.Fatalf("ResolveGenericFamily on a route Conn: %+v, %v; want an error that errors.Is ErrWrongFamily", fam, err)
	}
	var oe *OpError
	var wf *WrongFamilyError
	if !errors.As(err, &oe) || !errors.As(err, &wf) || wf.Want != nlmsg.FamilyGeneric || wf.Have != nlmsg.FamilyRoute {
		t.Fatalf("%#v: want an *OpError wrapping a *WrongFamilyError{Want: NETLINK_GENERIC, Have: NETLINK_ROUTE}", err)
	}
	if s := c.Stats(); s.RequestsSent != 0 || s.SendCalls != 0 {
		t.Fatalf("the refused call sent something: %+v", s)
	}
	if after := string(ns.Run(t, "ip", "-j", "-d", "link", "show", "dev", "victim0")); after != before {
		t.Fatalf("the link at ifindex 0x2000b changed:\nbefore %s\nafter  %s", before, after)
	}
}

func TestIntegrationResolveGenericFamilyErrorsAreOneOpError(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyGeneric)
	_, err := c.ResolveGenericFamily(testCtx(t), "no-such-family")
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "resolve generic family" {
		t.Fatalf("%#v: want one *OpError with Op \"resolve generic family\"", err)
	}
	if inner := new(*OpError); errors.As(oe.Err, inner) {
		t.Fatalf("%v: the OpError wraps another OpError", err)
	}
}
