package bench

import (
	"cmp"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// The tests in this file check the harness, not the speed: that every
// library, at every level it supports, does the same work as the floor on a
// small namespace, so the benchmarks compare like with like.

func sortedRoutes(rs []route) []route {
	slices.SortFunc(rs, func(a, b route) int {
		return cmp.Or(a.Dst.Compare(b.Dst), cmp.Compare(a.DstLen, b.DstLen), cmp.Compare(a.Table, b.Table), cmp.Compare(a.OIF, b.OIF))
	})
	return rs
}

func sortedLinks(ls []link) []link {
	slices.SortFunc(ls, func(a, b link) int { return cmp.Compare(a.Index, b.Index) })
	return ls
}

// TestDumpsAgree checks that every library's route and link dumps return
// as many messages as the floor's and decode to the same structs.
func TestDumpsAgree(t *testing.T) {
	rns, rmsgs := filledRouteNS(t, 1000)
	lns, lmsgs := filledLinkNS(t, 5)
	var wantRoutes []route
	var wantLinks []link
	ref := floorClient{newFloor(t, rns, 0)}
	_, err := ref.routeDump(decoded, func(r route) { wantRoutes = append(wantRoutes, r) })
	must(t, err, "floor route dump")
	_, err = floorClient{newFloor(t, lns, 0)}.linkDump(decoded, func(l link) { wantLinks = append(wantLinks, l) })
	must(t, err, "floor link dump")
	sortedRoutes(wantRoutes)
	sortedLinks(wantLinks)
	if len(wantRoutes) != rmsgs || wantRoutes[0].Dst.String() != "10.0.0.0" {
		t.Fatalf("floor decoded %d routes, first %+v", len(wantRoutes), wantRoutes[0])
	}

	for _, lib := range libraries {
		for _, lv := range levels {
			t.Run(lib.name+"/"+lv.String(), func(t *testing.T) {
				skipUnsupported(t, lib, wRouteDump, lv)
				var routes []route
				n, err := lib.dial(t, rns).routeDump(lv, func(r route) { routes = append(routes, r) })
				must(t, err, "route dump")
				if n != rmsgs {
					t.Errorf("route dump: %d messages, want %d", n, rmsgs)
				}
				var links []link
				n, err = lib.dial(t, lns).linkDump(lv, func(l link) { links = append(links, l) })
				must(t, err, "link dump")
				if n != lmsgs {
					t.Errorf("link dump: %d messages, want %d", n, lmsgs)
				}
				if lv == raw {
					return
				}
				if !slices.Equal(sortedRoutes(routes), wantRoutes) {
					t.Errorf("decoded routes differ from the floor's (%d vs %d)", len(routes), len(wantRoutes))
				}
				if !slices.Equal(sortedLinks(links), wantLinks) {
					t.Errorf("decoded links differ from the floor's:\n got %+v\nwant %+v", links, wantLinks)
				}
			})
		}
	}
}

// TestRequestsAgree checks GETLINK, NOOP and both directions of bulk for
// every library and level against the floor's view of the namespace.
func TestRequestsAgree(t *testing.T) {
	rs := make([]route, 300)
	for i := range rs {
		rs[i] = benchRoute(200<<16 + i)
	}
	payloads := routePayloads(rs)
	for _, lib := range libraries {
		for _, lv := range levels {
			t.Run(lib.name+"/"+lv.String(), func(t *testing.T) {
				nsp := ns.New(t)
				check := newFloor(t, nsp, 0)
				base, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
				must(t, err, "dump")
				c := lib.dial(t, nsp)
				if lib.unsupported(wNoop, raw) == "" && lv == raw {
					must(t, c.noop(), "noop")
				}
				if lib.unsupported(wGetLink, lv) != "" {
					t.Skip(lib.unsupported(wGetLink, lv))
				}
				for range 3 { // again: a leftover ack must not confuse the next call
					l, err := c.getLink(lv, loIndex)
					must(t, err, "get link")
					if lv == decoded && (l.Index != loIndex || l.Name != "lo" || l.MTU != 65536) {
						t.Fatalf("get link decoded %+v, want lo", l)
					}
				}
				if _, err := c.getLink(lv, 4242); err == nil {
					t.Error("get link of a missing ifindex succeeded")
				}
				must(t, c.bulk(lv, true, rs, payloads), "bulk add")
				var added []route
				n, err := check.dump(unix.RTM_GETROUTE, rtmsgIPv4, func(p []byte) error {
					r, err := plainRoute(p)
					if r.Table == unix.RT_TABLE_MAIN {
						added = append(added, r)
					}
					return err
				})
				must(t, err, "dump")
				if n != base+len(rs) || !slices.Equal(sortedRoutes(added), rs) {
					t.Fatalf("after bulk add: %d routes (want %d), main table matches: %v", n, base+len(rs), slices.Equal(added, rs))
				}
				if err := c.bulk(lv, true, rs[:1], payloads[:1]); err == nil {
					t.Error("adding an existing route (NLM_F_EXCL) succeeded")
				}
				must(t, c.bulk(lv, false, rs, payloads), "bulk delete")
				n, err = check.dump(unix.RTM_GETROUTE, rtmsgIPv4, nil)
				must(t, err, "dump")
				if n != base {
					t.Fatalf("after bulk delete: %d routes, want %d", n, base)
				}
			})
		}
	}
}

// TestEventsCount checks that every subscriber counts exactly the
// notifications of a small burst, which fits any receive buffer.
func TestEventsCount(t *testing.T) {
	rs := benchRoutes(50)
	for _, lib := range libraries {
		for _, lv := range levels {
			t.Run(lib.name+"/"+lv.String(), func(t *testing.T) {
				skipUnsupported(t, lib, wEvents, lv)
				nsp := ns.New(t)
				sub := lib.subscribe(t, nsp, lv, 0)
				w := newFloor(t, nsp, 0)
				for gen := 1; gen <= 3; gen++ {
					st := eventStats{gen: gen}
					must(t, eventsOp(w, sub, rs, &st), "events op %d", gen)
					if st.received != 2*len(rs) || st.enobufs != 0 || st.overruns != 0 {
						t.Fatalf("op %d: %+v, want %d received and no loss", gen, st, 2*len(rs))
					}
				}
			})
		}
	}
}
