package conntrack

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// EventType says what happened to an entry or an expectation.
type EventType uint8

// Event types.
const (
	EventNew     EventType = 1 // an entry was created (NFNLGRP_CONNTRACK_NEW)
	EventUpdate  EventType = 2 // an entry changed (NFNLGRP_CONNTRACK_UPDATE)
	EventDestroy EventType = 3 // an entry was removed (NFNLGRP_CONNTRACK_DESTROY)
	// EventOverrun reports that events were lost (the socket's receive
	// buffer or the Conn's notification queue overflowed). Its Flow is
	// unset; the table should be dumped again to resynchronise.
	EventOverrun EventType = 4
	// EventExpectNew reports a new expectation (NFNLGRP_CONNTRACK_EXP_NEW);
	// its Expect is set, its Flow not.
	EventExpectNew EventType = 5
	// EventExpectDestroy reports an expectation removed, used or timed out
	// (NFNLGRP_CONNTRACK_EXP_DESTROY); its Expect is set, its Flow not.
	EventExpectDestroy EventType = 6
)

// String returns the tag conntrack -E prints: "NEW", "UPDATE", "DESTROY",
// or "OVERRUN"; for the expectation events, the tags conntrack -E expect
// prints, "NEW" and "DESTROY" (IsExpect tells them from the entries').
func (t EventType) String() string {
	switch t {
	case EventNew, EventExpectNew:
		return "NEW"
	case EventUpdate:
		return "UPDATE"
	case EventDestroy, EventExpectDestroy:
		return "DESTROY"
	case EventOverrun:
		return "OVERRUN"
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// IsExpect reports whether t is an expectation event (EventExpectNew or
// EventExpectDestroy).
func (t EventType) IsExpect() bool { return t == EventExpectNew || t == EventExpectDestroy }

// group returns the multicast group of event type t, or 0 for a type one
// cannot subscribe to.
func (t EventType) group() uint32 {
	switch t {
	case EventNew:
		return nlmsg.NFNLGrpConntrackNew
	case EventUpdate:
		return nlmsg.NFNLGrpConntrackUpdate
	case EventDestroy:
		return nlmsg.NFNLGrpConntrackDestroy
	case EventExpectNew:
		return nlmsg.NFNLGrpConntrackExpNew
	case EventExpectDestroy:
		return nlmsg.NFNLGrpConntrackExpDestroy
	}
	return 0
}

// Event is one notification: an entry's (Flow set) or, for the
// EventExpect types, an expectation's (Expect set). Err is set on an
// EventOverrun: the cause, which errors.Is unix.ENOBUFS or
// engine.ErrOverrun.
type Event struct {
	Type   EventType
	Flow   Flow
	Expect Expect
	Err    error
}

// Groups are the multicast groups of the three kinds of entry events, for
// engine.WithGroups or AddMembership.
var Groups = []uint32{nlmsg.NFNLGrpConntrackNew, nlmsg.NFNLGrpConntrackUpdate, nlmsg.NFNLGrpConntrackDestroy}

// ExpectGroups are the multicast groups of the two kinds of expectation
// events, for engine.WithGroups or AddMembership. NB: the kernel has a
// third group, NFNLGRP_CONNTRACK_EXP_UPDATE, to which it sends nothing.
var ExpectGroups = []uint32{nlmsg.NFNLGrpConntrackExpNew, nlmsg.NFNLGrpConntrackExpDestroy}

// Subscribe joins the groups of the given event types (the three entry
// types when none is given; EventExpectNew and EventExpectDestroy join the
// expectation groups) on the Conn's socket. Another type fails with an
// error wrapping ErrBadEventType before any group is joined; a failed join
// returns the engine's error. Safe for concurrent use.
func (c *Conn) Subscribe(types ...EventType) error {
	if len(types) == 0 {
		types = []EventType{EventNew, EventUpdate, EventDestroy}
	}
	for _, t := range types {
		if t.group() == 0 {
			return fmt.Errorf("%w: %v", ErrBadEventType, t)
		}
	}
	for _, t := range types {
		if err := c.c.AddMembership(t.group()); err != nil {
			return err
		}
	}
	return nil
}

// eventType classifies an event message.
func eventType(v nlmsg.View) EventType {
	switch v.Type() {
	case msgType(nlmsg.IPCTNLMsgCTDelete):
		return EventDestroy
	case msgType(nlmsg.IPCTNLMsgCTNew):
		if v.Flags()&(nlmsg.Create|nlmsg.Excl) != 0 {
			return EventNew
		}
		return EventUpdate
	case expMsgType(nlmsg.IPCTNLMsgExpDelete):
		return EventExpectDestroy
	case expMsgType(nlmsg.IPCTNLMsgExpNew):
		return EventExpectNew
	}
	return 0
}

// Events yields the entry and expectation events of the groups the Conn
// joined (see Subscribe) in place: the *Event is one value reused for
// every event, valid until the loop body returns; an entry event sets its
// Flow, an expectation event its Expect, and the other keeps what an
// earlier event left there. A loss is yielded as an EventOverrun with a
// nil error and the loop goes on. Other errors (ctx ended, the Conn
// closed) are yielded with a nil Event and end the loop; a malformed
// message is yielded as a *DecodeError and the loop goes on. It does not
// allocate per event. Messages that are not events are skipped.
func (c *Conn) Events(ctx context.Context) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		var ev Event
		for v, err := range c.c.Notifications(ctx) {
			if err != nil {
				if errors.Is(err, unix.ENOBUFS) || errors.Is(err, engine.ErrOverrun) {
					ev = Event{Type: EventOverrun, Err: err}
					if !yield(&ev, nil) {
						return
					}
					continue
				}
				yield(nil, err)
				return
			}
			t := eventType(v)
			if t == 0 {
				continue
			}
			ev.Type, ev.Err = t, nil
			var derr error
			if t.IsExpect() {
				derr = ev.Expect.Decode(v.Payload())
			} else {
				derr = ev.Flow.Decode(v.Payload())
			}
			if derr != nil {
				if !yield(nil, derr) {
					return
				}
				continue
			}
			if !yield(&ev, nil) {
				return
			}
		}
	}
}
