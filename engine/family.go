package engine

import (
	"errors"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrWrongFamily is the cause of the error a family-bound call returns when
// the Conn speaks another netlink family. Nothing has been sent: a message
// type means different things in different families (generic netlink's
// controller, 0x10, is RTM_NEWLINK on a NETLINK_ROUTE socket), so the
// request is refused before it reaches the kernel.
var ErrWrongFamily = errors.New("the Conn speaks another netlink family")

// WrongFamilyError details ErrWrongFamily: which call needed which family,
// and what the Conn speaks. It is the Err of the *OpError returned, and
// errors.Is(err, ErrWrongFamily) holds.
type WrongFamilyError struct {
	Want nlmsg.Family // the family the call speaks
	Have nlmsg.Family // the Conn's family
}

// Error reads "needs a NETLINK_GENERIC Conn, this one is NETLINK_ROUTE".
func (e *WrongFamilyError) Error() string {
	return "needs a " + e.Want.String() + " Conn, this one is " + e.Have.String()
}

// Is makes errors.Is(err, ErrWrongFamily) true.
func (e *WrongFamilyError) Is(target error) bool { return target == ErrWrongFamily }

// RequireFamily returns nil when the Conn speaks family, and otherwise an
// *OpError for op whose cause is a *WrongFamilyError (errors.Is
// ErrWrongFamily). Packages that speak one family call it before encoding
// anything, so that a Conn of another family never receives their requests.
// Safe for concurrent use.
func (c *Conn) RequireFamily(op string, family nlmsg.Family) error {
	if c.family == family {
		return nil
	}
	return c.opErr(op, 0, 0, &WrongFamilyError{Want: family, Have: c.family})
}

// StrictCheck reports whether the Conn was opened with
// NETLINK_GET_STRICT_CHK on (WithStrictCheck), so that rtnetlink applies the
// filters of its dump requests. Safe for concurrent use.
func (c *Conn) StrictCheck() bool { return c.opts.strictCheck }
