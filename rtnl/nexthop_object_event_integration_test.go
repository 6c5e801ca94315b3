package rtnl

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// nexthopEventLine summarises a nexthop event as "nexthop new 10 group
// [{1 1} {2 5}]", "nexthop del 2 via 10.0.0.3" or "nexthop new 4 dev 3";
// "" for other kinds.
func nexthopEventLine(e *Event) string {
	if e.Kind != EventNexthop {
		return ""
	}
	op := "new"
	if e.Deleted {
		op = "del"
	}
	n := &e.Nexthop
	if n.IsGroup() {
		return fmt.Sprintf("nexthop %s %d group %v", op, n.ID, n.Group)
	}
	if !n.Gateway.IsValid() {
		return fmt.Sprintf("nexthop %s %d dev %d", op, n.ID, n.OIF)
	}
	return fmt.Sprintf("nexthop %s %d via %v", op, n.ID, n.Gateway)
}

// TestIntegrationNexthopEvents changes nexthop objects with ip and with
// rtnl and expects their notifications, decoded, in order: adds, a
// replace, a member's deletion (its group notified with the member gone,
// the group it leaves empty deleted), and each decoded object equal to
// what a get reads of it.
func TestIntegrationNexthopEvents(t *testing.T) {
	ns := netnstestWithVeth(t)
	c := listenIn(t, ns)
	w := dialIn(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, cmd := range []string{
		"nexthop add id 1 via 10.0.0.2 dev v0",
		"nexthop add id 2 via 10.0.0.3 dev v0",
		"nexthop add id 10 group 1/2,5",
		"nexthop add id 11 group 2",
	} {
		ipRun(t, ns, strings.Fields(cmd)...)
	}
	held := map[uint32]NexthopObject{}
	for _, id := range []uint32{1, 2, 10, 11} {
		n, err := w.NexthopByID(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		held[id] = n
	}
	if err := w.NexthopReplace(bg, &NexthopObject{ID: 2, Gateway: netip.MustParseAddr("10.0.0.4"), OIF: ns.LinkIndex(t, "v0")}); err != nil {
		t.Fatal(err)
	}
	if err := w.NexthopDel(bg, 2); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nexthop new 1 via 10.0.0.2",
		"nexthop new 2 via 10.0.0.3",
		"nexthop new 10 group [{1 1} {2 5}]",
		"nexthop new 11 group [{2 1}]",
		"nexthop new 2 via 10.0.0.4",
		"nexthop del 2 via 10.0.0.4",
		"nexthop del 11 group [{2 1}]",
		"nexthop new 10 group [{1 1}]",
	}
	var got []string
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		line := nexthopEventLine(e)
		if line == "" {
			continue
		}
		got = append(got, line)
		if n, ok := held[e.Nexthop.ID]; ok && len(got) <= 4 {
			if d := comparableNexthops([]NexthopObject{e.Nexthop.Clone()}); !reflect.DeepEqual(d[0], comparableNexthops([]NexthopObject{n})[0]) {
				t.Errorf("event %q decodes to\n%+v\na get reads\n%+v", line, d[0], n)
			}
		}
		if len(got) == len(want) {
			break
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n%q\nwant\n%q", got, want)
	}
	if m := ipJSON(t, ns, "nexthop", "show", "id", "10"); len(m) != 1 || len(m[0]["group"].([]any)) != 1 {
		t.Errorf("ip shows group 10 as %v", m)
	}
}

// TestIntegrationNexthopsFlushedWithTheirDeviceAreNotNotified records a
// kernel behaviour a copy must allow for: setting a device down removes
// its nexthop objects (and the groups they empty) without any
// RTM_DELNEXTHOP.
func TestIntegrationNexthopsFlushedWithTheirDeviceAreNotNotified(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "f0", "f1")
	ns.AddVeth(t, "g0", "g1")
	c := listenIn(t, ns)
	w := dialIn(t, ns)
	for _, cmd := range []string{"nexthop add id 1 dev f0", "nexthop add id 2 group 1", "link set f0 down", "nexthop add id 3 dev g0"} {
		ipRun(t, ns, strings.Fields(cmd)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if line := nexthopEventLine(e); line != "" {
			got = append(got, line)
			if e.Nexthop.ID == 3 {
				break
			}
		}
	}
	want := []string{fmt.Sprintf("nexthop new 1 dev %d", ns.LinkIndex(t, "f0")), "nexthop new 2 group [{1 1}]", fmt.Sprintf("nexthop new 3 dev %d", ns.LinkIndex(t, "g0"))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	left, err := w.NexthopList(bg, NexthopFilter{})
	if err != nil || len(left) != 1 || left[0].ID != 3 {
		t.Errorf("after f0 went down: %+v, %v; want only 3", left, err)
	}
}
