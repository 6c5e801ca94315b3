package conntrack

import "strconv"

// SCTPState is the SCTP tracker's state of an entry (enum sctp_conntrack,
// CTA_PROTOINFO_SCTP_STATE).
type SCTPState uint8

// SCTP states, with the kernel's values.
const (
	SCTPNone            SCTPState = 0
	SCTPClosed          SCTPState = 1
	SCTPCookieWait      SCTPState = 2
	SCTPCookieEchoed    SCTPState = 3
	SCTPEstablished     SCTPState = 4
	SCTPShutdownSent    SCTPState = 5
	SCTPShutdownRecd    SCTPState = 6
	SCTPShutdownAckSent SCTPState = 7
	SCTPHeartbeatSent   SCTPState = 8
	SCTPHeartbeatAcked  SCTPState = 9 // no longer used by the kernel
)

// The names conntrack -L prints.
var sctpStateNames = [...]string{
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT",
	"SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
}

// String returns the name conntrack-tools prints, for example
// "ESTABLISHED", or "SCTPState(N)" for a value it does not know.
func (s SCTPState) String() string {
	if int(s) < len(sctpStateNames) {
		return sctpStateNames[s]
	}
	return "SCTPState(" + strconv.Itoa(int(s)) + ")"
}

// SCTPInfo is the SCTP tracker's state (CTA_PROTOINFO_SCTP): the
// association's state and the verification tag of each direction, as the
// packets carry them (the kernel keeps them big-endian; these are the
// numbers). NB: conntrack-tools' --orig-vtag and --reply-vtag write their
// number in host byte order, so on a little-endian machine its tag 5 is
// 0x05000000 here.
type SCTPInfo struct {
	State               SCTPState
	VTagOrig, VTagReply uint32
}
