package mirror

import (
	"iter"
	"net/netip"
	"slices"
	"time"

	"github.com/nlengine/nlengine/rtnl"
)

// RouteKey is a route's identity, as the kernel's FIB tells routes apart:
// IPv4 (fib_trie) finds a route by table, destination prefix, TOS and
// priority (the fib_alias under the prefix's node); IPv6 (fib6) by table,
// destination and source prefix (the source-specific subtree), metric and,
// for a route with one next hop, that next hop: fib6 keeps routes of one
// metric side by side when their next hops differ (every link's
// fe80::/64 in table main), and merges gateway routes into one multipath
// route (whose key has no next hop). Type, protocol, scope and the rest
// are what a route is, not which one it is.
//
// Routes the kernel keeps side by side under one IPv4 key (added with ip
// route append or prepend) are held once, as the last notification or
// dump showed them; notifications that may concern another route of the
// same key (appends, IPv6 replaces, deletions that do not match the held
// route) make the mirror read that family again.
type RouteKey struct {
	Family   rtnl.Family
	Table    rtnl.Table
	Dst      netip.Prefix
	Src      netip.Prefix // IPv6 source prefix; the zero Prefix for none
	TOS      uint8
	Priority uint32
	// OIF and Gateway are the next hop of an IPv6 route that has one
	// (zero for IPv4 and for IPv6 multipath routes).
	OIF     int
	Gateway netip.Addr
}

// KeyOfRoute returns r's identity.
func KeyOfRoute(r *rtnl.Route) RouteKey {
	k := RouteKey{Family: r.Family, Table: r.Table, Dst: r.Dst, Src: r.Src, TOS: r.TOS, Priority: r.Priority}
	if hopInKey(r) {
		k.OIF, k.Gateway = r.OIF, r.Gateway
	}
	return k
}

// hopInKey reports whether r's next hop is part of its identity: an IPv6
// route with a single next hop.
func hopInKey(r *rtnl.Route) bool { return r.Family == rtnl.FamilyIPv6 && len(r.Multipath) == 0 }

// routeKey is RouteKey without pointers (netip.Addr holds one), so that
// the route map, which holds most of the mirror's memory, is not scanned
// by the garbage collector.
type routeKey struct {
	dst, src, gw   [16]byte
	table, prio    uint32
	oif            int32
	family, dstLen uint8
	srcLen, tos    uint8 // srcLen is 0xff for no source prefix
}

func addrBytes(a netip.Addr) (b [16]byte) {
	if a.Is4() {
		v := a.As4()
		copy(b[:], v[:])
		return b
	}
	if a.IsValid() {
		return a.As16()
	}
	return b
}

func bytesAddr(b *[16]byte, fam uint8) netip.Addr {
	switch fam {
	case 4:
		return netip.AddrFrom4([4]byte(b[:4]))
	case 6:
		return netip.AddrFrom16(*b)
	}
	return netip.Addr{}
}

func addrFam(a netip.Addr) uint8 {
	switch {
	case a.Is4():
		return 4
	case a.IsValid():
		return 6
	}
	return 0
}

func keyOf(r *rtnl.Route) routeKey {
	k := routeKey{table: uint32(r.Table), prio: r.Priority, family: uint8(r.Family), tos: r.TOS, srcLen: 0xff}
	if r.Dst.IsValid() {
		k.dst, k.dstLen = addrBytes(r.Dst.Addr()), uint8(r.Dst.Bits())
	}
	if r.Src.IsValid() {
		k.src, k.srcLen = addrBytes(r.Src.Addr()), uint8(r.Src.Bits())
	}
	if hopInKey(r) {
		k.oif, k.gw = int32(r.OIF), addrBytes(r.Gateway)
	}
	return k
}

func (k RouteKey) compact() routeKey {
	r := rtnl.Route{Family: k.Family, Table: k.Table, Dst: k.Dst, Src: k.Src, TOS: k.TOS, Priority: k.Priority,
		OIF: k.OIF, Gateway: k.Gateway}
	return keyOf(&r)
}

func (k *routeKey) fam() uint8 {
	if rtnl.Family(k.family) == rtnl.FamilyIPv4 {
		return 4
	}
	return 6
}

// routeVal is the rest of a route, without pointers; what does not fit
// (next hops, metrics, encapsulation) is in a routeExtra, looked up by key
// only for the routes that have one.
type routeVal struct {
	gw, prefsrc       [16]byte
	oif, iif          int32
	flags, nhID       uint32
	gen               uint32 // the resync pass that last saw it
	protocol, scope   uint8
	typ, gwFam        uint8
	prefFam, pref     uint8
	hasPref, hasExtra bool
}

// routeExtra holds a route's fields that most routes lack.
type routeExtra struct {
	multipath []rtnl.NextHop // Attrs nil
	metrics   rtnl.Metrics
	expires   time.Duration
	encapType rtnl.EncapType
	encap     []byte
	realms    rtnl.Realms
}

func valOf(r *rtnl.Route) routeVal {
	v := routeVal{
		gw: addrBytes(r.Gateway), prefsrc: addrBytes(r.PrefSrc),
		oif: int32(r.OIF), iif: int32(r.IIF), flags: uint32(r.Flags), nhID: r.NextHopID,
		protocol: uint8(r.Protocol), scope: uint8(r.Scope), typ: uint8(r.Type),
		gwFam: addrFam(r.Gateway), prefFam: addrFam(r.PrefSrc), pref: uint8(r.Pref), hasPref: r.HasPref,
	}
	v.hasExtra = needsExtra(r)
	return v
}

func needsExtra(r *rtnl.Route) bool {
	return len(r.Multipath) > 0 || !r.Metrics.IsZero() || r.Expires != 0 || r.EncapType != 0 || len(r.Encap) > 0 || r.Realms != 0
}

// sameExtra reports whether x holds what r has (expiry aside: it counts
// down, it does not make another route).
func sameExtra(x *routeExtra, r *rtnl.Route) bool {
	if x == nil || len(x.multipath) != len(r.Multipath) || x.metrics != r.Metrics ||
		x.encapType != r.EncapType || string(x.encap) != string(r.Encap) || x.realms != r.Realms {
		return false
	}
	for i := range r.Multipath {
		a, b := &x.multipath[i], &r.Multipath[i]
		if a.Gateway != b.Gateway || a.OIF != b.OIF || a.Weight != b.Weight || a.Flags != b.Flags || a.EncapType != b.EncapType || a.Realms != b.Realms ||
			string(a.Encap) != string(b.Encap) {
			return false
		}
	}
	return true
}

// setExtra copies r's extra fields into x, reusing its capacity.
func setExtra(x *routeExtra, r *rtnl.Route) {
	x.multipath = x.multipath[:0]
	for _, h := range r.Multipath {
		h.Attrs = nil
		h.Encap = slices.Clone(h.Encap) // rare: a next hop with its own tunnel
		x.multipath = append(x.multipath, h)
	}
	x.metrics, x.expires, x.encapType, x.realms = r.Metrics, r.Expires, r.EncapType, r.Realms
	x.encap = append(x.encap[:0], r.Encap...)
	if len(r.Encap) == 0 {
		x.encap = nil
	}
}

// fill writes the route held under k into r, reusing r.Multipath's
// capacity; r.Attrs is nil (the mirror does not keep raw attributes).
func fill(r *rtnl.Route, k *routeKey, v *routeVal, x *routeExtra) {
	mp := r.Multipath[:0]
	*r = rtnl.Route{
		Family: rtnl.Family(k.family), Table: rtnl.Table(k.table), Priority: k.prio, TOS: k.tos,
		Gateway: bytesAddr(&v.gw, v.gwFam), PrefSrc: bytesAddr(&v.prefsrc, v.prefFam),
		OIF: int(v.oif), IIF: int(v.iif), Flags: rtnl.RouteFlags(v.flags), NextHopID: v.nhID,
		Protocol: rtnl.Protocol(v.protocol), Scope: rtnl.Scope(v.scope), Type: rtnl.RouteType(v.typ),
		Pref: rtnl.RoutePref(v.pref), HasPref: v.hasPref,
	}
	if f := k.fam(); k.family == uint8(rtnl.FamilyIPv4) || k.family == uint8(rtnl.FamilyIPv6) {
		r.Dst = netip.PrefixFrom(bytesAddr(&k.dst, f), int(k.dstLen))
		if k.srcLen != 0xff {
			r.Src = netip.PrefixFrom(bytesAddr(&k.src, f), int(k.srcLen))
		}
	}
	if x != nil {
		mp = append(mp, x.multipath...)
		r.Metrics, r.Expires, r.EncapType, r.Encap, r.Realms = x.metrics, x.expires, x.encapType, x.encap, x.realms
	}
	r.Multipath = mp
}

// cloneRoute is an owned copy of a route filled by fill.
func cloneRoute(r *rtnl.Route) rtnl.Route {
	o := *r
	o.Multipath = slices.Clone(r.Multipath)
	if len(o.Multipath) == 0 {
		o.Multipath = nil
	}
	for i := range o.Multipath {
		o.Multipath[i].Encap = slices.Clone(o.Multipath[i].Encap)
	}
	o.Encap = slices.Clone(r.Encap)
	return o
}

// routeTable holds the routes compactly. The values live in one slab
// (with a free list); narrow indexes it by identity for the usual IPv4
// route (a 16-byte key kept in the slab entry), wide for every other
// (IPv6, or an IPv4 key that does not fit). extras holds the rare fields
// of the routes that have any; v6base counts, for IPv6, the routes that
// share each key without its next hop (fib6 keeps them side by side; a
// replace or a sibling's deletion is ambiguous only when several do).
// None of the structures of the common case holds a pointer the garbage
// collector must follow.
type routeTable struct {
	slab   routeSlab
	narrow narrowIndex
	wide   map[routeKey]uint32
	free   []uint32
	extras map[routeKey]*routeExtra
	v6base map[routeKey]uint32
	count  [2]int // routes held per family (IPv4, IPv6)
	// nhUsers counts the routes that use each nexthop object (their
	// NextHopID), so that the deletion of an object no route uses costs
	// no walk of the table.
	nhUsers map[uint32]uint32
}

// useNexthop counts one more (delta 1) or one fewer (-1) route using the
// nexthop object id (none for 0).
func (t *routeTable) useNexthop(id uint32, delta int) {
	if id == 0 {
		return
	}
	if t.nhUsers == nil {
		t.nhUsers = make(map[uint32]uint32)
	}
	n := int(t.nhUsers[id]) + delta
	if n <= 0 {
		delete(t.nhUsers, id)
		return
	}
	t.nhUsers[id] = uint32(n)
}

// narrowKey is the key of an IPv4 route without a source prefix.
type narrowKey struct {
	dst         [4]byte
	table, prio uint32
	dstLen, tos uint8
}

func newRouteTable() routeTable {
	return routeTable{narrow: newNarrowIndex(), wide: make(map[routeKey]uint32),
		extras: make(map[routeKey]*routeExtra), v6base: make(map[routeKey]uint32)}
}

// narrowOf returns k's narrow form, if it has one.
func narrowOf(k *routeKey) (narrowKey, bool) {
	if rtnl.Family(k.family) != rtnl.FamilyIPv4 || k.srcLen != 0xff || k.oif != 0 || k.gw != ([16]byte{}) ||
		[12]byte(k.dst[4:]) != ([12]byte{}) || k.src != ([16]byte{}) {
		return narrowKey{}, false
	}
	return narrowKey{dst: [4]byte(k.dst[:4]), table: k.table, prio: k.prio, dstLen: k.dstLen, tos: k.tos}, true
}

func (n *narrowKey) wide() routeKey {
	k := routeKey{table: n.table, prio: n.prio, family: uint8(rtnl.FamilyIPv4), dstLen: n.dstLen, tos: n.tos, srcLen: 0xff}
	copy(k.dst[:], n.dst[:])
	return k
}

// find returns the slab index of the route under k.
func (t *routeTable) find(k *routeKey) (uint32, bool) {
	if nk, ok := narrowOf(k); ok {
		return t.narrow.find(&t.slab, &nk)
	}
	i, ok := t.wide[*k]
	return i, ok
}

// val returns the route under k; the pointer is valid until the next
// insertion.
func (t *routeTable) val(k routeKey) (*routeVal, bool) {
	i, ok := t.find(&k)
	if !ok {
		return nil, false
	}
	return &t.slab.at(i).v, true
}

func (t *routeTable) len() int { return t.narrow.n + len(t.wide) }

// all yields every route's key and value (the value may be modified, not
// the table).
func (t *routeTable) all() iter.Seq2[routeKey, *routeVal] {
	return func(yield func(routeKey, *routeVal) bool) {
		stopped := false
		t.narrow.each(func(i uint32) bool {
			e := t.slab.at(i)
			stopped = !yield(e.nk.wide(), &e.v)
			return !stopped
		})
		if stopped {
			return
		}
		for k, i := range t.wide {
			if !yield(k, &t.slab.at(i).v) {
				return
			}
		}
	}
}

func (t *routeTable) insert(k *routeKey, v routeVal) {
	e := slabEntry{v: v}
	nk, narrow := narrowOf(k)
	if narrow {
		e.nk = nk
	}
	var i uint32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
		*t.slab.at(i) = e
	} else {
		i = t.slab.add(&e)
	}
	if narrow {
		t.narrow.set(&t.slab, &nk, i)
	} else {
		t.wide[*k] = i
	}
	t.count[famIndex(rtnl.Family(k.family))]++
	t.useNexthop(v.nhID, 1)
}

// baseOf is k without its next hop.
func baseOf(k routeKey) routeKey {
	k.oif, k.gw = 0, [16]byte{}
	return k
}

// sharing reports how many held IPv6 routes have k's key without its next
// hop (k's own route included).
func (t *routeTable) sharing(k routeKey) uint32 { return t.v6base[baseOf(k)] }

// upsert stores r under k. It returns whether an entry existed and
// whether it changed (false for an identical one, whose pass is still
// set to gen).
func (t *routeTable) upsert(k routeKey, r *rtnl.Route, gen uint32) (existed, changed bool) {
	return t.upsertVal(k, valOf(r), r, gen)
}

// upsertVal is upsert with r's value already made compact (nv); r is
// read only for its extra fields, when nv says it has some.
func (t *routeTable) upsertVal(k routeKey, nv routeVal, r *rtnl.Route, gen uint32) (existed, changed bool) {
	nv.gen = gen
	i, existed := t.find(&k)
	if !existed {
		if rtnl.Family(k.family) == rtnl.FamilyIPv6 {
			t.v6base[baseOf(k)]++
		}
		t.insert(&k, nv)
		if nv.hasExtra {
			x := new(routeExtra)
			setExtra(x, r)
			t.extras[k] = x
		}
		return false, true
	}
	old := &t.slab.at(i).v
	old.gen = gen
	if *old == nv && (!nv.hasExtra || sameExtra(t.extras[k], r)) {
		return true, false
	}
	hadExtra := old.hasExtra
	if old.nhID != nv.nhID {
		t.useNexthop(old.nhID, -1)
		t.useNexthop(nv.nhID, 1)
	}
	*old = nv
	if nv.hasExtra {
		x := t.extras[k]
		if x == nil {
			x = new(routeExtra)
			t.extras[k] = x
		}
		setExtra(x, r)
	} else if hadExtra {
		delete(t.extras, k)
	}
	return true, true
}

func (t *routeTable) remove(k routeKey) {
	i, ok := t.find(&k)
	if !ok {
		return
	}
	if nk, ok := narrowOf(&k); ok {
		t.narrow.remove(&t.slab, &nk)
	} else {
		delete(t.wide, k)
	}
	if t.slab.at(i).v.hasExtra {
		delete(t.extras, k)
	}
	t.useNexthop(t.slab.at(i).v.nhID, -1)
	*t.slab.at(i) = slabEntry{}
	t.free = append(t.free, i)
	t.count[famIndex(rtnl.Family(k.family))]--
	if rtnl.Family(k.family) == rtnl.FamilyIPv6 {
		b := baseOf(k)
		if t.v6base[b] <= 1 {
			delete(t.v6base, b)
		} else {
			t.v6base[b]--
		}
	}
}

// get fills r with the route under k.
func (t *routeTable) get(k routeKey, r *rtnl.Route) bool {
	i, ok := t.find(&k)
	if !ok {
		return false
	}
	t.fillAt(r, &k, &t.slab.at(i).v)
	return true
}

// fillAt fills r with the route k, v of the table.
func (t *routeTable) fillAt(r *rtnl.Route, k *routeKey, v *routeVal) {
	var x *routeExtra
	if v.hasExtra {
		x = t.extras[*k]
	}
	fill(r, k, v, x)
}
