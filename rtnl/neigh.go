package rtnl

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// Neigh is a neighbour table entry (ARP, NDP, or a bridge FDB entry) as
// RTM_NEWNEIGH describes it: the fields `ip -j neigh show` prints.
//
// A decoded Neigh points into its message: LLAddr and Attrs are valid only
// as long as the message is (for Neighs, until the next step of the loop).
// NeighList returns owned values. Not safe for concurrent use.
type Neigh struct {
	Family      Family           // ndm_family: FamilyIPv4 (ARP), FamilyIPv6 (NDP), FamilyBridge (FDB)
	LinkIndex   int              // ndm_ifindex
	State       NeighState       // ndm_state (NUD_*); 0 when written: PERMANENT, as ip
	Flags       NeighFlags       // ndm_flags (NTF_*)
	Type        uint8            // ndm_type: RTN_* (1 unicast)
	Dst         netip.Addr       // NDA_DST
	LLAddr      net.HardwareAddr // NDA_LLADDR; nil when unresolved
	Probes      uint32           // NDA_PROBES
	VLAN        uint16           // NDA_VLAN (bridge FDB)
	MasterIndex int              // NDA_MASTER
	FlagsExt    NeighFlagsExt    // NDA_FLAGS_EXT (NTF_EXT_*): managed, locked
	Protocol    Protocol         // NDA_PROTOCOL: who added it (ip neigh add ... protocol); 0 when unset

	// The remote of a VXLAN FDB entry, as bridge fdb prints it: Dst is its
	// address, Port its UDP port (NDA_PORT; 0: the device's), VNI and
	// SrcVNI its VNIs (NDA_VNI, NDA_SRC_VNI), ViaIndex the link that
	// reaches it (NDA_IFINDEX, bridge's "via"), NHID its next-hop group
	// (NDA_NH_ID).
	Port     uint16
	VNI      uint32
	SrcVNI   uint32
	ViaIndex int
	NHID     uint32

	// Confirmed, Used and Updated are the times since the entry was last
	// confirmed reachable, used and changed, and RefCount its references
	// (NDA_CACHEINFO, what ip -s neigh prints as used/confirmed/updated and
	// ref). The kernel sends them in dumps and events; writes ignore them.
	Confirmed, Used, Updated time.Duration
	RefCount                 uint32

	// Attrs holds every attribute of the message (after the ndmsg).
	Attrs []byte

	llAt int32 // offset of LLAddr in Attrs, for owned copies
}

// NeighState is a neighbour's NUD state: one bit of NUD_*, or a set of them
// in a filter.
type NeighState uint16

// Neighbour states.
const (
	NeighNone       NeighState = NeighState(nlmsg.NUDNone)       // NUD_NONE
	NeighIncomplete NeighState = NeighState(nlmsg.NUDIncomplete) // resolution in progress
	NeighReachable  NeighState = NeighState(nlmsg.NUDReachable)  // confirmed recently
	NeighStale      NeighState = NeighState(nlmsg.NUDStale)      // to be confirmed when used
	NeighDelay      NeighState = NeighState(nlmsg.NUDDelay)      // waiting before probing
	NeighProbe      NeighState = NeighState(nlmsg.NUDProbe)      // probing
	NeighFailed     NeighState = NeighState(nlmsg.NUDFailed)     // resolution failed
	NeighNoARP      NeighState = NeighState(nlmsg.NUDNoARP)      // no resolution needed (multicast, point-to-point)
	NeighPermanent  NeighState = NeighState(nlmsg.NUDPermanent)  // configured, never expires
)

var neighStateNames = []bitName[NeighState]{
	{NeighIncomplete, "INCOMPLETE"}, {NeighReachable, "REACHABLE"}, {NeighStale, "STALE"},
	{NeighDelay, "DELAY"}, {NeighProbe, "PROBE"}, {NeighFailed, "FAILED"},
	{NeighNoARP, "NOARP"}, {NeighPermanent, "PERMANENT"},
}

// Names lists the state bits as `ip -j neigh` prints them ("REACHABLE",
// "PERMANENT", ...), in ip's order; NUD_NONE is ["NONE"], unnamed bits one
// hexadecimal number. It allocates the slice.
func (s NeighState) Names() []string {
	if s == 0 {
		return []string{"NONE"}
	}
	return appendBitNames(nil, s, neighStateNames)
}

// String joins Names with commas.
func (s NeighState) String() string { return strings.Join(s.Names(), ",") }

// NeighFlags are a neighbour's NTF_* flags.
type NeighFlags uint8

// Neighbour flags.
const (
	NeighUse        NeighFlags = NeighFlags(nlmsg.NTFUse)        // NTF_USE: mark as used (in writes)
	NeighSelf       NeighFlags = NeighFlags(nlmsg.NTFSelf)       // NTF_SELF: the device's own table
	NeighMaster     NeighFlags = NeighFlags(nlmsg.NTFMaster)     // NTF_MASTER: the master's table
	NeighProxy      NeighFlags = NeighFlags(nlmsg.NTFProxy)      // NTF_PROXY: a proxy entry
	NeighExtLearned NeighFlags = NeighFlags(nlmsg.NTFExtLearned) // NTF_EXT_LEARNED
	NeighOffloaded  NeighFlags = NeighFlags(nlmsg.NTFOffloaded)  // NTF_OFFLOADED
	NeighSticky     NeighFlags = NeighFlags(nlmsg.NTFSticky)     // NTF_STICKY
	NeighRouter     NeighFlags = NeighFlags(nlmsg.NTFRouter)     // NTF_ROUTER: an IPv6 router
)

var neighFlagNames = [...]struct {
	f    NeighFlags
	name string
}{
	{NeighUse, "use"}, {NeighSelf, "self"}, {NeighMaster, "master"}, {NeighProxy, "proxy"},
	{NeighExtLearned, "extern_learn"}, {NeighOffloaded, "offload"}, {NeighSticky, "sticky"}, {NeighRouter, "router"},
}

// Names lists the flags by ip's keywords ("router", "proxy",
// "extern_learn", "offload", ...; ip prints each as its own JSON key). It
// allocates the slice.
func (f NeighFlags) Names() []string {
	var out []string
	for _, n := range neighFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String joins Names with spaces.
func (f NeighFlags) String() string { return strings.Join(f.Names(), " ") }

// NeighFlagsExt are a neighbour's extended flags (NTF_EXT_*, 32 bits of
// NDA_FLAGS_EXT).
type NeighFlagsExt uint32

// Extended neighbour flags.
const (
	NeighManaged NeighFlagsExt = NeighFlagsExt(nlmsg.NTFExtManaged) // the kernel keeps it resolved (ip neigh add ... managed)
	NeighLocked  NeighFlagsExt = NeighFlagsExt(nlmsg.NTFExtLocked)  // an FDB entry learnt on a locked bridge port
)

// Names lists the flags by ip's and bridge's keywords ("managed",
// "locked"; each its own JSON key), unnamed bits as one hexadecimal
// number. It allocates the slice.
func (f NeighFlagsExt) Names() []string {
	return appendBitNames(nil, f, []bitName[NeighFlagsExt]{{NeighManaged, "managed"}, {NeighLocked, "locked"}})
}

// String joins Names with spaces.
func (f NeighFlagsExt) String() string { return strings.Join(f.Names(), " ") }

// Decode reads an RTM_NEWNEIGH (or RTM_DELNEIGH) payload into n, replacing
// everything in it; n then points into payload (see Neigh). A malformed
// header or attribute gives an *AttrError naming it. Decode does not
// allocate.
func (n *Neigh) Decode(payload []byte) error {
	var h nlmsg.NdMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &AttrError{Object: "neighbour", Attr: "ndmsg", Offset: 0, Err: err}
	}
	// NB: n is cleared in place and then filled, for the reason given at
	// Route.Decode.
	*n = Neigh{}
	n.Family = Family(h.Family)
	n.LinkIndex = int(h.Index)
	n.State = NeighState(h.State)
	n.Flags = NeighFlags(h.Flags)
	n.Type = h.Type
	n.Attrs = attrs
	n.llAt = -1
	base := len(payload) - len(attrs)
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.NDADst:
			ip, ok := addrOfFamily(n.Family, a.Data())
			if !ok {
				err, name = ErrAddrFamily, "NDA_DST"
			}
			n.Dst = ip
		case nlmsg.NDALLAddr:
			n.LLAddr = net.HardwareAddr(a.Data())
			n.llAt = int32(a.Offset() + nlmsg.AttrHeaderLen)
		case nlmsg.NDAProbes:
			n.Probes, err = a.Uint32()
			name = "NDA_PROBES"
		case nlmsg.NDAVLAN:
			n.VLAN, err = a.Uint16()
			name = "NDA_VLAN"
		case nlmsg.NDAMaster:
			var v uint32
			v, err = a.Uint32()
			n.MasterIndex = int(v)
			name = "NDA_MASTER"
		case nlmsg.NDAPort:
			n.Port, err = a.Uint16BE()
			name = "NDA_PORT"
		case nlmsg.NDAVNI:
			n.VNI, err = a.Uint32()
			name = "NDA_VNI"
		case nlmsg.NDASrcVNI:
			n.SrcVNI, err = a.Uint32()
			name = "NDA_SRC_VNI"
		case nlmsg.NDAIfIndex:
			var v uint32
			v, err = a.Uint32()
			n.ViaIndex = int(v)
			name = "NDA_IFINDEX"
		case nlmsg.NDANHID:
			n.NHID, err = a.Uint32()
			name = "NDA_NH_ID"
		case nlmsg.NDAFlagsExt:
			var v uint32
			v, err = a.Uint32()
			n.FlagsExt = NeighFlagsExt(v)
			name = "NDA_FLAGS_EXT"
		case nlmsg.NDAProtocol:
			var v uint8
			v, err = a.Uint8()
			n.Protocol = Protocol(v)
			name = "NDA_PROTOCOL"
		case nlmsg.NDACacheInfo:
			name = "NDA_CACHEINFO"
			d := a.Data()
			if len(d) < nlmsg.NDACacheInfoLen {
				err = &nlmsg.FormatError{What: "attribute", Offset: a.Offset(), Len: len(d), Left: nlmsg.NDACacheInfoLen, Err: nlmsg.ErrBadSize}
				break
			}
			// struct nda_cacheinfo: confirmed, used, updated (clock_t,
			// USER_HZ ticks ago), refcnt.
			tick := time.Second / userHz
			n.Confirmed = time.Duration(binary.NativeEndian.Uint32(d[0:4])) * tick
			n.Used = time.Duration(binary.NativeEndian.Uint32(d[4:8])) * tick
			n.Updated = time.Duration(binary.NativeEndian.Uint32(d[8:12])) * tick
			n.RefCount = binary.NativeEndian.Uint32(d[12:16])
		}
		if err != nil {
			return &AttrError{Object: "neighbour", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("neighbour", "NDA attributes", base, err)
	}
	return nil
}

// Clone returns a deep copy of n that shares nothing with the message it
// was decoded from: a value to keep after the next step of an iterator.
// It allocates one buffer for the copied bytes.
func (n *Neigh) Clone() Neigh {
	o := *n
	o.Attrs = bytes.Clone(n.Attrs)
	o.LLAddr = rebase(n.LLAddr, n.Attrs, o.Attrs, int(n.llAt))
	return o
}
