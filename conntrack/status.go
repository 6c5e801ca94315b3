package conntrack

import (
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// Status is the set of IPS_* bits of an entry (CTA_STATUS).
type Status uint32

// Status bits, with the values of the kernel's enum ip_conntrack_status.
const (
	StatusExpected     = Status(nlmsg.IPSExpected)
	StatusSeenReply    = Status(nlmsg.IPSSeenReply)
	StatusAssured      = Status(nlmsg.IPSAssured)
	StatusConfirmed    = Status(nlmsg.IPSConfirmed)
	StatusSrcNAT       = Status(nlmsg.IPSSrcNAT)
	StatusDstNAT       = Status(nlmsg.IPSDstNAT)
	StatusSeqAdjust    = Status(nlmsg.IPSSeqAdjust)
	StatusSrcNATDone   = Status(nlmsg.IPSSrcNATDone)
	StatusDstNATDone   = Status(nlmsg.IPSDstNATDone)
	StatusDying        = Status(nlmsg.IPSDying)
	StatusFixedTimeout = Status(nlmsg.IPSFixedTimeout)
	StatusTemplate     = Status(nlmsg.IPSTemplate)
	StatusUntracked    = Status(nlmsg.IPSUntracked)
	StatusHelper       = Status(nlmsg.IPSHelper)
	StatusOffload      = Status(nlmsg.IPSOffload)
	StatusHWOffload    = Status(nlmsg.IPSHWOffload)
)

// The names conntrack-tools accepts after -u and prints, bit by bit.
var statusNames = [...]string{
	"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT",
	"SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT",
	"TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
}

// Has reports whether every bit of b is set in s.
func (s Status) Has(b Status) bool { return s&b == b }

// String returns the names of the bits that are set, joined by "|" (for
// example "SEEN_REPLY|ASSURED|CONFIRMED"), unknown bits as a hex number, or
// "0". It allocates.
func (s Status) String() string {
	if s == 0 {
		return "0"
	}
	var parts []string
	for i, n := range statusNames {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := uint32(s) >> len(statusNames) << len(statusNames); rest != 0 {
		parts = append(parts, "0x"+strings.ToLower(hex32(rest)))
	}
	return strings.Join(parts, "|")
}

func hex32(v uint32) string {
	const digits = "0123456789ABCDEF"
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = digits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}
