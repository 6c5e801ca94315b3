package rtnl

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// tcEventLine summarises a qdisc or class event as "qdisc new htb 1:
// root" or "class del htb 1:10 parent 1:1"; "" for other kinds.
func tcEventLine(e *Event) string {
	op := "new"
	if e.Deleted {
		op = "del"
	}
	switch e.Kind {
	case EventQdisc:
		return fmt.Sprintf("qdisc %s %s %v %v", op, e.Qdisc.Kind, e.Qdisc.Handle, e.Qdisc.Parent)
	case EventClass:
		return fmt.Sprintf("class %s %s %v %v", op, e.Class.Kind, e.Class.Handle, e.Class.Parent)
	}
	return ""
}

// TestIntegrationTCEvents changes qdiscs and classes with tc and with
// rtnl and expects their notifications on GroupTC, decoded, in order; the
// options an event carries are those written. A qdisc deleted with its
// classes is notified alone.
func TestIntegrationTCEvents(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "tce0", "tce1")
	c, err := Dial(bg, engine.WithNetNSFD(ns.FD()), engine.WithGroups(GroupTC))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := dialIn(t, ns)
	e0 := ns.LinkIndex(t, "tce0")
	ns.Run(t, "tc", "qdisc", "add", "dev", "tce0", "root", "handle", "1:", "htb", "default", "10")
	ns.Run(t, "tc", "class", "add", "dev", "tce0", "parent", "1:", "classid", "1:1", "htb", "rate", "10mbit")
	cl := Class{LinkIndex: e0, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x10), Kind: "htb", HTB: HTBClass{Rate: 40 * gbitps}}
	if err := w.ClassAdd(bg, &cl); err != nil {
		t.Fatal(err)
	}
	leaf := Qdisc{LinkIndex: e0, Parent: NewHandle(1, 0x10), Handle: NewHandle(0x10, 0), Kind: "pfifo", FIFO: FIFOQdisc{Limit: 33}}
	if err := w.QdiscAdd(bg, &leaf); err != nil {
		t.Fatal(err)
	}
	if err := w.QdiscDel(bg, &leaf); err != nil {
		t.Fatal(err)
	}
	if err := w.ClassDel(bg, &cl); err != nil {
		t.Fatal(err)
	}
	// Deleting the root takes class 1:1 with it, without a notification
	// of its own: the next event is the sentinel's.
	ns.Run(t, "tc", "qdisc", "del", "dev", "tce0", "root")
	ns.Run(t, "tc", "qdisc", "add", "dev", "tce1", "root", "handle", "9:", "pfifo")
	want := []string{
		"qdisc new htb 1: root",
		"class new htb 1:1 root",
		"class new htb 1:10 1:1",
		"qdisc new pfifo 10: 1:10",
		"qdisc del pfifo 10: 1:10",
		"class del htb 1:10 1:1",
		"qdisc del htb 1: root",
		"qdisc new pfifo 9: root",
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	var got []string
	for e, err := range c.Events(ctx) {
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		line := tcEventLine(e)
		if line == "" || e.Qdisc.Kind == "noqueue" && e.Kind == EventQdisc {
			continue // the veth's default coming back, and what else the kernel says
		}
		got = append(got, line)
		if e.Kind == EventClass && e.Class.Handle == cl.Handle && !e.Deleted && e.Class.HTB.Rate != cl.HTB.Rate {
			t.Errorf("the event of 1:10 has rate %d, written %d", e.Class.HTB.Rate, cl.HTB.Rate)
		}
		if e.Kind == EventQdisc && e.Qdisc.Handle == leaf.Handle && e.Qdisc.FIFO.Limit != 33 {
			t.Errorf("the event of the pfifo has limit %d", e.Qdisc.FIFO.Limit)
		}
		if e.Kind.String() != map[EventKind]string{EventQdisc: "qdisc", EventClass: "class"}[e.Kind] {
			t.Errorf("kind %d prints %q", e.Kind, e.Kind)
		}
		if len(got) == len(want) {
			break
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n%q\nwant\n%q", got, want)
	}
}
