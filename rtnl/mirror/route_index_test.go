package mirror

import (
	"maps"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/nlengine/nlengine/rtnl"
)

// TestNarrowIndexAgreesWithMap: random inserts, replacements and
// removals on a small key space (so probe chains collide, wrap around the
// end of the slots and get shifted back) find exactly what a Go map of the
// same operations holds.
func TestNarrowIndexAgreesWithMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s routeSlab
	x := newNarrowIndex()
	x.seed = [2]uint64{1, 0} // a weak hash, for long chains
	model := map[narrowKey]uint32{}
	key := func(n int) narrowKey {
		return narrowKey{dst: [4]byte{10, 0, byte(n >> 8), byte(n)}, table: 254, dstLen: 32}
	}
	for step := range 20_000 {
		k := key(rng.IntN(300))
		switch rng.IntN(3) {
		case 0, 1:
			i := s.add(&slabEntry{nk: k})
			old, ok := x.set(&s, &k, i)
			if mo, mok := model[k]; ok != mok || (ok && old != mo) {
				t.Fatalf("step %d: set %v returned %d %v, model %d %v", step, k, old, ok, mo, mok)
			}
			model[k] = i
		case 2:
			x.remove(&s, &k)
			delete(model, k)
		}
		if x.n != len(model) {
			t.Fatalf("step %d: %d entries, model %d", step, x.n, len(model))
		}
	}
	for n := range 300 {
		k := key(n)
		i, ok := x.find(&s, &k)
		if mi, mok := model[k]; ok != mok || i != mi {
			t.Fatalf("%v: found %d %v, model %d %v", k, i, ok, mi, mok)
		}
	}
	seen := 0
	x.each(func(i uint32) bool {
		if model[s.at(i).nk] != i {
			t.Fatalf("each yields %d, not held", i)
		}
		seen++
		return true
	})
	if seen != len(model) {
		t.Fatalf("each yielded %d, want %d", seen, len(model))
	}
}

// TestRouteLoadIsUpsertsInOrder: loading a dump that repeats routes (as an
// interrupted dump can) with changed values, and routes gaining and losing
// their extra fields, leaves the table as upserting the same routes one by
// one does, and counts each route once (and each route's use of a
// nexthop object).
func TestRouteLoadIsUpsertsInOrder(t *testing.T) {
	rs := sampleRoutes()
	seq := append([]rtnl.Route(nil), rs...)
	for i := range rs {
		r := rs[i]
		r.Protocol++ // a different value under the same key
		if i%2 == 0 {
			r.Multipath, r.Metrics, r.Encap, r.EncapType = nil, rtnl.Metrics{}, nil, 0
		} else {
			r.Metrics.MTU = 1300
		}
		seq = append(seq, r)
	}
	for i := range 5000 {
		r := benchRoute(i, 3)
		seq = append(seq, r)
	}
	seq = append(seq, benchRoute(7, 4)) // repeated with another interface
	seq = append(seq, benchRoute(9, 3)) // repeated as it was
	for i := range seq {
		if i%3 == 0 {
			seq[i].NextHopID = uint32(1 + i%4) // a repeat may change it
		}
	}
	want := newRouteTable()
	updates := 0
	for i := range seq {
		if ex, ch := want.upsert(keyOf(&seq[i]), &seq[i], 1); ex && ch {
			updates++
		}
	}
	got := newRouteTable()
	var l routeLoad
	for i := range seq {
		k := keyOf(&seq[i])
		l.add(&k, &seq[i], 1)
	}
	added, updated := l.commit(&got)
	if updated != updates {
		t.Fatalf("%d updates counted, want %d", updated, updates)
	}
	if added != want.len() || got.len() != want.len() || got.count != want.count {
		t.Fatalf("added %d, holds %d %v, want %d %v", added, got.len(), got.count, want.len(), want.count)
	}
	var a, b rtnl.Route
	for k, v := range want.all() {
		want.fillAt(&a, &k, v)
		if !got.get(k, &b) {
			t.Fatalf("%s missing", routeLine(&a))
		}
		if routeLine(&a) != routeLine(&b) || string(a.Encap) != string(b.Encap) {
			t.Fatalf("got  %s\nwant %s", routeLine(&b), routeLine(&a))
		}
	}
	if !maps.Equal(got.nhUsers, want.nhUsers) || !maps.Equal(want.nhUsers, nexthopUsers(&want)) || len(want.nhUsers) != 4 {
		t.Fatalf("nexthop users %v, upserts count %v, the table holds %v", got.nhUsers, want.nhUsers, nexthopUsers(&want))
	}
	if len(got.extras) != len(want.extras) || len(got.v6base) != len(want.v6base) {
		t.Fatalf("extras %d v6base %d, want %d %d", len(got.extras), len(got.v6base), len(want.extras), len(want.v6base))
	}
	// The table goes on working: freed slots are reused, removals find
	// what the load indexed.
	for i := range seq {
		got.remove(keyOf(&seq[i]))
	}
	if got.len() != 0 || got.count != [2]int{} || len(got.extras) != 0 || len(got.nhUsers) != 0 {
		t.Fatalf("after removing all: %d routes %v, %d extras", got.len(), got.count, len(got.extras))
	}
	r := benchRoute(1, 3)
	r.Gateway = netip.MustParseAddr("10.0.0.9")
	if ex, ch := got.upsert(keyOf(&r), &r, 2); ex || !ch || !got.get(keyOf(&r), &b) || b.Gateway != r.Gateway {
		t.Fatalf("upsert after load: existed %v changed %v, got %s", ex, ch, routeLine(&b))
	}
}
