package genl

import (
	"context"
	"strconv"

	"github.com/nlengine/nlengine/nlmsg"
)

// AttrType is the type of an attribute in a policy dump
// (NL_ATTR_TYPE_*).
type AttrType uint32

var attrTypeNames = [...]string{
	nlmsg.NLAttrTypeInvalid:     "invalid",
	nlmsg.NLAttrTypeFlag:        "flag",
	nlmsg.NLAttrTypeU8:          "u8",
	nlmsg.NLAttrTypeU16:         "u16",
	nlmsg.NLAttrTypeU32:         "u32",
	nlmsg.NLAttrTypeU64:         "u64",
	nlmsg.NLAttrTypeS8:          "s8",
	nlmsg.NLAttrTypeS16:         "s16",
	nlmsg.NLAttrTypeS32:         "s32",
	nlmsg.NLAttrTypeS64:         "s64",
	nlmsg.NLAttrTypeBinary:      "binary",
	nlmsg.NLAttrTypeString:      "string",
	nlmsg.NLAttrTypeNulString:   "nul-string",
	nlmsg.NLAttrTypeNested:      "nested",
	nlmsg.NLAttrTypeNestedArray: "nested-array",
	nlmsg.NLAttrTypeBitfield32:  "bitfield32",
	nlmsg.NLAttrTypeSint:        "sint",
	nlmsg.NLAttrTypeUint:        "uint",
}

// String returns the kernel's name of the type in lower case with dashes
// ("u32", "nul-string", "nested-array"), or "type N" for an unknown one.
func (t AttrType) String() string {
	if int(t) < len(attrTypeNames) {
		return attrTypeNames[t]
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}

// PolicyLimits says which of an AttrPolicy's limits the kernel sent.
type PolicyLimits uint16

// The limits an AttrPolicy may carry, one bit each.
const (
	HasMinValueS PolicyLimits = 1 << iota
	HasMaxValueS
	HasMinValueU
	HasMaxValueU
	HasMinLength
	HasMaxLength
	HasNestedPolicy // NestedPolicy and NestedMaxType
	HasBitfield32Mask
	HasMask
)

// AttrPolicy is how the kernel validates one attribute: one entry of
// CTRL_ATTR_POLICY. Limits says which of the limit fields are set.
type AttrPolicy struct {
	Policy         uint32 // the policy's index in the dump
	Attr           uint16 // the attribute type it validates
	Type           AttrType
	Limits         PolicyLimits
	MinValueS      int64
	MaxValueS      int64
	MinValueU      uint64
	MaxValueU      uint64
	MinLength      uint32
	MaxLength      uint32
	NestedPolicy   uint32 // for nested attributes: the index of the policy of what they hold
	NestedMaxType  uint32 // and its highest attribute type
	Bitfield32Mask uint32
	Mask           uint64
}

// OpPolicy names the policies of one command (CTRL_ATTR_OP_POLICY): the
// index in the dump of the policy its doit uses, and of its dumpit's.
type OpPolicy struct {
	Cmd     uint32
	Do      uint32
	Dump    uint32
	HasDo   bool
	HasDump bool
}

// Policy is a family's attribute policies as CTRL_CMD_GETPOLICY dumps them
// (Linux 5.8+; operation policies since 5.12).
type Policy struct {
	FamilyID uint16
	Ops      []OpPolicy   // in the kernel's order
	Attrs    []AttrPolicy // in the kernel's order: by policy, then attribute
}

// Attr returns the policy of attribute attr in policy index policy.
func (p *Policy) Attr(policy uint32, attr uint16) (AttrPolicy, bool) {
	for _, a := range p.Attrs {
		if a.Policy == policy && a.Attr == attr {
			return a, true
		}
	}
	return AttrPolicy{}, false
}

// Op returns the policies of command cmd.
func (p *Policy) Op(cmd uint32) (OpPolicy, bool) {
	for _, o := range p.Ops {
		if o.Cmd == cmd {
			return o, true
		}
	}
	return OpPolicy{}, false
}

const msgPolicy = "CTRL_CMD_GETPOLICY"

// DecodePolicy decodes the attributes of one message of a policy dump
// (after the genlmsghdr) and appends what it holds to p.Ops and p.Attrs;
// it sets p.FamilyID. It does not allocate beyond growing those slices. A
// malformed attribute gives a *DecodeError naming it.
func DecodePolicy(attrs []byte, p *Policy) error {
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var name string
		var err error
		switch a.Type() {
		case nlmsg.CtrlAttrFamilyID:
			p.FamilyID, err = a.Uint16()
			name = "CTRL_ATTR_FAMILY_ID"
		case nlmsg.CtrlAttrOpPolicy:
			name, err = decodeOpPolicies(a, p)
		case nlmsg.CtrlAttrPolicy:
			name, err = decodeAttrPolicies(a, p)
		}
		if err != nil {
			return &DecodeError{Msg: msgPolicy, Attr: name, Offset: a.Offset(), Err: err}
		}
	}
	if err := as.Err(); err != nil {
		return &DecodeError{Msg: msgPolicy, Offset: -1, Err: err}
	}
	return nil
}

func decodeOpPolicies(a nlmsg.Attr, p *Policy) (string, error) {
	cmds := a.Attrs()
	for cmds.Next() {
		c := cmds.Attr()
		op := OpPolicy{Cmd: uint32(c.Type())}
		fields := c.Attrs()
		for fields.Next() {
			f := fields.Attr()
			var err error
			switch f.Type() {
			case nlmsg.CtrlAttrPolicyDo:
				op.Do, err = f.Uint32()
				op.HasDo = true
				if err != nil {
					return "CTRL_ATTR_POLICY_DO", err
				}
			case nlmsg.CtrlAttrPolicyDump:
				op.Dump, err = f.Uint32()
				op.HasDump = true
				if err != nil {
					return "CTRL_ATTR_POLICY_DUMP", err
				}
			}
		}
		if err := fields.Err(); err != nil {
			return "CTRL_ATTR_OP_POLICY", err
		}
		p.Ops = append(p.Ops, op)
	}
	if err := cmds.Err(); err != nil {
		return "CTRL_ATTR_OP_POLICY", err
	}
	return "", nil
}

func decodeAttrPolicies(a nlmsg.Attr, p *Policy) (string, error) {
	policies := a.Attrs()
	for policies.Next() {
		pa := policies.Attr()
		attrs := pa.Attrs()
		for attrs.Next() {
			aa := attrs.Attr()
			ap := AttrPolicy{Policy: uint32(pa.Type()), Attr: aa.Type()}
			if name, err := decodeAttrPolicy(aa, &ap); err != nil {
				return name, err
			}
			p.Attrs = append(p.Attrs, ap)
		}
		if err := attrs.Err(); err != nil {
			return "CTRL_ATTR_POLICY", err
		}
	}
	if err := policies.Err(); err != nil {
		return "CTRL_ATTR_POLICY", err
	}
	return "", nil
}

// decodeAttrPolicy decodes the NL_POLICY_TYPE_ATTR_* fields nested in a.
func decodeAttrPolicy(a nlmsg.Attr, ap *AttrPolicy) (string, error) {
	fields := a.Attrs()
	for fields.Next() {
		f := fields.Attr()
		var err error
		var u64 uint64
		var u32 uint32
		switch f.Type() {
		case nlmsg.NLPolicyTypeAttrType:
			u32, err = f.Uint32()
			ap.Type = AttrType(u32)
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_TYPE", err
			}
		case nlmsg.NLPolicyTypeAttrMinValueS:
			u64, err = f.Uint64()
			ap.MinValueS, ap.Limits = int64(u64), ap.Limits|HasMinValueS
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MIN_VALUE_S", err
			}
		case nlmsg.NLPolicyTypeAttrMaxValueS:
			u64, err = f.Uint64()
			ap.MaxValueS, ap.Limits = int64(u64), ap.Limits|HasMaxValueS
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MAX_VALUE_S", err
			}
		case nlmsg.NLPolicyTypeAttrMinValueU:
			ap.MinValueU, err = f.Uint64()
			ap.Limits |= HasMinValueU
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MIN_VALUE_U", err
			}
		case nlmsg.NLPolicyTypeAttrMaxValueU:
			ap.MaxValueU, err = f.Uint64()
			ap.Limits |= HasMaxValueU
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MAX_VALUE_U", err
			}
		case nlmsg.NLPolicyTypeAttrMinLength:
			ap.MinLength, err = f.Uint32()
			ap.Limits |= HasMinLength
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MIN_LENGTH", err
			}
		case nlmsg.NLPolicyTypeAttrMaxLength:
			ap.MaxLength, err = f.Uint32()
			ap.Limits |= HasMaxLength
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MAX_LENGTH", err
			}
		case nlmsg.NLPolicyTypeAttrPolicyIdx:
			ap.NestedPolicy, err = f.Uint32()
			ap.Limits |= HasNestedPolicy
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_POLICY_IDX", err
			}
		case nlmsg.NLPolicyTypeAttrPolicyMaxType:
			ap.NestedMaxType, err = f.Uint32()
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE", err
			}
		case nlmsg.NLPolicyTypeAttrBitfield32Mask:
			ap.Bitfield32Mask, err = f.Uint32()
			ap.Limits |= HasBitfield32Mask
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_BITFIELD32_MASK", err
			}
		case nlmsg.NLPolicyTypeAttrMask:
			ap.Mask, err = f.Uint64()
			ap.Limits |= HasMask
			if err != nil {
				return "NL_POLICY_TYPE_ATTR_MASK", err
			}
		}
	}
	if err := fields.Err(); err != nil {
		return "CTRL_ATTR_POLICY", err
	}
	return "", nil
}

// GetPolicy dumps the attribute policies of the family called family
// (CTRL_CMD_GETPOLICY by name) into p, which is reset first and whose
// slices' capacity is reused. With cmd non-negative only that command's
// policies are dumped (CTRL_ATTR_OP, Linux 5.12+). A kernel without policy
// dumps answers EOPNOTSUPP (an *engine.OpError); an unknown family ENOENT.
// The kernel reports dump-only commands as command 0; GetPolicy restores
// their numbers (see OpPolicy) from the family's operations.
func (c *Conn) GetPolicy(ctx context.Context, family string, cmd int, p *Policy) error {
	*p = Policy{Ops: p.Ops[:0], Attrs: p.Attrs[:0]}
	b := getBuilder()
	nlmsg.AppendFamilyHeader(b, nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetPolicy, Version: ctrlVersion})
	b.String(nlmsg.CtrlAttrFamilyName, family)
	if cmd >= 0 {
		b.Uint32(nlmsg.CtrlAttrOp, uint32(cmd))
	}
	err := c.ec.RequestFunc(ctx, nlmsg.GenlIDCtrl, b.Bytes(), nlmsg.Dump, func(v nlmsg.View) error {
		_, attrs, err := nlmsg.DecodeGenlMsgHdr(v.Payload())
		if err != nil {
			return &DecodeError{Msg: msgPolicy, Offset: -1, Err: err}
		}
		return DecodePolicy(attrs, p)
	})
	putBuilder(b)
	if err != nil {
		return err
	}
	c.fixDumpOnlyCmds(ctx, family, cmd, p)
	return nil
}

// fixDumpOnlyCmds puts back the command number of dump-only commands,
// which the kernel reports as command 0 (it takes the number from the
// command's missing doit; seen up to Linux 6.18). Asked for one command,
// that is the one; for a whole family the entries come in the order of the
// family's operations that have a policy, which the (cached) family
// listing gives: the numbers are filled in only if every other entry is
// where that order puts it.
func (c *Conn) fixDumpOnlyCmds(ctx context.Context, family string, cmd int, p *Policy) {
	zero := false
	for _, o := range p.Ops {
		zero = zero || o.Cmd == 0
	}
	if !zero {
		return
	}
	if cmd >= 0 {
		for i := range p.Ops {
			if p.Ops[i].Cmd == 0 {
				p.Ops[i].Cmd = uint32(cmd)
			}
		}
		return
	}
	f, err := c.resolve(ctx, family)
	if err != nil {
		return
	}
	i := 0
	for _, o := range f.Ops {
		if !o.Flags.Has(nlmsg.GenlCmdCapHasPol) {
			continue
		}
		if i >= len(p.Ops) || p.Ops[i].Cmd != 0 && p.Ops[i].Cmd != o.Cmd {
			return
		}
		i++
	}
	if i != len(p.Ops) {
		return
	}
	i = 0
	for _, o := range f.Ops {
		if o.Flags.Has(nlmsg.GenlCmdCapHasPol) {
			p.Ops[i].Cmd = o.Cmd
			i++
		}
	}
}
