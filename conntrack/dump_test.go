package conntrack

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestFilterKernelExact checks which filters a counter-zeroing dump takes:
// those the kernel applies whole.
func TestFilterKernelExact(t *testing.T) {
	for _, c := range []struct {
		flt  Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Family: unix.AF_INET6}, true},
		{Filter{Mark: 1, MarkMask: 3}, true},
		{Filter{Status: StatusAssured, StatusMask: StatusAssured}, true},
		{Filter{HasZone: true, Zone: 4}, false}, // the kernel also sends entries with zone 4 in one direction only
		{Filter{HasZone: true, Zone: 0}, false}, // the kernel takes zone 0 for no zone filter
		{Filter{Family: unix.AF_INET, Proto: ProtoICMP}, true},
		{Filter{Proto: ProtoUDP}, false}, // CTA_FILTER needs a family
		{Filter{Family: unix.AF_INET, Proto: ProtoTCP, OrigSrc: addr("10.0.0.1"), OrigDst: addr("10.0.0.2"), OrigSrcPort: 1, OrigDstPort: 2}, true},
		{Filter{Family: unix.AF_INET, Proto: ProtoSCTP, OrigDstPort: 2}, false}, // the kernel compares ports of TCP and UDP only
		{Filter{Family: unix.AF_INET6, OrigSrc: addr("2001:db8::1")}, false},    // IPv6 addresses are matched here
		{Filter{Family: unix.AF_INET, OrigSrc: addr("2001:db8::1")}, false},     // an address of the other family
		{Filter{Family: unix.AF_INET, ReplyDst: addr("10.0.0.1")}, false},       // reply addresses are matched here
		{Filter{Family: unix.AF_INET, Proto: ProtoICMP, OrigDstPort: 1}, false}, // no ports in ICMP
	} {
		if got := c.flt.kernelExact(); got != c.want {
			t.Errorf("%+v: kernelExact = %v, want %v", c.flt, got, c.want)
		}
	}
}
