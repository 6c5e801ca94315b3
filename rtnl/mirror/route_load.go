package mirror

import (
	"github.com/nlengine/nlengine/rtnl"
)

// routeLoad collects the routes of a dump into a table that holds no route
// of their family (the initial sync, or a family that was empty), to be
// indexed in one go at the end: appending each route's compact entry to a
// slab as the dump is read costs a sequential write, where indexing it
// there would cost a cache miss or two per route while the kernel
// serialises and an index that grows as it goes (commit sizes it once).
// Until commit the loaded routes are not visible to readers.
type routeLoad struct {
	slab   routeSlab // in dump order
	narrow []uint32  // slab indexes of the routes with a narrow key
	wide   []loadedWide
	extras []loadedExtra // in dump order
}

type loadedWide struct {
	k routeKey
	i uint32
}

type loadedExtra struct {
	k routeKey
	x *routeExtra
}

// add stages r (with k its key, gen its pass).
func (l *routeLoad) add(k *routeKey, r *rtnl.Route, gen uint32) {
	e := slabEntry{v: valOf(r)}
	e.v.gen = gen
	nk, narrow := narrowOf(k)
	if narrow {
		e.nk = nk
	}
	i := l.slab.add(&e)
	if narrow {
		l.narrow = append(l.narrow, i)
	} else {
		l.wide = append(l.wide, loadedWide{*k, i})
	}
	if e.v.hasExtra {
		x := new(routeExtra)
		setExtra(x, r)
		l.extras = append(l.extras, loadedExtra{*k, x})
	}
}

func (l *routeLoad) len() int { return int(l.slab.n) }

// commit stores the staged routes in t, as upserts in dump order would:
// a key the table holds already (or that the dump showed twice, as an
// interrupted dump can) keeps the later value. It returns how many routes
// were added and how many held ones changed. The caller holds the
// mirror's lock for writing. l is empty afterwards (its slab may have
// become t's).
func (l *routeLoad) commit(t *routeTable) (added, updated int) {
	if l.slab.n == 0 {
		return 0, 0
	}
	base := t.slab.n
	if base == 0 {
		t.slab = l.slab // adopt the slab: nothing to copy
	} else {
		for i := range l.slab.n {
			t.slab.add(l.slab.at(i))
		}
	}
	t.narrow.reserve(t.narrow.n + len(l.narrow))
	for _, li := range l.narrow {
		i := base + li
		nk := &t.slab.at(i).nk
		t.useNexthop(t.slab.at(i).v.nhID, 1)
		j, ok := t.narrow.set(&t.slab, nk, i)
		if !ok {
			t.count[0]++
			added++
			continue
		}
		if t.replaced(j, i, nk.wide()) {
			updated++
		}
	}
	if len(t.wide) == 0 && len(l.wide) > 0 {
		t.wide = make(map[routeKey]uint32, len(l.wide))
	}
	for _, s := range l.wide {
		i := base + s.i
		t.useNexthop(t.slab.at(i).v.nhID, 1)
		j, ok := t.wide[s.k]
		t.wide[s.k] = i
		if !ok {
			t.count[famIndex(rtnl.Family(s.k.family))]++
			if rtnl.Family(s.k.family) == rtnl.FamilyIPv6 {
				t.v6base[baseOf(s.k)]++
			}
			added++
			continue
		}
		if t.replaced(j, i, s.k) {
			updated++
		}
	}
	// Extras in dump order: the last one of a key wins, and one whose
	// route was replaced by a later value without extras goes.
	for _, e := range l.extras {
		t.extras[e.k] = e.x
	}
	for _, e := range l.extras {
		if i, ok := t.find(&e.k); ok && !t.slab.at(i).v.hasExtra {
			delete(t.extras, e.k)
		}
	}
	*l = routeLoad{}
	return added, updated
}

// replaced frees slot j, whose key k now indexes slot i, and reports
// whether the route changed (always, when either has extra fields: they
// are not compared here).
func (t *routeTable) replaced(j, i uint32, k routeKey) bool {
	old := t.slab.at(j).v
	t.useNexthop(old.nhID, -1)
	*t.slab.at(j) = slabEntry{}
	t.free = append(t.free, j)
	nv := &t.slab.at(i).v
	if old.hasExtra && !nv.hasExtra {
		delete(t.extras, k)
	}
	old.gen = nv.gen
	return old != *nv || old.hasExtra
}
