package rtnl

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlengine/nlengine/nlmsg"
)

// NextHop is one next hop of a multipath route (struct rtnexthop and its
// attributes in RTA_MULTIPATH).
type NextHop struct {
	// Gateway is RTA_GATEWAY, or RTA_VIA when its family differs from the
	// route's; the zero Addr for a next hop that is a device only.
	Gateway netip.Addr
	OIF     int // output interface index (rtnh_ifindex)
	// Weight is the next hop's share of the traffic, as ip prints it:
	// rtnh_hops + 1, from 1 to 256. Writes send Weight-1; a zero Weight
	// is written as 1.
	Weight    int
	Flags     RouteFlags // RTNH_F_* (low byte only)
	EncapType EncapType  // its lightweight tunnel type (RTA_ENCAP_TYPE)
	// Encap is its RTA_ENCAP's attributes, raw, pointing into the message
	// like Attrs; sent as given by writes, with EncapType.
	Encap  []byte
	Realms Realms // RTA_FLOW of this next hop, 0 if none
	// Attrs is the next hop's attributes, raw, pointing into the message
	// like Route.Attrs. Writes ignore it.
	Attrs []byte
}

// decodeMultipath appends the next hops of an RTA_MULTIPATH payload to out
// and returns it. alen is the route family's address length (0: leave
// addresses raw).
func decodeMultipath(b []byte, alen int, out []NextHop) ([]NextHop, error) {
	for off := 0; off < len(b); {
		left := len(b) - off
		if left < nlmsg.RtNexthopLen {
			return out, &nlmsg.FormatError{What: "rtnexthop", Offset: off, Len: left, Left: left, Err: nlmsg.ErrTruncated}
		}
		n := int(binary.NativeEndian.Uint16(b[off:]))
		if n < nlmsg.RtNexthopLen || n > left {
			reason := nlmsg.ErrLongLength
			if n < nlmsg.RtNexthopLen {
				reason = nlmsg.ErrShortLength
			}
			return out, &nlmsg.FormatError{What: "rtnexthop", Offset: off, Len: n, Left: left, Err: reason}
		}
		p := b[off : off+n]
		nh := NextHop{
			Flags:  RouteFlags(p[2]),
			Weight: int(p[3]) + 1,
			OIF:    int(int32(binary.NativeEndian.Uint32(p[4:8]))),
			Attrs:  p[nlmsg.RtNexthopLen:],
		}
		s := nlmsg.NewAttrScanner(nh.Attrs)
		for s.Next() {
			a := s.Attr()
			switch a.Type() {
			case nlmsg.RTAGateway:
				if alen > 0 {
					ip, ok := addrOf(a.Data(), alen)
					if !ok {
						return out, ErrAddrFamily
					}
					nh.Gateway = ip
				}
			case nlmsg.RTAVia:
				ip, err := decodeVia(a.Data())
				if err != nil {
					return out, err
				}
				nh.Gateway = ip
			case nlmsg.RTAEncapType:
				v, err := a.Uint16()
				if err != nil {
					return out, err
				}
				nh.EncapType = EncapType(v)
			case nlmsg.RTAEncap:
				nh.Encap = a.Data()
			case nlmsg.RTAFlow:
				v, err := a.Uint32()
				if err != nil {
					return out, err
				}
				nh.Realms = Realms(v)
			}
		}
		if err := s.Err(); err != nil {
			return out, err
		}
		out = append(out, nh)
		off += nlmsg.Align(n)
	}
	return out, nil
}

// gatewayIsVia reports whether a gateway must be sent as RTA_VIA: its
// family is not the route's.
func gatewayIsVia(f Family, ip netip.Addr) bool {
	return ip.IsValid() && addrLen(f) != 0 && ip.Is4() != (addrLen(f) == 4)
}

// appendGateway encodes a gateway as RTA_GATEWAY, or as RTA_VIA (struct
// rtvia) when its family is not the route's.
func appendGateway(b []byte, f Family, ip netip.Addr) []byte {
	if !ip.IsValid() {
		return b
	}
	if !gatewayIsVia(f, ip) {
		return appendAddrAttr(b, nlmsg.RTAGateway, ip)
	}
	b, off := beginNest(b, nlmsg.RTAVia, false)
	if ip.Is4() {
		a := ip.As4()
		b = binary.NativeEndian.AppendUint16(b, uint16(FamilyIPv4))
		b = append(b, a[:]...)
	} else {
		a := ip.As16()
		b = binary.NativeEndian.AppendUint16(b, uint16(FamilyIPv6))
		b = append(b, a[:]...)
	}
	endNest(b, off)
	return pad4(b)
}

// appendMultipath encodes RTA_MULTIPATH: one rtnexthop per next hop, each
// followed by its gateway, as iproute2 writes it (without NLA_F_NESTED).
func appendMultipath(b []byte, f Family, hops []NextHop) ([]byte, bool) {
	b, nest := beginNest(b, nlmsg.RTAMultipath, false)
	for _, nh := range hops {
		start := len(b)
		w := min(max(nh.Weight, 1), 256)
		b = append(b, 0, 0, uint8(nh.Flags), uint8(w-1))
		b = binary.NativeEndian.AppendUint32(b, uint32(nh.OIF))
		b = appendGateway(b, f, nh.Gateway)
		if nh.EncapType != EncapNone {
			b = appendU16Attr(b, nlmsg.RTAEncapType, uint16(nh.EncapType))
			if nh.Encap != nil {
				b = appendAttr(b, nlmsg.RTAEncap|nlmsg.AttrNested, nh.Encap)
			}
		}
		if nh.Realms != 0 {
			b = appendU32Attr(b, nlmsg.RTAFlow, uint32(nh.Realms))
		}
		binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	}
	return b, endNest(b, nest)
}
