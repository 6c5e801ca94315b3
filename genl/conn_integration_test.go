package genl

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

func TestIntegrationFamilyNlctrl(t *testing.T) {
	c, _ := dialNS(t)
	f, err := c.Family(testCtx(t), "nlctrl")
	if err != nil {
		t.Fatalf("Family(nlctrl): %v", err)
	}
	if f.ID != uint16(nlmsg.GenlIDCtrl) || f.Name != "nlctrl" || f.Version != 2 {
		t.Errorf("nlctrl = %+v; want id 0x10 and version 2", f)
	}
	op, ok := f.Op(uint32(nlmsg.CtrlCmdGetFamily))
	if !ok || !op.Flags.Has(nlmsg.GenlCmdCapDo|nlmsg.GenlCmdCapDump|nlmsg.GenlCmdCapHasPol) {
		t.Errorf("nlctrl's GETFAMILY op %+v (found %v): want do, dump and a policy", op, ok)
	}
	if op.Flags.String() != "can doit; can dumpit; has policy" {
		t.Errorf("GETFAMILY flags read %q", op.Flags.String())
	}
	if g, ok := f.Group("notify"); !ok || g.ID == 0 {
		t.Errorf("nlctrl groups %v: want \"notify\"", f.Groups)
	}
}

func TestIntegrationUnknownFamilyIsENOENT(t *testing.T) {
	c, _ := dialNS(t)
	_, err := c.Family(testCtx(t), "no-such-family")
	var oe *engine.OpError
	if !errors.Is(err, unix.ENOENT) || !errors.As(err, &oe) {
		t.Fatalf("Family(no-such-family): %v; want an *engine.OpError that is ENOENT", err)
	}
	err = c.Execute(testCtx(t), "no-such-family", 1, 0, nil, func(Message) error { return nil })
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("Execute on an unknown family: %v; want ENOENT", err)
	}
	for _, err := range c.Dump(testCtx(t), "no-such-family", 1, 0, nil) {
		if !errors.Is(err, unix.ENOENT) {
			t.Fatalf("Dump on an unknown family: %v; want ENOENT", err)
		}
	}
	// The Conn still works.
	if _, err := c.Family(testCtx(t), "nlctrl"); err != nil {
		t.Fatalf("nlctrl after the failures: %v", err)
	}
}

func TestIntegrationWrongFamilyConnRefusedBeforeSending(t *testing.T) {
	ns := netnstest.New(t)
	rc, err := engine.Connect(testCtx(t), nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	before := rc.Stats()
	c, err := New(rc)
	var oe *engine.OpError
	var wf *engine.WrongFamilyError
	if !errors.Is(err, ErrWrongFamily) || !errors.Is(err, engine.ErrWrongFamily) || !errors.As(err, &oe) ||
		!errors.As(err, &wf) || wf.Want != nlmsg.FamilyGeneric || wf.Have != nlmsg.FamilyRoute || c != nil {
		t.Fatalf("New(NETLINK_ROUTE conn) = %v, %v; want the engine's *OpError for ErrWrongFamily", c, err)
	}
	if after := rc.Stats(); after.RequestsSent != before.RequestsSent || after.SendCalls != before.SendCalls {
		t.Fatalf("refusing sent something: requests %d -> %d, send calls %d -> %d",
			before.RequestsSent, after.RequestsSent, before.SendCalls, after.SendCalls)
	}
	if c, err := New(nil); !errors.Is(err, ErrWrongFamily) || c != nil {
		t.Fatalf("New(nil) = %v, %v; want ErrWrongFamily", c, err)
	}
}

func TestIntegrationExecuteResolvesOnceAndDecodesReplies(t *testing.T) {
	c, _ := dialNS(t)
	// The controller is itself a family: ask it, by name, about ethtool.
	var got Family
	calls := 0
	run := func() error {
		return c.Execute(testCtx(t), "nlctrl", nlmsg.CtrlCmdGetFamily, 0, func(b *nlmsg.Builder) {
			b.String(nlmsg.CtrlAttrFamilyName, "ethtool")
		}, func(m Message) error {
			calls++
			if m.Family != uint16(nlmsg.GenlIDCtrl) || m.Cmd != nlmsg.CtrlCmdNewFamily || len(m.Header) != 0 {
				return fmt.Errorf("reply %+v: want a CTRL_CMD_NEWFAMILY message of nlctrl", m)
			}
			return DecodeFamily(m.Attrs, &got)
		})
	}
	if err := run(); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	sent := c.Engine().Stats().RequestsSent
	if err := run(); err != nil {
		t.Fatalf("Execute again: %v", err)
	}
	if calls != 2 || got.Name != "ethtool" || got.ID < nlmsg.GenlMinID {
		t.Fatalf("%d replies, last %+v: want ethtool's description", calls, got)
	}
	// The second Execute used the cached id: one request, not two.
	if n := c.Engine().Stats().RequestsSent - sent; n != 1 {
		t.Errorf("a command on a cached family sent %d requests, want 1", n)
	}
	// fn's error stops the request and comes back as it is.
	stop := errors.New("stop")
	if err := c.Execute(testCtx(t), "nlctrl", nlmsg.CtrlCmdGetFamily, nlmsg.Dump, nil, func(Message) error { return stop }); err != stop {
		t.Fatalf("Execute with fn failing: %v, want fn's error", err)
	}
}

func TestIntegrationDumpByNameEqualsFamilies(t *testing.T) {
	c, _ := dialNS(t)
	list, err := c.ListFamilies(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for m, err := range c.Dump(testCtx(t), "nlctrl", nlmsg.CtrlCmdGetFamily, 0, nil) {
		if err != nil {
			t.Fatal(err)
		}
		var f Family
		if err := DecodeFamily(m.Attrs, &f); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
	}
	var want []string
	for _, f := range list {
		want = append(want, f.Name)
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("Dump(nlctrl, GETFAMILY) gave %v, ListFamilies %v", names, want)
	}
	// Breaking out early leaves the Conn usable.
	for range c.Dump(testCtx(t), "nlctrl", nlmsg.CtrlCmdGetFamily, 0, nil) {
		break
	}
	if _, err := c.Family(testCtx(t), "nlctrl"); err != nil {
		t.Fatalf("after breaking out of a dump: %v", err)
	}
}

func TestIntegrationJoinGroup(t *testing.T) {
	c, _ := dialNS(t)
	if err := c.JoinGroup(testCtx(t), "nlctrl", "notify"); err != nil {
		t.Fatalf("JoinGroup(nlctrl, notify): %v", err)
	}
	if err := c.LeaveGroup(testCtx(t), "nlctrl", "notify"); err != nil {
		t.Fatalf("LeaveGroup(nlctrl, notify): %v", err)
	}
	err := c.JoinGroup(testCtx(t), "nlctrl", "no-such-group")
	if !errors.Is(err, ErrUnknownGroup) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("JoinGroup of an unknown group: %v; want ErrUnknownGroup and ENOENT", err)
	}
	if err := c.JoinGroup(testCtx(t), "no-such-family", "x"); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("JoinGroup of an unknown family: %v; want ENOENT", err)
	}
}
