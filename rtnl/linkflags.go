package rtnl

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LinkFlags are a link's device flags (ifi_flags, IFF_*).
type LinkFlags uint32

// Link flags.
const (
	LinkUp           LinkFlags = unix.IFF_UP          // administratively up
	LinkBroadcast    LinkFlags = unix.IFF_BROADCAST   // broadcast address valid
	LinkDebug        LinkFlags = unix.IFF_DEBUG       // debugging
	LinkLoopback     LinkFlags = unix.IFF_LOOPBACK    // a loopback link
	LinkPointToPoint LinkFlags = unix.IFF_POINTOPOINT // a point-to-point link
	LinkNoTrailers   LinkFlags = unix.IFF_NOTRAILERS  // avoid trailers
	LinkRunning      LinkFlags = unix.IFF_RUNNING     // carrier present (RFC 2863 OPER_UP)
	LinkNoARP        LinkFlags = unix.IFF_NOARP       // no ARP
	LinkPromisc      LinkFlags = unix.IFF_PROMISC     // receives all packets
	LinkAllMulti     LinkFlags = unix.IFF_ALLMULTI    // receives all multicast packets
	LinkMaster       LinkFlags = unix.IFF_MASTER      // master of a load balancer
	LinkSlave        LinkFlags = unix.IFF_SLAVE       // slave of a load balancer
	LinkMulticast    LinkFlags = unix.IFF_MULTICAST   // supports multicast
	LinkPortSel      LinkFlags = unix.IFF_PORTSEL     // can set media type
	LinkAutoMedia    LinkFlags = unix.IFF_AUTOMEDIA   // auto media select active
	LinkDynamic      LinkFlags = unix.IFF_DYNAMIC     // addresses are lost when down
	LinkLowerUp      LinkFlags = unix.IFF_LOWER_UP    // driver signals L1 up
	LinkDormant      LinkFlags = unix.IFF_DORMANT     // driver signals dormant
	LinkEcho         LinkFlags = unix.IFF_ECHO        // echoes sent packets
)

// linkFlagNames is the order in which ip prints flags.
var linkFlagNames = [...]struct {
	f    LinkFlags
	name string
}{
	{LinkLoopback, "LOOPBACK"}, {LinkBroadcast, "BROADCAST"}, {LinkPointToPoint, "POINTOPOINT"},
	{LinkMulticast, "MULTICAST"}, {LinkNoARP, "NOARP"}, {LinkAllMulti, "ALLMULTI"},
	{LinkPromisc, "PROMISC"}, {LinkNoTrailers, "NOTRAILERS"}, {LinkDebug, "DEBUG"},
	{LinkDynamic, "DYNAMIC"}, {LinkAutoMedia, "AUTOMEDIA"}, {LinkPortSel, "PORTSEL"},
	{LinkMaster, "MASTER"}, {LinkSlave, "SLAVE"}, {LinkUp, "UP"}, {LinkLowerUp, "LOWER_UP"},
	{LinkDormant, "DORMANT"}, {LinkEcho, "ECHO"},
}

// Names lists the flags as `ip -j link` prints them, in its order:
// "NO-CARRIER" first when the link is up without carrier (UP without
// RUNNING), RUNNING never (ip folds it into NO-CARRIER), then LOOPBACK,
// BROADCAST, POINTOPOINT, MULTICAST, NOARP, ..., UP, LOWER_UP, DORMANT,
// ECHO, and any unnamed bits as one hexadecimal number. (ip's "M-DOWN" is
// not a flag of the link but of its parent.) It allocates the slice.
func (f LinkFlags) Names() []string {
	var out []string
	if f&LinkUp != 0 && f&LinkRunning == 0 {
		out = append(out, "NO-CARRIER")
	}
	rest := f &^ LinkRunning
	for _, n := range linkFlagNames {
		if rest&n.f != 0 {
			out = append(out, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		out = append(out, strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// String joins Names with commas: "BROADCAST,MULTICAST,UP,LOWER_UP".
func (f LinkFlags) String() string { return strings.Join(f.Names(), ",") }
