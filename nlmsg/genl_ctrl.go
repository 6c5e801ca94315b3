package nlmsg

// More generic netlink controller ("nlctrl") constants from
// <linux/genetlink.h> and the policy-dump constants from <linux/netlink.h>,
// named as the package documentation describes. GenlIDCtrl,
// CtrlCmdGetFamily and the family, version and group attributes are in
// genl.go.

// Controller commands (the genlmsghdr cmd of GenlIDCtrl messages).
const (
	CtrlCmdUnspec      uint8 = 0  // CTRL_CMD_UNSPEC
	CtrlCmdNewFamily   uint8 = 1  // CTRL_CMD_NEWFAMILY: a family's description (reply, or notification of a new family)
	CtrlCmdDelFamily   uint8 = 2  // CTRL_CMD_DELFAMILY: notification that a family went away
	CtrlCmdNewOps      uint8 = 4  // CTRL_CMD_NEWOPS (unused by the kernel)
	CtrlCmdDelOps      uint8 = 5  // CTRL_CMD_DELOPS (unused by the kernel)
	CtrlCmdGetOps      uint8 = 6  // CTRL_CMD_GETOPS (unused by the kernel)
	CtrlCmdNewMcastGrp uint8 = 7  // CTRL_CMD_NEWMCAST_GRP: notification of a new multicast group
	CtrlCmdDelMcastGrp uint8 = 8  // CTRL_CMD_DELMCAST_GRP: notification that a group went away
	CtrlCmdGetMcastGrp uint8 = 9  // CTRL_CMD_GETMCAST_GRP (unused by the kernel)
	CtrlCmdGetPolicy   uint8 = 10 // CTRL_CMD_GETPOLICY: dump a family's attribute policies (Linux 5.8+)
)

// Controller attributes of CTRL_CMD_NEWFAMILY and CTRL_CMD_GETPOLICY.
const (
	CtrlAttrUnspec   uint16 = 0
	CtrlAttrHdrSize  uint16 = 4  // CTRL_ATTR_HDRSIZE: u32, the family's own header after genlmsghdr
	CtrlAttrMaxAttr  uint16 = 5  // CTRL_ATTR_MAXATTR: u32, the highest attribute type of the family's policy
	CtrlAttrOps      uint16 = 6  // CTRL_ATTR_OPS: nested list of nested operations
	CtrlAttrPolicy   uint16 = 8  // CTRL_ATTR_POLICY: nested policy index -> attribute type -> NLPolicyTypeAttr*
	CtrlAttrOpPolicy uint16 = 9  // CTRL_ATTR_OP_POLICY: nested command -> CtrlAttrPolicyDo/Dump
	CtrlAttrOp       uint16 = 10 // CTRL_ATTR_OP: u32, restricts CTRL_CMD_GETPOLICY to one command

	CtrlAttrOpID    uint16 = 1 // CTRL_ATTR_OP_ID: u32, the command, inside an operation
	CtrlAttrOpFlags uint16 = 2 // CTRL_ATTR_OP_FLAGS: u32, GenlAdminPerm|GenlCmdCap*, inside an operation

	CtrlAttrPolicyDo   uint16 = 1 // CTRL_ATTR_POLICY_DO: u32, the policy index of the command's doit
	CtrlAttrPolicyDump uint16 = 2 // CTRL_ATTR_POLICY_DUMP: u32, the policy index of the command's dumpit
)

// Operation flags (CTRL_ATTR_OP_FLAGS).
const (
	GenlAdminPerm    uint32 = 0x01 // GENL_ADMIN_PERM: needs CAP_NET_ADMIN in the initial user namespace
	GenlCmdCapDo     uint32 = 0x02 // GENL_CMD_CAP_DO: the command has a doit handler
	GenlCmdCapDump   uint32 = 0x04 // GENL_CMD_CAP_DUMP: the command has a dumpit handler
	GenlCmdCapHasPol uint32 = 0x08 // GENL_CMD_CAP_HASPOL: the command validates its attributes with a policy
	GenlUnsAdminPerm uint32 = 0x10 // GENL_UNS_ADMIN_PERM: needs CAP_NET_ADMIN in the namespace's user namespace
)

// Limits of generic netlink.
const (
	GenlNameSize = 16   // GENL_NAMSIZ: a family name's buffer, NUL included
	GenlMinID    = 0x10 // GENL_MIN_ID
	GenlMaxID    = 1023 // GENL_MAX_ID
)

// Attribute types of a policy dump (enum netlink_attribute_type), the value
// of NLPolicyTypeAttrType.
const (
	NLAttrTypeInvalid     uint32 = 0  // NL_ATTR_TYPE_INVALID
	NLAttrTypeFlag        uint32 = 1  // NL_ATTR_TYPE_FLAG
	NLAttrTypeU8          uint32 = 2  // NL_ATTR_TYPE_U8
	NLAttrTypeU16         uint32 = 3  // NL_ATTR_TYPE_U16
	NLAttrTypeU32         uint32 = 4  // NL_ATTR_TYPE_U32
	NLAttrTypeU64         uint32 = 5  // NL_ATTR_TYPE_U64
	NLAttrTypeS8          uint32 = 6  // NL_ATTR_TYPE_S8
	NLAttrTypeS16         uint32 = 7  // NL_ATTR_TYPE_S16
	NLAttrTypeS32         uint32 = 8  // NL_ATTR_TYPE_S32
	NLAttrTypeS64         uint32 = 9  // NL_ATTR_TYPE_S64
	NLAttrTypeBinary      uint32 = 10 // NL_ATTR_TYPE_BINARY
	NLAttrTypeString      uint32 = 11 // NL_ATTR_TYPE_STRING
	NLAttrTypeNulString   uint32 = 12 // NL_ATTR_TYPE_NUL_STRING
	NLAttrTypeNested      uint32 = 13 // NL_ATTR_TYPE_NESTED
	NLAttrTypeNestedArray uint32 = 14 // NL_ATTR_TYPE_NESTED_ARRAY
	NLAttrTypeBitfield32  uint32 = 15 // NL_ATTR_TYPE_BITFIELD32
	NLAttrTypeSint        uint32 = 16 // NL_ATTR_TYPE_SINT (Linux 6.8+)
	NLAttrTypeUint        uint32 = 17 // NL_ATTR_TYPE_UINT (Linux 6.8+)
)

// Attributes describing one attribute's policy (enum
// netlink_policy_type_attr), inside CtrlAttrPolicy.
const (
	NLPolicyTypeAttrUnspec         uint16 = 0
	NLPolicyTypeAttrType           uint16 = 1  // u32, an NLAttrType*
	NLPolicyTypeAttrMinValueS      uint16 = 2  // s64, the smallest signed value
	NLPolicyTypeAttrMaxValueS      uint16 = 3  // s64, the largest signed value
	NLPolicyTypeAttrMinValueU      uint16 = 4  // u64, the smallest unsigned value
	NLPolicyTypeAttrMaxValueU      uint16 = 5  // u64, the largest unsigned value
	NLPolicyTypeAttrMinLength      uint16 = 6  // u32, the shortest payload
	NLPolicyTypeAttrMaxLength      uint16 = 7  // u32, the longest payload
	NLPolicyTypeAttrPolicyIdx      uint16 = 8  // u32, the policy of a nested attribute
	NLPolicyTypeAttrPolicyMaxType  uint16 = 9  // u32, that nested policy's highest type
	NLPolicyTypeAttrBitfield32Mask uint16 = 10 // u32, the valid bits of a bitfield32
	NLPolicyTypeAttrPad            uint16 = 11 // padding for 64-bit values
	NLPolicyTypeAttrMask           uint16 = 12 // u64, the valid bits of an unsigned value
)
