package rtnl

import (
	"context"
	"strconv"

	"github.com/nlengine/nlengine/nlmsg"
)

// ChangeOp is a kind of write: add, replace, append or delete.
type ChangeOp uint8

// Writes, with the netlink flags each sends.
const (
	ChangeAdd     ChangeOp = iota + 1 // NEW with NLM_F_CREATE|NLM_F_EXCL: EEXIST if it exists
	ChangeReplace                     // NEW with NLM_F_CREATE|NLM_F_REPLACE: create or replace
	ChangeAppend                      // NEW with NLM_F_CREATE|NLM_F_APPEND: add after an existing one of the same key
	ChangeDel                         // DEL
)

// String gives ip's verbs: "add", "replace", "append", "del".
func (o ChangeOp) String() string {
	switch o {
	case ChangeAdd:
		return "add"
	case ChangeReplace:
		return "replace"
	case ChangeAppend:
		return "append"
	case ChangeDel:
		return "del"
	}
	return "ChangeOp(" + strconv.Itoa(int(o)) + ")"
}

// flags returns the request flags of o (NLM_F_REQUEST and NLM_F_ACK are
// the engine's), and whether o is valid.
func (o ChangeOp) flags() (nlmsg.Flags, bool) {
	switch o {
	case ChangeAdd:
		return nlmsg.Create | nlmsg.Excl, true
	case ChangeReplace:
		return nlmsg.Create | nlmsg.Replace, true
	case ChangeAppend:
		return nlmsg.Create | nlmsg.Append, true
	case ChangeDel:
		return 0, true
	}
	return 0, false
}

// RouteAdd adds r (RTM_NEWROUTE with NLM_F_CREATE|NLM_F_EXCL, like ip route
// add): EEXIST if the route exists. A zero Type is sent as unicast and a
// zero Protocol as boot; a zero Table means main. The kernel's error is
// returned as an *engine.OpError. r is not retained. Safe for concurrent
// use.
func (c *Conn) RouteAdd(ctx context.Context, r *Route) error {
	return c.routeWrite(ctx, ChangeAdd, r)
}

// RouteReplace adds r or replaces the route with its key (ip route
// replace). Safe for concurrent use.
func (c *Conn) RouteReplace(ctx context.Context, r *Route) error {
	return c.routeWrite(ctx, ChangeReplace, r)
}

// RouteAppend adds r after any route of the same destination (ip route
// append); for IPv6 it adds a next hop to an existing multipath route.
// Safe for concurrent use.
func (c *Conn) RouteAppend(ctx context.Context, r *Route) error {
	return c.routeWrite(ctx, ChangeAppend, r)
}

// RouteDel deletes the route r describes (ip route del). Zero fields match
// any route: a Route with only Dst deletes the first route to Dst in the
// main table; a Route from a dump deletes exactly that route. Safe for
// concurrent use.
func (c *Conn) RouteDel(ctx context.Context, r *Route) error {
	return c.routeWrite(ctx, ChangeDel, r)
}

func (c *Conn) routeWrite(ctx context.Context, op ChangeOp, r *Route) error {
	flags, _ := op.flags()
	typ := nlmsg.RTMNewRoute
	if op == ChangeDel {
		typ = nlmsg.RTMDelRoute
	}
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) { return appendRoute(b, r, op == ChangeDel) })
}
