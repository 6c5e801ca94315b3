package rtnl

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// The package-level functions work in the namespace of the calling thread
// (NS.Do runs its function on a thread inside the namespace): what they
// write shows in ip there, what they read is that namespace's.
func TestIntegrationPackageFunctionsWorkInTheCallersNamespace(t *testing.T) {
	ns := netnstest.New(t)
	ctx := context.Background()
	var names []string
	var routes int
	err := ns.Do(func() error {
		veth := &Link{Name: "veth0", Kind: KindVeth, Veth: VethInfo{PeerName: "veth1"}}
		if err := LinkAdd(ctx, veth); err != nil {
			return err
		}
		l, err := LinkByName(ctx, "veth0")
		if err != nil {
			return err
		}
		if err := AddrAdd(ctx, &Addr{LinkIndex: l.Index, Prefix: netip.MustParsePrefix("10.0.0.1/24")}); err != nil {
			return err
		}
		if err := LinkSetUp(ctx, l.Index); err != nil {
			return err
		}
		if err := RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("10.9.0.0/16"), Gateway: netip.MustParseAddr("10.0.0.2"), Table: 1000}); err != nil {
			return err
		}
		for l, err := range Links(ctx, LinkFilter{}) {
			if err != nil {
				return err
			}
			names = append(names, l.Name)
		}
		rs, err := RouteList(ctx, RouteFilter{Table: 1000})
		routes = len(rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if want := []string{"lo", "veth0", "veth1"}; !slices.Equal(names, want) {
		t.Errorf("links %v, want %v (those of the namespace)", names, want)
	}
	if routes != 1 {
		t.Errorf("RouteList of table 1000: %d routes, want 1", routes)
	}
	l := ipJSON(t, ns, "addr", "show", "dev", "veth0")
	if len(l) != 1 || !slices.Contains(strs(l[0], "flags"), "UP") {
		t.Fatalf("ip addr show dev veth0: %v, want it up", l)
	}
	if r := ipJSON(t, ns, "route", "show", "table", "1000"); len(r) != 1 || str(r[0], "dst") != "10.9.0.0/16" || str(r[0], "gateway") != "10.0.0.2" {
		t.Errorf("ip route show table 1000: %v", r)
	}
}

// Each call closes the Conn it dialed, an iterator when its loop ends,
// early or not.
func TestIntegrationPackageFunctionsCloseTheirConns(t *testing.T) {
	ns := netnstest.New(t)
	ctx := context.Background()
	fds := func() int {
		e, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(e)
	}
	var before, after int
	err := ns.Do(func() error {
		for range 3 { // warm: pools, the runtime's own descriptors
			if _, err := LinkList(ctx, LinkFilter{}); err != nil {
				return err
			}
		}
		before = fds()
		for range 20 {
			if _, err := LinkList(ctx, LinkFilter{}); err != nil {
				return err
			}
			for _, err := range Links(ctx, LinkFilter{}) {
				if err != nil {
					return err
				}
				break
			}
			if err := LinkSetUp(ctx, 1); err != nil {
				return err
			}
		}
		after = fds()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after > before {
		t.Errorf("open descriptors: %d before 60 calls, %d after", before, after)
	}
}

// A Dial that fails is the call's error, and an iterator's only yield.
func TestIntegrationPackageFunctionsReturnTheDialError(t *testing.T) {
	ns := netnstest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ns.Do(func() error {
		if _, err := Dial(ctx); err == nil {
			return errors.New("Dial does not fail on a cancelled context")
		}
		if _, err := LinkByName(ctx, "lo"); !errors.Is(err, context.Canceled) {
			t.Errorf("LinkByName: %v, want context.Canceled", err)
		}
		n := 0
		for r, err := range Routes(ctx, RouteFilter{}) {
			n++
			if r != nil || !errors.Is(err, context.Canceled) {
				t.Errorf("Routes yielded %v, %v; want nil and context.Canceled", r, err)
			}
		}
		if n != 1 {
			t.Errorf("Routes yielded %d times, want once", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// RouteGet and the namespace id functions, too, ask about the caller's
// namespace.
func TestIntegrationPackageLookupsAndNSIDsAreTheCallersNamespace(t *testing.T) {
	ns, peer := netnstest.New(t), netnstest.New(t)
	ipRun(t, ns, "route", "add", "blackhole", "10.9.0.0/16")
	ctx := context.Background()
	var r Route
	var getErr error
	var id int
	var ids []NSID
	err := ns.Do(func() error {
		r, getErr = RouteGet(ctx, RouteQuery{Dst: netip.MustParseAddr("10.0.0.1")})
		if _, err := RouteGet(ctx, RouteQuery{Dst: netip.MustParseAddr("10.9.0.1")}); !errors.Is(err, ErrNoRoute) {
			return errors.New("RouteGet of the namespace's blackhole: " + err.Error())
		}
		if err := SetNetNSIDByFD(ctx, peer.FD(), 4); err != nil {
			return err
		}
		var err error
		if id, err = NetNSIDByFD(ctx, peer.FD()); err != nil {
			return err
		}
		ids, err = NetNSIDList(ctx, NSIDFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The namespace has no address but lo's: 10.0.0.1 is unreachable there.
	if !errors.Is(getErr, ErrNoRoute) {
		t.Errorf("RouteGet of 10.0.0.1 in a namespace without routes: %v, %v; want ErrNoRoute", r, getErr)
	}
	if id != 4 || len(ids) != 1 || ids[0].ID != 4 {
		t.Errorf("id %d, list %v; want 4 and [4]", id, ids)
	}
	checkNSIDsAgainstIP(t, ns, ids)
}
