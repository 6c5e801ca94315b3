package rtnl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// RouteQuery is what RouteGet asks the kernel to route: the arguments of
// `ip route get`. Only Dst is required; every zero field is left out of the
// request, so the kernel uses its defaults (the caller's uid, mark 0, any
// interface, UDP). There is no table: a lookup goes through the rules
// (the kernel refuses RTA_TABLE in one), so a table is reached with a rule
// that selects it (by mark, uid, ports, ...) or with VRF. A RouteQuery is a
// plain value, safe to copy; RouteGet does not retain it.
type RouteQuery struct {
	// Family is FamilyIPv4 or FamilyIPv6; FamilyUnspec takes Dst's.
	Family Family
	Dst    netip.Addr // the destination (required)
	// Src is the source address ("from"): for an output lookup, the
	// address the packet leaves with; with IIF, the source of the packet
	// that arrived.
	Src netip.Addr
	// IIF makes the lookup one of a packet arriving on this interface
	// ("iif"), as forwarding does: the interface must exist and, for
	// IPv4, forward (net.ipv4.conf.*.forwarding), or the answer is
	// unreachable. Zero: a packet sent by this host.
	IIF int
	OIF int // the interface the packet must leave by ("oif", "dev"), 0 any
	// VRF is the index of a VRF device whose table the lookup uses ("vrf
	// NAME"). It travels as RTA_OIF, as ip sends it, so OIF must be 0 or
	// the same index.
	VRF  int
	Mark uint32 // the firewall mark ("mark"), 0 none
	// UID is the socket owner ("uid") when HasUID; without it an output
	// lookup is made for the caller's uid.
	UID    uint32
	HasUID bool
	// TOS is the DS field byte (rtm_tos, "tos"/"dsfield"): the DSCP
	// shifted left by two. The kernel routes by its DSCP bits.
	TOS     uint8
	IPProto uint8  // the L4 protocol ("ipproto"): 6, 17, 1 or 58; 0: UDP, the kernel's default
	SrcPort uint16 // the L4 source port ("sport"), 0 none
	DstPort uint16 // the L4 destination port ("dport"), 0 none
	// FlowLabel is the IPv6 flow label (RTA_FLOWLABEL, 20 bits), 0 none.
	FlowLabel uint32
	// FIBMatch asks for the routing table entry that matched
	// (RTM_F_FIB_MATCH, "fibmatch") instead of the route the lookup made
	// of it: its prefix, protocol, scope and next hops.
	FIBMatch bool
	// Connected looks the destination up a second time from the preferred
	// source of the first answer, as a socket connected to Dst would
	// route ("connected"); it has no effect when Src is set, nor when the
	// first answer has no preferred source (a lookup by input interface).
	// It costs a second round trip.
	Connected bool
	// Notify sets RTM_F_NOTIFY (IPv4 only, "notify"). NB: the kernel marks
	// the cached route itself, so later lookups of the same destination
	// report RouteCacheNotify too.
	Notify bool
}

// ErrInvalidRouteQuery is wrapped by RouteGet's error, before anything is
// sent, for a query that cannot be encoded: no destination, addresses of
// another family than the query's, OIF and VRF naming different devices,
// a flow label on IPv4 or wider than 20 bits, Notify on IPv6. It
// errors.Is ErrInvalid.
var ErrInvalidRouteQuery error = invalidError("rtnl: invalid route query")

// ErrNoRoute is matched, with errors.Is, by every *NoRouteError.
var ErrNoRoute = errors.New("rtnl: no usable route")

// NoRouteError is RouteGet's error when the kernel's answer is that the
// destination cannot be reached: no route at all, or a route of a type
// that refuses the packet. It wraps the kernel's *engine.OpError, so
// errors.As finds that and errors.Is the errno; errors.Is(err, ErrNoRoute)
// holds for every reason.
type NoRouteError struct {
	Dst netip.Addr // the query's destination
	// Type says why, from the kernel's errno: RouteTypeUnspec for no
	// route (ENETUNREACH), RouteTypeUnreachable (EHOSTUNREACH: an
	// unreachable route, or an IPv4 packet its input interface would not
	// forward), RouteTypeProhibit (EACCES), RouteTypeBlackhole (EINVAL
	// without an extended-ack message: the kernel says no more) and
	// RouteTypeThrow (EAGAIN). NB: IPv4 answers the same bare EINVAL for
	// a packet it drops as a martian (a local, loopback, multicast or
	// broadcast source; a multicast destination without multicast
	// routing), so that errno is a blackhole's only for an IPv6 lookup or
	// an IPv4 output lookup (no IIF) whose Src is neither multicast nor
	// 255.255.255.255; otherwise RouteGet returns the *engine.OpError.
	// ENETUNREACH also answers an output lookup from a Src that is no
	// address of this host, whatever the routes.
	Type RouteType
	Err  error // the *engine.OpError
}

// Error reads "rtnl: route get 10.8.0.1: unreachable: <the kernel's error>".
func (e *NoRouteError) Error() string {
	why := "no route"
	if e.Type != RouteTypeUnspec {
		why = e.Type.String()
	}
	return "rtnl: route get " + e.Dst.String() + ": " + why + ": " + e.Err.Error()
}

// Unwrap returns the kernel's error.
func (e *NoRouteError) Unwrap() error { return e.Err }

// Is makes every NoRouteError match ErrNoRoute.
func (e *NoRouteError) Is(target error) bool { return target == ErrNoRoute }

// noRouteReason maps the errno of a failed lookup to the route type that
// refused it; ok is false for an errno that is not a routing answer.
// martianEINVAL says the query is one IPv4 may refuse with a bare EINVAL
// before it looks for a route.
func noRouteReason(oe *engine.OpError, martianEINVAL bool) (RouteType, bool) {
	switch {
	case errors.Is(oe.Err, unix.ENETUNREACH):
		return RouteTypeUnspec, true
	case errors.Is(oe.Err, unix.EHOSTUNREACH):
		return RouteTypeUnreachable, true
	case errors.Is(oe.Err, unix.EACCES):
		return RouteTypeProhibit, true
	case errors.Is(oe.Err, unix.EAGAIN):
		return RouteTypeThrow, true
	case errors.Is(oe.Err, unix.EINVAL) && oe.Message == "" && !martianEINVAL:
		// NB: the kernel explains every malformed request in its
		// extended ack; a bare EINVAL is a blackhole's, unless the
		// addresses may have been refused first.
		return RouteTypeBlackhole, true
	}
	return 0, false
}

// RouteGet asks the kernel how it would route a packet described by q
// (RTM_GETROUTE without NLM_F_DUMP, like ip route get) and returns its
// answer, owned and valid for ever. The answer is the route the lookup
// made (for IPv4 Flags has RouteFlagCloned and CacheFlags says more; Dst
// is the destination host) or, with q.FIBMatch, the table entry that
// matched. It also carries the Mark, UID and cache information of the
// lookup. IPv4 lookups report the table the route was found in
// (RTM_F_LOOKUP_TABLE), as ip does.
//
// A query that cannot be encoded is refused before anything is sent, with
// an error that errors.Is ErrInvalidRouteQuery. The kernel's refusal to
// route is a *NoRouteError (errors.Is ErrNoRoute); its other errors (ENODEV
// for an interface that does not exist, EINVAL with its explanation, and
// the bare EINVAL of an IPv4 query that may be a martian's, which
// NoRouteError's Type describes) are *engine.OpError values as they are. It allocates the answer's copy. Safe
// for concurrent use.
func (c *Conn) RouteGet(ctx context.Context, q RouteQuery) (Route, error) {
	r, err := c.routeGet(ctx, &q)
	if err != nil || !q.Connected || q.Src.IsValid() || !r.PrefSrc.IsValid() {
		return r, err
	}
	q.Src, q.Connected = r.PrefSrc, false
	return c.routeGet(ctx, &q)
}

func (c *Conn) routeGet(ctx context.Context, q *RouteQuery) (Route, error) {
	var buf [nlmsg.RtMsgLen + 128]byte
	req, err := q.appendTo(buf[:0])
	if err != nil {
		return Route{}, err
	}
	var out, r Route
	found := false
	err = c.ec.RequestFunc(ctx, nlmsg.RTMGetRoute, req, 0, func(v nlmsg.View) error {
		if v.Type() != nlmsg.RTMNewRoute || found {
			return nil
		}
		if err := r.Decode(v.Payload()); err != nil {
			return err
		}
		out, found = r.Clone(), true
		return nil
	})
	var oe *engine.OpError
	if errors.As(err, &oe) {
		if why, ok := noRouteReason(oe, q.mayBeMartian()); ok {
			return Route{}, &NoRouteError{Dst: q.Dst, Type: why, Err: err}
		}
	}
	if err == nil && !found {
		err = &AttrError{Object: "route", Attr: "RTM_NEWROUTE", Offset: -1, Err: errMissingAttr}
	}
	return out, err
}

// mayBeMartian reports whether the kernel may refuse q for its addresses
// with a bare EINVAL: an IPv4 lookup by input interface (martian source or
// destination), or an IPv4 output lookup from a multicast or limited
// broadcast source.
func (q *RouteQuery) mayBeMartian() bool {
	if q.family() != FamilyIPv4 {
		return false
	}
	return q.IIF != 0 || q.Src.IsMulticast() || q.Src == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// family returns the query's family: Family, or Dst's.
func (q *RouteQuery) family() Family {
	switch {
	case q.Family != FamilyUnspec:
		return q.Family
	case q.Dst.Is4():
		return FamilyIPv4
	case q.Dst.Is6():
		return FamilyIPv6
	}
	return FamilyUnspec
}

// appendTo appends the RTM_GETROUTE payload of q to b, in the form the
// kernel's strict checking accepts: a header with only the family, the
// address lengths, the TOS and the lookup flags, and only the attributes
// a lookup reads.
func (q *RouteQuery) appendTo(b []byte) ([]byte, error) {
	f := q.family()
	n := addrLen(f)
	switch {
	case !q.Dst.IsValid():
		return b, fmt.Errorf("%w: no destination", ErrInvalidRouteQuery)
	case f != FamilyIPv4 && f != FamilyIPv6:
		return b, fmt.Errorf("%w: family %v", ErrInvalidRouteQuery, f)
	case q.Dst.Is4() != (n == 4):
		return b, fmt.Errorf("%w: dst %v in a %v query", ErrInvalidRouteQuery, q.Dst, f)
	case q.Src.IsValid() && q.Src.Is4() != (n == 4):
		return b, fmt.Errorf("%w: src %v in a %v query", ErrInvalidRouteQuery, q.Src, f)
	case q.OIF != 0 && q.VRF != 0 && q.OIF != q.VRF:
		return b, fmt.Errorf("%w: oif %d and vrf %d: the kernel takes one output device", ErrInvalidRouteQuery, q.OIF, q.VRF)
	case q.FlowLabel != 0 && (f != FamilyIPv6 || q.FlowLabel > 0xfffff):
		return b, fmt.Errorf("%w: flow label %#x in a %v query", ErrInvalidRouteQuery, q.FlowLabel, f)
	case q.Notify && f != FamilyIPv4:
		return b, fmt.Errorf("%w: notify is for IPv4 lookups", ErrInvalidRouteQuery)
	}
	h := nlmsg.RtMsg{Family: uint8(f), DstLen: uint8(8 * n), TOS: q.TOS}
	if q.Src.IsValid() {
		h.SrcLen = uint8(8 * n)
	}
	if f == FamilyIPv4 {
		h.Flags |= nlmsg.RTMFLookupTable
	}
	if q.FIBMatch {
		h.Flags |= nlmsg.RTMFFIBMatch
	}
	if q.Notify {
		h.Flags |= nlmsg.RTMFNotify
	}
	b = h.AppendTo(b)
	b = appendAddrAttr(b, nlmsg.RTADst, q.Dst)
	if q.Src.IsValid() {
		b = appendAddrAttr(b, nlmsg.RTASrc, q.Src)
	}
	if q.IIF != 0 {
		b = appendU32Attr(b, nlmsg.RTAIIF, uint32(q.IIF))
	}
	if oif := max(q.OIF, q.VRF); oif != 0 {
		b = appendU32Attr(b, nlmsg.RTAOIF, uint32(oif))
	}
	if q.Mark != 0 {
		b = appendU32Attr(b, nlmsg.RTAMark, q.Mark)
	}
	if q.HasUID {
		b = appendU32Attr(b, nlmsg.RTAUID, q.UID)
	}
	if q.IPProto != 0 {
		b = appendU8Attr(b, nlmsg.RTAIPProto, q.IPProto)
	}
	// NB: ports and the flow label are in network byte order, without
	// NLA_F_NET_BYTEORDER, as ip sends them.
	var be [4]byte
	if q.SrcPort != 0 {
		binary.BigEndian.PutUint16(be[:], q.SrcPort)
		b = appendAttr(b, nlmsg.RTASport, be[:2])
	}
	if q.DstPort != 0 {
		binary.BigEndian.PutUint16(be[:], q.DstPort)
		b = appendAttr(b, nlmsg.RTADport, be[:2])
	}
	if q.FlowLabel != 0 {
		binary.BigEndian.PutUint32(be[:], q.FlowLabel)
		b = appendAttr(b, nlmsg.RTAFlowLabel, be[:])
	}
	return b, nil
}

// RouteCacheInfo is struct rta_cacheinfo without its expiry (Route.Expires
// holds that): what the kernel says of a route a lookup found. ip prints
// Error as "error", ID as "ipid", TS and TSAge as "ts" and "tsage", and,
// with -s, ClntRef as "users", Used as "used" and LastUse as "age". A
// plain value.
type RouteCacheInfo struct {
	ClntRef uint32        // rta_clntref: references to the route
	LastUse time.Duration // rta_lastuse: how long ago it was last used
	Error   int32         // rta_error: the negative errno of a route that refuses packets, 0 otherwise
	Used    uint32        // rta_used: how many times it was used
	ID      uint32        // rta_id: the IP id of the destination (IPv4)
	TS      uint32        // rta_ts: the TCP timestamp last seen
	TSAge   uint32        // rta_tsage: its age in seconds
}

// decode reads an rta_cacheinfo of at least nlmsg.RtaCacheInfoLen bytes
// into ci and returns its expiry.
func (ci *RouteCacheInfo) decode(b []byte) time.Duration {
	ne := binary.NativeEndian
	*ci = RouteCacheInfo{
		ClntRef: ne.Uint32(b[0:4]),
		LastUse: time.Duration(ne.Uint32(b[4:8])) * (time.Second / userHz),
		Error:   int32(ne.Uint32(b[12:16])),
		Used:    ne.Uint32(b[16:20]),
		ID:      ne.Uint32(b[20:24]),
		TS:      ne.Uint32(b[24:28]),
		TSAge:   ne.Uint32(b[28:32]),
	}
	return time.Duration(int32(ne.Uint32(b[8:12]))) * (time.Second / userHz)
}

// RouteCacheFlags are the route cache flags (RTCF_*) of an IPv4 RouteGet
// answer (Route.CacheFlags): what the kernel's routing decided about the
// destination. A plain value.
type RouteCacheFlags uint32

// Route cache flags.
const (
	RouteCacheNotify     RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFNotify)     // the lookup asked for RTM_F_NOTIFY ("notify")
	RouteCacheRedirected RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFRedirected) // learnt from an ICMP redirect ("redirected")
	RouteCacheDoRedirect RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFDoRedirect) // this router would send a redirect ("redirect")
	RouteCacheDirectSrc  RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFDirectSrc)  // the source is on a directly attached network ("src-direct")
	RouteCacheBroadcast  RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFBroadcast)  // a broadcast destination ("brd")
	RouteCacheMulticast  RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFMulticast)  // a multicast destination ("mc")
	RouteCacheLocal      RouteCacheFlags = RouteCacheFlags(nlmsg.RTCFLocal)      // a local destination ("local")
)

// routeCacheFlagNames are the cache flags ip prints, in its order.
var routeCacheFlagNames = []bitName[uint32]{
	{nlmsg.RTCFLocal, "local"}, {nlmsg.RTCFReject, "reject"}, {nlmsg.RTCFMulticast, "mc"},
	{nlmsg.RTCFBroadcast, "brd"}, {nlmsg.RTCFDNAT, "dst-nat"}, {nlmsg.RTCFSNAT, "src-nat"},
	{nlmsg.RTCFMasq, "masq"}, {nlmsg.RTCFDirectDst, "dst-direct"}, {nlmsg.RTCFDirectSrc, "src-direct"},
	{nlmsg.RTCFRedirected, "redirected"}, {nlmsg.RTCFDoRedirect, "redirect"}, {nlmsg.RTCFFast, "fastroute"},
	{nlmsg.RTCFNotify, "notify"}, {nlmsg.RTCFTProxy, "proxy"},
}

// Names returns the flags as ip lists them in a route lookup's "cache"
// (in its order, by its names; an empty list for none), and any other bit
// of the upper 16 as one hexadecimal string. It allocates.
func (f RouteCacheFlags) Names() []string {
	return appendBitNames([]string{}, uint32(f)&^0xffff, routeCacheFlagNames)
}

// CacheFlags returns the route cache flags of an IPv4 RouteGet answer (the
// upper 16 bits of Flags, which mean RTCF_* when RouteFlagCloned is set);
// 0 for any other route. NB: RouteCacheMulticast is the bit of
// RouteFlagOffloadFailed, so Flags.Names of a multicast answer lists
// "rt_offload_failed", as ip does.
func (r *Route) CacheFlags() RouteCacheFlags {
	if r.Family != FamilyIPv4 || r.Flags&RouteFlagCloned == 0 {
		return 0
	}
	return RouteCacheFlags(r.Flags) &^ 0xffff
}
