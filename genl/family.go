package genl

import (
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// Family describes a generic netlink family as the controller reports it
// (CTRL_CMD_NEWFAMILY), with what `genl ctrl list` prints.
type Family struct {
	ID      uint16  // the message type that addresses the family (CTRL_ATTR_FAMILY_ID)
	Name    string  // CTRL_ATTR_FAMILY_NAME
	Version uint32  // CTRL_ATTR_VERSION
	HdrSize uint32  // CTRL_ATTR_HDRSIZE: bytes of the family's own header after genlmsghdr
	MaxAttr uint32  // CTRL_ATTR_MAXATTR: 0 for families with a policy per operation
	Ops     []Op    // CTRL_ATTR_OPS, in the kernel's order
	Groups  []Group // CTRL_ATTR_MCAST_GROUPS, in the kernel's order
}

// Op is one operation (command) of a family.
type Op struct {
	Cmd   uint32  // CTRL_ATTR_OP_ID: the genlmsghdr cmd
	Flags OpFlags // CTRL_ATTR_OP_FLAGS
}

// Group is one multicast group of a family; ID is what
// engine.Conn.AddMembership takes.
type Group struct {
	ID   uint32 // CTRL_ATTR_MCAST_GRP_ID
	Name string // CTRL_ATTR_MCAST_GRP_NAME
}

// OpFlags are an operation's capabilities and permissions
// (GENL_ADMIN_PERM, GENL_CMD_CAP_*).
type OpFlags uint32

// Has reports whether all of the bits of g are set in f.
func (f OpFlags) Has(g uint32) bool { return uint32(f)&g == g }

var opFlagNames = [...]struct {
	bit  uint32
	name string
}{
	{nlmsg.GenlAdminPerm, "requires admin permission"},
	{nlmsg.GenlCmdCapDo, "can doit"},
	{nlmsg.GenlCmdCapDump, "can dumpit"},
	{nlmsg.GenlCmdCapHasPol, "has policy"},
	{nlmsg.GenlUnsAdminPerm, "requires namespace admin permission"},
}

// String lists the flags in the words `genl ctrl list` prints, separated
// by "; ": "can doit; can dumpit; has policy". Unknown bits are shown in
// hexadecimal; no flags is "".
func (f OpFlags) String() string {
	var sb strings.Builder
	rest := uint32(f)
	for _, n := range opFlagNames {
		if rest&n.bit == 0 {
			continue
		}
		rest &^= n.bit
		if sb.Len() > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(n.name)
	}
	if rest != 0 {
		if sb.Len() > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString("0x")
		sb.WriteString(hex32(rest))
	}
	return sb.String()
}

func hex32(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// Group returns the multicast group called name and whether there is one.
func (f *Family) Group(name string) (Group, bool) {
	for _, g := range f.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// Op returns the operation for cmd and whether the family has it.
func (f *Family) Op(cmd uint32) (Op, bool) {
	for _, o := range f.Ops {
		if o.Cmd == cmd {
			return o, true
		}
	}
	return Op{}, false
}

// Clone returns a copy of f that shares no slice with it.
func (f *Family) Clone() Family {
	g := *f
	g.Ops = append([]Op(nil), f.Ops...)
	g.Groups = append([]Group(nil), f.Groups...)
	return g
}

const msgNewFamily = "CTRL_CMD_NEWFAMILY"

// DecodeFamily decodes the attributes of a controller family message
// (CTRL_CMD_NEWFAMILY or DELFAMILY, after the genlmsghdr) into f. Every
// field of f is overwritten; f.Ops and f.Groups are truncated and refilled,
// reusing their capacity, and names come from the intern table, so decoding
// a family seen before does not allocate. Unknown attributes are skipped. A
// malformed attribute stops the decoding with a *DecodeError naming it, and
// leaves f partly filled.
func DecodeFamily(attrs []byte, f *Family) error {
	*f = Family{Ops: f.Ops[:0], Groups: f.Groups[:0]}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.CtrlAttrFamilyID:
			f.ID, err = a.Uint16()
			name = "CTRL_ATTR_FAMILY_ID"
		case nlmsg.CtrlAttrFamilyName:
			f.Name = Intern(a.StringBytes())
		case nlmsg.CtrlAttrVersion:
			f.Version, err = a.Uint32()
			name = "CTRL_ATTR_VERSION"
		case nlmsg.CtrlAttrHdrSize:
			f.HdrSize, err = a.Uint32()
			name = "CTRL_ATTR_HDRSIZE"
		case nlmsg.CtrlAttrMaxAttr:
			f.MaxAttr, err = a.Uint32()
			name = "CTRL_ATTR_MAXATTR"
		case nlmsg.CtrlAttrOps:
			name, err = decodeOps(a, f)
		case nlmsg.CtrlAttrMcastGroups:
			name, err = decodeGroups(a, f)
		}
		if err != nil {
			return &DecodeError{Msg: msgNewFamily, Attr: name, Offset: a.Offset(), Err: err}
		}
	}
	if err := as.Err(); err != nil {
		return &DecodeError{Msg: msgNewFamily, Offset: -1, Err: err}
	}
	return nil
}

// decodeOps appends the operations nested in a to f.Ops; on failure it
// names the attribute at fault.
func decodeOps(a nlmsg.Attr, f *Family) (string, error) {
	ops := a.Attrs()
	for ops.Next() {
		var op Op
		fields := ops.Attr().Attrs()
		for fields.Next() {
			fa := fields.Attr()
			switch fa.Type() {
			case nlmsg.CtrlAttrOpID:
				v, err := fa.Uint32()
				if err != nil {
					return "CTRL_ATTR_OP_ID", err
				}
				op.Cmd = v
			case nlmsg.CtrlAttrOpFlags:
				v, err := fa.Uint32()
				if err != nil {
					return "CTRL_ATTR_OP_FLAGS", err
				}
				op.Flags = OpFlags(v)
			}
		}
		if err := fields.Err(); err != nil {
			return "CTRL_ATTR_OPS", err
		}
		f.Ops = append(f.Ops, op)
	}
	if err := ops.Err(); err != nil {
		return "CTRL_ATTR_OPS", err
	}
	return "", nil
}

// decodeGroups appends the groups nested in a to f.Groups.
func decodeGroups(a nlmsg.Attr, f *Family) (string, error) {
	groups := a.Attrs()
	for groups.Next() {
		var g Group
		fields := groups.Attr().Attrs()
		for fields.Next() {
			fa := fields.Attr()
			switch fa.Type() {
			case nlmsg.CtrlAttrMcastGrpID:
				v, err := fa.Uint32()
				if err != nil {
					return "CTRL_ATTR_MCAST_GRP_ID", err
				}
				g.ID = v
			case nlmsg.CtrlAttrMcastGrpName:
				g.Name = Intern(fa.StringBytes())
			}
		}
		if err := fields.Err(); err != nil {
			return "CTRL_ATTR_MCAST_GROUPS", err
		}
		f.Groups = append(f.Groups, g)
	}
	if err := groups.Err(); err != nil {
		return "CTRL_ATTR_MCAST_GROUPS", err
	}
	return "", nil
}
