package rtnl

import "strconv"

// OperState is a link's RFC 2863 operational state (IFLA_OPERSTATE,
// IF_OPER_*).
type OperState uint8

// Operational states.
const (
	OperUnknown        OperState = 0 // IF_OPER_UNKNOWN: the driver does not say (loopback)
	OperNotPresent     OperState = 1 // IF_OPER_NOTPRESENT
	OperDown           OperState = 2 // IF_OPER_DOWN
	OperLowerLayerDown OperState = 3 // IF_OPER_LOWERLAYERDOWN: a lower link (veth peer, parent) is down
	OperTesting        OperState = 4 // IF_OPER_TESTING
	OperDormant        OperState = 5 // IF_OPER_DORMANT
	OperUp             OperState = 6 // IF_OPER_UP
)

var operNames = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// String gives iproute2's names ("UP", "DOWN", "LOWERLAYERDOWN", ...), or
// the number.
func (s OperState) String() string {
	if int(s) < len(operNames) {
		return operNames[s]
	}
	return strconv.Itoa(int(s))
}
