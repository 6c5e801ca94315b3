package rtnl

import (
	"context"
	"iter"
)

// The package-level functions of this file are the Conn methods of the
// same name for programs that need no Conn of their own, as
// vishvananda/netlink's package-level functions are for its Handle. Each
// dials a Conn in the network namespace of the calling thread, makes the
// one call, and closes the Conn: an iterator dials when the loop starts and
// closes when it ends. Results, lifetimes and errors are the method's; a
// failed Dial is returned (or yielded) as the error. Each call costs a Dial
// (a socket and a few system calls): a program making many calls, or
// working in another namespace (engine.WithNetNSFD), dials its own Conn.
// Safe for concurrent use.

// call runs fn on a Conn dialed for it.
func call[T any](ctx context.Context, fn func(*Conn) (T, error)) (T, error) {
	c, err := Dial(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer c.Close()
	return fn(c)
}

// do runs fn on a Conn dialed for it.
func do(ctx context.Context, fn func(*Conn) error) error {
	_, err := call(ctx, func(c *Conn) (struct{}, error) { return struct{}{}, fn(c) })
	return err
}

// seq runs the iterator seq makes on a Conn dialed when the loop starts and
// closed when it ends.
func seq[T any](ctx context.Context, mk func(*Conn) iter.Seq2[*T, error]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		c, err := Dial(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		defer c.Close()
		for v, err := range mk(c) {
			if !yield(v, err) {
				return
			}
		}
	}
}

// Routes is Conn.Routes on a Conn of its own (see above).
func Routes(ctx context.Context, f RouteFilter) iter.Seq2[*Route, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*Route, error] { return c.Routes(ctx, f) })
}

// Links is Conn.Links on a Conn of its own (see above).
func Links(ctx context.Context, f LinkFilter) iter.Seq2[*Link, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*Link, error] { return c.Links(ctx, f) })
}

// Addrs is Conn.Addrs on a Conn of its own (see above).
func Addrs(ctx context.Context, f AddrFilter) iter.Seq2[*Addr, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*Addr, error] { return c.Addrs(ctx, f) })
}

// Neighs is Conn.Neighs on a Conn of its own (see above).
func Neighs(ctx context.Context, f NeighFilter) iter.Seq2[*Neigh, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*Neigh, error] { return c.Neighs(ctx, f) })
}

// Rules is Conn.Rules on a Conn of its own (see above).
func Rules(ctx context.Context, f RuleFilter) iter.Seq2[*Rule, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*Rule, error] { return c.Rules(ctx, f) })
}

// RouteList is Conn.RouteList on a Conn of its own (see above).
func RouteList(ctx context.Context, f RouteFilter) ([]Route, error) {
	return call(ctx, func(c *Conn) ([]Route, error) { return c.RouteList(ctx, f) })
}

// LinkList is Conn.LinkList on a Conn of its own (see above).
func LinkList(ctx context.Context, f LinkFilter) ([]Link, error) {
	return call(ctx, func(c *Conn) ([]Link, error) { return c.LinkList(ctx, f) })
}

// LinkByName is Conn.LinkByName on a Conn of its own (see above).
func LinkByName(ctx context.Context, name string) (Link, error) {
	return call(ctx, func(c *Conn) (Link, error) { return c.LinkByName(ctx, name) })
}

// LinkByIndex is Conn.LinkByIndex on a Conn of its own (see above).
func LinkByIndex(ctx context.Context, index int) (Link, error) {
	return call(ctx, func(c *Conn) (Link, error) { return c.LinkByIndex(ctx, index) })
}

// LinkStatsByIndex is Conn.LinkStatsByIndex on a Conn of its own (see above).
func LinkStatsByIndex(ctx context.Context, index int) (LinkStats, error) {
	return call(ctx, func(c *Conn) (LinkStats, error) { return c.LinkStatsByIndex(ctx, index) })
}

// AddrList is Conn.AddrList on a Conn of its own (see above).
func AddrList(ctx context.Context, f AddrFilter) ([]Addr, error) {
	return call(ctx, func(c *Conn) ([]Addr, error) { return c.AddrList(ctx, f) })
}

// NeighList is Conn.NeighList on a Conn of its own (see above).
func NeighList(ctx context.Context, f NeighFilter) ([]Neigh, error) {
	return call(ctx, func(c *Conn) ([]Neigh, error) { return c.NeighList(ctx, f) })
}

// RuleList is Conn.RuleList on a Conn of its own (see above).
func RuleList(ctx context.Context, f RuleFilter) ([]Rule, error) {
	return call(ctx, func(c *Conn) ([]Rule, error) { return c.RuleList(ctx, f) })
}

// RouteGet is Conn.RouteGet on a Conn of its own (see above).
func RouteGet(ctx context.Context, q RouteQuery) (Route, error) {
	return call(ctx, func(c *Conn) (Route, error) { return c.RouteGet(ctx, q) })
}

// NetNSIDs is Conn.NetNSIDs on a Conn of its own (see above).
func NetNSIDs(ctx context.Context, f NSIDFilter) iter.Seq2[*NSID, error] {
	return seq(ctx, func(c *Conn) iter.Seq2[*NSID, error] { return c.NetNSIDs(ctx, f) })
}

// NetNSIDList is Conn.NetNSIDList on a Conn of its own (see above).
func NetNSIDList(ctx context.Context, f NSIDFilter) ([]NSID, error) {
	return call(ctx, func(c *Conn) ([]NSID, error) { return c.NetNSIDList(ctx, f) })
}

// NetNSIDByFD is Conn.NetNSIDByFD on a Conn of its own (see above).
func NetNSIDByFD(ctx context.Context, fd int) (int, error) {
	return call(ctx, func(c *Conn) (int, error) { return c.NetNSIDByFD(ctx, fd) })
}

// NetNSIDByPID is Conn.NetNSIDByPID on a Conn of its own (see above).
func NetNSIDByPID(ctx context.Context, pid int) (int, error) {
	return call(ctx, func(c *Conn) (int, error) { return c.NetNSIDByPID(ctx, pid) })
}

// SetNetNSIDByFD is Conn.SetNetNSIDByFD on a Conn of its own (see above).
func SetNetNSIDByFD(ctx context.Context, fd, id int) error {
	return do(ctx, func(c *Conn) error { return c.SetNetNSIDByFD(ctx, fd, id) })
}

// SetNetNSIDByPID is Conn.SetNetNSIDByPID on a Conn of its own (see above).
func SetNetNSIDByPID(ctx context.Context, pid, id int) error {
	return do(ctx, func(c *Conn) error { return c.SetNetNSIDByPID(ctx, pid, id) })
}

// RouteAdd is Conn.RouteAdd on a Conn of its own (see above).
func RouteAdd(ctx context.Context, r *Route) error {
	return do(ctx, func(c *Conn) error { return c.RouteAdd(ctx, r) })
}

// RouteReplace is Conn.RouteReplace on a Conn of its own (see above).
func RouteReplace(ctx context.Context, r *Route) error {
	return do(ctx, func(c *Conn) error { return c.RouteReplace(ctx, r) })
}

// RouteAppend is Conn.RouteAppend on a Conn of its own (see above).
func RouteAppend(ctx context.Context, r *Route) error {
	return do(ctx, func(c *Conn) error { return c.RouteAppend(ctx, r) })
}

// RouteDel is Conn.RouteDel on a Conn of its own (see above).
func RouteDel(ctx context.Context, r *Route) error {
	return do(ctx, func(c *Conn) error { return c.RouteDel(ctx, r) })
}

// ApplyRoutes is Conn.ApplyRoutes on a Conn of its own (see above).
func ApplyRoutes(ctx context.Context, changes []RouteChange) error {
	return do(ctx, func(c *Conn) error { return c.ApplyRoutes(ctx, changes) })
}

// LinkAdd is Conn.LinkAdd on a Conn of its own (see above).
func LinkAdd(ctx context.Context, l *Link) error {
	return do(ctx, func(c *Conn) error { return c.LinkAdd(ctx, l) })
}

// LinkChange is Conn.LinkChange on a Conn of its own (see above).
func LinkChange(ctx context.Context, l *Link) error {
	return do(ctx, func(c *Conn) error { return c.LinkChange(ctx, l) })
}

// LinkDel is Conn.LinkDel on a Conn of its own (see above).
func LinkDel(ctx context.Context, index int) error {
	return do(ctx, func(c *Conn) error { return c.LinkDel(ctx, index) })
}

// LinkSetUp is Conn.LinkSetUp on a Conn of its own (see above).
func LinkSetUp(ctx context.Context, index int) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetUp(ctx, index) })
}

// LinkSetDown is Conn.LinkSetDown on a Conn of its own (see above).
func LinkSetDown(ctx context.Context, index int) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetDown(ctx, index) })
}

// LinkSetFlags is Conn.LinkSetFlags on a Conn of its own (see above).
func LinkSetFlags(ctx context.Context, index int, flags, change LinkFlags) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetFlags(ctx, index, flags, change) })
}

// LinkSetTxQLen is Conn.LinkSetTxQLen on a Conn of its own (see above).
func LinkSetTxQLen(ctx context.Context, index int, qlen uint32) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetTxQLen(ctx, index, qlen) })
}

// LinkSetGroup is Conn.LinkSetGroup on a Conn of its own (see above).
func LinkSetGroup(ctx context.Context, index int, group uint32) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetGroup(ctx, index, group) })
}

// LinkSetMTU is Conn.LinkSetMTU on a Conn of its own (see above).
func LinkSetMTU(ctx context.Context, index int, mtu uint32) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetMTU(ctx, index, mtu) })
}

// LinkSetName is Conn.LinkSetName on a Conn of its own (see above).
func LinkSetName(ctx context.Context, index int, name string) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetName(ctx, index, name) })
}

// LinkSetAlias is Conn.LinkSetAlias on a Conn of its own (see above).
func LinkSetAlias(ctx context.Context, index int, alias string) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetAlias(ctx, index, alias) })
}

// LinkSetHardwareAddr is Conn.LinkSetHardwareAddr on a Conn of its own (see above).
func LinkSetHardwareAddr(ctx context.Context, index int, hw []byte) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetHardwareAddr(ctx, index, hw) })
}

// LinkSetMaster is Conn.LinkSetMaster on a Conn of its own (see above).
func LinkSetMaster(ctx context.Context, index, master int) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetMaster(ctx, index, master) })
}

// LinkSetNoMaster is Conn.LinkSetNoMaster on a Conn of its own (see above).
func LinkSetNoMaster(ctx context.Context, index int) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetNoMaster(ctx, index) })
}

// LinkSetNetNS is Conn.LinkSetNetNS on a Conn of its own (see above).
func LinkSetNetNS(ctx context.Context, index, nsfd int) error {
	return do(ctx, func(c *Conn) error { return c.LinkSetNetNS(ctx, index, nsfd) })
}

// AddrAdd is Conn.AddrAdd on a Conn of its own (see above).
func AddrAdd(ctx context.Context, a *Addr) error {
	return do(ctx, func(c *Conn) error { return c.AddrAdd(ctx, a) })
}

// AddrReplace is Conn.AddrReplace on a Conn of its own (see above).
func AddrReplace(ctx context.Context, a *Addr) error {
	return do(ctx, func(c *Conn) error { return c.AddrReplace(ctx, a) })
}

// AddrChange is Conn.AddrChange on a Conn of its own (see above).
func AddrChange(ctx context.Context, a *Addr) error {
	return do(ctx, func(c *Conn) error { return c.AddrChange(ctx, a) })
}

// AddrDel is Conn.AddrDel on a Conn of its own (see above).
func AddrDel(ctx context.Context, a *Addr) error {
	return do(ctx, func(c *Conn) error { return c.AddrDel(ctx, a) })
}

// NeighAdd is Conn.NeighAdd on a Conn of its own (see above).
func NeighAdd(ctx context.Context, n *Neigh) error {
	return do(ctx, func(c *Conn) error { return c.NeighAdd(ctx, n) })
}

// NeighReplace is Conn.NeighReplace on a Conn of its own (see above).
func NeighReplace(ctx context.Context, n *Neigh) error {
	return do(ctx, func(c *Conn) error { return c.NeighReplace(ctx, n) })
}

// NeighChange is Conn.NeighChange on a Conn of its own (see above).
func NeighChange(ctx context.Context, n *Neigh) error {
	return do(ctx, func(c *Conn) error { return c.NeighChange(ctx, n) })
}

// NeighAppend is Conn.NeighAppend on a Conn of its own (see above).
func NeighAppend(ctx context.Context, n *Neigh) error {
	return do(ctx, func(c *Conn) error { return c.NeighAppend(ctx, n) })
}

// NeighDel is Conn.NeighDel on a Conn of its own (see above).
func NeighDel(ctx context.Context, n *Neigh) error {
	return do(ctx, func(c *Conn) error { return c.NeighDel(ctx, n) })
}

// RuleAdd is Conn.RuleAdd on a Conn of its own (see above).
func RuleAdd(ctx context.Context, u *Rule) error {
	return do(ctx, func(c *Conn) error { return c.RuleAdd(ctx, u) })
}

// RuleDel is Conn.RuleDel on a Conn of its own (see above).
func RuleDel(ctx context.Context, u *Rule) error {
	return do(ctx, func(c *Conn) error { return c.RuleDel(ctx, u) })
}

// QdiscList is Conn.QdiscList on a Conn of its own (see above).
func QdiscList(ctx context.Context, f QdiscFilter) ([]Qdisc, error) {
	return call(ctx, func(c *Conn) ([]Qdisc, error) { return c.QdiscList(ctx, f) })
}

// QdiscAdd is Conn.QdiscAdd on a Conn of its own (see above).
func QdiscAdd(ctx context.Context, q *Qdisc) error {
	return do(ctx, func(c *Conn) error { return c.QdiscAdd(ctx, q) })
}

// QdiscReplace is Conn.QdiscReplace on a Conn of its own (see above).
func QdiscReplace(ctx context.Context, q *Qdisc) error {
	return do(ctx, func(c *Conn) error { return c.QdiscReplace(ctx, q) })
}

// QdiscDel is Conn.QdiscDel on a Conn of its own (see above).
func QdiscDel(ctx context.Context, q *Qdisc) error {
	return do(ctx, func(c *Conn) error { return c.QdiscDel(ctx, q) })
}

// ClassList is Conn.ClassList on a Conn of its own (see above).
func ClassList(ctx context.Context, f ClassFilter) ([]Class, error) {
	return call(ctx, func(c *Conn) ([]Class, error) { return c.ClassList(ctx, f) })
}

// ClassAdd is Conn.ClassAdd on a Conn of its own (see above).
func ClassAdd(ctx context.Context, cl *Class) error {
	return do(ctx, func(c *Conn) error { return c.ClassAdd(ctx, cl) })
}

// ClassDel is Conn.ClassDel on a Conn of its own (see above).
func ClassDel(ctx context.Context, cl *Class) error {
	return do(ctx, func(c *Conn) error { return c.ClassDel(ctx, cl) })
}
