package rtnl

import "github.com/nlengine/nlengine/nlmsg"

// QdiscFilter selects the qdiscs Qdiscs and QdiscList return. The zero
// QdiscFilter selects every qdisc of every device. Fields combine with
// AND.
//
// The kernel filters none of it: as of Linux 6.18 a qdisc dump sends every
// device's qdiscs whatever the request's tcm_ifindex (which is sent
// anyway), strict Conn or not, as tc qdisc show dev X also filters in user
// space. Match applies every field.
type QdiscFilter struct {
	LinkIndex int // 0: every device
	// Parent selects the qdiscs attached there: HandleRoot for root
	// qdiscs, HandleIngress for ingress and clsact, a class ("1:10").
	// HandleNone: any.
	Parent Handle
	// Handle selects the qdisc with this handle ("1:"); HandleNone: any
	// (so the qdiscs the kernel makes, of handle 0:, are selected only
	// by the other fields).
	Handle Handle
	Kind   string // "" : any
}

// Match reports whether q passes f.
func (f *QdiscFilter) Match(q *Qdisc) bool {
	return (f.LinkIndex == 0 || q.LinkIndex == f.LinkIndex) &&
		(f.Parent == HandleNone || q.Parent == f.Parent) &&
		(f.Handle == HandleNone || q.Handle == f.Handle) &&
		(f.Kind == "" || q.Kind == f.Kind)
}

// dumpRequest appends the RTM_GETQDISC dump request for f to b: a tcmsg
// with the device, which the kernel ignores (see QdiscFilter).
func (f *QdiscFilter) dumpRequest(b []byte) []byte {
	return nlmsg.TcMsg{IfIndex: int32(f.LinkIndex)}.AppendTo(b)
}

// ClassFilter selects the classes Classes and ClassList return. The zero
// ClassFilter selects every class of every device. Fields combine with
// AND.
//
// The kernel dumps the classes of one device at a time (tcm_ifindex; a
// dump without one gives none), so a filter without a LinkIndex dumps
// the links first and then each one's classes. Given a Parent other than
// HandleRoot, the kernel is asked only for the classes of that parent's
// qdisc (the parent's major); Match applies every field in user space.
type ClassFilter struct {
	LinkIndex int // 0: every device
	// Parent selects the children of this class ("1:10"), with
	// HandleRoot the top classes of every qdisc, and with a qdisc's handle
	// ("1:") all the classes of that qdisc, as tc class show parent 1:
	// does. HandleNone: any.
	Parent Handle
	Handle Handle // the class with this id ("1:10"); HandleNone: any
	Kind   string // "" : any
}

// Match reports whether c passes f.
func (f *ClassFilter) Match(c *Class) bool {
	return (f.LinkIndex == 0 || c.LinkIndex == f.LinkIndex) &&
		f.matchParent(c) &&
		(f.Handle == HandleNone || c.Handle == f.Handle) &&
		(f.Kind == "" || c.Kind == f.Kind)
}

// matchParent applies f.Parent to c.
func (f *ClassFilter) matchParent(c *Class) bool {
	switch {
	case f.Parent == HandleNone:
		return true
	case f.Parent != HandleRoot && f.Parent.Minor() == 0:
		return c.Handle.Major() == f.Parent.Major()
	}
	return c.Parent == f.Parent
}

// dumpRequest appends the RTM_GETTCLASS dump request of f's classes on
// the device link to b: the kernel keeps those of the qdisc whose major
// tcm_parent's major names (0: every qdisc's).
func (f *ClassFilter) dumpRequest(b []byte, link int) []byte {
	h := nlmsg.TcMsg{IfIndex: int32(link)}
	switch {
	case f.Parent != HandleNone && f.Parent != HandleRoot:
		h.Parent = uint32(f.Parent) &^ 0xffff
	case f.Handle != HandleNone:
		h.Parent = uint32(f.Handle) &^ 0xffff
	}
	return h.AppendTo(b)
}
