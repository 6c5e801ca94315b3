package rtnl

import (
	"context"
	"errors"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/sandbox"
)

// nsidView is an NSID as ip -j netns list-id prints it: no "nsid" for an
// unassigned id, "current-nsid" only when assigned.
func nsidView(n *NSID) map[string]any {
	m := map[string]any{}
	if n.ID >= 0 {
		m["nsid"] = float64(n.ID)
	}
	if n.HasCurrentID && n.CurrentID >= 0 {
		m["current-nsid"] = float64(n.CurrentID)
	}
	return m
}

// checkNSIDsAgainstIP compares ids with what ip -j netns list-id args
// prints in ns, in the kernel's order, which both follow.
func checkNSIDsAgainstIP(t *testing.T, ns *netnstest.NS, ids []NSID, args ...string) {
	t.Helper()
	shown := ipJSON(t, ns, append([]string{"netns", "list-id"}, args...)...)
	var got []map[string]any
	for i := range ids {
		got = append(got, nsidView(&ids[i]))
	}
	for _, s := range shown {
		delete(s, "name") // from /run/netns, which the test's namespaces are not in
	}
	if len(shown) == 0 {
		shown = nil
	}
	if !reflect.DeepEqual(got, shown) {
		t.Errorf("ip netns list-id %v:\nrtnl %v\nip   %v", args, got, shown)
	}
}

// processIn starts a process that sleeps in ns and returns its pid; the
// test's cleanup ends it.
func processIn(t *testing.T, ns *netnstest.NS) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := ns.Do(cmd.Start); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

// TestIntegrationNSIDsAgreeWithIproute2 gives peer namespaces ids by fd, by
// pid and by the kernel's choice, reads them back one by one and as a
// dump, with and without a target namespace, and compares the dumps with
// ip netns list-id.
func TestIntegrationNSIDsAgreeWithIproute2(t *testing.T) {
	a, b, c3, d := netnstest.New(t), netnstest.New(t), netnstest.New(t), netnstest.New(t)
	c := dialIn(t, a)
	ctx := bg
	if id, err := c.NetNSIDByFD(ctx, b.FD()); err != nil || id != NSIDNotAssigned {
		t.Fatalf("NetNSIDByFD before any id: %d, %v; want NSIDNotAssigned", id, err)
	}
	checkNSIDsAgainstIP(t, a, nil)

	if err := c.SetNetNSIDByFD(ctx, b.FD(), 7); err != nil {
		t.Fatal(err)
	}
	pidC := processIn(t, c3)
	if err := c.SetNetNSIDByPID(ctx, pidC, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.SetNetNSIDByFD(ctx, d.FD(), NSIDNotAssigned); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		get  func() (int, error)
		want int
	}{
		{"b by fd", func() (int, error) { return c.NetNSIDByFD(ctx, b.FD()) }, 7},
		{"c by fd", func() (int, error) { return c.NetNSIDByFD(ctx, c3.FD()) }, 5},
		{"c by pid", func() (int, error) { return c.NetNSIDByPID(ctx, pidC) }, 5},
		{"b by pid", func() (int, error) { return c.NetNSIDByPID(ctx, processIn(t, b)) }, 7},
	} {
		if id, err := tt.get(); err != nil || id != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, id, err, tt.want)
		}
	}
	auto, err := c.NetNSIDByFD(ctx, d.FD())
	if err != nil || auto < 0 || auto == 5 || auto == 7 {
		t.Fatalf("the id the kernel chose: %d, %v", auto, err)
	}
	ids, err := c.NetNSIDList(ctx, NSIDFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, n := range ids {
		got = append(got, n.ID)
	}
	sort.Ints(got)
	want := []int{auto, 5, 7}
	sort.Ints(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NetNSIDList: %v, want %v", got, want)
	}
	checkNSIDsAgainstIP(t, a, ids)

	// An id is given once: the kernel refuses another for the same peer,
	// and the same id for another peer.
	if err := c.SetNetNSIDByFD(ctx, b.FD(), 9); !errors.Is(err, unix.EEXIST) {
		t.Errorf("a second id for b: %v, want EEXIST", err)
	}
	e := netnstest.New(t)
	if err := c.SetNetNSIDByFD(ctx, e.FD(), 7); !errors.Is(err, unix.EEXIST) {
		t.Errorf("id 7 again for another namespace: %v, want EEXIST", err)
	}
	checkNSIDsAgainstIP(t, a, ids)

	// b's own ids, seen from a: b calls a 3 and c 4.
	cb := dialIn(t, b)
	if err := cb.SetNetNSIDByFD(ctx, a.FD(), 3); err != nil {
		t.Fatal(err)
	}
	if err := cb.SetNetNSIDByFD(ctx, c3.FD(), 4); err != nil {
		t.Fatal(err)
	}
	seen, err := c.NetNSIDList(ctx, NSIDFilter{Target: 7, HasTarget: true})
	if err != nil {
		t.Fatal(err)
	}
	cur := map[int]int{}
	for _, n := range seen {
		if !n.HasCurrentID {
			t.Errorf("id %d in b's list without a current id", n.ID)
		}
		cur[n.ID] = n.CurrentID
	}
	if want := map[int]int{3: NSIDNotAssigned, 4: 5}; !reflect.DeepEqual(cur, want) {
		t.Errorf("b's ids with a's: %v, want %v", cur, want)
	}
	checkNSIDsAgainstIP(t, a, seen, "target-nsid", "7")
}

// TestIntegrationNSIDErrors checks the kernel's answers to namespaces that
// do not exist, and that what cannot be encoded sends nothing.
func TestIntegrationNSIDErrors(t *testing.T) {
	a := netnstest.New(t)
	c := dialIn(t, a)
	if _, err := c.NetNSIDByPID(bg, 1<<30); !errors.Is(err, unix.ESRCH) {
		t.Errorf("NetNSIDByPID of no process: %v, want ESRCH", err)
	}
	if _, err := c.NetNSIDByFD(bg, 1<<20); !errors.Is(err, unix.EBADF) {
		t.Errorf("NetNSIDByFD of a closed fd: %v, want EBADF", err)
	}
	if _, err := c.NetNSIDList(bg, NSIDFilter{Target: 42, HasTarget: true}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("a target that is no id: %v, want EINVAL", err)
	}
	plain := plainConn(t, a)
	before, beforePlain := c.Engine().Stats().RequestsSent, plain.Engine().Stats().RequestsSent
	for name, err := range map[string]error{
		"fd -1":  func() error { _, err := c.NetNSIDByFD(bg, -1); return err }(),
		"pid 0":  func() error { _, err := c.NetNSIDByPID(bg, 0); return err }(),
		"id -2":  c.SetNetNSIDByFD(bg, a.FD(), -2),
		"set -1": c.SetNetNSIDByPID(bg, -1, 3),
		"target without strict checking": func() error {
			_, err := plain.NetNSIDList(bg, NSIDFilter{Target: 1, HasTarget: true})
			return err
		}(),
	} {
		if !errors.Is(err, ErrInvalidNSID) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalidNSID", name, err)
		}
	}
	if n := c.Engine().Stats().RequestsSent - before + plain.Engine().Stats().RequestsSent - beforePlain; n != 0 {
		t.Errorf("%d requests sent for calls refused", n)
	}
}

// TestIntegrationNSIDEvents follows RTNLGRP_NSID: an id given is an
// EventNSID, and so is its removal when the peer namespace dies.
func TestIntegrationNSIDEvents(t *testing.T) {
	a := netnstest.New(t)
	c := dialIn(t, a)
	if err := c.Subscribe(GroupNSID); err != nil {
		t.Fatal(err)
	}
	peer, err := sandbox.NewNetNS(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetNetNSIDByFD(bg, peer, 11); err != nil {
		unix.Close(peer)
		t.Fatal(err)
	}
	unix.Close(peer) // nothing else holds it: the kernel frees it, and drops its id
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	var got []string
	for ev, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if ev.Kind != EventNSID {
			continue
		}
		got = append(got, strconv.FormatBool(ev.Deleted)+" "+strconv.Itoa(ev.NSID.ID))
		if ev.Deleted {
			break
		}
	}
	if want := []string{"false 11", "true 11"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v (new, then deleted)", got, want)
	}
}
