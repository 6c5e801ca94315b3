package nlmsg

// ctnetlink's expectation subsystem (NFNL_SUBSYS_CTNETLINK_EXP), from
// <linux/netfilter/nfnetlink_conntrack.h> and
// <linux/netfilter/nf_conntrack_common.h>: its messages, the attributes of
// an expectation (enum ctattr_expect) and of its NAT nest, and the flags
// of CTA_EXPECT_FLAGS. Integers are big-endian on the wire.

// CTNetlinkExpType returns the nlmsg_type of the expectation message msg
// (one of the IPCTNLMsgExp* values): (NFNL_SUBSYS_CTNETLINK_EXP << 8) | msg.
func CTNetlinkExpType(msg uint8) Type {
	return Type(uint16(NFNLSubsysCTNetlinkExp)<<8 | uint16(msg))
}

// Expectation messages (enum ctnl_exp_msg_types), the low byte of the type.
const (
	IPCTNLMsgExpNew         uint8 = 0 // IPCTNL_MSG_EXP_NEW: create an expectation or change its timeout; also a dump reply or an event
	IPCTNLMsgExpGet         uint8 = 1 // IPCTNL_MSG_EXP_GET: get one expectation, or dump them
	IPCTNLMsgExpDelete      uint8 = 2 // IPCTNL_MSG_EXP_DELETE: delete one, those of a helper, or all; also a destroy event
	IPCTNLMsgExpGetStatsCPU uint8 = 3 // IPCTNL_MSG_EXP_GET_STATS_CPU: per-CPU expectation statistics (a dump)
)

// Expectation attributes (enum ctattr_expect), after an NfGenMsg.
const (
	CTAExpectMaster   uint16 = 1  // CTA_EXPECT_MASTER: nested CTA_TUPLE_*, the original tuple of the master entry
	CTAExpectTuple    uint16 = 2  // CTA_EXPECT_TUPLE: nested CTA_TUPLE_*, the connection expected
	CTAExpectMask     uint16 = 3  // CTA_EXPECT_MASK: nested CTA_TUPLE_*, which bits of the tuple's source must match
	CTAExpectTimeout  uint16 = 4  // CTA_EXPECT_TIMEOUT: be32, seconds left
	CTAExpectID       uint16 = 5  // CTA_EXPECT_ID: be32
	CTAExpectHelpName uint16 = 6  // CTA_EXPECT_HELP_NAME: string, the helper
	CTAExpectZone     uint16 = 7  // CTA_EXPECT_ZONE: be16, the zone of the master
	CTAExpectFlags    uint16 = 8  // CTA_EXPECT_FLAGS: be32, NF_CT_EXPECT_* bits
	CTAExpectClass    uint16 = 9  // CTA_EXPECT_CLASS: be32, the helper's expectation class
	CTAExpectNAT      uint16 = 10 // CTA_EXPECT_NAT: nested CTA_EXPECT_NAT_*
	CTAExpectFN       uint16 = 11 // CTA_EXPECT_FN: string, the function run on the expected entry ("nat-follow-master")

	CTAExpectNATDir   uint16 = 1 // CTA_EXPECT_NAT_DIR: be32, the direction (IP_CT_DIR_*) NAT applies to
	CTAExpectNATTuple uint16 = 2 // CTA_EXPECT_NAT_TUPLE: nested CTA_TUPLE_*, the saved source address and port
)

// Expectation flags (NF_CT_EXPECT_*), in CTA_EXPECT_FLAGS.
const (
	NFCTExpectPermanent uint32 = 0x1 // NF_CT_EXPECT_PERMANENT: stays after it was used
	NFCTExpectInactive  uint32 = 0x2 // NF_CT_EXPECT_INACTIVE: not matched until activated
	NFCTExpectUserspace uint32 = 0x4 // NF_CT_EXPECT_USERSPACE: made by a user-space helper (the kernel clears it on create)
)
