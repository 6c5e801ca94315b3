// Package rtnl speaks rtnetlink (NETLINK_ROUTE) in typed values: links,
// addresses, routes, neighbours and rules, read, written and followed as
// events, over an engine.Conn.
//
// # Reading
//
// Each object has an iterator and a list. The iterator (Routes, Links, ...)
// decodes every message in place into one value it reuses: the value and
// everything it points to (its slices, its Attrs) are valid only until the
// next step of the loop, and decoding allocates nothing once the value's
// slices have grown to fit. The list (RouteList, LinkList, ...) returns
// owned values that stay valid for ever. Filters are applied by the kernel
// when the Conn has NETLINK_GET_STRICT_CHK on (Dial turns it on) and in user
// space otherwise, with the same result either way.
//
// # Decoding
//
// Every type has a Decode method that reads one message's payload into the
// receiver, reusing its slice capacity; the receiver then points into the
// payload (see each type's doc). A malformed attribute makes Decode return
// an *AttrError that names it; Decode never panics and never leaves a field
// silently wrong. Attributes a type does not decode stay reachable through
// its Attrs field.
//
// # Errors
//
// Errors from the kernel and the engine are *engine.OpError values, passed
// through unchanged (errors.Is(err, unix.EEXIST) works); malformed replies
// are *AttrError values. A Conn of another netlink family is refused before
// anything is sent (errors.Is(err, engine.ErrWrongFamily)).
//
// # Concurrency
//
// A Conn is safe for concurrent use by many goroutines, like the
// engine.Conn under it. A value being decoded into is not: each goroutine
// decodes into its own.
package rtnl
