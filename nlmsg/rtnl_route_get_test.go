//go:build linux

package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestRouteCacheFlagsMatchTheKernel(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTCF_NOTIFY", int64(RTCFNotify), 0x10000, noUnix},
		{"RTCF_DIRECTDST", int64(RTCFDirectDst), 0x20000, noUnix},
		{"RTCF_REDIRECTED", int64(RTCFRedirected), 0x40000, noUnix},
		{"RTCF_TPROXY", int64(RTCFTProxy), 0x80000, noUnix},
		{"RTCF_FAST", int64(RTCFFast), 0x200000, noUnix},
		{"RTCF_MASQ", int64(RTCFMasq), 0x400000, unix.RTCF_MASQ},
		{"RTCF_SNAT", int64(RTCFSNAT), 0x800000, noUnix},
		{"RTCF_DOREDIRECT", int64(RTCFDoRedirect), 0x1000000, unix.RTCF_DOREDIRECT},
		{"RTCF_DIRECTSRC", int64(RTCFDirectSrc), 0x4000000, unix.RTCF_DIRECTSRC},
		{"RTCF_DNAT", int64(RTCFDNAT), 0x8000000, noUnix},
		{"RTCF_BROADCAST", int64(RTCFBroadcast), 0x10000000, noUnix},
		{"RTCF_MULTICAST", int64(RTCFMulticast), 0x20000000, noUnix},
		{"RTCF_REJECT", int64(RTCFReject), 0x40000000, noUnix},
		{"RTCF_LOCAL", int64(RTCFLocal), 0x80000000, noUnix},
	})
}
