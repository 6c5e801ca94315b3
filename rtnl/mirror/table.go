package mirror

import (
	"net/netip"
	"time"

	"github.com/nlengine/nlengine/rtnl"
)

// entry is one held link, address, neighbour or nexthop object. v never changes once the
// entry is in a table (an update stores a new entry), so readers may keep
// a pointer to it; gen, the resync pass that last saw it, changes under
// the mirror's lock.
type entry[T any] struct {
	v   T
	gen uint32
}

// objTable holds the links, the addresses, the neighbours or the nexthop
// objects by identity.
type objTable[K comparable, T any] struct {
	m    map[K]*entry[T]
	key  func(*T) K
	same func(a, b *T) bool
	own  func(*T) T
}

func newObjTable[K comparable, T any](key func(*T) K, same func(a, b *T) bool, own func(*T) T) objTable[K, T] {
	return objTable[K, T]{m: make(map[K]*entry[T]), key: key, same: same, own: own}
}

// upsert stores an owned copy of v unless an identical one is held (then
// only its pass is set). It returns the entry held before (nil if none),
// the one held now, and whether they differ.
func (t *objTable[K, T]) upsert(v *T, gen uint32) (old, cur *entry[T], changed bool) {
	k := t.key(v)
	old = t.m[k]
	if old != nil && t.same(&old.v, v) {
		old.gen = gen
		return old, old, false
	}
	cur = &entry[T]{v: t.own(v), gen: gen}
	t.m[k] = cur
	return old, cur, true
}

// pending records the re-reads the mirror owes: routes of whole families,
// routes and neighbours of some links, the nexthop objects, due at a time.
type pending struct {
	at     time.Time // zero: nothing pending
	reason Reason    // the reason of the first request
	all    bool      // every table
	fams   [2]bool   // IPv4, IPv6: every route of the family
	links  map[int]bool
	// srcs are removed addresses: the routes of their family are read
	// again if any held route still uses one as its source.
	srcs map[netip.Addr]bool
	// nexthops asks for the nexthop objects to be read again (a link went
	// down or was deleted); nhGroups are groups that lost a member, and
	// objects that became or stopped being a blackhole with the groups
	// holding them: the routes of the families of the routes using one
	// are read again.
	nexthops bool
	nhGroups map[uint32]bool
}

// nexthopGroup asks for the routes using nexthop object id (a group, or
// a single object) to be read again by at.
func (p *pending) nexthopGroup(id uint32, at time.Time) {
	p.note(ReasonNexthopGroup, at)
	if p.nhGroups == nil {
		p.nhGroups = make(map[uint32]bool)
	}
	p.nhGroups[id] = true
}

// prefSrc asks for the routes using a (removed) as their source to be
// read again by at.
func (p *pending) prefSrc(a netip.Addr, at time.Time) {
	p.note(ReasonAddrRemoved, at)
	if p.srcs == nil {
		p.srcs = make(map[netip.Addr]bool)
	}
	p.srcs[a] = true
}

func famIndex(f rtnl.Family) int {
	if f == rtnl.FamilyIPv6 {
		return 1
	}
	return 0
}

func (p *pending) note(reason Reason, at time.Time) {
	if p.at.IsZero() {
		p.at, p.reason = at, reason
	}
}

// family asks for the routes of family f to be read again by at.
func (p *pending) family(f rtnl.Family, reason Reason, at time.Time) {
	p.note(reason, at)
	p.fams[famIndex(f)] = true
}

// link asks for the routes through link index and its neighbours to be
// read again by at.
func (p *pending) link(index int, at time.Time) {
	p.note(ReasonLinkChange, at)
	if p.links == nil {
		p.links = make(map[int]bool)
	}
	p.links[index] = true
}

// full asks for a full resync by at.
func (p *pending) full(reason Reason, at time.Time) {
	p.note(reason, at)
	p.all = true
}

func (p *pending) clear() {
	p.at, p.all, p.nexthops = time.Time{}, false, false
	p.fams = [2]bool{}
	clear(p.links)
	clear(p.srcs)
	clear(p.nhGroups)
}
