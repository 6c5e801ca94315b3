package genl

import (
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

func TestIntegrationPolicyNlctrl(t *testing.T) {
	c, _ := dialNS(t)
	var p Policy
	if err := c.GetPolicy(testCtx(t), "nlctrl", -1, &p); err != nil {
		t.Fatalf("GetPolicy(nlctrl): %v", err)
	}
	if p.FamilyID != uint16(nlmsg.GenlIDCtrl) {
		t.Errorf("family id %#x, want 0x10", p.FamilyID)
	}
	op, ok := p.Op(uint32(nlmsg.CtrlCmdGetFamily))
	if !ok || !op.HasDo || !op.HasDump {
		t.Fatalf("GETFAMILY's policies %+v (found %v); want a do and a dump policy; all: %+v", op, ok, p.Ops)
	}
	// The kernel's ctrl_policy_family: the id is a u16, the name a
	// NUL-terminated string of at most GENL_NAMSIZ-1 bytes.
	id, ok := p.Attr(op.Do, nlmsg.CtrlAttrFamilyID)
	if !ok || id.Type.String() != "u16" {
		t.Errorf("CTRL_ATTR_FAMILY_ID policy %+v (found %v); want u16", id, ok)
	}
	name, ok := p.Attr(op.Do, nlmsg.CtrlAttrFamilyName)
	if !ok || name.Type.String() != "nul-string" || name.Limits&HasMaxLength == 0 || name.MaxLength != nlmsg.GenlNameSize-1 {
		t.Errorf("CTRL_ATTR_FAMILY_NAME policy %+v (found %v); want a nul-string of at most 15 bytes", name, ok)
	}
}

// The policy dump and the family listing agree: an operation has
// policies in the dump exactly when the listing says "has policy".
func TestIntegrationPolicyMatchesOpFlags(t *testing.T) {
	c, _ := dialNS(t)
	for _, name := range []string{"nlctrl", "ethtool"} {
		f, err := c.Family(testCtx(t), name)
		if err != nil {
			t.Fatal(err)
		}
		var p Policy
		if err := c.GetPolicy(testCtx(t), name, -1, &p); err != nil {
			t.Fatalf("GetPolicy(%s): %v", name, err)
		}
		if p.FamilyID != f.ID || len(p.Attrs) == 0 {
			t.Fatalf("%s policy: family id %#x (want %#x), %d attribute policies", name, p.FamilyID, f.ID, len(p.Attrs))
		}
		for _, o := range f.Ops {
			po, ok := p.Op(o.Cmd)
			has := ok && (po.HasDo || po.HasDump)
			if has != o.Flags.Has(nlmsg.GenlCmdCapHasPol) {
				t.Errorf("%s op %#x: flags %q, policy dump %+v (found %v)", name, o.Cmd, o.Flags, po, ok)
			}
			if ok && (po.HasDo && !o.Flags.Has(nlmsg.GenlCmdCapDo) || po.HasDump && !o.Flags.Has(nlmsg.GenlCmdCapDump)) {
				t.Errorf("%s op %#x: flags %q but policies %+v", name, o.Cmd, o.Flags, po)
			}
		}
		// One command only.
		var one Policy
		cmd := f.Ops[0].Cmd
		if err := c.GetPolicy(testCtx(t), name, int(cmd), &one); err != nil {
			t.Fatalf("GetPolicy(%s, cmd %d): %v", name, cmd, err)
		}
		if len(one.Ops) != 1 || one.Ops[0].Cmd != cmd {
			t.Errorf("GetPolicy(%s, cmd %d) ops %+v; want that command alone", name, cmd, one.Ops)
		}
	}
}

// The kernel numbers a dump-only command 0 in a policy dump; GetPolicy
// gives it its number back: nlctrl's GETPOLICY (10) has only a dumpit.
func TestIntegrationPolicyDumpOnlyCommandKeepsItsNumber(t *testing.T) {
	c, _ := dialNS(t)
	for _, cmd := range []int{-1, int(nlmsg.CtrlCmdGetPolicy)} {
		var p Policy
		if err := c.GetPolicy(testCtx(t), "nlctrl", cmd, &p); err != nil {
			t.Fatal(err)
		}
		op, ok := p.Op(uint32(nlmsg.CtrlCmdGetPolicy))
		if !ok || op.HasDo || !op.HasDump {
			t.Errorf("GetPolicy(nlctrl, %d): ops %+v; want GETPOLICY (10) with a dump policy only", cmd, p.Ops)
		}
		if _, ok := p.Op(0); ok {
			t.Errorf("GetPolicy(nlctrl, %d): ops %+v still hold command 0", cmd, p.Ops)
		}
	}
}
