//go:build linux

package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNSIDConstantsMatchTheKernel(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTM_NEWNSID", int64(RTMNewNSID), 88, unix.RTM_NEWNSID},
		{"RTM_DELNSID", int64(RTMDelNSID), 89, unix.RTM_DELNSID},
		{"RTM_GETNSID", int64(RTMGetNSID), 90, unix.RTM_GETNSID},
		{"NETNSA_NSID", int64(NETNSANSID), 1, unix.NETNSA_NSID},
		{"NETNSA_PID", int64(NETNSAPID), 2, unix.NETNSA_PID},
		{"NETNSA_FD", int64(NETNSAFD), 3, unix.NETNSA_FD},
		{"NETNSA_TARGET_NSID", int64(NETNSATargetNSID), 4, unix.NETNSA_TARGET_NSID},
		{"NETNSA_CURRENT_NSID", int64(NETNSACurrentNSID), 5, unix.NETNSA_CURRENT_NSID},
		{"NETNSA_NSID_NOT_ASSIGNED", int64(NETNSANSIDNotAssigned), -1, unix.NETNSA_NSID_NOT_ASSIGNED},
		{"RTNLGRP_NSID", RTNLGrpNSID, 28, unix.RTNLGRP_NSID},
	})
	for _, tt := range []struct {
		typ  Type
		name string
	}{{RTMNewNSID, "RTM_NEWNSID"}, {RTMDelNSID, "RTM_DELNSID"}, {RTMGetNSID, "RTM_GETNSID"}} {
		if got := TypeName(FamilyRoute, tt.typ); got != tt.name {
			t.Errorf("TypeName(%d) = %q, want %q", tt.typ, got, tt.name)
		}
	}
}
