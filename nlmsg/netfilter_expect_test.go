//go:build linux

package nlmsg

import "testing"

// TestNetfilterExpectConstants checks the expectation subsystem's
// constants against the kernel's values (x/sys/unix defines none of them).
func TestNetfilterExpectConstants(t *testing.T) {
	checkConsts(t, []constCase{
		{"IPCTNL_MSG_EXP_NEW", int64(IPCTNLMsgExpNew), 0, noUnix},
		{"IPCTNL_MSG_EXP_GET", int64(IPCTNLMsgExpGet), 1, noUnix},
		{"IPCTNL_MSG_EXP_DELETE", int64(IPCTNLMsgExpDelete), 2, noUnix},
		{"IPCTNL_MSG_EXP_GET_STATS_CPU", int64(IPCTNLMsgExpGetStatsCPU), 3, noUnix},
		{"CTA_EXPECT_MASTER", int64(CTAExpectMaster), 1, noUnix},
		{"CTA_EXPECT_TUPLE", int64(CTAExpectTuple), 2, noUnix},
		{"CTA_EXPECT_MASK", int64(CTAExpectMask), 3, noUnix},
		{"CTA_EXPECT_TIMEOUT", int64(CTAExpectTimeout), 4, noUnix},
		{"CTA_EXPECT_ID", int64(CTAExpectID), 5, noUnix},
		{"CTA_EXPECT_HELP_NAME", int64(CTAExpectHelpName), 6, noUnix},
		{"CTA_EXPECT_ZONE", int64(CTAExpectZone), 7, noUnix},
		{"CTA_EXPECT_FLAGS", int64(CTAExpectFlags), 8, noUnix},
		{"CTA_EXPECT_CLASS", int64(CTAExpectClass), 9, noUnix},
		{"CTA_EXPECT_NAT", int64(CTAExpectNAT), 10, noUnix},
		{"CTA_EXPECT_FN", int64(CTAExpectFN), 11, noUnix},
		{"CTA_EXPECT_NAT_DIR", int64(CTAExpectNATDir), 1, noUnix},
		{"CTA_EXPECT_NAT_TUPLE", int64(CTAExpectNATTuple), 2, noUnix},
		{"NF_CT_EXPECT_PERMANENT", int64(NFCTExpectPermanent), 1, noUnix},
		{"NF_CT_EXPECT_INACTIVE", int64(NFCTExpectInactive), 2, noUnix},
		{"NF_CT_EXPECT_USERSPACE", int64(NFCTExpectUserspace), 4, noUnix},
	})
}

// TestCTNetlinkExpType checks the subsystem<<8|message layout on the
// values conntrack -L expect and -D expect send: 0x201 and 0x202.
func TestCTNetlinkExpType(t *testing.T) {
	for msg, want := range map[uint8]Type{IPCTNLMsgExpNew: 0x200, IPCTNLMsgExpGet: 0x201, IPCTNLMsgExpDelete: 0x202} {
		if got := CTNetlinkExpType(msg); got != want {
			t.Errorf("CTNetlinkExpType(%d) = %#x, want %#x", msg, got, want)
		}
	}
}
