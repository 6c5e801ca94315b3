package rtnl

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

func TestEventKindNames(t *testing.T) {
	for k, want := range map[EventKind]string{EventLink: "link", EventRoute: "route", EventOverrun: "overrun", EventNSID: "nsid", EventKind(42): "EventKind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}

func TestIsOverrun(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&engine.OpError{Op: "receive", Err: unix.ENOBUFS}, true},
		{&engine.OpError{Op: "receive", Err: engine.ErrOverrun}, true},
		{&engine.OpError{Op: "receive", Err: unix.EBADF}, false},
		{errors.New("other"), false},
	} {
		if got := IsOverrun(c.err); got != c.want {
			t.Errorf("IsOverrun(%v) = %v", c.err, got)
		}
	}
}

// TestEventDecodeTellsNewFromDel decodes a route message as NEW and as
// DEL, and a message of another type as EventUnknown.
func TestEventDecodeTellsNewFromDel(t *testing.T) {
	body := nlmsg.RtMsg{Family: uint8(FamilyIPv4), DstLen: 8, Table: uint8(TableMain), Type: 1}.AppendTo(nil)
	body = append(body, 8, 0, byte(nlmsg.RTADst), 0, 10, 0, 0, 0)
	msg := func(typ nlmsg.Type) nlmsg.View {
		b := nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(body)), Type: typ, Flags: nlmsg.Replace}.AppendTo(nil)
		v, err := nlmsg.ViewOf(append(b, body...))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var e Event
	for _, c := range []struct {
		typ     nlmsg.Type
		kind    EventKind
		deleted bool
	}{{nlmsg.RTMNewRoute, EventRoute, false}, {nlmsg.RTMDelRoute, EventRoute, true}, {nlmsg.Type(99), EventUnknown, false}} {
		if err := e.DecodeMessage(msg(c.typ)); err != nil {
			t.Fatal(err)
		}
		if e.Kind != c.kind || e.Deleted != c.deleted || e.Flags != nlmsg.Replace {
			t.Fatalf("type %d: kind %v deleted %v flags %v", c.typ, e.Kind, e.Deleted, e.Flags)
		}
		if c.kind == EventRoute && e.Route.Dst.String() != "10.0.0.0/8" {
			t.Fatalf("dst %v", e.Route.Dst)
		}
	}
}

// TestEventDecodeEveryKind decodes the NEW and DEL message of every object
// (a bare family header each) into one Event.
func TestEventDecodeEveryKind(t *testing.T) {
	var e Event
	for _, c := range []struct {
		newT, delT nlmsg.Type
		kind       EventKind
		body       []byte
	}{
		{nlmsg.RTMNewLink, nlmsg.RTMDelLink, EventLink, nlmsg.IfInfoMsg{Index: 7}.AppendTo(nil)},
		{nlmsg.RTMNewAddr, nlmsg.RTMDelAddr, EventAddr, nlmsg.IfAddrMsg{Family: uint8(FamilyIPv4), Index: 7}.AppendTo(nil)},
		{nlmsg.RTMNewRoute, nlmsg.RTMDelRoute, EventRoute, nlmsg.RtMsg{Family: uint8(FamilyIPv4)}.AppendTo(nil)},
		{nlmsg.RTMNewNeigh, nlmsg.RTMDelNeigh, EventNeigh, nlmsg.NdMsg{Family: uint8(FamilyIPv4), Index: 7}.AppendTo(nil)},
		{nlmsg.RTMNewRule, nlmsg.RTMDelRule, EventRule, nlmsg.FibRuleHdr{Family: uint8(FamilyIPv4)}.AppendTo(nil)},
		{nlmsg.RTMNewNSID, nlmsg.RTMDelNSID, EventNSID, appendU32Attr(nlmsg.RtGenMsg{}.AppendTo(nil), nlmsg.NETNSANSID, 7)},
	} {
		for _, typ := range []nlmsg.Type{c.newT, c.delT} {
			b := nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(c.body)), Type: typ}.AppendTo(nil)
			v, err := nlmsg.ViewOf(append(b, c.body...))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.DecodeMessage(v); err != nil {
				t.Fatalf("%v: %v", c.kind, err)
			}
			if e.Kind != c.kind || e.Deleted != (typ == c.delT) || e.Type != typ || len(e.Raw) != len(b)+len(c.body) {
				t.Errorf("type %d: kind %v deleted %v type %d, want %v deleted %v", typ, e.Kind, e.Deleted, e.Type, c.kind, typ == c.delT)
			}
		}
	}
	if e.Link.Index != 7 || e.Addr.LinkIndex != 7 || e.Neigh.LinkIndex != 7 || e.NSID.ID != 7 {
		t.Errorf("objects not decoded: link %d addr %d neigh %d nsid %d", e.Link.Index, e.Addr.LinkIndex, e.Neigh.LinkIndex, e.NSID.ID)
	}
}
