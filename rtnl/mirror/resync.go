package mirror

import (
	"context"
	"errors"
	"iter"
	"maps"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/rtnl"
)

// maxDumpTries bounds how often a dump that reports NLM_F_DUMP_INTR is
// repeated before the mirror gives up on it for now (keeping what it read,
// removing nothing) and schedules a full resync.
const maxDumpTries = 4

// errInconsistent is returned by a sync whose dumps stayed interrupted.
var errInconsistent = errors.New("mirror: dumps stayed inconsistent")

// fullResync reads every table again and corrects the copy.
func (m *Mirror) fullResync(ctx context.Context, reason Reason) error {
	start := time.Now()
	m.resync = Resync{Reason: reason, Full: true}
	res := &m.resync
	m.pend.clear()
	err := syncObjs(m, ctx, &m.links, KindLink, func(ctx context.Context) iter.Seq2[*rtnl.Link, error] {
		return m.dumps.Links(ctx, rtnl.LinkFilter{})
	}, func(*rtnl.Link) bool { return true }, res)
	if err == nil {
		err = syncObjs(m, ctx, &m.addrs, KindAddr, func(ctx context.Context) iter.Seq2[*rtnl.Addr, error] {
			return m.dumps.Addrs(ctx, rtnl.AddrFilter{})
		}, func(a *rtnl.Addr) bool { return mirrored(a.Family) }, res)
	}
	if err == nil {
		// NB: the routes are read in full next: those of objects gone
		// are removed as absent, those of groups changed read again.
		_, _, err = m.syncNexthops(ctx, res)
	}
	if err == nil {
		err = m.syncRoutes(ctx, rtnl.RouteFilter{Family: rtnl.FamilyIPv4}, res)
	}
	if err == nil {
		err = m.syncRoutes(ctx, rtnl.RouteFilter{Family: rtnl.FamilyIPv6}, res)
	}
	if err == nil {
		err = m.syncNeighs(ctx, 0, res)
	}
	m.finish(res, start, err)
	return err
}

// reread reads again what the pending re-reads name.
func (m *Mirror) reread(ctx context.Context) {
	p := &m.pend
	if trace != nil {
		trace("reread %+v", *p)
	}
	if p.all {
		m.fullResync(ctx, p.reason)
		return
	}
	start := time.Now()
	m.resync = Resync{Reason: p.reason}
	res := &m.resync
	fams := p.fams
	var links []int
	for l := range p.links {
		links = append(links, l)
	}
	if len(p.srcs) > 0 {
		// Only if a held route still uses a removed address (those the
		// kernel removed with a notification are gone already).
		m.mu.RLock()
		for k, v := range m.routes.all() {
			i := famIndex(rtnl.Family(k.family))
			if !fams[i] && v.prefFam != 0 && p.srcs[bytesAddr(&v.prefsrc, v.prefFam)] {
				fams[i] = true
			}
		}
		m.mu.RUnlock()
	}
	nexthops, groups := p.nexthops, maps.Clone(p.nhGroups)
	p.clear()
	var err error
	m.mu.RLock()
	nexthops = nexthops && len(m.nexthops.m) > 0 // none held: none can have gone
	m.mu.RUnlock()
	if nexthops {
		var gone, shrunk map[uint32]bool
		gone, shrunk, err = m.syncNexthops(ctx, res)
		// The routes of an object gone went with it; those of a group
		// that lost a member changed: read their families again.
		m.removeRoutesUsing(gone, true, res)
		if groups == nil {
			groups = shrunk
		}
		maps.Copy(groups, shrunk)
	}
	m.usedBy(groups, &fams)
	for i, f := range [2]rtnl.Family{rtnl.FamilyIPv4, rtnl.FamilyIPv6} {
		if fams[i] && err == nil {
			err = m.syncRoutes(ctx, rtnl.RouteFilter{Family: f}, res)
		}
	}
	for _, l := range links {
		for i, f := range [2]rtnl.Family{rtnl.FamilyIPv4, rtnl.FamilyIPv6} {
			if !fams[i] && err == nil {
				err = m.syncRoutes(ctx, rtnl.RouteFilter{Family: f, OIF: l}, res)
			}
		}
		if err == nil {
			err = m.syncNeighs(ctx, l, res)
		}
		if err == nil {
			// IPv6 announces an address only once duplicate address
			// detection is done: read the tentative ones of a link that
			// came up.
			err = syncObjs(m, ctx, &m.addrs, KindAddr, func(ctx context.Context) iter.Seq2[*rtnl.Addr, error] {
				return m.dumps.Addrs(ctx, rtnl.AddrFilter{LinkIndex: l})
			}, func(a *rtnl.Addr) bool { return mirrored(a.Family) && a.LinkIndex == l }, res)
		}
	}
	m.finish(res, start, err)
}

// finish counts a resync and emits its marker. A resync that failed
// (other than by the mirror stopping) is tried again in full shortly.
func (m *Mirror) finish(res *Resync, start time.Time, err error) {
	res.Duration = time.Since(start)
	m.mu.Lock()
	m.stats.Resyncs[res.Reason]++
	m.stats.Corrections[res.Reason] += uint64(res.Corrections())
	m.stats.ResyncTime += res.Duration
	m.stats.MaxResyncTime = max(m.stats.MaxResyncTime, res.Duration)
	m.stats.LastResync = *res
	seq := m.seq
	m.mu.Unlock()
	if err != nil && m.ctx.Err() == nil {
		m.pend.full(ReasonInterrupted, time.Now().Add(100*time.Millisecond))
	}
	if m.cfg.OnChange != nil {
		m.change = Change{Op: Resynced, Seq: seq, FromResync: true, Resync: res}
		m.cfg.OnChange(&m.change)
	}
}

func (m *Mirror) nextGen() uint32 {
	m.mu.Lock()
	m.gen++
	g := m.gen
	m.mu.Unlock()
	return g
}

// withRetries runs a dump pass, repeating it while the kernel reports it
// interrupted.
func (m *Mirror) withRetries(res *Resync, pass func() error) error {
	for try := 1; ; try++ {
		res.Dumps++
		err := pass()
		if !errors.Is(err, engine.ErrDumpInterrupted) {
			return err
		}
		m.mu.Lock()
		m.stats.Interrupted++
		m.mu.Unlock()
		if try == maxDumpTries {
			return errInconsistent
		}
	}
}

// syncRoutes dumps the routes f selects and makes the copy of them equal:
// what the dump shows is stored (a correction when it differs), and held
// routes f selects that the dump lacks are removed once a second dump
// confirms their absence.
func (m *Mirror) syncRoutes(ctx context.Context, f rtnl.RouteFilter, res *Resync) error {
	gen := m.nextGen()
	m.mu.RLock()
	fresh := m.routes.count[famIndex(f.Family)] == 0 // nothing held can be absent
	m.mu.RUnlock()
	if err := m.withRetries(res, func() error { return m.routePass(ctx, f, gen, res) }); err != nil {
		return err
	}
	if fresh {
		return nil
	}
	var cands []routeKey
	m.mu.RLock()
	for k, v := range m.routes.all() {
		if v.gen != gen && m.routeInScope(&k, v, &f) {
			cands = append(cands, k)
		}
	}
	m.mu.RUnlock()
	if len(cands) == 0 {
		return nil
	}
	gen2 := gen
	if f.Family == rtnl.FamilyIPv6 {
		// NB: an IPv6 dump restarts its walk when the tree changes and
		// may skip routes without saying so: confirm absences with a
		// second dump. An IPv4 dump resumes by key and skips nothing
		// that stayed.
		gen2 = m.nextGen()
		if err := m.withRetries(res, func() error { return m.routePass(ctx, f, gen2, res) }); err != nil {
			return err
		}
	}
	if f.OIF != 0 {
		// A multipath route that lost its next hop on this link is still
		// in the kernel, outside the filter: read the whole family.
		m.mu.RLock()
		multi := false
		for _, k := range cands {
			if v, ok := m.routes.val(k); ok && v.gen != gen2 && v.hasExtra && len(m.routes.extras[k].multipath) > 0 {
				multi = true
				break
			}
		}
		m.mu.RUnlock()
		if multi {
			return m.syncRoutes(ctx, rtnl.RouteFilter{Family: f.Family}, res)
		}
	}
	for _, k := range cands {
		if m.removeRoute(k, true, func(v *routeVal) bool { return v.gen == gen2 }) {
			res.Removed++
		}
	}
	return nil
}

// removeRoute removes the held route k, unless stays (when not nil) says
// it stays, and emits its removal; it reports whether it removed it.
func (m *Mirror) removeRoute(k routeKey, fromResync bool, stays func(*routeVal) bool) bool {
	m.mu.Lock()
	v, ok := m.routes.val(k)
	if !ok || stays != nil && stays(v) {
		m.mu.Unlock()
		return false
	}
	m.routes.get(k, &m.oldR)
	m.routes.remove(k)
	m.seq++
	m.stats.Changes = m.seq
	seq := m.seq
	m.mu.Unlock()
	m.emit(Removed, KindRoute, seq, fromResync, &m.oldR, nil)
	return true
}

// routeInScope reports whether the held route would pass f (its family,
// and its output interface or one of its next hops'). The caller holds
// m.mu.
func (m *Mirror) routeInScope(k *routeKey, v *routeVal, f *rtnl.RouteFilter) bool {
	if rtnl.Family(k.family) != f.Family {
		return false
	}
	if f.OIF == 0 || int(v.oif) == f.OIF {
		return true
	}
	if v.hasExtra {
		for _, h := range m.routes.extras[*k].multipath {
			if h.OIF == f.OIF {
				return true
			}
		}
	}
	return false
}

// routePass stores every route of one dump, marking each with gen. A
// dump filtered by a link that is gone reads as empty: the kernels of the
// 5.x series answer it with ENODEV, as every kernel answers the address
// dumps syncObjs reads; 6.18 sends an empty dump, so this is not
// exercised here.
func (m *Mirror) routePass(ctx context.Context, f rtnl.RouteFilter, gen uint32, res *Resync) error {
	err := m.routePassOf(ctx, f, gen, res)
	if f.OIF != 0 && errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}

// routePassOf is routePass, a link that is gone failing with ENODEV.
func (m *Mirror) routePassOf(ctx context.Context, f rtnl.RouteFilter, gen uint32, res *Resync) error {
	if m.cfg.OnChange == nil {
		return m.routePassBatched(ctx, f, gen, res)
	}
	for r, err := range m.dumps.Routes(ctx, f) {
		if err != nil {
			return err
		}
		if !mirrored(r.Family) || r.Flags&rtnl.RouteFlagCloned != 0 {
			continue
		}
		k := keyOf(r)
		m.mu.Lock()
		m.routes.get(k, &m.oldR)
		ex, changed := m.routes.upsert(k, r, gen)
		if !changed {
			m.mu.Unlock()
			continue
		}
		m.seq++
		m.stats.Changes = m.seq
		seq := m.seq
		m.routes.get(k, &m.newR)
		m.mu.Unlock()
		if ex {
			res.Updated++
			m.emit(Updated, KindRoute, seq, true, &m.oldR, &m.newR)
		} else {
			res.Added++
			m.emit(Added, KindRoute, seq, true, nil, &m.newR)
		}
	}
	return nil
}

// routePassBatched is routePass without OnChange, storing each route as
// it is decoded, with one lock per batch of routes.
func (m *Mirror) routePassBatched(ctx context.Context, f rtnl.RouteFilter, gen uint32, res *Resync) error {
	m.mu.RLock()
	empty := m.routes.count[famIndex(f.Family)] == 0
	m.mu.RUnlock()
	if empty {
		return m.routePassLoaded(ctx, f, gen, res)
	}
	const batch = 64
	held := 0
	defer func() {
		if held > 0 {
			m.mu.Unlock()
		}
	}()
	for r, err := range m.dumps.Routes(ctx, f) {
		if err != nil {
			return err
		}
		if !mirrored(r.Family) || r.Flags&rtnl.RouteFlagCloned != 0 {
			continue
		}
		k := keyOf(r)
		if held == 0 {
			m.mu.Lock()
		}
		ex, changed := m.routes.upsert(k, r, gen)
		if changed {
			m.seq++
			m.stats.Changes = m.seq
			if ex {
				res.Updated++
			} else {
				res.Added++
			}
		}
		if held++; held == batch {
			m.mu.Unlock()
			held = 0
		}
	}
	return nil
}

// routePassLoaded is routePassBatched for a family the table holds no
// route of: the dump is staged in a routeLoad and indexed at its end,
// under one lock. What was read before an error is kept, as
// routePassBatched keeps it.
func (m *Mirror) routePassLoaded(ctx context.Context, f rtnl.RouteFilter, gen uint32, res *Resync) error {
	var load routeLoad
	var err error
	for r, derr := range m.dumps.Routes(ctx, f) {
		if derr != nil {
			err = derr
			break
		}
		if !mirrored(r.Family) || r.Flags&rtnl.RouteFlagCloned != 0 {
			continue
		}
		k := keyOf(r)
		load.add(&k, r, gen)
	}
	m.mu.Lock()
	added, updated := load.commit(&m.routes)
	m.seq += uint64(added + updated)
	m.stats.Changes = m.seq
	m.mu.Unlock()
	res.Added += added
	res.Updated += updated
	return err
}

// syncNeighs makes the copy of the neighbours of link (0: of every link)
// equal to the kernel's.
func (m *Mirror) syncNeighs(ctx context.Context, link int, res *Resync) error {
	return syncObjs(m, ctx, &m.neighs, KindNeigh, func(ctx context.Context) iter.Seq2[*rtnl.Neigh, error] {
		return m.dumps.Neighs(ctx, rtnl.NeighFilter{LinkIndex: link})
	}, func(n *rtnl.Neigh) bool {
		return mirrorsNeigh(n) && (link == 0 || n.LinkIndex == link)
	}, res)
}

// syncObjs makes the copy of the links, addresses or neighbours that keep
// selects equal to what dump shows, as syncRoutes does for routes.
func syncObjs[K comparable, T any](m *Mirror, ctx context.Context, t *objTable[K, T], kind Kind,
	dump func(context.Context) iter.Seq2[*T, error], keep func(*T) bool, res *Resync) error {
	pass := func(gen uint32) error {
		for v, err := range dump(ctx) {
			if err != nil {
				if errors.Is(err, unix.ENODEV) {
					return nil // a filter naming a link that is gone: nothing of it left
				}
				return err
			}
			if !keep(v) {
				continue
			}
			m.mu.Lock()
			old, cur, changed := t.upsert(v, gen)
			if !changed {
				m.mu.Unlock()
				continue
			}
			m.seq++
			m.stats.Changes = m.seq
			seq := m.seq
			m.mu.Unlock()
			if old == nil {
				res.Added++
				m.emit(Added, kind, seq, true, nil, &cur.v)
			} else {
				res.Updated++
				m.emit(Updated, kind, seq, true, &old.v, &cur.v)
			}
		}
		return nil
	}
	gen := m.nextGen()
	if err := m.withRetries(res, func() error { return pass(gen) }); err != nil {
		return err
	}
	var cands []K
	m.mu.RLock()
	for k, e := range t.m {
		if e.gen != gen && keep(&e.v) {
			cands = append(cands, k)
		}
	}
	m.mu.RUnlock()
	if len(cands) == 0 {
		return nil
	}
	gen2 := m.nextGen()
	if err := m.withRetries(res, func() error { return pass(gen2) }); err != nil {
		return err
	}
	for _, k := range cands {
		m.mu.Lock()
		e := t.m[k]
		if e == nil || e.gen == gen2 {
			m.mu.Unlock()
			continue
		}
		delete(t.m, k)
		m.seq++
		m.stats.Changes = m.seq
		seq := m.seq
		m.mu.Unlock()
		res.Removed++
		m.emit(Removed, kind, seq, true, &e.v, nil)
	}
	return nil
}
