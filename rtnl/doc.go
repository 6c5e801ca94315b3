// Package rtnl speaks rtnetlink (NETLINK_ROUTE) in typed values: links,
// addresses, routes, neighbours, rules, nexthop objects and traffic control
// qdiscs and classes, read, written, followed as events and (all but
// nexthop objects and traffic control) read all at once as a Snapshot,
// over an engine.Conn.
//
// # Connections
//
// Dial opens an engine.Conn of NETLINK_ROUTE with NETLINK_GET_STRICT_CHK
// on; New wraps one the caller made (and keeps owning). A Conn of another
// netlink family is refused before anything is sent (errors.Is(err,
// engine.ErrWrongFamily)).
//
// # Reading
//
// Each object has an iterator and a list: Links/LinkList, Addrs/AddrList,
// Routes/RouteList, Neighs/NeighList, Rules/RuleList,
// Nexthops/NexthopList, Qdiscs/QdiscList, Classes/ClassList, and
// NetNSIDs/NetNSIDList for the ids the namespace gave its peers;
// LinkByName and LinkByIndex read one link, NexthopByID one nexthop
// object, NetNSIDByFD and NetNSIDByPID one namespace id. The iterator
// decodes every message in place into one value it reuses: the
// value and everything it points to (its byte slices, its Attrs) are
// valid only until the next step of the loop, and decoding allocates
// nothing once the value's slices have grown to fit (strings are interned
// in a bounded package-wide table, so they stay valid for ever). The list
// returns owned values (each the Clone of the in-place value) that stay
// valid for ever. An error ends the loop: breaking out early is safe.
//
// RouteGet asks the kernel how it would route one packet (ip route get:
// by source, input or output interface, VRF, mark, uid, TOS, L4 protocol
// and ports, flow label; or the table entry that matched) and returns the
// answer as an owned Route.
//
// Each iterator takes a typed filter (LinkFilter, AddrFilter, RouteFilter,
// NeighFilter, RuleFilter, NexthopFilter, QdiscFilter, ClassFilter; the
// zero filter selects everything, routes of every table included). The
// kernel applies what it can when the Conn has NETLINK_GET_STRICT_CHK on;
// every condition is also checked in user space by the filter's Match, so
// the result is the same either way. Match also serves to filter Events.
//
// # Writing
//
// Typed writes (LinkAdd, LinkSet..., AddrAdd, RouteAdd, RouteReplace,
// NeighAdd, RuleAdd, NexthopAdd, QdiscAdd, ClassAdd, SetNetNSIDByFD, their
// deletes, ...) send one request and wait for the kernel's acknowledgement;
// they do not retain their argument. ApplyRoutes sends many route changes
// in one engine.Batch and reports each outcome in its RouteChange.Err, with
// a *BatchError naming the first failure by its index in the caller's
// slice. A value that cannot be encoded is refused before anything is sent,
// with an error that errors.Is ErrInvalid.
//
// # Events
//
// Events yields the notifications of the groups the Conn joined
// (Subscribe, or engine.WithGroups(EventGroups...) at Dial), each decoded
// by the same Decode as a dump's messages into one reused Event, valid
// until the next step; namespace ids given and dropped (GroupNSID) are
// events too. NEW and DEL are told apart by Event.Deleted. Lost
// notifications are delivered as their own event, of kind EventOverrun,
// and the stream goes on.
//
// # Snapshot
//
// Conn.Snapshot runs the link, address, route, neighbour and rule dumps at
// once and returns them as owned values in memory of the Snapshot, valid
// until that Snapshot is passed back as SnapshotOptions.Reuse.
//
// # Decoding
//
// Every type has a Decode method that reads one message's payload into the
// receiver, replacing every field and reusing its slice capacity; the
// receiver then points into the payload (see each type's doc). A malformed
// header or attribute makes Decode return an *AttrError that names it;
// Decode never panics and never leaves a field silently wrong. Attributes
// a type does not decode stay reachable through its Attrs field.
//
// # Errors
//
// Errors from the kernel and the engine are *engine.OpError values, passed
// through unchanged (errors.Is(err, unix.EEXIST) works); malformed
// messages are *AttrError values; writes refused before sending errors.Is
// ErrInvalid; ApplyRoutes and Snapshot wrap per-item errors in *BatchError
// and *SnapshotError, and RouteGet the kernel's refusals to route in
// *NoRouteError (errors.Is ErrNoRoute), which errors.Is and errors.As see
// through.
//
// # Concurrency
//
// A Conn is safe for concurrent use by many goroutines, like the
// engine.Conn under it: dumps on one Conn take turns. A value being
// decoded into (a Route, an Event, an iterator's value) is not: each
// goroutine decodes into its own. Owned values (lists, Clone, a returned
// Snapshot) may be read by any number of goroutines.
package rtnl
