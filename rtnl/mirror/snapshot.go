package mirror

import (
	"cmp"
	"iter"
	"slices"

	"github.com/nlengine/nlengine/rtnl"
)

// Snapshot is a consistent view of the mirror, valid during the View call
// that gives it: no change applies while it is open. Not safe for use by
// several goroutines at once (each View gives its own).
type Snapshot struct {
	m *Mirror
	r rtnl.Route // Route's and Routes' reused value
}

// View calls fn with a consistent snapshot of the mirror, holding a read
// lock: many goroutines may View at once, and updates wait until fn
// returns, so keep fn short (copy out what you need). fn must not call
// View or the List methods itself.
func (m *Mirror) View(fn func(s *Snapshot)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Snapshot{m: m}
	fn(&s)
}

// Seq is the Seq of the last change the snapshot contains: changes with a
// larger Seq come after it.
func (s *Snapshot) Seq() uint64 { return s.m.seq }

// Len returns how many links, addresses, routes and neighbours it holds.
func (s *Snapshot) Len() (links, addrs, routes, neighs int) {
	return len(s.m.links.m), len(s.m.addrs.m), s.m.routes.len(), len(s.m.neighs.m)
}

// Link returns the link of this index. The Link is the mirror's own and
// never changes (an update stores a new one): it may be kept, and must
// not be modified. Its counters (Stats), Qdisc and carrier counts are
// those of the message that stored it: they change without a change of
// the mirror.
func (s *Snapshot) Link(index int) (*rtnl.Link, bool) {
	e := s.m.links.m[index]
	if e == nil {
		return nil, false
	}
	return &e.v, true
}

// Links yields the links f selects (rtnl.LinkFilter.Match: Name, Kind,
// MasterIndex), in no particular order; each *Link as Link's.
func (s *Snapshot) Links(f rtnl.LinkFilter) iter.Seq[*rtnl.Link] {
	return func(yield func(*rtnl.Link) bool) {
		for _, e := range s.m.links.m {
			if f.Match(&e.v) && !yield(&e.v) {
				return
			}
		}
	}
}

// Addr returns the address of this identity; like Link's, it may be kept
// and must not be modified.
func (s *Snapshot) Addr(k AddrKey) (*rtnl.Addr, bool) {
	e := s.m.addrs.m[k]
	if e == nil {
		return nil, false
	}
	return &e.v, true
}

// Addrs yields the addresses f selects (rtnl.AddrFilter.Match: Family,
// LinkIndex).
func (s *Snapshot) Addrs(f rtnl.AddrFilter) iter.Seq[*rtnl.Addr] {
	return func(yield func(*rtnl.Addr) bool) {
		for _, e := range s.m.addrs.m {
			if f.Match(&e.v) && !yield(&e.v) {
				return
			}
		}
	}
}

// Neigh returns the neighbour of this identity; like Link's, it may be
// kept and must not be modified. Its cache times (Confirmed, Used,
// Updated), probe count and references are those of the notification or
// dump that last changed it, not the kernel's current ones.
func (s *Snapshot) Neigh(k NeighKey) (*rtnl.Neigh, bool) {
	e := s.m.neighs.m[k]
	if e == nil {
		return nil, false
	}
	return &e.v, true
}

// Neighs yields the neighbours f selects (rtnl.NeighFilter.MatchOnLink:
// Family, LinkIndex, State, and MasterIndex and NoMaster by the mirror's
// own links; Proxy selects nothing, the mirror holding no proxy entries).
func (s *Snapshot) Neighs(f rtnl.NeighFilter) iter.Seq[*rtnl.Neigh] {
	keep := f.Match
	if f.MasterIndex != 0 || f.NoMaster {
		keep = func(n *rtnl.Neigh) bool {
			master := 0
			if l, ok := s.Link(n.LinkIndex); ok {
				master = l.MasterIndex
			}
			return f.MatchOnLink(n, master)
		}
	}
	return func(yield func(*rtnl.Neigh) bool) {
		for _, e := range s.m.neighs.m {
			if keep(&e.v) && !yield(&e.v) {
				return
			}
		}
	}
}

// NexthopLen returns how many nexthop objects it holds.
func (s *Snapshot) NexthopLen() int { return len(s.m.nexthops.m) }

// Nexthop returns the nexthop object of this id. Like Link's, it is the
// mirror's own and never changes: it may be kept, and must not be
// modified (nor its Group or Encap). Its Attrs is nil, and a resilient
// group's UnbalancedTime is that of the message that stored it.
func (s *Snapshot) Nexthop(id NexthopKey) (*rtnl.NexthopObject, bool) {
	e := s.m.nexthops.m[id]
	if e == nil {
		return nil, false
	}
	return &e.v, true
}

// Nexthops yields the nexthop objects f selects (rtnl.NexthopFilter.Match,
// and MasterIndex by the mirror's own links: single next hops whose
// device is a port of that master), in no particular order; each as
// Nexthop's.
func (s *Snapshot) Nexthops(f rtnl.NexthopFilter) iter.Seq[*rtnl.NexthopObject] {
	keep := f.Match
	if f.MasterIndex != 0 {
		keep = func(n *rtnl.NexthopObject) bool {
			l, ok := s.Link(n.OIF)
			return f.Match(n) && ok && l.MasterIndex == f.MasterIndex
		}
	}
	return func(yield func(*rtnl.NexthopObject) bool) {
		for _, e := range s.m.nexthops.m {
			if keep(&e.v) && !yield(&e.v) {
				return
			}
		}
	}
}

// Route returns the route of this identity, filled into the snapshot's
// one reused Route: valid until the next Route or Routes step (Clone
// keeps it). Its Attrs is nil: the mirror keeps decoded fields only.
func (s *Snapshot) Route(k RouteKey) (*rtnl.Route, bool) {
	if !s.m.routes.get(k.compact(), &s.r) {
		return nil, false
	}
	return &s.r, true
}

// Routes yields the routes f selects (rtnl.RouteFilter.Match: family,
// table, protocol, type, output interface), in place like Route. It
// allocates nothing once the reused Route's next hops have grown.
func (s *Snapshot) Routes(f rtnl.RouteFilter) iter.Seq[*rtnl.Route] {
	return func(yield func(*rtnl.Route) bool) {
		t := &s.m.routes
		for k, v := range t.all() {
			if f.Family != rtnl.FamilyUnspec && rtnl.Family(k.family) != f.Family {
				continue
			}
			t.fillAt(&s.r, &k, v)
			if f.Match(&s.r) && !yield(&s.r) {
				return
			}
		}
	}
}

// RouteList returns owned copies of the routes f selects.
func (m *Mirror) RouteList(f rtnl.RouteFilter) []rtnl.Route {
	var out []rtnl.Route
	m.View(func(s *Snapshot) {
		for r := range s.Routes(f) {
			out = append(out, cloneRoute(r))
		}
	})
	return out
}

// Route returns an owned copy of the route of this identity.
func (m *Mirror) Route(k RouteKey) (rtnl.Route, bool) {
	var out rtnl.Route
	var ok bool
	m.View(func(s *Snapshot) {
		var r *rtnl.Route
		if r, ok = s.Route(k); ok {
			out = cloneRoute(r)
		}
	})
	return out, ok
}

// LinkList returns the links f selects (the mirror's own values: do not
// modify them).
func (m *Mirror) LinkList(f rtnl.LinkFilter) []rtnl.Link {
	var out []rtnl.Link
	m.View(func(s *Snapshot) {
		for l := range s.Links(f) {
			out = append(out, *l)
		}
	})
	return out
}

// AddrList returns the addresses f selects.
func (m *Mirror) AddrList(f rtnl.AddrFilter) []rtnl.Addr {
	var out []rtnl.Addr
	m.View(func(s *Snapshot) {
		for a := range s.Addrs(f) {
			out = append(out, *a)
		}
	})
	return out
}

// NexthopList returns the nexthop objects f selects (as Snapshot.Nexthops
// does), by id: the mirror's own values, to be kept but not modified
// (nor their Group or Encap).
func (m *Mirror) NexthopList(f rtnl.NexthopFilter) []rtnl.NexthopObject {
	var out []rtnl.NexthopObject
	m.View(func(s *Snapshot) {
		for n := range s.Nexthops(f) {
			out = append(out, *n)
		}
	})
	slices.SortFunc(out, func(a, b rtnl.NexthopObject) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// NeighList returns the neighbours f selects (the mirror's own values: do
// not modify their LLAddr).
func (m *Mirror) NeighList(f rtnl.NeighFilter) []rtnl.Neigh {
	var out []rtnl.Neigh
	m.View(func(s *Snapshot) {
		for n := range s.Neighs(f) {
			out = append(out, *n)
		}
	})
	return out
}
