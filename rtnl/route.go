package rtnl

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// Route is a route as rtnetlink describes it (RTM_NEWROUTE), with the fields
// `ip -d -j route show table all` and `ip -d -j route get` print.
//
// A Route filled by Decode, or by the Routes iterator, points into the
// message it was decoded from (Attrs, Encap, and each NextHop's Attrs):
// it is valid until that buffer is reused, that is until the next step of
// the iterator. Clone makes an owned copy; RouteList returns owned values.
// A Route is a plain value: not safe for concurrent use while being decoded
// into.
type Route struct {
	Family Family
	// Dst is the destination. A default route is 0.0.0.0/0 or ::/0 (the
	// kernel sends no RTA_DST for it).
	Dst netip.Prefix
	// Src is the source prefix of a source-specific (IPv6 "from") route;
	// the zero Prefix when the route has none.
	Src netip.Prefix
	// Gateway is the next hop's address: RTA_GATEWAY, or RTA_VIA when its
	// family differs from the route's (an IPv4 route via an IPv6 gateway).
	// Writes choose RTA_VIA by the same rule.
	Gateway   netip.Addr
	OIF       int        // output interface index (RTA_OIF), 0 if none
	IIF       int        // input interface index (RTA_IIF), 0 if none
	Table     Table      // RTA_TABLE, so tables above 255 are right
	Protocol  Protocol   // who installed it
	Scope     Scope      // how far the destination is
	Type      RouteType  // unicast, local, blackhole, ...
	Priority  uint32     // the metric (RTA_PRIORITY)
	PrefSrc   netip.Addr // preferred source address (RTA_PREFSRC)
	Flags     RouteFlags // rtm_flags
	TOS       uint8      // rtm_tos
	Multipath []NextHop  // RTA_MULTIPATH next hops; empty for a single next hop
	Metrics   Metrics    // RTA_METRICS
	// Pref is an IPv6 route's router preference (RTA_PREF); HasPref says
	// whether the kernel sent one (it does for every IPv6 route).
	Pref    RoutePref
	HasPref bool
	// Expires is the time left before the route expires (rta_expires of
	// RTA_CACHEINFO), 0 for a route that does not expire. Writes send it
	// as RTA_EXPIRES, in whole seconds (IPv6 only).
	Expires   time.Duration
	NextHopID uint32    // the nexthop object it uses (RTA_NH_ID), 0 if none
	Realms    Realms    // RTA_FLOW: ip's "realms from/to", 0 if none
	EncapType EncapType // lightweight tunnel type (RTA_ENCAP_TYPE)
	Encap     []byte    // RTA_ENCAP's attributes, raw; sent as given by writes
	// Mark is the firewall mark a lookup was made with (RTA_MARK): set in
	// IPv4 RouteGet answers (the kernel does not echo it for IPv6), 0 in
	// dumps. Writes ignore it.
	Mark uint32
	// UID is the socket owner a lookup was made for (RTA_UID), when
	// HasUID: IPv4 RouteGet answers carry it (not those of a lookup by
	// input interface without RouteQuery.HasUID); IPv6 answers and dumps
	// do not. Writes ignore it.
	UID    uint32
	HasUID bool
	// Cache is the rest of RTA_CACHEINFO (its expiry is Expires): what a
	// RouteGet answer says of the route it found; zero in dumps and
	// notifications. Writes ignore it.
	Cache RouteCacheInfo
	// Attrs is every attribute of the message after the rtmsg header, raw
	// (scan it with nlmsg.NewAttrScanner), including those Route does not
	// decode. Writes ignore it.
	Attrs []byte
}

// userHz is USER_HZ, the unit of rta_expires: always 100 on Linux.
const userHz = 100

// addrLen returns the length of addresses of family f, or 0 when the
// decoder does not know it (MPLS, ...): then address attributes stay raw.
func addrLen(f Family) int {
	switch f {
	case FamilyIPv4, familyIPMR:
		return 4
	case FamilyIPv6, familyIP6MR:
		return 16
	}
	return 0
}

// Multicast routing (ipmr, ip6mr) dumps carry these families in rtm_family.
const (
	familyIPMR  Family = 128 // RTNL_FAMILY_IPMR
	familyIP6MR Family = 129 // RTNL_FAMILY_IP6MR
)

// routeAttrNames names the attributes Decode checks, for errors.
var routeAttrNames = [...]string{
	nlmsg.RTADst: "RTA_DST", nlmsg.RTASrc: "RTA_SRC", nlmsg.RTAIIF: "RTA_IIF",
	nlmsg.RTAOIF: "RTA_OIF", nlmsg.RTAGateway: "RTA_GATEWAY", nlmsg.RTAPriority: "RTA_PRIORITY",
	nlmsg.RTAPrefSrc: "RTA_PREFSRC", nlmsg.RTAMetrics: "RTA_METRICS", nlmsg.RTAMultipath: "RTA_MULTIPATH",
	nlmsg.RTACacheInfo: "RTA_CACHEINFO", nlmsg.RTATable: "RTA_TABLE", nlmsg.RTAVia: "RTA_VIA",
	nlmsg.RTAPref: "RTA_PREF", nlmsg.RTAEncapType: "RTA_ENCAP_TYPE", nlmsg.RTAEncap: "RTA_ENCAP",
	nlmsg.RTANHID: "RTA_NH_ID", nlmsg.RTAFlow: "RTA_FLOW", nlmsg.RTAMark: "RTA_MARK", nlmsg.RTAUID: "RTA_UID",
}

func routeAttrErr(a nlmsg.Attr, err error) error {
	name := "rtattr"
	if t := a.Type(); int(t) < len(routeAttrNames) && routeAttrNames[t] != "" {
		name = routeAttrNames[t]
	}
	return &AttrError{Object: "route", Attr: name, Offset: nlmsg.RtMsgLen + a.Offset(), Err: err}
}

// Decode reads one RTM_NEWROUTE or RTM_DELROUTE payload (after the netlink
// header) into r, replacing every field. It reuses the capacity of
// r.Multipath, so decoding a dump into one Route allocates nothing once
// warm; r then points into payload (see Route). A malformed header or
// attribute gives an *AttrError naming it, and r is then partly filled.
func (r *Route) Decode(payload []byte) error {
	var h nlmsg.RtMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &AttrError{Object: "route", Attr: "rtmsg", Offset: 0, Err: err}
	}
	// NB: r is cleared in place and then filled, rather than assigned a
	// literal: a Route literal is built on the stack and copied with wide
	// loads over narrow stores, a store-forwarding stall (with the one
	// nlmsg.RtMsg.Decode avoids, a third of this function's time).
	dstLen, srcLen := int(h.DstLen), int(h.SrcLen)
	mp := r.Multipath[:0]
	*r = Route{}
	r.Family = Family(h.Family)
	r.TOS = h.TOS
	r.Table = Table(h.Table)
	r.Protocol = Protocol(h.Protocol)
	r.Scope = Scope(h.Scope)
	r.Type = RouteType(h.Type)
	r.Flags = RouteFlags(h.Flags)
	r.Attrs = attrs
	n := addrLen(r.Family)
	if n > 0 {
		if dstLen > 8*n || srcLen > 8*n {
			return &AttrError{Object: "route", Attr: "rtmsg", Offset: 1, Err: ErrAddrFamily}
		}
		r.Dst = netip.PrefixFrom(zeroAddr(n), dstLen)
		if srcLen > 0 {
			r.Src = netip.PrefixFrom(zeroAddr(n), srcLen)
		}
	}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case nlmsg.RTADst:
			if n > 0 {
				ip, ok := addrOf(a.Data(), n)
				if !ok {
					return routeAttrErr(a, ErrAddrFamily)
				}
				r.Dst = netip.PrefixFrom(ip, dstLen)
			}
		case nlmsg.RTASrc:
			if n > 0 {
				ip, ok := addrOf(a.Data(), n)
				if !ok {
					return routeAttrErr(a, ErrAddrFamily)
				}
				r.Src = netip.PrefixFrom(ip, srcLen)
			}
		case nlmsg.RTAGateway:
			if n > 0 {
				ip, ok := addrOf(a.Data(), n)
				if !ok {
					return routeAttrErr(a, ErrAddrFamily)
				}
				r.Gateway = ip
			}
		case nlmsg.RTAVia:
			r.Gateway, err = decodeVia(a.Data())
		case nlmsg.RTAPrefSrc:
			if n > 0 {
				ip, ok := addrOf(a.Data(), n)
				if !ok {
					return routeAttrErr(a, ErrAddrFamily)
				}
				r.PrefSrc = ip
			}
		case nlmsg.RTAOIF:
			var v uint32
			v, err = a.Uint32()
			r.OIF = int(int32(v))
		case nlmsg.RTAIIF:
			var v uint32
			v, err = a.Uint32()
			r.IIF = int(int32(v))
		case nlmsg.RTAPriority:
			r.Priority, err = a.Uint32()
		case nlmsg.RTATable:
			var v uint32
			v, err = a.Uint32()
			r.Table = Table(v)
		case nlmsg.RTAPref:
			var v uint8
			v, err = a.Uint8()
			r.Pref, r.HasPref = RoutePref(v), true
		case nlmsg.RTANHID:
			r.NextHopID, err = a.Uint32()
		case nlmsg.RTAFlow:
			var v uint32
			v, err = a.Uint32()
			r.Realms = Realms(v)
		case nlmsg.RTAEncapType:
			var v uint16
			v, err = a.Uint16()
			r.EncapType = EncapType(v)
		case nlmsg.RTAEncap:
			r.Encap = a.Data()
		case nlmsg.RTACacheInfo:
			if len(a.Data()) < nlmsg.RtaCacheInfoLen {
				return routeAttrErr(a, &nlmsg.FormatError{What: "rta_cacheinfo", Offset: a.Offset(), Len: len(a.Data()), Left: nlmsg.RtaCacheInfoLen, Err: nlmsg.ErrBadSize})
			}
			r.Expires = r.Cache.decode(a.Data())
		case nlmsg.RTAMark:
			r.Mark, err = a.Uint32()
		case nlmsg.RTAUID:
			r.UID, err = a.Uint32()
			r.HasUID = err == nil
		case nlmsg.RTAMetrics:
			err = r.Metrics.decode(a.Data())
		case nlmsg.RTAMultipath:
			mp, err = decodeMultipath(a.Data(), n, mp)
			r.Multipath = mp
		}
		if err != nil {
			return routeAttrErr(a, err)
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("route", "rtattr", nlmsg.RtMsgLen, err)
	}
	if r.Multipath == nil {
		r.Multipath = mp[:0] // empty, but its capacity serves the next Decode
	}
	return nil
}

// decodeVia reads struct rtvia: a 16-bit address family and the address.
// A family Decode does not know (AF_PACKET for MPLS) gives the zero Addr;
// the bytes stay in Attrs.
func decodeVia(b []byte) (netip.Addr, error) {
	if len(b) < 2 {
		return netip.Addr{}, &nlmsg.FormatError{What: "rtvia", Len: len(b), Left: 2, Err: nlmsg.ErrBadSize}
	}
	n := addrLen(Family(binary.NativeEndian.Uint16(b)))
	if n == 0 {
		return netip.Addr{}, nil
	}
	ip, ok := addrOf(b[2:], n)
	if !ok {
		return netip.Addr{}, ErrAddrFamily
	}
	return ip, nil
}

// Clone returns a copy of r that owns its memory: it stays valid after the
// buffer r points into is reused. It allocates the copies of Attrs, Encap
// and Multipath (once each, when not empty), and of each next hop's Attrs
// and Encap.
func (r *Route) Clone() Route {
	c := *r
	c.Attrs = bytes.Clone(r.Attrs)
	c.Encap = bytes.Clone(r.Encap)
	if len(r.Multipath) > 0 {
		c.Multipath = make([]NextHop, len(r.Multipath))
		for i, nh := range r.Multipath {
			nh.Attrs, nh.Encap = bytes.Clone(nh.Attrs), bytes.Clone(nh.Encap)
			c.Multipath[i] = nh
		}
	} else {
		c.Multipath = nil
	}
	return c
}
