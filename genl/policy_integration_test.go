package genl

import (
	"fmt"
	"strings"
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

// genlPolicyOpLine and genlPolicyAttrLine render one entry of a policy dump as `genl ctrl policy`
// prints it after the "ID: 0x.." column. It follows genl where genl says
// less than the dump holds: a dump-only command is "op 0" (the number the
// kernel sends, which GetPolicy replaces), masks are not printed, and the
// types genl has no name for (sint, uint) are "unknown".
func genlPolicyOpLine(o OpPolicy) string {
	cmd := o.Cmd
	if !o.HasDo {
		cmd = 0
	}
	s := fmt.Sprintf("op %d policies:", cmd)
	if o.HasDo {
		s += fmt.Sprintf(" do=%d", o.Do)
	}
	if o.HasDump {
		s += fmt.Sprintf(" dump=%d", o.Dump)
	}
	return s
}

func genlPolicyAttrLine(a AttrPolicy) string {
	typ := strings.ToUpper(strings.ReplaceAll(a.Type.String(), "-", "_"))
	if a.Type == AttrType(nlmsg.NLAttrTypeSint) || a.Type == AttrType(nlmsg.NLAttrTypeUint) {
		typ = "unknown"
	}
	s := fmt.Sprintf("policy[%d]:attr[%d]: type=%s", a.Policy, a.Attr, typ)
	if a.Limits&HasNestedPolicy != 0 {
		s += fmt.Sprintf(" policy:%d maxattr:%d", a.NestedPolicy, a.NestedMaxType)
	}
	if a.Limits&(HasMinValueS|HasMaxValueS) == HasMinValueS|HasMaxValueS {
		s += fmt.Sprintf(" range:[%d,%d]", a.MinValueS, a.MaxValueS)
	}
	if a.Limits&(HasMinValueU|HasMaxValueU) == HasMinValueU|HasMaxValueU {
		s += fmt.Sprintf(" range:[%d,%d]", a.MinValueU, a.MaxValueU)
	}
	if a.Limits&HasMinLength != 0 {
		s += fmt.Sprintf(" min len:%d", a.MinLength)
	}
	if a.Limits&HasMaxLength != 0 {
		s += fmt.Sprintf(" max len:%d", a.MaxLength)
	}
	return s
}

// Every family's policy dump reads as `genl ctrl policy name F` prints
// it: the same operations with the same policy indices, and every
// attribute's type, nested policy and limits, in the kernel's order.
func TestIntegrationPolicyMatchesGenlCtrlPolicy(t *testing.T) {
	c, ns := dialNS(t)
	fams, err := c.ListFamilies(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	lines, dumpOnly := 0, 0
	for _, f := range fams {
		var p Policy
		if err := c.GetPolicy(testCtx(t), f.Name, -1, &p); err != nil {
			t.Errorf("GetPolicy(%s): %v", f.Name, err)
			continue
		}
		var got []string
		for _, o := range p.Ops {
			got = append(got, genlPolicyOpLine(o))
			if !o.HasDo {
				// genl shows it as op 0; GetPolicy gives its number back.
				dumpOnly++
				if op, ok := f.Op(o.Cmd); !ok || op.Flags.Has(nlmsg.GenlCmdCapDo) || !op.Flags.Has(nlmsg.GenlCmdCapDump) {
					t.Errorf("%s: dump-only policy %+v names command %d, which the family lists as %+v (found %v)", f.Name, o, o.Cmd, op, ok)
				}
			}
		}
		for _, a := range p.Attrs {
			got = append(got, genlPolicyAttrLine(a))
		}
		var want []string
		prefix := fmt.Sprintf("ID: %#x  ", f.ID)
		for _, l := range strings.Split(string(ns.Run(t, "genl", "ctrl", "policy", "name", f.Name)), "\n") {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
			rest, ok := strings.CutPrefix(l, prefix)
			if !ok {
				t.Fatalf("%s: genl printed %q, not for family id %#x", f.Name, l, f.ID)
			}
			want = append(want, strings.TrimSpace(rest))
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d policy lines, genl prints %d", f.Name, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			lines++
			if got[i] != want[i] {
				t.Errorf("%s line %d: %q, genl prints %q", f.Name, i+1, got[i], want[i])
			}
		}
	}
	t.Logf("compared %d policy lines of %d families (%d dump-only commands)", lines, len(fams), dumpOnly)
	if lines < 100 || dumpOnly == 0 {
		t.Errorf("compared %d lines and %d dump-only commands: nlctrl and ethtool alone have more", lines, dumpOnly)
	}
}
