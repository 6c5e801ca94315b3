package nlmsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Reasons a datagram or attribute list is malformed. Errors returned by this
// package wrap one of them, so errors.Is(err, nlmsg.ErrTruncated) works.
var (
	// ErrTruncated: fewer bytes remain than a header needs.
	ErrTruncated = errors.New("truncated header")
	// ErrShortLength: a length field is smaller than its own header.
	ErrShortLength = errors.New("length smaller than header")
	// ErrLongLength: a length field claims more bytes than remain.
	ErrLongLength = errors.New("length exceeds remaining bytes")
	// ErrTrailingData: bytes follow the last message that form no message.
	ErrTrailingData = errors.New("trailing bytes after last message")
	// ErrBadSize: a fixed-size value (an attribute, a family header, an
	// error body) has the wrong length.
	ErrBadSize = errors.New("wrong size")
)

// FormatError describes malformed input: what was being decoded, where, and
// why. Unwrap returns one of the Err* reasons above.
type FormatError struct {
	What   string // "message", "attribute", "error body", ...
	Offset int    // byte offset in the buffer being decoded
	Len    int    // the length field or size that was found
	Left   int    // bytes that were left at Offset; for ErrBadSize, the size expected
	Err    error
}

// Error describes the malformation in one line.
func (e *FormatError) Error() string {
	return fmt.Sprintf("nlmsg: malformed %s at offset %d (length %d, %d bytes left): %v", e.What, e.Offset, e.Len, e.Left, e.Err)
}

// Unwrap returns the reason, one of the Err* values.
func (e *FormatError) Unwrap() error { return e.Err }

// checkMessage validates the message header at b[off:] and returns its
// nlmsg_len.
func checkMessage(b []byte, off int) (int, error) {
	left := len(b) - off
	if left < HeaderLen {
		reason := ErrTruncated
		if off > 0 {
			reason = ErrTrailingData
		}
		return 0, &FormatError{What: "message", Offset: off, Len: left, Left: left, Err: reason}
	}
	// NB: compared as 64-bit numbers: on a 32-bit platform int(0xffffffff)
	// is -1, which would read as too short instead of too long.
	n := int64(binary.NativeEndian.Uint32(b[off : off+4]))
	switch {
	case n < HeaderLen:
		return 0, &FormatError{What: "message", Offset: off, Len: int(n), Left: left, Err: ErrShortLength}
	case n > int64(left):
		return 0, &FormatError{What: "message", Offset: off, Len: int(min(n, math.MaxInt)), Left: left, Err: ErrLongLength}
	}
	return int(n), nil
}

// Scanner walks the messages of one datagram in place. The zero Scanner is
// empty; Reset points it at a buffer. It never allocates on well-formed input
// and never panics or loops forever on malformed input: the first problem
// stops the scan and Err reports it.
//
//	s := nlmsg.NewScanner(datagram)
//	for s.Next() {
//		v := s.View() // points into datagram
//	}
//	if err := s.Err(); err != nil { ... }
//
// Declare the Scanner before the loop, as above: in
// "for s := nlmsg.NewScanner(b); s.Next(); {" Go gives every iteration its
// own copy of s (its address is taken), which copies the whole Scanner at
// every message.
//
// A Scanner is not safe for concurrent use. The Views it returns are valid as
// long as the buffer is (see View).
type Scanner struct {
	buf     []byte
	off     int
	cur     View
	stopped bool  // Next has returned false; off is where it stopped
	err     error // the malformation at off, once Err has looked
}

// NewScanner returns a Scanner over datagram.
func NewScanner(datagram []byte) Scanner { return Scanner{buf: datagram} }

// Reset makes s scan datagram from its start, forgetting any error.
func (s *Scanner) Reset(datagram []byte) { *s = Scanner{buf: datagram} }

// Next advances to the next message and reports whether there is one. Each
// message but the last must be padded to 4 bytes (NLMSG_ALIGN); the last may
// omit its padding.
func (s *Scanner) Next() bool {
	// NB: Next is short enough to inline (it runs once per message of
	// every dump). It stops at the first bytes that are not a whole
	// message and leaves off there: the end of the datagram, or a
	// malformation that Err describes when asked. checkMessage holds the
	// rules; this is its well-formed case. Nothing moves off after a stop,
	// so every later Next stops at once.
	off := s.off
	if b := s.buf[off:]; len(b) >= HeaderLen {
		// NB: compared as 64-bit numbers, as in checkMessage.
		if n := int64(binary.NativeEndian.Uint32(b)); n >= HeaderLen && n <= int64(len(b)) {
			s.cur = View{b: b[:n:n]}
			s.off = min(off+Align(int(n)), len(s.buf))
			return true
		}
	}
	s.cur, s.stopped = View{}, true
	return false
}

// View returns the current message.
func (s *Scanner) View() View { return s.cur }

// Offset returns the byte offset of the next message to scan.
func (s *Scanner) Offset() int { return s.off }

// Err returns the first malformation found, or nil. It is a *FormatError.
func (s *Scanner) Err() error {
	if s.err == nil && s.stopped && s.off < len(s.buf) {
		_, s.err = checkMessage(s.buf, s.off)
	}
	return s.err
}
