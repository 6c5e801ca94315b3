package rtnl

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// Addr is an interface address as RTM_NEWADDR describes it: the fields
// `ip -j addr show` prints.
//
// A decoded Addr points into its message only through Attrs (valid as long
// as the message is; for Addrs, until the next step of the loop); every
// other field is a value or an interned string. AddrList returns owned
// values. Not safe for concurrent use.
type Addr struct {
	Family Family
	// Prefix is the local address with the prefix length (IFA_LOCAL, or
	// IFA_ADDRESS when there is no IFA_LOCAL, as for most IPv6 addresses).
	// Its host bits are kept: 10.0.0.1/24, not 10.0.0.0/24.
	Prefix    netip.Prefix
	Peer      netip.Addr // IFA_ADDRESS of a point-to-point address, when it differs from the local one
	LinkIndex int        // ifa_index
	Scope     Scope      // ifa_scope
	Flags     AddrFlags  // IFA_FLAGS (all 32 bits), else ifa_flags
	Label     string     // IFA_LABEL (IPv4 only): "eth0" or "eth0:alias"
	Broadcast netip.Addr // IFA_BROADCAST (IPv4 only)
	// ValidLifetime and PreferredLifetime are the seconds left (IFA_CACHEINFO);
	// LifetimeForever for a permanent address. When written, zero in both
	// means forever.
	ValidLifetime     uint32
	PreferredLifetime uint32
	Metric            uint32 // IFA_RT_PRIORITY: the metric of the prefix route
	// Protocol is who added the address (IFA_PROTO): the kernel for its
	// loopback, link-local and autoconfigured addresses, else what the
	// writer said (ip addr add ... proto); 0 when unset.
	Protocol AddrProtocol

	// Attrs holds every attribute of the message (after the ifaddrmsg).
	Attrs []byte
}

// AddrProtocol says who added an address (IFA_PROTO, IFAPROT_*); values
// above AddrProtocolKernelLL are the administrator's.
type AddrProtocol uint8

// Address origins.
const (
	AddrProtocolUnspec   AddrProtocol = AddrProtocol(nlmsg.IFAProtUnspec)
	AddrProtocolKernelLo AddrProtocol = AddrProtocol(nlmsg.IFAProtKernelLo) // the loopback address
	AddrProtocolKernelRA AddrProtocol = AddrProtocol(nlmsg.IFAProtKernelRA) // from a router advertisement
	AddrProtocolKernelLL AddrProtocol = AddrProtocol(nlmsg.IFAProtKernelLL) // a link-local address the kernel made
)

// String gives iproute2's name ("kernel_lo", "kernel_ra", "kernel_ll",
// "unspec") or the number, as ip addr prints the protocol.
func (p AddrProtocol) String() string {
	switch p {
	case AddrProtocolUnspec:
		return "unspec"
	case AddrProtocolKernelLo:
		return "kernel_lo"
	case AddrProtocolKernelRA:
		return "kernel_ra"
	case AddrProtocolKernelLL:
		return "kernel_ll"
	}
	return strconv.Itoa(int(p))
}

// LifetimeForever is the lifetime of an address that does not expire
// (INFINITY_LIFE_TIME), which ip prints as "forever".
const LifetimeForever = 0xFFFFFFFF

// AddrFlags are an address's IFA_F_* flags (32 bits, from IFA_FLAGS).
type AddrFlags uint32

// Address flags.
const (
	AddrSecondary      AddrFlags = AddrFlags(nlmsg.IFAFSecondary)      // a secondary IPv4 address
	AddrTemporary      AddrFlags = AddrFlags(nlmsg.IFAFSecondary)      // an IPv6 privacy address (the same bit)
	AddrNoDAD          AddrFlags = AddrFlags(nlmsg.IFAFNoDAD)          // no duplicate address detection
	AddrOptimistic     AddrFlags = AddrFlags(nlmsg.IFAFOptimistic)     // optimistic DAD
	AddrDADFailed      AddrFlags = AddrFlags(nlmsg.IFAFDADFailed)      // DAD failed
	AddrHomeAddress    AddrFlags = AddrFlags(nlmsg.IFAFHomeAddress)    // mobile IPv6 home address
	AddrDeprecated     AddrFlags = AddrFlags(nlmsg.IFAFDeprecated)     // preferred lifetime over
	AddrTentative      AddrFlags = AddrFlags(nlmsg.IFAFTentative)      // DAD not finished
	AddrPermanent      AddrFlags = AddrFlags(nlmsg.IFAFPermanent)      // configured, not learnt (ip prints the absence as "dynamic")
	AddrManageTempAddr AddrFlags = AddrFlags(nlmsg.IFAFManageTempAddr) // make privacy addresses from this one
	AddrNoPrefixRoute  AddrFlags = AddrFlags(nlmsg.IFAFNoPrefixRoute)  // no prefix route for it
	AddrMcAutoJoin     AddrFlags = AddrFlags(nlmsg.IFAFMcAutoJoin)     // join the multicast group
	AddrStablePrivacy  AddrFlags = AddrFlags(nlmsg.IFAFStablePrivacy)  // RFC 7217 address
)

var addrFlagNames = [...]struct {
	f    AddrFlags
	name string
}{
	{AddrSecondary, "secondary"}, {AddrNoDAD, "nodad"}, {AddrOptimistic, "optimistic"},
	{AddrDADFailed, "dadfailed"}, {AddrHomeAddress, "home"}, {AddrDeprecated, "deprecated"},
	{AddrTentative, "tentative"}, {AddrPermanent, "permanent"}, {AddrManageTempAddr, "mngtmpaddr"},
	{AddrNoPrefixRoute, "noprefixroute"}, {AddrMcAutoJoin, "autojoin"}, {AddrStablePrivacy, "stable-privacy"},
}

// Names lists the set flags by iproute2's keywords, in its order
// ("secondary", "nodad", ..., "permanent", "mngtmpaddr", "noprefixroute",
// "autojoin", "stable-privacy"), unnamed bits as one hexadecimal number.
// ip itself prints "temporary" for the secondary bit of an IPv6 address and
// "dynamic" for an address without "permanent". It allocates the slice.
func (f AddrFlags) Names() []string {
	var out []string
	for _, n := range addrFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		out = append(out, strconv.FormatUint(uint64(f), 16))
	}
	return out
}

// String joins Names with spaces, as ip prints them.
func (f AddrFlags) String() string { return strings.Join(f.Names(), " ") }

// Decode reads an RTM_NEWADDR (or RTM_DELADDR) payload into a, replacing
// everything in it; a.Attrs then points into payload. A malformed header or
// attribute gives an *AttrError naming it. Decode does not allocate once
// the labels have been seen (they are interned).
func (a *Addr) Decode(payload []byte) error {
	var h nlmsg.IfAddrMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &AttrError{Object: "address", Attr: "ifaddrmsg", Offset: 0, Err: err}
	}
	// NB: a is cleared in place and then filled, for the reason given at
	// Route.Decode.
	prefixLen := int(h.PrefixLen)
	*a = Addr{}
	a.Family = Family(h.Family)
	a.Flags = AddrFlags(h.Flags)
	a.Scope = Scope(h.Scope)
	a.LinkIndex = int(h.Index)
	a.Attrs = attrs
	base := len(payload) - len(attrs)
	var local, address netip.Addr
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		at := s.Attr()
		var err error
		var name string
		switch at.Type() {
		case nlmsg.IFALocal, nlmsg.IFAAddress, nlmsg.IFABroadcast:
			ip, ok := addrOfFamily(a.Family, at.Data())
			switch at.Type() {
			case nlmsg.IFALocal:
				local, name = ip, "IFA_LOCAL"
			case nlmsg.IFAAddress:
				address, name = ip, "IFA_ADDRESS"
			default:
				a.Broadcast, name = ip, "IFA_BROADCAST"
			}
			if !ok {
				err = ErrAddrFamily
			}
		case nlmsg.IFALabel:
			a.Label = names.String(at.StringBytes())
		case nlmsg.IFAFlags:
			var v uint32
			v, err = at.Uint32()
			a.Flags = AddrFlags(v)
			name = "IFA_FLAGS"
		case nlmsg.IFARtPriority:
			a.Metric, err = at.Uint32()
			name = "IFA_RT_PRIORITY"
		case nlmsg.IFAProto:
			var v uint8
			v, err = at.Uint8()
			a.Protocol = AddrProtocol(v)
			name = "IFA_PROTO"
		case nlmsg.IFACacheInfo:
			name = "IFA_CACHEINFO"
			d := at.Data()
			if len(d) < nlmsg.IFACacheInfoLen {
				err = &nlmsg.FormatError{What: "attribute", Offset: at.Offset(), Len: len(d), Left: nlmsg.IFACacheInfoLen, Err: nlmsg.ErrBadSize}
				break
			}
			a.PreferredLifetime = binary.NativeEndian.Uint32(d[0:4])
			a.ValidLifetime = binary.NativeEndian.Uint32(d[4:8])
		}
		if err != nil {
			return &AttrError{Object: "address", Attr: name, Offset: base + at.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("address", "IFA attributes", base, err)
	}
	if local.IsValid() {
		if address.IsValid() && address != local {
			a.Peer = address
		}
	} else {
		local = address
	}
	if local.IsValid() {
		if prefixLen > local.BitLen() {
			return &AttrError{Object: "address", Attr: "ifa_prefixlen", Offset: 1, Err: ErrAddrFamily}
		}
		a.Prefix = netip.PrefixFrom(local, prefixLen)
	}
	return nil
}

// Clone returns a deep copy of a that shares nothing with the message it
// was decoded from: a value to keep after the next step of an iterator.
// It allocates one buffer for the copied bytes.
func (a *Addr) Clone() Addr {
	o := *a
	o.Attrs = bytes.Clone(a.Attrs)
	return o
}
