package rtnl

import "strconv"

// Realms is a route's or rule's realms (RTA_FLOW, FRA_FLOW): the
// destination realm in the low 16 bits and the source realm in the high
// 16, as the kernel packs them; 0 means none. It is a plain value.
type Realms uint32

// MakeRealms packs a source and a destination realm, as `ip route add ...
// realms from/to` writes them.
func MakeRealms(from, to uint16) Realms { return Realms(uint32(from)<<16 | uint32(to)) }

// From returns the source realm, 0 if none.
func (r Realms) From() uint16 { return uint16(r >> 16) }

// To returns the destination realm.
func (r Realms) To() uint16 { return uint16(r) }

// String prints the realms as ip takes them: "to", or "from/to" when there
// is a source realm.
func (r Realms) String() string {
	if r.From() == 0 {
		return strconv.Itoa(int(r.To()))
	}
	return strconv.Itoa(int(r.From())) + "/" + strconv.Itoa(int(r.To()))
}
