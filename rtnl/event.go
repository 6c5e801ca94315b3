package rtnl

import (
	"context"
	"errors"
	"iter"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Multicast groups of rtnetlink notifications, for engine.WithGroups or
// Conn.Subscribe. EventGroups joins all of them.
const (
	GroupLink      = nlmsg.RTNLGrpLink       // links: RTM_NEWLINK, RTM_DELLINK
	GroupNeigh     = nlmsg.RTNLGrpNeigh      // neighbours of every family
	GroupIPv4Addr  = nlmsg.RTNLGrpIPv4IfAddr // IPv4 addresses
	GroupIPv6Addr  = nlmsg.RTNLGrpIPv6IfAddr // IPv6 addresses
	GroupIPv4Route = nlmsg.RTNLGrpIPv4Route  // IPv4 routes
	GroupIPv6Route = nlmsg.RTNLGrpIPv6Route  // IPv6 routes
	GroupIPv4Rule  = nlmsg.RTNLGrpIPv4Rule   // IPv4 rules
	GroupIPv6Rule  = nlmsg.RTNLGrpIPv6Rule   // IPv6 rules
	GroupNexthop   = nlmsg.RTNLGrpNexthop    // nexthop objects: RTM_NEWNEXTHOP, RTM_DELNEXTHOP
	GroupNSID      = nlmsg.RTNLGrpNSID       // namespace ids: RTM_NEWNSID, RTM_DELNSID
	// GroupTC is traffic control: qdiscs and classes (and filters,
	// which Events leaves as EventUnknown). EventGroups leaves it out:
	// subscribe to it by name.
	GroupTC = nlmsg.RTNLGrpTC
)

// EventGroups lists every group Events decodes: links, neighbours, the
// IPv4 and IPv6 addresses, routes and rules, nexthop objects and
// namespace ids. A kernel before Linux 5.3 has no nexthop group and
// refuses to join it (EINVAL): leave GroupNexthop out there. Do not
// modify it.
var EventGroups = []uint32{GroupLink, GroupNeigh, GroupIPv4Addr, GroupIPv6Addr,
	GroupIPv4Route, GroupIPv6Route, GroupIPv4Rule, GroupIPv6Rule, GroupNexthop, GroupNSID}

// EventKind says what an Event is about.
type EventKind uint8

// Event kinds.
const (
	EventUnknown EventKind = iota // a message of a type Events does not decode (Raw holds it)
	EventLink
	EventAddr
	EventRoute
	EventNeigh
	EventRule
	// EventOverrun reports that notifications were lost: the kernel's
	// receive buffer overflowed (Err errors.Is unix.ENOBUFS) or the
	// engine's queue did (engine.ErrOverrun). What is known of the tables
	// may now be stale; a copy must be read again. The stream goes on.
	EventOverrun
	// EventNexthop is a nexthop object added, changed or deleted. The
	// kernel sends none for the objects it removes with their device
	// (a link deleted or set down): a copy must read them again then. A
	// resilient group's bucket moving (RTM_NEWNEXTHOPBUCKET) is an
	// EventUnknown.
	EventNexthop
	// EventNSID is a namespace id given (RTM_NEWNSID) or dropped with its
	// namespace (RTM_DELNSID, Deleted).
	EventNSID
	// EventQdisc is a qdisc added, changed or deleted (Event.Qdisc), on
	// GroupTC. Deleting a qdisc notifies its own deletion only, not that
	// of the classes and qdiscs under it.
	EventQdisc
	// EventClass is a traffic class added, changed or deleted
	// (Event.Class), on GroupTC.
	EventClass
)

var eventKindNames = [...]string{"unknown", "link", "addr", "route", "neigh", "rule", "overrun", "nexthop", "nsid", "qdisc", "class"}

// String names the kind as ip monitor does ("link", "route", ...).
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one rtnetlink notification, decoded by the same Decode as a
// dump's messages: Kind says which of Link, Addr, Route, Neigh, Rule,
// Nexthop, NSID, Qdisc or Class is filled (the others keep stale data
// from earlier events), Deleted tells RTM_DEL* from RTM_NEW*. Not every
// link RTM_DELLINK is a link gone: one of Link.Family FamilyBridge is a
// port leaving its bridge, and one with
// Link.NewIndex set is a link moved to another namespace (it appears
// there with an RTM_NEWLINK, in that namespace only).
//
// Events reuses one Event for the whole stream: it and everything it
// points to (Raw, the objects' Attrs and byte fields) are valid only until
// the next step of the loop. Copy what you keep (Route.Clone, RouteList's
// kind of owned values). Not safe for concurrent use while being decoded
// into.
type Event struct {
	Kind    EventKind
	Deleted bool        // an RTM_DELLINK, RTM_DELADDR, RTM_DELROUTE, RTM_DELNEIGH, RTM_DELRULE, RTM_DELNEXTHOP, RTM_DELNSID, RTM_DELQDISC or RTM_DELTCLASS
	Type    nlmsg.Type  // the message type (RTM_NEWROUTE, ...); 0 for an overrun
	Flags   nlmsg.Flags // the message's flags: NLM_F_REPLACE, NLM_F_APPEND, NLM_F_CREATE, ...
	// Err is the loss an EventOverrun reports (errors.Is unix.ENOBUFS or
	// engine.ErrOverrun); nil for other kinds.
	Err error
	// Raw is the whole message, header included.
	Raw []byte

	Link    Link
	Addr    Addr
	Route   Route
	Neigh   Neigh
	Rule    Rule
	Nexthop NexthopObject
	NSID    NSID
	Qdisc   Qdisc
	Class   Class
}

// Subscribe joins rtnetlink multicast groups on c (GroupLink, ...), so
// that Events sees their notifications. Joining at connect time with
// engine.WithGroups(rtnl.EventGroups...) is the same, and also gives the
// Conn the engine's large listener receive buffer. It stops at the first
// group the kernel refuses and returns its error. Safe for concurrent use.
func (c *Conn) Subscribe(groups ...uint32) error {
	for _, g := range groups {
		if err := c.ec.AddMembership(g); err != nil {
			return err
		}
	}
	return nil
}

// IsOverrun reports whether err says notifications were lost: the kernel's
// ENOBUFS or the engine's ErrOverrun.
func IsOverrun(err error) bool {
	return errors.Is(err, unix.ENOBUFS) || errors.Is(err, engine.ErrOverrun)
}

// Events yields the notifications of the groups c joined, each decoded in
// place into one reused Event (see Event for its lifetime). A loss of
// notifications is yielded as an Event of kind EventOverrun, at its place
// in the stream, and the stream goes on. A message that does not decode is
// yielded as (nil, *AttrError) and the stream goes on. The loop ends when
// ctx ends or c closes, after yielding that error with a nil Event.
// Breaking out of the loop is safe. Decoding allocates nothing once warm
// (link names are interned). While it runs, other Events or
// engine.Receive callers on the same Conn wait.
func (c *Conn) Events(ctx context.Context) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		var ev Event
		for v, err := range c.ec.Notifications(ctx) {
			if err != nil {
				if !IsOverrun(err) {
					yield(nil, err)
					return
				}
				ev.Kind, ev.Deleted, ev.Type, ev.Flags, ev.Err, ev.Raw = EventOverrun, false, 0, 0, err, nil
				if !yield(&ev, nil) {
					return
				}
				continue
			}
			if err := ev.DecodeMessage(v); err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if !yield(&ev, nil) {
				return
			}
		}
	}
}

// DecodeMessage decodes one rtnetlink notification (or dump message) into
// e, as Events does: it reuses e's fields, so decoding a stream into one
// Event allocates nothing once warm. A message of another type gives an
// Event of kind EventUnknown and no error. e then points into v's bytes
// (see Event), and a malformed message gives an *AttrError.
func (e *Event) DecodeMessage(v nlmsg.View) error {
	t := v.Type()
	e.Type, e.Flags, e.Err, e.Raw = t, v.Flags(), nil, v.Bytes()
	p := v.Payload()
	switch t {
	case nlmsg.RTMNewLink, nlmsg.RTMDelLink:
		e.Kind, e.Deleted = EventLink, t == nlmsg.RTMDelLink
		return e.Link.Decode(p)
	case nlmsg.RTMNewAddr, nlmsg.RTMDelAddr:
		e.Kind, e.Deleted = EventAddr, t == nlmsg.RTMDelAddr
		return e.Addr.Decode(p)
	case nlmsg.RTMNewRoute, nlmsg.RTMDelRoute:
		e.Kind, e.Deleted = EventRoute, t == nlmsg.RTMDelRoute
		return e.Route.Decode(p)
	case nlmsg.RTMNewNeigh, nlmsg.RTMDelNeigh:
		e.Kind, e.Deleted = EventNeigh, t == nlmsg.RTMDelNeigh
		return e.Neigh.Decode(p)
	case nlmsg.RTMNewRule, nlmsg.RTMDelRule:
		e.Kind, e.Deleted = EventRule, t == nlmsg.RTMDelRule
		return e.Rule.Decode(p)
	case nlmsg.RTMNewNexthop, nlmsg.RTMDelNexthop:
		e.Kind, e.Deleted = EventNexthop, t == nlmsg.RTMDelNexthop
		return e.Nexthop.Decode(p)
	case nlmsg.RTMNewNSID, nlmsg.RTMDelNSID:
		e.Kind, e.Deleted = EventNSID, t == nlmsg.RTMDelNSID
		return e.NSID.Decode(p)
	case nlmsg.RTMNewQdisc, nlmsg.RTMDelQdisc:
		e.Kind, e.Deleted = EventQdisc, t == nlmsg.RTMDelQdisc
		return e.Qdisc.Decode(p)
	case nlmsg.RTMNewTClass, nlmsg.RTMDelTClass:
		e.Kind, e.Deleted = EventClass, t == nlmsg.RTMDelTClass
		return e.Class.Decode(p)
	}
	e.Kind, e.Deleted = EventUnknown, false
	return nil
}

// FlagsString names e.Flags as the kernel means them for e's message
// type: "REPLACE" for the RTM_NEWROUTE of ip route replace, "EXCL|CREATE"
// for that of ip route add, "NONREC" or "BULK" on an RTM_DEL*, where
// e.Flags.String names the shared bits as a GET request's (ROOT, MATCH,
// ATOMIC). It allocates; "0" for no flags (and for an overrun).
func (e *Event) FlagsString() string {
	return e.Flags.StringIn(nlmsg.RTMFlagContext(e.Type))
}
