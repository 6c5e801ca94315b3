package rtnl

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrInvalidRoute is wrapped by the error a route or rule write returns,
// before anything is sent, for a value that cannot be encoded (a family
// that disagrees with its addresses, a nest longer than 65535 bytes). It
// errors.Is ErrInvalid.
var ErrInvalidRoute error = invalidError("rtnl: invalid route")

// routeFamily returns the family of r: r.Family, or the family of its
// destination when r.Family is unspecified.
func routeFamily(r *Route) Family {
	if r.Family != FamilyUnspec {
		return r.Family
	}
	switch a := r.Dst.Addr(); {
	case a.Is4():
		return FamilyIPv4
	case a.Is6():
		return FamilyIPv6
	}
	switch {
	case r.Gateway.Is4():
		return FamilyIPv4
	case r.Gateway.Is6():
		return FamilyIPv6
	}
	return FamilyUnspec
}

// appendRoute appends the RTM_NEWROUTE (del false) or RTM_DELROUTE payload
// of r to b. For a new route, a zero Type is sent as unicast and a zero
// Protocol as boot, as ip route add does; for a delete, zero Type,
// Protocol and Table match any, and a universe Scope is sent as
// RT_SCOPE_NOWHERE, which also matches any scope (so a Route built by hand
// with only its destination deletes it, like ip route del).
func appendRoute(b []byte, r *Route, del bool) ([]byte, error) {
	f := routeFamily(r)
	n := addrLen(f)
	if n == 0 {
		return b, fmt.Errorf("%w: family %v (set Family or Dst)", ErrInvalidRoute, f)
	}
	check := func(what string, ip netip.Addr) error {
		if ip.IsValid() && ip.Is4() != (n == 4) {
			return fmt.Errorf("%w: %s %v in a %v route", ErrInvalidRoute, what, ip, f)
		}
		return nil
	}
	for _, c := range []struct {
		what string
		ip   netip.Addr
	}{{"dst", r.Dst.Addr()}, {"src", r.Src.Addr()}, {"prefsrc", r.PrefSrc}} {
		if err := check(c.what, c.ip); err != nil {
			return b, err
		}
	}
	h := nlmsg.RtMsg{
		Family:   uint8(f),
		TOS:      r.TOS,
		Protocol: uint8(r.Protocol),
		Scope:    uint8(r.Scope),
		Type:     uint8(r.Type),
		Flags:    uint32(r.Flags),
	}
	if r.Dst.IsValid() {
		h.DstLen = uint8(r.Dst.Bits())
	}
	if r.Src.IsValid() {
		h.SrcLen = uint8(r.Src.Bits())
	}
	if r.Table < 256 {
		h.Table = uint8(r.Table)
	} else {
		h.Table = uint8(TableCompat)
	}
	if del {
		if r.Scope == ScopeUniverse {
			h.Scope = uint8(ScopeNowhere)
		}
	} else {
		if r.Type == RouteTypeUnspec {
			h.Type = uint8(RouteTypeUnicast)
		}
		if r.Protocol == ProtocolUnspec {
			h.Protocol = uint8(ProtocolBoot)
		}
	}
	start := len(b)
	b = h.AppendTo(b)
	if r.Table != TableUnspec {
		b = appendU32Attr(b, nlmsg.RTATable, uint32(r.Table))
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		b = appendAddrAttr(b, nlmsg.RTADst, r.Dst.Addr())
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		b = appendAddrAttr(b, nlmsg.RTASrc, r.Src.Addr())
	}
	b = appendGateway(b, f, r.Gateway)
	if r.OIF != 0 {
		b = appendU32Attr(b, nlmsg.RTAOIF, uint32(r.OIF))
	}
	if r.IIF != 0 {
		b = appendU32Attr(b, nlmsg.RTAIIF, uint32(r.IIF))
	}
	if r.Priority != 0 {
		b = appendU32Attr(b, nlmsg.RTAPriority, r.Priority)
	}
	if r.PrefSrc.IsValid() {
		b = appendAddrAttr(b, nlmsg.RTAPrefSrc, r.PrefSrc)
	}
	if r.NextHopID != 0 {
		b = appendU32Attr(b, nlmsg.RTANHID, r.NextHopID)
	}
	if r.Realms != 0 {
		b = appendU32Attr(b, nlmsg.RTAFlow, uint32(r.Realms))
	}
	b = r.Metrics.append(b)
	if len(r.Multipath) > 0 {
		var ok bool
		if b, ok = appendMultipath(b, f, r.Multipath); !ok {
			return b[:start], fmt.Errorf("%w: %d next hops do not fit RTA_MULTIPATH", ErrInvalidRoute, len(r.Multipath))
		}
	}
	if f == FamilyIPv6 && (r.HasPref || r.Pref != RoutePrefMedium) {
		b = appendU8Attr(b, nlmsg.RTAPref, uint8(r.Pref))
	}
	if f == FamilyIPv6 && r.Expires > 0 && !del {
		b = appendU32Attr(b, nlmsg.RTAExpires, uint32((r.Expires+time.Second-1)/time.Second))
	}
	if r.EncapType != EncapNone {
		b = appendU16Attr(b, nlmsg.RTAEncapType, uint16(r.EncapType))
		if r.Encap != nil {
			if len(r.Encap) > nlmsg.MaxAttrData {
				return b[:start], fmt.Errorf("%w: RTA_ENCAP of %d bytes", ErrInvalidRoute, len(r.Encap))
			}
			b = appendAttr(b, nlmsg.RTAEncap|nlmsg.AttrNested, r.Encap)
		}
	}
	return b, nil
}
