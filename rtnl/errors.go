package rtnl

import (
	"errors"
	"strconv"
	"strings"
)

// AttrError reports a message the typed decoders cannot read: a family
// header that is too short, or an attribute with the wrong length or a
// malformed nest. Decoding stops at the first one.
type AttrError struct {
	Object string // "route", "link", "address", "neighbour", "rule"
	Attr   string // the attribute's kernel name, "RTA_GATEWAY"; or the header's, "rtmsg"
	Offset int    // byte offset of the attribute in the message payload, -1 if unknown
	Err    error  // the cause, usually an *nlmsg.FormatError
}

// Error reads "rtnl: route: RTA_GATEWAY at offset 36: <cause>".
func (e *AttrError) Error() string {
	var b strings.Builder
	b.WriteString("rtnl: ")
	b.WriteString(e.Object)
	b.WriteString(": ")
	b.WriteString(e.Attr)
	if e.Offset >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *AttrError) Unwrap() error { return e.Err }

// ErrInvalid is matched, with errors.Is, by the error of every write
// refused before anything is sent: a value that cannot be encoded (a
// missing address, a family that disagrees with its addresses, a field or
// nest longer than an attribute can hold). ErrInvalidRoute is one of its
// kinds.
var ErrInvalid = errors.New("rtnl: invalid value")

// invalidError is a kind of ErrInvalid with its own message: errors.Is
// matches both the value itself and ErrInvalid.
type invalidError string

// Error returns the message.
func (e invalidError) Error() string { return string(e) }

// Is makes every invalidError match ErrInvalid.
func (e invalidError) Is(target error) bool { return target == ErrInvalid }
