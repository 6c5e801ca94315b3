package genl

import (
	"errors"
	"strconv"

	"github.com/nlengine/nlengine/engine"
)

// ErrWrongFamily is the cause of New's error when the engine.Conn is not of
// nlmsg.FamilyGeneric; nothing has been sent on the Conn. It is
// engine.ErrWrongFamily, so errors.Is holds for either name, as it does for
// every family package.
var ErrWrongFamily = engine.ErrWrongFamily

// ErrUnknownGroup is returned (wrapped, together with unix.ENOENT) by
// JoinGroup and LeaveGroup when the family has no multicast group of that
// name.
var ErrUnknownGroup = errors.New("genl: no such multicast group")

// ErrTooMany is the cause of a DecodeError when a message holds more of
// something (bits, strings) than the decoder's fixed storage.
var ErrTooMany = errors.New("more entries than the decoder holds")

// DecodeError is the error of every decoder of this package and of its
// subpackages: a message or attribute that does not have the form its
// family defines. Attr names the attribute in the kernel's spelling
// (CTRL_ATTR_FAMILY_ID); Err is the cause, usually an *nlmsg.FormatError
// (wrong size, truncated list).
type DecodeError struct {
	Msg    string // what was decoded: "CTRL_CMD_NEWFAMILY", "ETHTOOL_MSG_LINKMODES_GET_REPLY", ...
	Attr   string // the attribute at fault, "" for the message itself
	Offset int    // the attribute's byte offset in the attributes given to the decoder, -1 if not known
	Err    error
}

// Error reads "genl: decoding CTRL_ATTR_FAMILY_ID of CTRL_CMD_NEWFAMILY (offset 8): cause".
func (e *DecodeError) Error() string {
	s := "genl: decoding "
	if e.Attr != "" {
		s += e.Attr + " of "
	}
	s += e.Msg
	if e.Offset >= 0 {
		s += " (offset " + strconv.Itoa(e.Offset) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// NewDecodeError returns a *DecodeError; for the decoders of family
// packages built on this one. offset is -1 when not known.
func NewDecodeError(msg, attr string, offset int, err error) *DecodeError {
	return &DecodeError{Msg: msg, Attr: attr, Offset: offset, Err: err}
}
