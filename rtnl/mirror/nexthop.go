package mirror

import (
	"context"
	"errors"
	"iter"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/rtnl"
)

// NexthopKey is a nexthop object's identity: its id.
type NexthopKey = uint32

// The kernel changes routes that use nexthop objects without notifications
// (as of Linux 6.18, sysctl net.ipv4.nexthop_compat_mode 1 or 0):
//
//   - An object deleted takes with it the routes that use it: RTM_DELNEXTHOP
//     says so, and no RTM_DELROUTE follows for IPv4 (IPv6 routes get one in
//     compat mode only). A group left empty by its last member's deletion
//     is deleted with an RTM_DELNEXTHOP of its own. The mirror removes the
//     routes whose NextHopID is the deleted object's when it applies the
//     deletion: no route can refer to an object that is gone.
//   - A member deleted leaves its groups, each announced with an
//     RTM_NEWNEXTHOP, but the routes using those groups, which in compat
//     mode carry the group's next hops expanded, are not announced: the
//     routes of their family are read again (no dump can ask for the
//     routes of one object).
//   - A link that goes down, loses its carrier or is deleted takes its
//     single next hops with it, and their members out of groups, with no
//     notification at all: the objects are read again with the link's
//     routes, and routes that used an object now gone are removed, those
//     using a group that lost members read again.
//
// A replace is announced, and in compat mode so are the routes of the
// object and of the groups holding it; out of compat mode those routes
// show only the id, which stays, and their type, which a single object
// replaced by a blackhole or a blackhole replaced by a gateway changes
// without notification: the routes of their families are read again.

// ownNexthop is an owned copy of n, without its raw attributes.
func ownNexthop(n *rtnl.NexthopObject) rtnl.NexthopObject {
	o := n.Clone()
	o.Attrs = nil
	return o
}

// sameNexthop compares what a nexthop object is; a resilient group's
// unbalanced time counts up, it does not make another object.
func sameNexthop(a, b *rtnl.NexthopObject) bool {
	return a.ID == b.ID && a.Family == b.Family && a.Gateway == b.Gateway && a.OIF == b.OIF &&
		a.Blackhole == b.Blackhole && a.FDB == b.FDB && a.Flags == b.Flags && a.Scope == b.Scope &&
		a.Protocol == b.Protocol && a.EncapType == b.EncapType && string(a.Encap) == string(b.Encap) &&
		slices.Equal(a.Group, b.Group) && a.GroupType == b.GroupType &&
		a.Resilient.Buckets == b.Resilient.Buckets && a.Resilient.IdleTimer == b.Resilient.IdleTimer &&
		a.Resilient.HasIdleTimer == b.Resilient.HasIdleTimer &&
		a.Resilient.UnbalancedTimer == b.Resilient.UnbalancedTimer &&
		a.Resilient.HasUnbalancedTimer == b.Resilient.HasUnbalancedTimer
}

// lostMembers reports whether the group cur lacks a member of old: the
// kernel removed one (or a replace dropped it).
func lostMembers(old, cur *rtnl.NexthopObject) bool {
	for _, o := range old.Group {
		if !slices.ContainsFunc(cur.Group, func(c rtnl.NexthopMember) bool { return c.ID == o.ID }) {
			return true
		}
	}
	return false
}

func (m *Mirror) applyNexthop(e *rtnl.Event) {
	n := &e.Nexthop
	// NB: only this goroutine writes the tables: it reads them unlocked.
	old := m.nexthops.m[n.ID]
	applyObj(m, &m.nexthops, KindNexthop, n, e.Deleted)
	if e.Deleted {
		if old != nil {
			m.removeRoutesUsing(map[uint32]bool{n.ID: true}, false, nil)
		}
		return
	}
	if old == nil {
		return
	}
	at := time.Now().Add(m.cfg.RereadDelay)
	if old.v.IsGroup() && lostMembers(&old.v, n) {
		m.pend.nexthopGroup(n.ID, at)
	}
	if !n.IsGroup() && old.v.Blackhole != n.Blackhole {
		// The routes of the object and of the groups holding it changed
		// type (blackhole or unicast), announced in compat mode only.
		m.pend.nexthopGroup(n.ID, at)
		for id, g := range m.nexthops.m {
			if slices.ContainsFunc(g.v.Group, func(e rtnl.NexthopMember) bool { return e.ID == n.ID }) {
				m.pend.nexthopGroup(id, at)
			}
		}
	}
}

// removeRoutesUsing removes the held routes whose NextHopID is in ids,
// counting them in res when it is not nil. It walks the routes only when
// some use one of the objects, and only until it has found them all.
func (m *Mirror) removeRoutesUsing(ids map[uint32]bool, fromResync bool, res *Resync) {
	var keys []routeKey
	m.mu.RLock()
	users := m.routes.usersOf(ids)
	for k, v := range m.routes.all() {
		if len(keys) == users {
			break
		}
		if v.nhID != 0 && ids[v.nhID] {
			keys = append(keys, k)
		}
	}
	m.mu.RUnlock()
	for _, k := range keys {
		if m.removeRoute(k, fromResync, nil) && res != nil {
			res.Removed++
		}
	}
}

// usedBy marks in fams the families of the held routes whose NextHopID is
// in ids.
func (m *Mirror) usedBy(ids map[uint32]bool, fams *[2]bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.routes.usersOf(ids) == 0 {
		return
	}
	for k, v := range m.routes.all() {
		if v.nhID != 0 && ids[v.nhID] {
			fams[famIndex(rtnl.Family(k.family))] = true
		}
	}
}

// usersOf is how many held routes use one of the nexthop objects ids.
func (t *routeTable) usersOf(ids map[uint32]bool) int {
	n := 0
	for id := range ids {
		n += int(t.nhUsers[id])
	}
	return n
}

// syncNexthops makes the copy of the nexthop objects equal to the
// kernel's, as syncObjs does, and returns the ids of the objects it
// removed and of the groups it found short of a member.
func (m *Mirror) syncNexthops(ctx context.Context, res *Resync) (gone, shrunk map[uint32]bool, err error) {
	m.mu.RLock()
	before := make(map[uint32]*entry[rtnl.NexthopObject], len(m.nexthops.m))
	for id, e := range m.nexthops.m {
		before[id] = e
	}
	m.mu.RUnlock()
	err = syncObjs(m, ctx, &m.nexthops, KindNexthop, m.dumpNexthops,
		func(*rtnl.NexthopObject) bool { return true }, res)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for id, old := range before {
		cur := m.nexthops.m[id]
		switch {
		case cur == nil:
			if gone == nil {
				gone = make(map[uint32]bool)
			}
			gone[id] = true
		case cur != old && old.v.IsGroup() && lostMembers(&old.v, &cur.v):
			if shrunk == nil {
				shrunk = make(map[uint32]bool)
			}
			shrunk[id] = true
		}
	}
	return gone, shrunk, err
}

// dumpNexthops dumps every nexthop object; a kernel without them
// (EOPNOTSUPP) has none.
func (m *Mirror) dumpNexthops(ctx context.Context) iter.Seq2[*rtnl.NexthopObject, error] {
	return func(yield func(*rtnl.NexthopObject, error) bool) {
		for n, err := range m.dumps.Nexthops(ctx, rtnl.NexthopFilter{}) {
			if errors.Is(err, unix.EOPNOTSUPP) {
				return
			}
			if !yield(n, err) || err != nil {
				return
			}
		}
	}
}
