package conntrack

import (
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// L4 protocol numbers a Tuple commonly carries.
const (
	ProtoICMP    uint8 = unix.IPPROTO_ICMP
	ProtoTCP     uint8 = unix.IPPROTO_TCP
	ProtoUDP     uint8 = unix.IPPROTO_UDP
	ProtoDCCP    uint8 = unix.IPPROTO_DCCP
	ProtoGRE     uint8 = unix.IPPROTO_GRE
	ProtoSCTP    uint8 = unix.IPPROTO_SCTP
	ProtoUDPLite uint8 = unix.IPPROTO_UDPLITE
	ProtoICMPv6  uint8 = unix.IPPROTO_ICMPV6
)

// Tuple is one direction of an entry (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY):
// addresses, L4 protocol and its ports or ICMP id, type and code. It is a
// plain value.
type Tuple struct {
	Src, Dst netip.Addr // both IPv4 or both IPv6
	Proto    uint8      // IPPROTO_*: ProtoTCP, ProtoUDP, ProtoICMP, ...
	// SrcPort and DstPort are the ports of TCP, UDP, SCTP, DCCP and
	// UDP-Lite, and GRE's keys (conntrack prints them as srckey and dstkey).
	SrcPort  uint16
	DstPort  uint16
	ICMPID   uint16 // ICMP and ICMPv6
	ICMPType uint8
	ICMPCode uint8
	// Zone is CTA_TUPLE_ZONE, a zone that applies to this direction only;
	// HasZone says whether the kernel sent one.
	Zone    uint16
	HasZone bool
}

// valid reports whether t has both addresses, of one family.
func (t *Tuple) valid() bool {
	return t.Src.IsValid() && t.Dst.IsValid() && t.Src.Is4() == t.Dst.Is4()
}

// IsICMP reports whether t is an ICMP or ICMPv6 tuple (which carry id, type
// and code instead of ports).
func (t *Tuple) IsICMP() bool { return t.Proto == ProtoICMP || t.Proto == ProtoICMPv6 }

// Family returns AF_INET or AF_INET6 after t's source address, or 0.
func (t *Tuple) Family() uint8 {
	switch {
	case t.Src.Is4():
		return unix.AF_INET
	case t.Src.Is6():
		return unix.AF_INET6
	}
	return 0
}

// Reverse returns the tuple of the other direction without NAT: addresses
// and ports swapped, an ICMP echo request answered by an echo reply, and no
// zone, since a tuple's zone applies to its own direction only (the kernel
// keeps the reply tuple of `conntrack -I --orig-zone 5` zoneless, and
// refuses a create whose two tuples both carry a zone other than 0).
func (t Tuple) Reverse() Tuple {
	r := t
	r.Zone, r.HasZone = 0, false
	r.Src, r.Dst = t.Dst, t.Src
	r.SrcPort, r.DstPort = t.DstPort, t.SrcPort
	switch t.Proto {
	case ProtoICMP:
		r.ICMPType = icmpReverse[t.ICMPType]
	case ProtoICMPv6:
		r.ICMPType = icmpv6Reverse[t.ICMPType]
	}
	return r
}

// The kernel's inverse ICMP types (echo, timestamp, info, address mask; and
// for ICMPv6 echo and node information): the reply of a request, and back.
var icmpReverse = [256]uint8{8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17}
var icmpv6Reverse = func() (m [256]uint8) {
	for i := range m {
		m[i] = uint8(i)
	}
	m[128], m[129], m[139], m[140] = 129, 128, 140, 139
	return m
}()

// decodeTuple decodes the CTA_TUPLE_* attributes of one tuple nest into t,
// which it resets first. name is the nest's kernel name for errors.
func decodeTuple(t *Tuple, name string, a nlmsg.Attr) error {
	*t = Tuple{}
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		switch at.Type() {
		case nlmsg.CTATupleIP:
			if err := decodeIP(t, at); err != nil {
				return wrapPath(name, err)
			}
		case nlmsg.CTATupleProto:
			if err := decodeProto(t, at); err != nil {
				return wrapPath(name, err)
			}
		case nlmsg.CTATupleZone:
			z, err := at.Uint16BE()
			if err != nil {
				return attrErr(name+"/CTA_TUPLE_ZONE", at, err)
			}
			t.Zone, t.HasZone = z, true
		}
	}
	if err := s.Err(); err != nil {
		return attrErr(name, a, err)
	}
	return nil
}

func decodeIP(t *Tuple, a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		d := at.Data()
		var dst *netip.Addr
		var name string
		want := 4
		switch at.Type() {
		case nlmsg.CTAIPv4Src:
			dst, name = &t.Src, "CTA_IP_V4_SRC"
		case nlmsg.CTAIPv4Dst:
			dst, name = &t.Dst, "CTA_IP_V4_DST"
		case nlmsg.CTAIPv6Src:
			dst, name, want = &t.Src, "CTA_IP_V6_SRC", 16
		case nlmsg.CTAIPv6Dst:
			dst, name, want = &t.Dst, "CTA_IP_V6_DST", 16
		default:
			continue
		}
		if len(d) != want {
			return attrErr("CTA_TUPLE_IP/"+name, at, ErrBadLength)
		}
		if want == 4 {
			*dst = netip.AddrFrom4([4]byte(d))
		} else {
			*dst = netip.AddrFrom16([16]byte(d))
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_TUPLE_IP", a, err)
	}
	return nil
}

func decodeProto(t *Tuple, a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		var err error
		var name string
		switch at.Type() {
		case nlmsg.CTAProtoNum:
			t.Proto, err = at.Uint8()
			name = "CTA_PROTO_NUM"
		case nlmsg.CTAProtoSrcPort:
			t.SrcPort, err = at.Uint16BE()
			name = "CTA_PROTO_SRC_PORT"
		case nlmsg.CTAProtoDstPort:
			t.DstPort, err = at.Uint16BE()
			name = "CTA_PROTO_DST_PORT"
		case nlmsg.CTAProtoICMPID, nlmsg.CTAProtoICMPv6ID:
			t.ICMPID, err = at.Uint16BE()
			name = "CTA_PROTO_ICMP_ID"
		case nlmsg.CTAProtoICMPType, nlmsg.CTAProtoICMPv6Type:
			t.ICMPType, err = at.Uint8()
			name = "CTA_PROTO_ICMP_TYPE"
		case nlmsg.CTAProtoICMPCode, nlmsg.CTAProtoICMPv6Code:
			t.ICMPCode, err = at.Uint8()
			name = "CTA_PROTO_ICMP_CODE"
		}
		if err != nil {
			return attrErr("CTA_TUPLE_PROTO/"+name, at, err)
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_TUPLE_PROTO", a, err)
	}
	return nil
}

// appendTuple writes t as a nested attribute of type typ.
func appendTuple(b *nlmsg.Builder, typ uint16, t *Tuple) {
	n := b.BeginNest(typ)
	ip := b.BeginNest(nlmsg.CTATupleIP)
	if t.Src.Is4() {
		s, d := t.Src.As4(), t.Dst.As4()
		b.Attr(nlmsg.CTAIPv4Src, s[:])
		b.Attr(nlmsg.CTAIPv4Dst, d[:])
	} else {
		s, d := t.Src.As16(), t.Dst.As16()
		b.Attr(nlmsg.CTAIPv6Src, s[:])
		b.Attr(nlmsg.CTAIPv6Dst, d[:])
	}
	b.EndNest(ip)
	p := b.BeginNest(nlmsg.CTATupleProto)
	b.Uint8(nlmsg.CTAProtoNum, t.Proto)
	switch t.Proto {
	case ProtoICMP:
		b.Uint16BE(nlmsg.CTAProtoICMPID, t.ICMPID)
		b.Uint8(nlmsg.CTAProtoICMPType, t.ICMPType)
		b.Uint8(nlmsg.CTAProtoICMPCode, t.ICMPCode)
	case ProtoICMPv6:
		b.Uint16BE(nlmsg.CTAProtoICMPv6ID, t.ICMPID)
		b.Uint8(nlmsg.CTAProtoICMPv6Type, t.ICMPType)
		b.Uint8(nlmsg.CTAProtoICMPv6Code, t.ICMPCode)
	default:
		b.Uint16BE(nlmsg.CTAProtoSrcPort, t.SrcPort)
		b.Uint16BE(nlmsg.CTAProtoDstPort, t.DstPort)
	}
	b.EndNest(p)
	if t.HasZone {
		b.Uint16BE(nlmsg.CTATupleZone, t.Zone)
	}
	b.EndNest(n)
}
