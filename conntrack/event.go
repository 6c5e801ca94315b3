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

// EventType says what happened to an entry.
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
)

// String returns the tag conntrack -E prints: "NEW", "UPDATE", "DESTROY",
// or "OVERRUN".
func (t EventType) String() string {
	switch t {
	case EventNew:
		return "NEW"
	case EventUpdate:
		return "UPDATE"
	case EventDestroy:
		return "DESTROY"
	case EventOverrun:
		return "OVERRUN"
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// Event is one notification. Err is set on an EventOverrun: the cause,
// which errors.Is unix.ENOBUFS or engine.ErrOverrun.
type Event struct {
	Type EventType
	Flow Flow
	Err  error
}

// Groups are the multicast groups of the three kinds of entry events, for
// engine.WithGroups or AddMembership.
var Groups = []uint32{nlmsg.NFNLGrpConntrackNew, nlmsg.NFNLGrpConntrackUpdate, nlmsg.NFNLGrpConntrackDestroy}

// Subscribe joins the groups of the given event types (all three when
// none is given) on the Conn's socket. A type other than EventNew,
// EventUpdate and EventDestroy fails with an error wrapping
// ErrBadEventType before any group is joined; a failed join returns the
// engine's error. Safe for concurrent use.
func (c *Conn) Subscribe(types ...EventType) error {
	if len(types) == 0 {
		types = []EventType{EventNew, EventUpdate, EventDestroy}
	}
	for _, t := range types {
		if t < EventNew || t > EventDestroy {
			return fmt.Errorf("%w: %v", ErrBadEventType, t)
		}
	}
	for _, t := range types {
		if err := c.c.AddMembership(uint32(t)); err != nil {
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
	}
	return 0
}

// Events yields the entry events of the groups the Conn joined (see
// Subscribe) in place: the *Event is one value reused for every event,
// valid until the loop body returns. A loss is yielded as an EventOverrun
// with a nil error and the loop goes on. Other errors (ctx ended, the Conn
// closed) are yielded with a nil Event and end the loop; a malformed
// message is yielded as a *DecodeError and the loop goes on. It does not
// allocate per event. Messages that are not entry events are skipped.
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
			if derr := ev.Flow.Decode(v.Payload()); derr != nil {
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
