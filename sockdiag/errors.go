package sockdiag

import (
	"errors"
	"strconv"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// ErrWrongFamily is the cause of the error every call of this package
// returns for an engine.Conn that is not a NETLINK_SOCK_DIAG connection
// (an *engine.OpError, or a *FamilyError for a nil Conn); nothing is sent
// on it. It is engine.ErrWrongFamily, so errors.Is holds for either name,
// as it does for every family package.
var ErrWrongFamily = engine.ErrWrongFamily

// FamilyError reports a Conn of the wrong netlink family, or a request for
// an address family or protocol this package does not ask the kernel about.
// It wraps ErrWrongFamily or ErrBadRequest.
type FamilyError struct {
	Op  string // the call refused: "dump inet", "dump unix", "dump netlink", "dump packet", "destroy"
	Got int    // the netlink family of the Conn, or the request's family
	Err error  // ErrWrongFamily or ErrBadRequest
}

// Error says what was refused and why.
func (e *FamilyError) Error() string {
	return "sockdiag: " + e.Op + ": " + e.Err.Error() + " (got " + strconv.Itoa(e.Got) + ")"
}

// Unwrap returns ErrWrongFamily or ErrBadRequest.
func (e *FamilyError) Unwrap() error { return e.Err }

// ErrBadRequest is wrapped by a *FamilyError for a request this package
// cannot send: an address family other than AF_INET/AF_INET6 for an inet
// dump, a filter whose program does not fit in an attribute, or a netlink
// protocol the kernel keeps no table for.
var ErrBadRequest = errors.New("sockdiag: invalid request")

// checkConn refuses a Conn of another netlink family before anything is
// sent: the engine's *OpError, or a *FamilyError for a nil Conn.
func checkConn(op string, c *engine.Conn) error {
	if c == nil {
		return &FamilyError{Op: op, Got: -1, Err: ErrWrongFamily}
	}
	return c.RequireFamily("sockdiag "+op, nlmsg.FamilySockDiag)
}

// DecodeError is the one error this package returns for a reply it cannot
// decode: a header cut short, an attribute of the wrong size or an
// attribute list that does not parse. It names the attribute (or header)
// and the lengths seen, and wraps the nlmsg error underneath, if any. The
// dump that met it ends there. Errors of the engine (an *engine.OpError)
// are passed through unchanged.
type DecodeError struct {
	Attr string // "inet_diag_msg", "INET_DIAG_INFO", "UNIX_DIAG_RQLEN", ...
	Len  int    // bytes present
	Want int    // bytes needed (the minimum, for variable-sized ones)
	Err  error  // the nlmsg error underneath, if any
}

// Error names the attribute and the sizes.
func (e *DecodeError) Error() string {
	s := "sockdiag: malformed " + e.Attr + ": " + strconv.Itoa(e.Len) + " bytes, want "
	if e.Want >= 0 {
		s += strconv.Itoa(e.Want)
	} else {
		s += "at most " + strconv.Itoa(-e.Want)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the nlmsg error underneath, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// headerErr checks the result of decoding the family header name (of
// size want) at the start of payload: err from the decoder, or a family
// other than wantFamily, gives the *DecodeError that says so.
func headerErr(name string, payload []byte, want int, err error, family, wantFamily uint8) error {
	if err != nil {
		return &DecodeError{Attr: name, Len: len(payload), Want: want, Err: err}
	}
	if family != wantFamily {
		return &DecodeError{Attr: name + " family " + familyName(family), Len: len(payload), Want: want}
	}
	return nil
}

// attrsErr is the *DecodeError for an attribute list, named name, that did
// not parse: err, when not nil, from the scanner of attrs.
func attrsErr(name string, attrs []byte, err error) error {
	if err == nil {
		return nil
	}
	return &DecodeError{Attr: name, Len: len(attrs), Want: 4, Err: err}
}

// sizeErr reports an attribute of n bytes where want are needed (a negative
// want means at most -want).
func sizeErr(attr string, n, want int) error {
	return &DecodeError{Attr: attr, Len: n, Want: want}
}
