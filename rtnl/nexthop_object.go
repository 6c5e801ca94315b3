package rtnl

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// NexthopObject is a nexthop object (RTM_NEWNEXTHOP, ip nexthop): a next
// hop, or a group of them, that the kernel keeps by its ID and that routes
// refer to with Route.NextHopID. It is named apart from NextHop, which is
// one next hop written inside a multipath route: a NexthopObject lives on
// its own, is shared by routes, and changes for all of them at once.
//
// An object is either a single next hop (Family IPv4 or IPv6; a Gateway
// and an OIF, an OIF alone, Blackhole, or a Gateway with FDB) or a group
// (Family unspecified, Group listing its members).
//
// A NexthopObject filled by Decode, or by the Nexthops iterator, points
// into the message it was decoded from (Encap, Attrs): it is valid until
// that buffer is reused, that is until the next step of the iterator;
// Group is its own slice, reused by the next Decode. Clone makes an owned
// copy; NexthopList returns owned values. Not safe for concurrent use
// while being decoded into.
type NexthopObject struct {
	// ID is the object's id (NHA_ID). Writes with ID 0 let the kernel
	// pick one.
	ID uint32
	// Family is FamilyIPv4 or FamilyIPv6 for a single next hop (a
	// blackhole's is the family it was made for), FamilyUnspec for a
	// group. Writes of a single next hop with no Family take the
	// Gateway's, or IPv4 when there is no Gateway, as ip does.
	Family  Family
	Gateway netip.Addr // NHA_GATEWAY; the zero Addr for a device-only next hop
	OIF     int        // output interface index (NHA_OIF), 0 if none
	// Blackhole is NHA_BLACKHOLE: the next hop drops what it is given. It
	// has no gateway and no device.
	Blackhole bool
	// FDB is NHA_FDB: the object serves bridge FDB entries (VXLAN remote
	// ends), not routes; a single FDB next hop has a Gateway and no OIF,
	// and an FDB group has only FDB members.
	FDB bool
	// Flags are the RTNH_F_* flags of nh_flags: ip's "onlink", and those
	// the kernel sets ("dead", "linkdown", "offload", "trap"). Writes send
	// RouteFlagOnlink only, the one flag the kernel accepts from a request,
	// so a decoded object writes back as it was made.
	Flags RouteFlags
	// Scope is the next hop's scope as the kernel computed it: link for a
	// gateway and for an IPv6 device-only next hop, host for an IPv4
	// device-only one, global for a blackhole and for a group. Reported
	// only; writes do not send it.
	Scope    Scope
	Protocol Protocol // who installed it (nh_protocol); writes send it as given
	// EncapType and Encap are the next hop's lightweight tunnel
	// (NHA_ENCAP_TYPE, and NHA_ENCAP's attributes raw, pointing into the
	// message like Attrs); sent as given by writes.
	EncapType EncapType
	Encap     []byte
	// Group lists the members of a group (NHA_GROUP), in the kernel's
	// order; empty for a single next hop. Decode reuses its capacity.
	Group []NexthopMember
	// GroupType is the group's kind (NHA_GROUP_TYPE): multipath (hash
	// threshold) or resilient. Meaningful for a group only.
	GroupType NexthopGroupType
	// Resilient holds a resilient group's bucket table settings
	// (NHA_RES_GROUP).
	Resilient NexthopResilient
	// Attrs is every attribute of the message after the nhmsg header, raw,
	// including those NexthopObject does not decode (NHA_OP_FLAGS,
	// NHA_HW_STATS_*, ...). Writes ignore it.
	Attrs []byte
}

// NexthopMember is one member of a nexthop group (struct nexthop_grp).
type NexthopMember struct {
	ID uint32 // the member's nexthop object id
	// Weight is the member's share of the traffic, 1 to 65535 (kernels
	// before 6.12 take 1 to 256). Writes send a zero Weight as 1.
	Weight int
}

// NexthopGroupType is the kind of a nexthop group (NEXTHOP_GRP_TYPE_*).
type NexthopGroupType uint16

// Nexthop group types.
const (
	// NexthopGroupMpath spreads flows over the members by hash
	// thresholds (the kernel's default): a member that comes or goes
	// moves flows of the others too.
	NexthopGroupMpath NexthopGroupType = NexthopGroupType(nlmsg.NexthopGrpTypeMpath)
	// NexthopGroupResilient spreads flows over a table of buckets, each
	// bound to a member, and moves as few as it can when members change.
	NexthopGroupResilient NexthopGroupType = NexthopGroupType(nlmsg.NexthopGrpTypeRes)
)

// String gives ip's names, "mpath" and "resilient", or the number.
func (t NexthopGroupType) String() string {
	switch t {
	case NexthopGroupMpath:
		return "mpath"
	case NexthopGroupResilient:
		return "resilient"
	}
	return strconv.Itoa(int(t))
}

// NexthopResilient is the bucket table of a resilient group
// (NHA_RES_GROUP). The kernel reports every field; a write sends Buckets
// when it is not 0 and each timer when its Has field is set, and for a
// timer not sent the kernel keeps its default (an idle timer of 120 s, no
// unbalanced timer) or, in a replace, the group's current value.
type NexthopResilient struct {
	// Buckets is the number of buckets: the kernel requires it when the
	// group is added (EINVAL otherwise) and refuses to change it in a
	// replace, which may leave it 0.
	Buckets uint16
	// IdleTimer is how long a bucket must stay unused before it may move
	// to another member. The wire counts clock ticks (10 ms): writes round
	// down.
	IdleTimer    time.Duration
	HasIdleTimer bool
	// UnbalancedTimer is how long the table may stay unbalanced before
	// buckets move even though in use; 0 means never.
	UnbalancedTimer    time.Duration
	HasUnbalancedTimer bool
	// UnbalancedTime is how long the table has been unbalanced, reported
	// only.
	UnbalancedTime time.Duration
}

// clockTick is one clock_t (1/USER_HZ), the unit of the resilient timers.
const clockTick = time.Second / userHz

// IsGroup reports whether n is a group (it has members).
func (n *NexthopObject) IsGroup() bool { return len(n.Group) > 0 }

// nexthopAttrNames names the attributes Decode checks, for errors.
var nexthopAttrNames = [...]string{
	nlmsg.NHAID: "NHA_ID", nlmsg.NHAGroup: "NHA_GROUP", nlmsg.NHAGroupType: "NHA_GROUP_TYPE",
	nlmsg.NHABlackhole: "NHA_BLACKHOLE", nlmsg.NHAOIF: "NHA_OIF", nlmsg.NHAGateway: "NHA_GATEWAY",
	nlmsg.NHAEncapType: "NHA_ENCAP_TYPE", nlmsg.NHAEncap: "NHA_ENCAP", nlmsg.NHAFDB: "NHA_FDB",
	nlmsg.NHAResGroup: "NHA_RES_GROUP", nlmsg.NHAOpFlags: "NHA_OP_FLAGS",
}

func nexthopAttrErr(a nlmsg.Attr, err error) error {
	name := "nlattr"
	if t := a.Type(); int(t) < len(nexthopAttrNames) && nexthopAttrNames[t] != "" {
		name = nexthopAttrNames[t]
	}
	return &AttrError{Object: "nexthop", Attr: name, Offset: nlmsg.NhMsgLen + a.Offset(), Err: err}
}

// Decode reads one RTM_NEWNEXTHOP or RTM_DELNEXTHOP payload (after the
// netlink header) into n, replacing every field. It reuses the capacity of
// n.Group, so decoding a dump into one NexthopObject allocates nothing once
// warm; n then points into payload (see NexthopObject). A malformed header
// or attribute gives an *AttrError naming it, and n is then partly filled.
func (n *NexthopObject) Decode(payload []byte) error {
	var h nlmsg.NhMsg
	attrs, err := h.Decode(payload)
	if err != nil {
		return &AttrError{Object: "nexthop", Attr: "nhmsg", Offset: 0, Err: err}
	}
	group := n.Group[:0]
	*n = NexthopObject{
		Family:   Family(h.Family),
		Scope:    Scope(h.Scope),
		Protocol: Protocol(h.Protocol),
		Flags:    RouteFlags(h.Flags),
		Attrs:    attrs,
	}
	// NB: the members are read after the scan: whether their weight_high
	// byte counts is told by NHA_OP_FLAGS, which the kernel puts after
	// NHA_GROUP.
	var grp nlmsg.Attr
	var opFlags uint32
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case nlmsg.NHAID:
			n.ID, err = a.Uint32()
		case nlmsg.NHAOIF:
			var v uint32
			v, err = a.Uint32()
			n.OIF = int(int32(v))
		case nlmsg.NHAGateway:
			ip, ok := addrOfFamily(n.Family, a.Data())
			if !ok {
				return nexthopAttrErr(a, ErrAddrFamily)
			}
			n.Gateway = ip
		case nlmsg.NHABlackhole:
			n.Blackhole, err = true, flagAttr(a)
		case nlmsg.NHAFDB:
			n.FDB, err = true, flagAttr(a)
		case nlmsg.NHAEncapType:
			var v uint16
			v, err = a.Uint16()
			n.EncapType = EncapType(v)
		case nlmsg.NHAEncap:
			n.Encap = a.Data()
		case nlmsg.NHAGroupType:
			var v uint16
			v, err = a.Uint16()
			n.GroupType = NexthopGroupType(v)
		case nlmsg.NHAGroup:
			if len(a.Data())%nlmsg.NexthopGrpLen != 0 {
				err = &nlmsg.FormatError{What: "nexthop_grp", Offset: a.Offset(), Len: len(a.Data()), Left: nlmsg.NexthopGrpLen, Err: nlmsg.ErrBadSize}
			}
			grp = a
		case nlmsg.NHAResGroup:
			err = n.Resilient.decode(a.Data())
		case nlmsg.NHAOpFlags:
			opFlags, err = a.Uint32()
		}
		if err != nil {
			return nexthopAttrErr(a, err)
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("nexthop", "nlattr", nlmsg.NhMsgLen, err)
	}
	wide := opFlags&nlmsg.NHAOpFlagRespGrpResvd0 != 0
	for b := grp.Data(); len(b) >= nlmsg.NexthopGrpLen; b = b[nlmsg.NexthopGrpLen:] {
		g, _ := nlmsg.DecodeNexthopGrp(b, wide)
		group = append(group, NexthopMember{ID: g.ID, Weight: int(g.Weight)})
	}
	n.Group = group
	return nil
}

// flagAttr checks that a flag attribute carries no payload.
func flagAttr(a nlmsg.Attr) error {
	if !a.Flag() {
		return &nlmsg.FormatError{What: "flag", Offset: a.Offset(), Len: len(a.Data()), Err: nlmsg.ErrBadSize}
	}
	return nil
}

// decode reads the attributes of NHA_RES_GROUP into r.
func (r *NexthopResilient) decode(b []byte) error {
	s := nlmsg.NewAttrScanner(b)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case nlmsg.NHAResGroupBuckets:
			r.Buckets, err = a.Uint16()
		case nlmsg.NHAResGroupIdleTimer:
			var v uint32
			v, err = a.Uint32()
			r.IdleTimer, r.HasIdleTimer = time.Duration(v)*clockTick, err == nil
		case nlmsg.NHAResGroupUnbalancedTimer:
			var v uint32
			v, err = a.Uint32()
			r.UnbalancedTimer, r.HasUnbalancedTimer = time.Duration(v)*clockTick, err == nil
		case nlmsg.NHAResGroupUnbalancedTime:
			var v uint64
			v, err = a.Uint64()
			r.UnbalancedTime = time.Duration(min(v, uint64(1<<63-1)/uint64(clockTick))) * clockTick
		}
		if err != nil {
			return err
		}
	}
	return s.Err()
}

// Clone returns a copy of n that owns its memory: it stays valid after the
// buffer n points into is reused and after n is decoded into again. It
// allocates the copies of Attrs, Encap and Group (once each, when not
// empty).
func (n *NexthopObject) Clone() NexthopObject {
	c := *n
	c.Attrs = bytes.Clone(n.Attrs)
	c.Encap = bytes.Clone(n.Encap)
	c.Group = nil
	if len(n.Group) > 0 {
		c.Group = append([]NexthopMember(nil), n.Group...)
	}
	return c
}
