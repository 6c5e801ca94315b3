package mirror

import (
	"time"

	"github.com/nlengine/nlengine/rtnl"
)

// ChangeOp says what happened to an object of the mirror.
type ChangeOp uint8

// Change operations.
const (
	Added   ChangeOp = iota + 1 // New is set
	Updated                     // Old and New are set
	Removed                     // Old is set
	// Resynced marks the end of a resync (the initial sync included):
	// Change.Resync says why and what it corrected. The Added, Updated
	// and Removed changes of the corrections come before it.
	Resynced
)

var changeOpNames = [...]string{"", "added", "updated", "removed", "resynced"}

// String names the operation ("added", "updated", ...).
func (o ChangeOp) String() string {
	if int(o) < len(changeOpNames) && o != 0 {
		return changeOpNames[o]
	}
	return "ChangeOp(?)"
}

// Kind is the kind of object a Change is about.
type Kind uint8

// Object kinds.
const (
	KindLink Kind = iota + 1
	KindAddr
	KindRoute
	KindNeigh
	KindNexthop // a nexthop object (rtnl.NexthopObject)
)

var kindNames = [...]string{"", "link", "addr", "route", "neigh", "nexthop"}

// String names the kind ("link", "addr", "route", "neigh", "nexthop").
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Change is one change of the mirror, in the order the mirror applied
// them. For Added, Updated and Removed, Kind says which of the typed Old
// and New pointers are set (nil when absent: New for a removal, Old for an
// addition). The OldLink of a link removed because it moved to another
// namespace has the NewNetNSID and NewIndex of the kernel's notification
// (that namespace's id, the link's index there; -1 and 0 for a link
// deleted, or removed by a resync). Everything a Change points to is
// valid only during the OnChange call that shows it: copy what you keep.
type Change struct {
	Op   ChangeOp
	Kind Kind
	// Seq numbers the changes from 1 without gaps. A Snapshot says the
	// Seq of the last change it contains, so changes with a larger Seq,
	// applied to it in order, give the mirror's later states.
	Seq uint64
	// FromResync is true for a correction found by a resync or a re-read
	// (the kernel changed it without a notification, or the notification
	// was lost), false for a change a notification reported.
	FromResync bool

	OldLink, NewLink   *rtnl.Link
	OldAddr, NewAddr   *rtnl.Addr
	OldRoute, NewRoute *rtnl.Route
	OldNeigh, NewNeigh *rtnl.Neigh
	// OldNexthop and NewNexthop are a nexthop object's; their Attrs is
	// nil (the mirror keeps decoded fields only).
	OldNexthop, NewNexthop *rtnl.NexthopObject

	// Resync is set for Op Resynced.
	Resync *Resync
}

// Reason is why the mirror read the kernel's tables again.
type Reason uint8

// Resync reasons.
const (
	ReasonInitial      Reason = iota // the first dump
	ReasonENOBUFS                    // the kernel dropped notifications (socket receive buffer full)
	ReasonOverrun                    // the engine's notification queue was full
	ReasonInterrupted                // a dump reported NLM_F_DUMP_INTR, or could not be read
	ReasonVerify                     // the periodic verification (Config.Verify)
	ReasonLinkChange                 // a link went up or down: its routes, neighbours and addresses re-read
	ReasonLinkDeleted                // a link was deleted: routes re-read, its addresses and neighbours dropped
	ReasonAddrRemoved                // an address was removed: routes of its family re-read
	ReasonAmbiguous                  // a route notification that may concern another route of the same key
	ReasonNexthopGroup               // a nexthop group lost a member, or an object became or stopped being a blackhole: routes of the families using it re-read
	numReasons
)

var reasonNames = [...]string{"initial", "enobufs", "overrun", "dump-interrupted", "verify",
	"link-change", "link-deleted", "addr-removed", "ambiguous", "nexthop-group"}

// String names the reason ("enobufs", "link-change", ...).
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(?)"
}

// Resync describes one resync or re-read: why, what it covered, how long
// it took and how many differences it corrected.
type Resync struct {
	Reason   Reason
	Full     bool // every table was read (else: a re-read of some routes, neighbours, addresses or nexthop objects)
	Duration time.Duration
	Dumps    int // dumps it ran (confirmation dumps and retries included)
	Added    int
	Updated  int
	Removed  int
}

// Corrections is how many objects the resync changed.
func (r *Resync) Corrections() int { return r.Added + r.Updated + r.Removed }

// Stats counts what the mirror did. Mirror.Stats returns a copy.
type Stats struct {
	Events        uint64 // notifications applied (that changed the mirror or confirmed it)
	Ignored       uint64 // notifications of objects the mirror does not hold (rules, bridge FDB, cached routes, ...)
	Changes       uint64 // changes emitted (the last Change.Seq)
	Losses        uint64 // losses reported by the stream (ENOBUFS or engine overrun)
	Resyncs       [numReasons]uint64
	Corrections   [numReasons]uint64 // objects added, updated or removed by resyncs of each reason
	ResyncTime    time.Duration      // total time spent resyncing and re-reading
	MaxResyncTime time.Duration
	LastResync    Resync
	Interrupted   uint64 // dumps that came back with NLM_F_DUMP_INTR and were repeated
	DecodeErrors  uint64 // notifications that did not decode (followed by a re-read)
}

// ResyncsTotal is the number of resyncs and re-reads of every reason but
// the initial sync.
func (s *Stats) ResyncsTotal() uint64 {
	var n uint64
	for r := ReasonENOBUFS; r < numReasons; r++ {
		n += s.Resyncs[r]
	}
	return n
}
