package rtnl

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Snapshot is the state of a network namespace read in one call: its links,
// addresses, IPv4 and IPv6 routes (the IPv4 ones first), neighbours,
// policy routing rules and nexthop objects, as LinkList, AddrList,
// RouteList (with RouteFilter{Family: FamilyIPv4}, then FamilyIPv6),
// NeighList, RuleList and NexthopList return them with zero filters. So Neighs holds the ARP and NDP caches
// (ip neigh show nud all), neither the proxy entries (NeighFilter.Proxy)
// nor the bridge FDB (FamilyBridge), which are dumps of their own; and
// Rules holds every family's rules, the multicast routing rules (families
// 128 and 129, ip mrule) among them. Nexthops holds single next hops and
// groups, by id; a kernel built without nexthop objects (before Linux
// 5.3), which refuses their dump with EOPNOTSUPP, has none, and Nexthops
// is then empty.
//
// The values are owned: they point into memory of the Snapshot, not into
// any receive buffer, and stay valid until the Snapshot is passed back to
// Conn.Snapshot as SnapshotOptions.Reuse, which overwrites it, every value
// in it and the memory they point to (copies of its values included). A
// Snapshot is a plain value: not safe for concurrent use while being
// filled; once returned, any number of goroutines may read it.
type Snapshot struct {
	Links  []Link
	Addrs  []Addr
	Routes []Route // IPv4 then IPv6
	Neighs []Neigh
	Rules  []Rule
	// Nexthops are the nexthop objects, by id; each group's members
	// (Group) are in the Snapshot's memory too.
	Nexthops []NexthopObject

	routes6 []Route         // the IPv6 dump, appended to Routes at the end
	mem     [numKinds]arena // the bytes the values point to, one arena per dump
	members chunkArena[NexthopMember]
	group   []NexthopMember // the nexthop decoder's scratch members
}

// SnapshotKind is a set of the dumps a Snapshot is made of.
type SnapshotKind uint8

// The dumps of a Snapshot, in the order Snapshot starts them: the longest
// first, as measured on 100 000 IPv4 and 20 000 IPv6 routes, 1 000 links,
// 5 000 neighbours and 2 000 addresses (the IPv4 routes take about 60 % of
// the time, IPv6 routes 20 %, links 7 %, neighbours 4 %, addresses 3 %).
// Rules and nexthop objects, usually few, come last.
const (
	SnapshotRoutes4 SnapshotKind = 1 << iota // IPv4 routes
	SnapshotRoutes6                          // IPv6 routes
	SnapshotLinks
	SnapshotNeighs
	SnapshotAddrs
	SnapshotRules
	SnapshotNexthops // nexthop objects (ip nexthop)

	// SnapshotAll is every kind; a zero SnapshotOptions.Kinds means it.
	SnapshotAll = SnapshotRoutes4 | SnapshotRoutes6 | SnapshotNeighs | SnapshotAddrs | SnapshotLinks | SnapshotRules | SnapshotNexthops
)

const numKinds = 7

var snapshotKindNames = [numKinds]string{"routes4", "routes6", "links", "neighs", "addrs", "rules", "nexthops"}

// String names the kinds of k, joined by "|": "routes4|links".
func (k SnapshotKind) String() string {
	var b strings.Builder
	for i := range numKinds {
		if k&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(snapshotKindNames[i])
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// SnapshotOptions chooses what Conn.Snapshot reads and where.
type SnapshotOptions struct {
	// Kinds is the set of dumps to run (0: SnapshotAll). The slices of
	// the kinds left out are returned empty.
	Kinds SnapshotKind
	// Reuse, when not nil, is a Snapshot returned earlier to be
	// overwritten: its slices' capacity and its memory are reused, so that
	// a periodic snapshot of a namespace that changed little allocates
	// little. It is the Snapshot returned.
	Reuse *Snapshot
}

// SnapshotError is the error of one dump of a Snapshot: Kind is the dump,
// Err its error (the engine's *engine.OpError, or an *AttrError for a
// message that does not decode), which errors.Is and errors.As reach.
type SnapshotError struct {
	Kind SnapshotKind
	Err  error
}

// Error reads "rtnl: snapshot routes4: <cause>".
func (e *SnapshotError) Error() string {
	return "rtnl: snapshot " + e.Kind.String() + ": " + e.Err.Error()
}

// Unwrap returns the dump's error.
func (e *SnapshotError) Unwrap() error { return e.Err }

// snapshotWorkers is how many dumps of a Snapshot run at once.
// NB: more than two only share the same cores; the IPv4 route dump of a
// large namespace is about as long as all the others together, so two
// workers keep both cores of a small machine busy.
var snapshotWorkers = func() int { return min(runtime.GOMAXPROCS(0), 2) }

// snapshotPipeline says whether the longest dump of a parallel Snapshot
// decodes on a goroutine of its own (decodePipelined): only when the engine
// does not read the dump ahead itself. With read-ahead the kernel already
// builds the next chunk while this goroutine copies and decodes; a third
// goroutine would only add hand-offs on a two-core machine.
var snapshotPipeline = func(c *Conn) bool { return !c.ec.DumpReadsAhead() }

// Snapshot reads the namespace's links, addresses, IPv4 and IPv6 routes,
// neighbours, rules and nexthop objects (those o.Kinds selects) into owned values. The
// dumps run at once on goroutines of their own, the longest first, and the
// engine gives each one a socket of its own (see engine.WithDumpSockets),
// so the kernel builds them in parallel; with GOMAXPROCS 1 they run one
// after the other. Each message is copied into the Snapshot's memory and
// decoded there, into its place in the Snapshot's slices; the engine reads
// each dump ahead of its decoding (engine.WithDumpReadAhead), or, without
// read-ahead, the longest dump is decoded on a goroutine of its own while
// its messages arrive. o.Reuse
// recycles the slices and the memory: a Snapshot reused for a namespace
// of the same size allocates a few dozen times, not once per object.
//
// The first error of a dump cancels the others and is returned as a
// *SnapshotError naming the dump, with a nil Snapshot; when ctx ends
// first, Snapshot returns ctx.Err(). A dump the kernel marks interrupted
// (NLM_F_DUMP_INTR: the data changed during it) is kept whole: the
// Snapshot is returned with an error that errors.Is
// engine.ErrDumpInterrupted (a *SnapshotError per interrupted dump). The
// Conn stays usable after any error, and Snapshot leaves no goroutine
// behind. Safe for concurrent use of c; o.Reuse must not be in use.
func (c *Conn) Snapshot(ctx context.Context, o SnapshotOptions) (*Snapshot, error) {
	if c.ec == nil {
		return nil, errors.New("rtnl: snapshot: no engine.Conn")
	}
	if err := c.ec.RequireFamily("rtnl snapshot", nlmsg.FamilyRoute); err != nil {
		return nil, err
	}
	kinds := o.Kinds
	if kinds == 0 {
		kinds = SnapshotAll
	}
	s := o.Reuse
	if s == nil {
		s = new(Snapshot)
	}
	s.Links, s.Addrs, s.Routes, s.Neighs, s.Rules, s.routes6 = s.Links[:0], s.Addrs[:0], s.Routes[:0], s.Neighs[:0], s.Rules[:0], s.routes6[:0]
	s.Nexthops = s.Nexthops[:0]

	var todo []int
	for i := range numKinds {
		if kinds&(1<<i) != 0 {
			todo = append(todo, i)
		}
	}
	errs := make([]error, numKinds)
	workers := min(snapshotWorkers(), len(todo))
	if workers <= 1 {
		for _, k := range todo {
			if errs[k] = c.snapshotDump(ctx, s, k, false); errs[k] != nil && !errors.Is(errs[k], engine.ErrDumpInterrupted) {
				break
			}
		}
	} else {
		dctx, cancel := context.WithCancel(ctx)
		next := make(chan int, len(todo))
		for _, k := range todo {
			next <- k
		}
		close(next)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for k := range next {
					if dctx.Err() != nil {
						return
					}
					errs[k] = c.snapshotDump(dctx, s, k, k == todo[0] && snapshotPipeline(c))
					if errs[k] != nil && !errors.Is(errs[k], engine.ErrDumpInterrupted) {
						cancel()
					}
				}
			})
		}
		wg.Wait()
		cancel()
	}
	return s.finish(ctx, errs)
}

// finish merges the route dumps and turns the dumps' errors into
// Snapshot's: the first real failure (the one that cancelled the others),
// else the interruptions.
func (s *Snapshot) finish(ctx context.Context, errs []error) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var intr []error
	for k, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, engine.ErrDumpInterrupted):
			intr = append(intr, &SnapshotError{Kind: 1 << k, Err: err})
		case errors.Is(err, context.Canceled):
			// cancelled by the failure of another dump, reported below
		default:
			return nil, &SnapshotError{Kind: 1 << k, Err: err}
		}
	}
	for k, err := range errs {
		if err != nil && !errors.Is(err, engine.ErrDumpInterrupted) {
			return nil, &SnapshotError{Kind: 1 << k, Err: err} // a cancellation with no other cause
		}
	}
	// NB: the IPv6 routes are copied after the IPv4 ones and their slots
	// cleared, so that no two slots share a Multipath array that a later
	// Decode into one of them would overwrite under the other.
	s.Routes = append(s.Routes, s.routes6...)
	clear(s.routes6)
	s.routes6 = s.routes6[:0]
	return s, errors.Join(intr...)
}

// snapshotDump runs dump k into s; pipelined, it decodes on a goroutine
// of its own.
func (c *Conn) snapshotDump(ctx context.Context, s *Snapshot, k int, pipelined bool) error {
	m := &s.mem[k]
	m.reset()
	switch SnapshotKind(1 << k) {
	case SnapshotRoutes4:
		f := RouteFilter{Family: FamilyIPv4}
		return dumpOwned(ctx, c, nlmsg.RTMGetRoute, f.dumpRequest(nil, c.strict), nlmsg.RTMNewRoute, &s.Routes, m, (*Route).Decode, f.Match, pipelined)
	case SnapshotRoutes6:
		f := RouteFilter{Family: FamilyIPv6}
		return dumpOwned(ctx, c, nlmsg.RTMGetRoute, f.dumpRequest(nil, c.strict), nlmsg.RTMNewRoute, &s.routes6, m, (*Route).Decode, f.Match, pipelined)
	case SnapshotNeighs:
		var f NeighFilter
		return dumpOwned(ctx, c, nlmsg.RTMGetNeigh, f.dumpRequest(c.strict), nlmsg.RTMNewNeigh, &s.Neighs, m, (*Neigh).Decode, f.Match, pipelined)
	case SnapshotAddrs:
		var f AddrFilter
		return dumpOwned(ctx, c, nlmsg.RTMGetAddr, f.dumpRequest(c.strict), nlmsg.RTMNewAddr, &s.Addrs, m, (*Addr).Decode, f.Match, pipelined)
	case SnapshotLinks:
		var f LinkFilter
		return dumpOwned(ctx, c, nlmsg.RTMGetLink, f.dumpRequest(c.strict), nlmsg.RTMNewLink, &s.Links, m, (*Link).Decode, f.Match, pipelined)
	case SnapshotRules:
		var f RuleFilter
		return dumpOwned(ctx, c, nlmsg.RTMGetRule, f.dumpRequest(), nlmsg.RTMNewRule, &s.Rules, m, (*Rule).Decode, f.Match, pipelined)
	default: // SnapshotNexthops
		return c.snapshotNexthops(ctx, s, m, pipelined)
	}
}

// dumpOwned runs a dump, copies the payload of each message of type want
// into m, and decodes the copy into the next slot of *out (growing it by
// doubling when full), which keeps it when keep accepts it. Decoding the
// copy makes the value owned as it is: what it points to (Attrs and the
// slices into them) is in m. A slot is decoded into as an earlier Snapshot
// left it, so the capacity of its own slices (a Route's Multipath) serves
// again. Pipelined, the decoding runs on a goroutine of its own, on
// batches of copies, while this one reads the next messages (and the
// kernel builds them): see decodePipelined.
func dumpOwned[T any](ctx context.Context, c *Conn, typ nlmsg.Type, req []byte, want nlmsg.Type, out *[]T, m *arena, decode func(*T, []byte) error, keep func(*T) bool, pipelined bool) error {
	d := slotDecoder[T]{out: *out, m: m, decode: decode, keep: keep}
	defer func() { *out = d.out }()
	if pipelined {
		return d.pipelined(ctx, c, typ, req, want)
	}
	for v, err := range c.ec.Dump(ctx, typ, req, 0) {
		if err != nil {
			return err
		}
		if v.Type() != want {
			continue
		}
		p := m.copy(v.Payload())
		if err := d.add(p); err != nil {
			return err
		}
	}
	return nil
}

// slotDecoder decodes owned payloads into the slots of out.
type slotDecoder[T any] struct {
	out    []T
	m      *arena
	decode func(*T, []byte) error
	keep   func(*T) bool
	// keepRejected leaves the bytes of a message keep refuses in the
	// arena (when another goroutine is copying into it).
	keepRejected bool
}

// add decodes p into the next slot and keeps it, or gives p's bytes back
// to the arena when keep refuses it.
func (d *slotDecoder[T]) add(p []byte) error {
	if len(d.out) == cap(d.out) {
		d.out = growSlots(d.out)
	}
	slot := &d.out[:len(d.out)+1][len(d.out)]
	if err := d.decode(slot, p); err != nil {
		return err
	}
	if !d.keep(slot) {
		if !d.keepRejected {
			d.m.unput(p)
		}
		return nil
	}
	d.out = d.out[:len(d.out)+1]
	return nil
}

// growSlots doubles the capacity of s (at least 16), keeping its length.
func growSlots[T any](s []T) []T {
	n := make([]T, len(s), max(2*cap(s), 16))
	copy(n, s)
	return n
}
