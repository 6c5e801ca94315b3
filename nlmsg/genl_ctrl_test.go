//go:build linux

package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestGenlCtrlValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"CTRL_CMD_UNSPEC", int64(CtrlCmdUnspec), 0, unix.CTRL_CMD_UNSPEC},
		{"CTRL_CMD_NEWFAMILY", int64(CtrlCmdNewFamily), 1, unix.CTRL_CMD_NEWFAMILY},
		{"CTRL_CMD_DELFAMILY", int64(CtrlCmdDelFamily), 2, unix.CTRL_CMD_DELFAMILY},
		{"CTRL_CMD_NEWOPS", int64(CtrlCmdNewOps), 4, unix.CTRL_CMD_NEWOPS},
		{"CTRL_CMD_DELOPS", int64(CtrlCmdDelOps), 5, unix.CTRL_CMD_DELOPS},
		{"CTRL_CMD_GETOPS", int64(CtrlCmdGetOps), 6, unix.CTRL_CMD_GETOPS},
		{"CTRL_CMD_NEWMCAST_GRP", int64(CtrlCmdNewMcastGrp), 7, unix.CTRL_CMD_NEWMCAST_GRP},
		{"CTRL_CMD_DELMCAST_GRP", int64(CtrlCmdDelMcastGrp), 8, unix.CTRL_CMD_DELMCAST_GRP},
		{"CTRL_CMD_GETMCAST_GRP", int64(CtrlCmdGetMcastGrp), 9, unix.CTRL_CMD_GETMCAST_GRP},
		{"CTRL_CMD_GETPOLICY", int64(CtrlCmdGetPolicy), 10, unix.CTRL_CMD_GETPOLICY},

		{"CTRL_ATTR_UNSPEC", int64(CtrlAttrUnspec), 0, unix.CTRL_ATTR_UNSPEC},
		{"CTRL_ATTR_HDRSIZE", int64(CtrlAttrHdrSize), 4, unix.CTRL_ATTR_HDRSIZE},
		{"CTRL_ATTR_MAXATTR", int64(CtrlAttrMaxAttr), 5, unix.CTRL_ATTR_MAXATTR},
		{"CTRL_ATTR_OPS", int64(CtrlAttrOps), 6, unix.CTRL_ATTR_OPS},
		{"CTRL_ATTR_POLICY", int64(CtrlAttrPolicy), 8, unix.CTRL_ATTR_POLICY},
		{"CTRL_ATTR_OP_POLICY", int64(CtrlAttrOpPolicy), 9, unix.CTRL_ATTR_OP_POLICY},
		{"CTRL_ATTR_OP", int64(CtrlAttrOp), 10, unix.CTRL_ATTR_OP},
		{"CTRL_ATTR_OP_ID", int64(CtrlAttrOpID), 1, unix.CTRL_ATTR_OP_ID},
		{"CTRL_ATTR_OP_FLAGS", int64(CtrlAttrOpFlags), 2, unix.CTRL_ATTR_OP_FLAGS},
		{"CTRL_ATTR_POLICY_DO", int64(CtrlAttrPolicyDo), 1, unix.CTRL_ATTR_POLICY_DO},
		{"CTRL_ATTR_POLICY_DUMP", int64(CtrlAttrPolicyDump), 2, unix.CTRL_ATTR_POLICY_DUMP},

		{"GENL_ADMIN_PERM", int64(GenlAdminPerm), 1, unix.GENL_ADMIN_PERM},
		{"GENL_CMD_CAP_DO", int64(GenlCmdCapDo), 2, unix.GENL_CMD_CAP_DO},
		{"GENL_CMD_CAP_DUMP", int64(GenlCmdCapDump), 4, unix.GENL_CMD_CAP_DUMP},
		{"GENL_CMD_CAP_HASPOL", int64(GenlCmdCapHasPol), 8, unix.GENL_CMD_CAP_HASPOL},
		{"GENL_UNS_ADMIN_PERM", int64(GenlUnsAdminPerm), 0x10, unix.GENL_UNS_ADMIN_PERM},
		{"GENL_NAMSIZ", GenlNameSize, 16, unix.GENL_NAMSIZ},
		{"GENL_MIN_ID", GenlMinID, 0x10, unix.GENL_MIN_ID},
		{"GENL_MAX_ID", GenlMaxID, 1023, unix.GENL_MAX_ID},

		{"NL_ATTR_TYPE_INVALID", int64(NLAttrTypeInvalid), 0, unix.NL_ATTR_TYPE_INVALID},
		{"NL_ATTR_TYPE_FLAG", int64(NLAttrTypeFlag), 1, unix.NL_ATTR_TYPE_FLAG},
		{"NL_ATTR_TYPE_U8", int64(NLAttrTypeU8), 2, unix.NL_ATTR_TYPE_U8},
		{"NL_ATTR_TYPE_U16", int64(NLAttrTypeU16), 3, unix.NL_ATTR_TYPE_U16},
		{"NL_ATTR_TYPE_U32", int64(NLAttrTypeU32), 4, unix.NL_ATTR_TYPE_U32},
		{"NL_ATTR_TYPE_U64", int64(NLAttrTypeU64), 5, unix.NL_ATTR_TYPE_U64},
		{"NL_ATTR_TYPE_S8", int64(NLAttrTypeS8), 6, unix.NL_ATTR_TYPE_S8},
		{"NL_ATTR_TYPE_S16", int64(NLAttrTypeS16), 7, unix.NL_ATTR_TYPE_S16},
		{"NL_ATTR_TYPE_S32", int64(NLAttrTypeS32), 8, unix.NL_ATTR_TYPE_S32},
		{"NL_ATTR_TYPE_S64", int64(NLAttrTypeS64), 9, unix.NL_ATTR_TYPE_S64},
		{"NL_ATTR_TYPE_BINARY", int64(NLAttrTypeBinary), 10, unix.NL_ATTR_TYPE_BINARY},
		{"NL_ATTR_TYPE_STRING", int64(NLAttrTypeString), 11, unix.NL_ATTR_TYPE_STRING},
		{"NL_ATTR_TYPE_NUL_STRING", int64(NLAttrTypeNulString), 12, unix.NL_ATTR_TYPE_NUL_STRING},
		{"NL_ATTR_TYPE_NESTED", int64(NLAttrTypeNested), 13, unix.NL_ATTR_TYPE_NESTED},
		{"NL_ATTR_TYPE_NESTED_ARRAY", int64(NLAttrTypeNestedArray), 14, unix.NL_ATTR_TYPE_NESTED_ARRAY},
		{"NL_ATTR_TYPE_BITFIELD32", int64(NLAttrTypeBitfield32), 15, unix.NL_ATTR_TYPE_BITFIELD32},
		{"NL_ATTR_TYPE_SINT", int64(NLAttrTypeSint), 16, noUnix},
		{"NL_ATTR_TYPE_UINT", int64(NLAttrTypeUint), 17, noUnix},

		{"NL_POLICY_TYPE_ATTR_UNSPEC", int64(NLPolicyTypeAttrUnspec), 0, unix.NL_POLICY_TYPE_ATTR_UNSPEC},
		{"NL_POLICY_TYPE_ATTR_TYPE", int64(NLPolicyTypeAttrType), 1, unix.NL_POLICY_TYPE_ATTR_TYPE},
		{"NL_POLICY_TYPE_ATTR_MIN_VALUE_S", int64(NLPolicyTypeAttrMinValueS), 2, unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_S},
		{"NL_POLICY_TYPE_ATTR_MAX_VALUE_S", int64(NLPolicyTypeAttrMaxValueS), 3, unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_S},
		{"NL_POLICY_TYPE_ATTR_MIN_VALUE_U", int64(NLPolicyTypeAttrMinValueU), 4, unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_U},
		{"NL_POLICY_TYPE_ATTR_MAX_VALUE_U", int64(NLPolicyTypeAttrMaxValueU), 5, unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_U},
		{"NL_POLICY_TYPE_ATTR_MIN_LENGTH", int64(NLPolicyTypeAttrMinLength), 6, unix.NL_POLICY_TYPE_ATTR_MIN_LENGTH},
		{"NL_POLICY_TYPE_ATTR_MAX_LENGTH", int64(NLPolicyTypeAttrMaxLength), 7, unix.NL_POLICY_TYPE_ATTR_MAX_LENGTH},
		{"NL_POLICY_TYPE_ATTR_POLICY_IDX", int64(NLPolicyTypeAttrPolicyIdx), 8, unix.NL_POLICY_TYPE_ATTR_POLICY_IDX},
		{"NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE", int64(NLPolicyTypeAttrPolicyMaxType), 9, unix.NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE},
		{"NL_POLICY_TYPE_ATTR_BITFIELD32_MASK", int64(NLPolicyTypeAttrBitfield32Mask), 10, unix.NL_POLICY_TYPE_ATTR_BITFIELD32_MASK},
		{"NL_POLICY_TYPE_ATTR_PAD", int64(NLPolicyTypeAttrPad), 11, unix.NL_POLICY_TYPE_ATTR_PAD},
		{"NL_POLICY_TYPE_ATTR_MASK", int64(NLPolicyTypeAttrMask), 12, unix.NL_POLICY_TYPE_ATTR_MASK},
	})
}
