package sockdiag

import (
	"strconv"
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// State is a socket's state as sock_diag reports it: the TCP state for TCP
// sockets, and the same numbers for UDP, raw and unix sockets (an unbound
// or unconnected datagram socket is StateClose). String gives the names
// `ss` prints.
type State uint8

// The states, numbered as the kernel's TCP_* states.
const (
	StateEstablished   = State(nlmsg.TCPEstablished)
	StateSynSent       = State(nlmsg.TCPSynSent)
	StateSynRecv       = State(nlmsg.TCPSynRecv)
	StateFinWait1      = State(nlmsg.TCPFinWait1)
	StateFinWait2      = State(nlmsg.TCPFinWait2)
	StateTimeWait      = State(nlmsg.TCPTimeWait)
	StateClose         = State(nlmsg.TCPClose)
	StateCloseWait     = State(nlmsg.TCPCloseWait)
	StateLastAck       = State(nlmsg.TCPLastAck)
	StateListen        = State(nlmsg.TCPListen)
	StateClosing       = State(nlmsg.TCPClosing)
	StateNewSynRecv    = State(nlmsg.TCPNewSynRecv)
	StateBoundInactive = State(nlmsg.TCPBoundInactive)
)

var stateNames = [...]string{
	0:                  "UNKNOWN",
	StateEstablished:   "ESTAB",
	StateSynSent:       "SYN-SENT",
	StateSynRecv:       "SYN-RECV",
	StateFinWait1:      "FIN-WAIT-1",
	StateFinWait2:      "FIN-WAIT-2",
	StateTimeWait:      "TIME-WAIT",
	StateClose:         "UNCONN",
	StateCloseWait:     "CLOSE-WAIT",
	StateLastAck:       "LAST-ACK",
	StateListen:        "LISTEN",
	StateClosing:       "CLOSING",
	StateNewSynRecv:    "NEW-SYN-RECV",
	StateBoundInactive: "BOUND-INACTIVE",
}

// String returns the name `ss` prints for s ("ESTAB", "LISTEN", "UNCONN",
// "TIME-WAIT", ...), or "STATE(n)" for a number it does not know.
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "STATE(" + strconv.Itoa(int(s)) + ")"
}

// States is a set of states, as the kernel's idiag_states and udiag_states
// bit masks hold them (bit 1<<state). The zero value in a request means
// every state.
type States uint32

// AllStates is every state, StateBoundInactive included: it also selects
// the TCP sockets that are bound but neither listen nor connect (reported
// in StateClose), which `ss -a` of iproute2 6.1 does not ask for.
const AllStates States = 1<<(StateBoundInactive+1) - 1

// Common sets, as `ss` selects them: `ss -l` (listening and closed) and
// `ss` without -a: every state but listening, closed, TIME-WAIT and
// SYN-RECV, and so not the bound inactive TCP sockets either.
// ConnectedStates is not ss's `state connected`, which holds TIME-WAIT and
// SYN-RECV sockets too.
const (
	ListeningStates = States(1<<StateListen | 1<<StateClose)
	ConnectedStates = AllStates &^ (1<<StateListen | 1<<StateClose | 1<<StateTimeWait | 1<<StateSynRecv | 1<<StateNewSynRecv | 1<<StateBoundInactive)
)

// StatesOf returns the set holding the given states.
func StatesOf(states ...State) States {
	var s States
	for _, st := range states {
		s |= 1 << st
	}
	return s
}

// Has reports whether st is in s.
func (s States) Has(st State) bool { return st < 32 && s&(1<<st) != 0 }

// String lists the states of s by their ss names, joined by "|".
func (s States) String() string {
	if s == 0 {
		return "none"
	}
	var b strings.Builder
	for st := State(0); st < 32; st++ {
		if s.Has(st) {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(st.String())
		}
	}
	return b.String()
}

// Timer is the timer pending on an inet socket (idiag_timer). String gives
// the names `ss -o` prints.
type Timer uint8

// The timers.
const (
	TimerOff       Timer = 0 // no timer
	TimerOn        Timer = 1 // retransmit (or SYN-ACK) timer
	TimerKeepalive Timer = 2
	TimerTimeWait  Timer = 3
	TimerPersist   Timer = 4 // zero window probe
)

var timerNames = [...]string{"off", "on", "keepalive", "timewait", "persist"}

// String returns ss's name for t ("off", "on", "keepalive", "timewait",
// "persist"), or "unknown".
func (t Timer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "unknown"
}

// SockType is a unix socket's type (udiag_type). String gives the Netid
// column of `ss -x`.
type SockType uint8

// The unix socket types.
const (
	SockStream    SockType = 1 // SOCK_STREAM
	SockDgram     SockType = 2 // SOCK_DGRAM
	SockSeqPacket SockType = 5 // SOCK_SEQPACKET
)

// String returns "u_str", "u_dgr" or "u_seq" as `ss -x` prints them, or
// "u_???" for other types.
func (t SockType) String() string {
	switch t {
	case SockStream:
		return "u_str"
	case SockDgram:
		return "u_dgr"
	case SockSeqPacket:
		return "u_seq"
	}
	return "u_???"
}
