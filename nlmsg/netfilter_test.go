//go:build linux

package nlmsg

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestNetfilterConstantsMatchUnix checks every nfnetlink constant that
// x/sys/unix also defines against it and against the kernel's value.
func TestNetfilterConstantsMatchUnix(t *testing.T) {
	checkConsts(t, []constCase{
		{"NFNETLINK_V0", int64(NFNetlinkV0), 0, unix.NFNETLINK_V0},
		{"NFNL_SUBSYS_CTNETLINK", int64(NFNLSubsysCTNetlink), 1, unix.NFNL_SUBSYS_CTNETLINK},
		{"NFNL_SUBSYS_CTNETLINK_EXP", int64(NFNLSubsysCTNetlinkExp), 2, unix.NFNL_SUBSYS_CTNETLINK_EXP},
		{"NFNLGRP_CONNTRACK_NEW", NFNLGrpConntrackNew, 1, unix.NFNLGRP_CONNTRACK_NEW},
		{"NFNLGRP_CONNTRACK_UPDATE", NFNLGrpConntrackUpdate, 2, unix.NFNLGRP_CONNTRACK_UPDATE},
		{"NFNLGRP_CONNTRACK_DESTROY", NFNLGrpConntrackDestroy, 3, unix.NFNLGRP_CONNTRACK_DESTROY},
		{"NFNLGRP_CONNTRACK_EXP_NEW", NFNLGrpConntrackExpNew, 4, unix.NFNLGRP_CONNTRACK_EXP_NEW},
		{"NFNLGRP_CONNTRACK_EXP_UPDATE", NFNLGrpConntrackExpUpdate, 5, unix.NFNLGRP_CONNTRACK_EXP_UPDATE},
		{"NFNLGRP_CONNTRACK_EXP_DESTROY", NFNLGrpConntrackExpDestroy, 6, unix.NFNLGRP_CONNTRACK_EXP_DESTROY},
		{"sizeof(struct nfgenmsg)", NfGenMsgLen, 4, int64(unsafe.Sizeof(unix.Nfgenmsg{}))},
	})
}

// TestCTNetlinkType checks the subsystem<<8|message layout on values the
// conntrack tool sends: 0x100 is a create, 0x101 a get, 0x102 a delete.
func TestCTNetlinkType(t *testing.T) {
	for msg, want := range map[uint8]Type{IPCTNLMsgCTNew: 0x100, IPCTNLMsgCTGet: 0x101, IPCTNLMsgCTDelete: 0x102, IPCTNLMsgCTGetStats: 0x105} {
		if got := CTNetlinkType(msg); got != want {
			t.Errorf("CTNetlinkType(%d) = %#x, want %#x", msg, got, want)
		}
	}
	if IPSHWOffload != 1<<15 || IPSAssured != 4 || CTALabels != 22 || CTAFilter != 25 || CTAStatusMask != 26 {
		t.Error("a ctnetlink constant moved")
	}
}

// TestNfGenMsgWire checks NfGenMsg against unix.Nfgenmsg's memory layout,
// res_id in network byte order, and the decoder's round trip and short
// input error.
func TestNfGenMsgWire(t *testing.T) {
	h := NfGenMsg{Family: unix.AF_INET6, Version: NFNetlinkV0, ResID: 0x0102}
	k := unix.Nfgenmsg{Nfgen_family: unix.AF_INET6, Version: unix.NFNETLINK_V0}
	// res_id is __be16: its memory holds the bytes 01 02.
	kb := unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k))
	kb[2], kb[3] = 0x01, 0x02
	enc := h.AppendTo(nil)
	if !bytes.Equal(enc, kb) {
		t.Fatalf("AppendTo = % x, kernel layout % x", enc, kb)
	}
	got, rest, err := DecodeNfGenMsg(append(enc, 8, 0, 1, 0))
	if err != nil || got != h || len(rest) != 4 {
		t.Fatalf("DecodeNfGenMsg = %+v, %d bytes left, %v; want %+v, 4", got, len(rest), err, h)
	}
	_, _, err = DecodeNfGenMsg(enc[:3])
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrBadSize) {
		t.Fatalf("short nfgenmsg: %v, want a *FormatError with ErrBadSize", err)
	}
}
