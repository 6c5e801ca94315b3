package conntrack

import "strconv"

// TCPState is the TCP tracker's state of an entry (enum tcp_conntrack,
// CTA_PROTOINFO_TCP_STATE).
type TCPState uint8

// TCP states, with the kernel's values.
const (
	TCPNone        TCPState = 0
	TCPSynSent     TCPState = 1
	TCPSynRecv     TCPState = 2
	TCPEstablished TCPState = 3
	TCPFinWait     TCPState = 4
	TCPCloseWait   TCPState = 5
	TCPLastAck     TCPState = 6
	TCPTimeWait    TCPState = 7
	TCPClose       TCPState = 8
	TCPSynSent2    TCPState = 9 // a simultaneous open; conntrack -I calls it LISTEN
)

// The names conntrack -L prints.
var tcpStateNames = [...]string{
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
}

// String returns the name conntrack-tools prints, for example
// "ESTABLISHED", or "TCPState(N)" for a value it does not know.
func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) {
		return tcpStateNames[s]
	}
	return "TCPState(" + strconv.Itoa(int(s)) + ")"
}
