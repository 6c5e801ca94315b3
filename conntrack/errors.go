package conntrack

import (
	"errors"
	"strconv"

	"github.com/nlengine/nlengine/engine"
)

// DecodeError reports a malformed ctnetlink message: the attribute (as a
// path of kernel names, outermost first, for example
// "CTA_TUPLE_ORIG/CTA_TUPLE_IP/CTA_IP_V4_SRC"), the offset of its header in
// the message payload when known (-1 otherwise), and the cause (usually a
// *nlmsg.FormatError or ErrBadLength).
type DecodeError struct {
	Attr   string
	Offset int
	Err    error
}

// Error reads "conntrack: decode CTA_...: cause".
func (e *DecodeError) Error() string {
	s := "conntrack: decode " + e.Attr
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// ErrBadLength is the cause of a DecodeError for an attribute whose payload
// has a length its type does not allow (an address that is neither 4 nor 16
// bytes, labels longer than 16 bytes).
var ErrBadLength = errors.New("attribute has a length its type does not allow")

// ErrWrongFamily is the cause of New's error for an engine.Conn that is not
// of nlmsg.FamilyNetfilter; nothing is sent on it. It is
// engine.ErrWrongFamily, so errors.Is holds for either name, as it does for
// every family package.
var ErrWrongFamily = engine.ErrWrongFamily

// ErrNoTuple is returned, before anything is sent, by the calls that need
// the original tuple of a Flow (Create, Update, Get, Delete, CreateFlows,
// DeleteFlows) when it lacks an address or mixes IPv4 and IPv6.
var ErrNoTuple = errors.New("conntrack: the flow has no original tuple (source and destination addresses)")

// ErrBadEventType is returned by Subscribe, before it joins any group, for
// an event type other than EventNew, EventUpdate, EventDestroy,
// EventExpectNew and EventExpectDestroy.
var ErrBadEventType = errors.New("conntrack: not an event type one can subscribe to")
