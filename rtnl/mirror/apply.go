package mirror

import (
	"errors"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/rtnl"
)

// apply applies one notification.
func (m *Mirror) apply(e *rtnl.Event) {
	switch e.Kind {
	case rtnl.EventOverrun:
		reason := ReasonOverrun
		if !errors.Is(e.Err, engine.ErrOverrun) {
			reason = ReasonENOBUFS
		}
		m.mu.Lock()
		m.stats.Losses++
		m.mu.Unlock()
		m.fullResync(m.ctx, reason)
	case rtnl.EventRoute:
		m.applyRoute(e)
	case rtnl.EventLink:
		m.applyLink(e)
	case rtnl.EventAddr:
		m.applyAddr(e)
	case rtnl.EventNeigh:
		m.applyNeigh(e)
	case rtnl.EventNexthop:
		m.applyNexthop(e)
	default:
		m.ignore()
	}
}

func (m *Mirror) ignore() {
	m.mu.Lock()
	m.stats.Ignored++
	m.mu.Unlock()
}

// applyRoute applies a route notification. Some are ambiguous, and make
// the mirror re-read the family: a deletion whose next hops differ from
// the held route's (another route of the same IPv4 key, one next hop of a
// multipath route), a deletion of an IPv6 route not held while others
// share its key (a multipath sibling), an append (a second route under
// one key, or a next hop added), an IPv6 replace while other routes share
// the key (the kernel replaces the first of them, whichever was named).
func (m *Mirror) applyRoute(e *rtnl.Event) {
	r := &e.Route
	if !mirrored(r.Family) || r.Flags&rtnl.RouteFlagCloned != 0 {
		m.ignore()
		return
	}
	k := keyOf(r)
	v6 := r.Family == rtnl.FamilyIPv6
	m.mu.Lock()
	m.stats.Events++
	if e.Deleted {
		v, ok := m.routes.val(k)
		if !ok {
			shared := v6 && m.routes.sharing(k) > 0
			m.mu.Unlock()
			if shared {
				m.ambiguous(r.Family)
			}
			return
		}
		same := sameNextHops(v, m.routes.extras[k], r)
		m.mu.Unlock()
		if !same {
			m.ambiguous(r.Family)
			return
		}
		// NB: only this goroutine writes the tables: the route is still
		// held when removeRoute takes the lock again.
		m.removeRoute(k, false, nil)
		return
	}
	_, existed := m.routes.find(&k)
	if existed && m.cfg.OnChange != nil {
		m.routes.get(k, &m.oldR)
	}
	if e.Flags&nlmsg.Append != 0 {
		m.ambiguous(r.Family)
	} else if v6 && e.Flags&nlmsg.Replace != 0 {
		if n := m.routes.sharing(k); (existed && n > 1) || (!existed && n > 0) {
			m.ambiguous(r.Family)
		}
	}
	_, changed := m.routes.upsert(k, r, m.gen)
	if !changed {
		m.mu.Unlock()
		return
	}
	m.seq++
	m.stats.Changes = m.seq
	seq := m.seq
	if m.cfg.OnChange == nil {
		m.mu.Unlock()
		return
	}
	m.routes.get(k, &m.newR)
	m.mu.Unlock()
	if existed {
		m.emit(Updated, KindRoute, seq, false, &m.oldR, &m.newR)
	} else {
		m.emit(Added, KindRoute, seq, false, nil, &m.newR)
	}
}

// ambiguous asks for the routes of family f to be read again.
func (m *Mirror) ambiguous(f rtnl.Family) {
	m.pend.family(f, ReasonAmbiguous, time.Now().Add(m.cfg.RereadDelay))
}

// sameNextHops reports whether a deletion names the next hops the held
// route has (flags aside: dead and linkdown change without notification).
func sameNextHops(v *routeVal, x *routeExtra, r *rtnl.Route) bool {
	if v.typ != uint8(r.Type) || v.oif != int32(r.OIF) || v.gwFam != addrFam(r.Gateway) || v.gw != addrBytes(r.Gateway) {
		return false
	}
	var held []rtnl.NextHop
	if x != nil {
		held = x.multipath
	}
	if len(held) != len(r.Multipath) {
		return false
	}
	for i := range held {
		if held[i].Gateway != r.Multipath[i].Gateway || held[i].OIF != r.Multipath[i].OIF {
			return false
		}
	}
	return true
}

// linkStateFlags are the link flags whose change makes the kernel remove
// or mark routes without notifications.
const linkStateFlags = rtnl.LinkUp | rtnl.LinkLowerUp | rtnl.LinkRunning

func (m *Mirror) applyLink(e *rtnl.Event) {
	// Bridge port notifications (ifi_family AF_BRIDGE) share the group.
	if e.Link.Family == rtnl.FamilyBridge {
		m.ignore()
		return
	}
	l := &e.Link
	m.mu.Lock()
	m.stats.Events++
	if e.Deleted {
		old := m.links.m[l.Index]
		if old == nil {
			m.mu.Unlock()
			return
		}
		delete(m.links.m, l.Index)
		m.seq++
		m.stats.Changes = m.seq
		seq := m.seq
		m.mu.Unlock()
		// NB: a copy, since the held value never changes: it says where a
		// link that moved to another namespace went.
		gone := old.v
		gone.NewNetNSID, gone.NewIndex = l.NewNetNSID, l.NewIndex
		m.emit(Removed, KindLink, seq, false, &gone, nil)
		// Its addresses and neighbours are gone with it; routes through it
		// are re-read (a multipath route may keep its other next hops), and
		// so are the nexthop objects, its own gone without notification.
		m.dropOfLink(l.Index)
		now := time.Now().Add(m.cfg.RereadDelay)
		m.pend.family(rtnl.FamilyIPv4, ReasonLinkDeleted, now)
		m.pend.family(rtnl.FamilyIPv6, ReasonLinkDeleted, now)
		m.pend.nexthops = true
		return
	}
	old, cur, changed := m.links.upsert(l, m.gen)
	if !changed {
		m.mu.Unlock()
		return
	}
	m.seq++
	m.stats.Changes = m.seq
	seq := m.seq
	m.mu.Unlock()
	if old == nil {
		m.emit(Added, KindLink, seq, false, nil, &cur.v)
		return
	}
	m.emit(Updated, KindLink, seq, false, &old.v, &cur.v)
	if (old.v.Flags^cur.v.Flags)&linkStateFlags != 0 {
		m.pend.link(l.Index, time.Now().Add(m.cfg.RereadDelay))
		m.pend.nexthops = true
	}
}

// dropOfLink removes the addresses and neighbours of a deleted link.
func (m *Mirror) dropOfLink(index int) {
	var addrs []*entry[rtnl.Addr]
	var neighs []*entry[rtnl.Neigh]
	m.mu.Lock()
	for k, e := range m.addrs.m {
		if k.LinkIndex == index {
			addrs = append(addrs, e)
			delete(m.addrs.m, k)
		}
	}
	for k, e := range m.neighs.m {
		if k.LinkIndex == index {
			neighs = append(neighs, e)
			delete(m.neighs.m, k)
		}
	}
	first := m.seq + 1
	m.seq += uint64(len(addrs) + len(neighs))
	m.stats.Changes = m.seq
	m.mu.Unlock()
	for _, e := range addrs {
		m.emit(Removed, KindAddr, first, false, &e.v, nil)
		first++
	}
	for _, e := range neighs {
		m.emit(Removed, KindNeigh, first, false, &e.v, nil)
		first++
	}
}

func (m *Mirror) applyAddr(e *rtnl.Event) {
	a := &e.Addr
	if !mirrored(a.Family) {
		m.ignore()
		return
	}
	applyObj(m, &m.addrs, KindAddr, a, e.Deleted)
	if e.Deleted {
		// Routes using it as their source (prefsrc) go, or lose it,
		// without a notification.
		m.pend.prefSrc(a.Prefix.Addr(), time.Now().Add(m.cfg.RereadDelay))
	}
}

func (m *Mirror) applyNeigh(e *rtnl.Event) {
	n := &e.Neigh
	if !mirrorsNeigh(n) {
		m.ignore()
		return
	}
	applyObj(m, &m.neighs, KindNeigh, n, e.Deleted)
}

// applyObj applies a notification of an address, a neighbour or a
// nexthop object.
func applyObj[K comparable, T any](m *Mirror, t *objTable[K, T], kind Kind, v *T, deleted bool) {
	m.mu.Lock()
	m.stats.Events++
	if deleted {
		k := t.key(v)
		old := t.m[k]
		if old == nil {
			m.mu.Unlock()
			return
		}
		delete(t.m, k)
		m.seq++
		m.stats.Changes = m.seq
		seq := m.seq
		m.mu.Unlock()
		m.emit(Removed, kind, seq, false, &old.v, nil)
		return
	}
	old, cur, changed := t.upsert(v, m.gen)
	if !changed {
		m.mu.Unlock()
		return
	}
	m.seq++
	m.stats.Changes = m.seq
	seq := m.seq
	m.mu.Unlock()
	if old == nil {
		m.emit(Added, kind, seq, false, nil, &cur.v)
	} else {
		m.emit(Updated, kind, seq, false, &old.v, &cur.v)
	}
}

// emit gives one change to OnChange. old and new are *rtnl.Link,
// *rtnl.Addr, *rtnl.Route, *rtnl.Neigh or *rtnl.NexthopObject (or nil),
// as kind says.
func (m *Mirror) emit(op ChangeOp, kind Kind, seq uint64, fromResync bool, old, new any) {
	if m.cfg.OnChange == nil {
		return
	}
	c := &m.change
	*c = Change{Op: op, Kind: kind, Seq: seq, FromResync: fromResync}
	switch kind {
	case KindLink:
		c.OldLink, _ = old.(*rtnl.Link)
		c.NewLink, _ = new.(*rtnl.Link)
	case KindAddr:
		c.OldAddr, _ = old.(*rtnl.Addr)
		c.NewAddr, _ = new.(*rtnl.Addr)
	case KindRoute:
		c.OldRoute, _ = old.(*rtnl.Route)
		c.NewRoute, _ = new.(*rtnl.Route)
	case KindNeigh:
		c.OldNeigh, _ = old.(*rtnl.Neigh)
		c.NewNeigh, _ = new.(*rtnl.Neigh)
	case KindNexthop:
		c.OldNexthop, _ = old.(*rtnl.NexthopObject)
		c.NewNexthop, _ = new.(*rtnl.NexthopObject)
	}
	m.cfg.OnChange(c)
}
