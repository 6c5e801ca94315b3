package nlmsg

import (
	"encoding/binary"
)

// AttrHeaderLen is the size of struct nlattr.
const AttrHeaderLen = 4

// Bits of nla_type that are flags, not part of the type.
const (
	AttrNested       uint16 = 0x8000 // NLA_F_NESTED: the payload is attributes
	AttrNetByteOrder uint16 = 0x4000 // NLA_F_NET_BYTEORDER: the payload is big-endian
	AttrTypeMask     uint16 = 0x3fff // the bits that are the type
)

// Attr is one netlink attribute (TLV), read in place: its data points into the
// scanned buffer and is valid as long as that buffer is (see View).
type Attr struct {
	// NB: Attr must stay at most 32 bytes (four words): the compiler keeps
	// values that small in registers, while a bigger one is copied through
	// memory at every method call, which made attribute scans several times
	// slower. Hence the 32-bit offset (a netlink message is at most 4 GiB).
	data    []byte
	off     uint32 // offset of the attribute header in the scanned buffer
	rawType uint16
}

// Type returns the attribute type with NLA_F_NESTED and NLA_F_NET_BYTEORDER
// masked off.
func (a Attr) Type() uint16 { return a.rawType & AttrTypeMask }

// RawType returns nla_type as on the wire, flags included.
func (a Attr) RawType() uint16 { return a.rawType }

// Nested reports whether NLA_F_NESTED is set. Many old attributes nest
// without setting it; Attrs works either way.
func (a Attr) Nested() bool { return a.rawType&AttrNested != 0 }

// NetByteOrder reports whether NLA_F_NET_BYTEORDER is set.
func (a Attr) NetByteOrder() bool { return a.rawType&AttrNetByteOrder != 0 }

// Data returns the payload without padding, pointing into the scanned buffer.
func (a Attr) Data() []byte { return a.data }

// Offset returns the offset of the attribute's header within the buffer
// given to the AttrScanner (useful to match an extended ack's OFFS).
func (a Attr) Offset() int { return int(a.off) }

// Attrs returns a scanner over the attributes nested in a's payload.
func (a Attr) Attrs() AttrScanner { return NewAttrScanner(a.data) }

func (a Attr) sizeErr(want int) error {
	return &FormatError{What: "attribute", Offset: int(a.off), Len: len(a.data), Left: want, Err: ErrBadSize}
}

// Uint8 returns a one-byte payload, or an error if the payload is not 1 byte.
func (a Attr) Uint8() (uint8, error) {
	if len(a.data) != 1 {
		return 0, a.sizeErr(1)
	}
	return a.data[0], nil
}

// Uint16 returns a two-byte payload in host byte order.
func (a Attr) Uint16() (uint16, error) {
	if len(a.data) != 2 {
		return 0, a.sizeErr(2)
	}
	return binary.NativeEndian.Uint16(a.data), nil
}

// Uint32 returns a four-byte payload in host byte order.
func (a Attr) Uint32() (uint32, error) {
	if len(a.data) != 4 {
		return 0, a.sizeErr(4)
	}
	return binary.NativeEndian.Uint32(a.data), nil
}

// Uint64 returns an eight-byte payload in host byte order.
func (a Attr) Uint64() (uint64, error) {
	if len(a.data) != 8 {
		return 0, a.sizeErr(8)
	}
	return binary.NativeEndian.Uint64(a.data), nil
}

// Int32 returns a four-byte payload in host byte order, signed.
func (a Attr) Int32() (int32, error) {
	v, err := a.Uint32()
	return int32(v), err
}

// Uint16BE returns a two-byte payload in network byte order.
func (a Attr) Uint16BE() (uint16, error) {
	if len(a.data) != 2 {
		return 0, a.sizeErr(2)
	}
	return binary.BigEndian.Uint16(a.data), nil
}

// Uint32BE returns a four-byte payload in network byte order.
func (a Attr) Uint32BE() (uint32, error) {
	if len(a.data) != 4 {
		return 0, a.sizeErr(4)
	}
	return binary.BigEndian.Uint32(a.data), nil
}

// Uint64BE returns an eight-byte payload in network byte order.
func (a Attr) Uint64BE() (uint64, error) {
	if len(a.data) != 8 {
		return 0, a.sizeErr(8)
	}
	return binary.BigEndian.Uint64(a.data), nil
}

// StringBytes returns a string payload without its terminating NUL (and
// without anything after the first NUL), pointing into the buffer.
func (a Attr) StringBytes() []byte {
	for i, c := range a.data {
		if c == 0 {
			return a.data[:i:i]
		}
	}
	return a.data
}

// String returns a string payload as a Go string (it allocates). It is named
// String for the attribute's value, not for debugging output.
func (a Attr) String() string { return string(a.StringBytes()) }

// Flag reports whether the attribute is present as a flag, which has no payload.
func (a Attr) Flag() bool { return len(a.data) == 0 }

// AttrScanner walks a list of attributes in place, like Scanner walks
// messages: no copies, no allocations on well-formed input, and the first
// malformation stops the scan and is reported by Err.
//
// The zero AttrScanner is empty. Declare it before the loop, for the reason
// Scanner gives. It is not safe for concurrent use.
type AttrScanner struct {
	buf []byte
	off int
	// The current attribute is kept as offsets, not as an Attr: Next
	// stores two words, and Attr (inlined) builds the value in registers.
	cur     int   // offset of the current attribute's header
	end     int   // end of its payload; 0 when there is no current attribute
	stopped bool  // Next has returned false; off is where it stopped
	err     error // the malformation at off, once Err has looked
}

// NewAttrScanner returns an AttrScanner over b, which holds attributes back
// to back (for example View.Payload after a family header).
func NewAttrScanner(b []byte) AttrScanner { return AttrScanner{buf: b} }

// Reset makes s scan b from its start, forgetting any error.
func (s *AttrScanner) Reset(b []byte) { *s = AttrScanner{buf: b} }

// Next advances to the next attribute and reports whether there is one.
func (s *AttrScanner) Next() bool {
	// NB: Next is short enough to inline, which a dump's decoders feel
	// (it runs once per attribute). It stops at the first bytes that are
	// not a whole attribute and leaves off there: the end of the list, or
	// a malformation that Err describes when asked. Nothing moves off
	// after that, so every later Next stops at once.
	off := s.off
	if b := s.buf[off:]; len(b) >= AttrHeaderLen {
		if n := int(binary.NativeEndian.Uint16(b)); n >= AttrHeaderLen && n <= len(b) {
			s.cur, s.end = off, off+n
			s.off = min(off+Align(n), len(s.buf))
			return true
		}
	}
	s.end, s.stopped = 0, true
	return false
}

// malformation describes the bytes at s.off, where Next stopped before the
// end of the list.
func (s *AttrScanner) malformation() error {
	left := len(s.buf) - s.off
	if left < AttrHeaderLen {
		return &FormatError{What: "attribute", Offset: s.off, Len: left, Left: left, Err: ErrTrailingData}
	}
	n := int(binary.NativeEndian.Uint16(s.buf[s.off:]))
	reason := ErrLongLength
	if n < AttrHeaderLen {
		reason = ErrShortLength
	}
	return &FormatError{What: "attribute", Offset: s.off, Len: n, Left: left, Err: reason}
}

// Attr returns the current attribute.
func (s *AttrScanner) Attr() Attr {
	if s.end == 0 {
		return Attr{}
	}
	b := s.buf[s.cur:s.end:s.end]
	return Attr{rawType: binary.NativeEndian.Uint16(b[2:]), off: uint32(s.cur), data: b[AttrHeaderLen:]}
}

// Err returns the first malformation found, or nil. It is a *FormatError.
func (s *AttrScanner) Err() error {
	if s.err == nil && s.stopped && s.off < len(s.buf) {
		s.err = s.malformation()
	}
	return s.err
}
