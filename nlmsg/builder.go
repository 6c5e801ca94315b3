package nlmsg

import (
	"encoding/binary"
	"errors"

	"github.com/valyala/bytebufferpool"
)

var builderPool bytebufferpool.Pool

// Builder encodes netlink messages into a buffer taken from a
// bytebufferpool.Pool: a header, a fixed family header, attributes, and
// nested attributes whose length is patched when the nest ends. Several
// messages may be appended back to back (a batch), each with its own sequence
// number.
//
// The zero Builder is ready to use; it takes a buffer from the pool on its
// first write. Release gives the buffer back; after that the Builder may be
// used again. Bytes returns a slice of the Builder's buffer that is valid
// until the next write, Reset or Release. Once the pool is warm, building
// does not allocate. A Builder is not safe for concurrent use.
type Builder struct {
	buf  *bytebufferpool.ByteBuffer
	msg  int // offset of the header of the message begun last
	open bool
	n    int // messages begun since the last Reset
}

func (b *Builder) grow() []byte {
	if b.buf == nil {
		b.buf = builderPool.Get()
	}
	return b.buf.B
}

// Begin ends any open message and starts a new one with the given header
// fields; nlmsg_len is written by End (or the next Begin, or Bytes).
func (b *Builder) Begin(t Type, f Flags, seq uint32) {
	b.End()
	p := b.grow()
	b.msg = len(p)
	b.open = true
	b.n++
	b.buf.B = Header{Type: t, Flags: f, Seq: seq}.AppendTo(p)
}

// End closes the open message, if any, writing its nlmsg_len. Since every
// write is padded to 4 bytes, the next message starts aligned.
func (b *Builder) End() {
	if !b.open {
		return
	}
	p := b.buf.B
	binary.NativeEndian.PutUint32(p[b.msg:], uint32(len(p)-b.msg))
	b.open = false
}

// Messages returns how many messages were begun since the last Reset.
func (b *Builder) Messages() int { return b.n }

// Len returns the number of bytes written so far.
func (b *Builder) Len() int {
	if b.buf == nil {
		return 0
	}
	return len(b.buf.B)
}

// pad appends zero bytes up to the next multiple of 4.
func pad(p []byte) []byte {
	for len(p)&3 != 0 {
		p = append(p, 0)
	}
	return p
}

// Append appends raw bytes to the open message, padded to 4 bytes: a family
// header (see the *Msg types' AppendTo, or AppendFamilyHeader) or a prepared
// attribute list.
func (b *Builder) Append(raw []byte) {
	p := b.grow()
	b.buf.B = pad(append(p, raw...))
}

// FamilyHeader is a fixed family header that can encode itself: IfInfoMsg,
// IfAddrMsg, RtMsg, NdMsg, RtGenMsg, GenlMsgHdr, or a caller's own type.
type FamilyHeader interface {
	AppendTo(b []byte) []byte
}

// AppendFamilyHeader appends h to the open message of b, padded to 4 bytes.
// It is a function rather than a method so that h keeps its concrete type
// and is not boxed into an interface: it does not allocate.
func AppendFamilyHeader[H FamilyHeader](b *Builder, h H) {
	p := b.grow()
	b.buf.B = pad(h.AppendTo(p))
}

// MaxAttrData is the largest attribute payload: nla_len is 16 bits and
// counts the 4-byte attribute header too.
const MaxAttrData = 0xffff - AttrHeaderLen

// ErrAttrTooLong is the value a Builder panics with when an attribute or a
// nest would exceed 65535 bytes, which nla_len cannot express. Like
// bytes.Buffer's ErrTooLarge it reports a caller's mistake (check lengths of
// untrusted data against MaxAttrData first); the alternative, a silently
// truncated length, would corrupt every attribute after it.
var ErrAttrTooLong = errors.New("nlmsg: attribute longer than 65535 bytes")

// Attr appends an attribute with the given type (flags included as given) and
// payload. It panics with ErrAttrTooLong if len(data) > MaxAttrData.
func (b *Builder) Attr(typ uint16, data []byte) {
	p := b.attrHeader(typ, len(data))
	b.buf.B = pad(append(p, data...))
}

// attrHeader appends an attribute header for a payload of n bytes to the
// buffer and returns the buffer; the caller appends the payload and stores
// the result back in b.buf.B.
func (b *Builder) attrHeader(typ uint16, n int) []byte {
	if n > MaxAttrData {
		panic(ErrAttrTooLong)
	}
	p := b.grow()
	p = binary.NativeEndian.AppendUint16(p, uint16(AttrHeaderLen+n))
	return binary.NativeEndian.AppendUint16(p, typ)
}

// Uint8 appends a one-byte attribute.
func (b *Builder) Uint8(typ uint16, v uint8) {
	p := b.attrHeader(typ, 1)
	b.buf.B = pad(append(p, v))
}

// Uint16 appends a two-byte attribute in host byte order.
func (b *Builder) Uint16(typ uint16, v uint16) {
	p := b.attrHeader(typ, 2)
	b.buf.B = pad(binary.NativeEndian.AppendUint16(p, v))
}

// Uint32 appends a four-byte attribute in host byte order.
func (b *Builder) Uint32(typ uint16, v uint32) {
	p := b.attrHeader(typ, 4)
	b.buf.B = binary.NativeEndian.AppendUint32(p, v)
}

// Uint64 appends an eight-byte attribute in host byte order.
func (b *Builder) Uint64(typ uint16, v uint64) {
	p := b.attrHeader(typ, 8)
	b.buf.B = binary.NativeEndian.AppendUint64(p, v)
}

// Uint16BE appends a two-byte attribute in network byte order and sets
// NLA_F_NET_BYTEORDER.
func (b *Builder) Uint16BE(typ uint16, v uint16) {
	p := b.attrHeader(typ|AttrNetByteOrder, 2)
	b.buf.B = pad(binary.BigEndian.AppendUint16(p, v))
}

// Uint32BE appends a four-byte attribute in network byte order and sets
// NLA_F_NET_BYTEORDER.
func (b *Builder) Uint32BE(typ uint16, v uint32) {
	p := b.attrHeader(typ|AttrNetByteOrder, 4)
	b.buf.B = binary.BigEndian.AppendUint32(p, v)
}

// Uint64BE appends an eight-byte attribute in network byte order and sets
// NLA_F_NET_BYTEORDER.
func (b *Builder) Uint64BE(typ uint16, v uint64) {
	p := b.attrHeader(typ|AttrNetByteOrder, 8)
	b.buf.B = binary.BigEndian.AppendUint64(p, v)
}

// String appends a NUL-terminated string attribute. It panics with
// ErrAttrTooLong if len(s) >= MaxAttrData.
func (b *Builder) String(typ uint16, s string) {
	p := b.attrHeader(typ, len(s)+1)
	p = append(p, s...)
	b.buf.B = pad(append(p, 0))
}

// Flag appends an attribute without payload (NLA_FLAG).
func (b *Builder) Flag(typ uint16) {
	p := b.attrHeader(typ, 0)
	b.buf.B = p
}

// Nest is an open nested attribute; pass it to EndNest.
type Nest struct{ off int }

// BeginNest opens a nested attribute of the given type with NLA_F_NESTED
// set. Attributes appended until EndNest are its payload. Nests may be
// nested; they must be ended innermost first.
func (b *Builder) BeginNest(typ uint16) Nest {
	off := b.Len()
	p := b.attrHeader(typ|AttrNested, 0)
	b.buf.B = p
	return Nest{off: off}
}

// EndNest writes the length of the nest n. It panics with ErrAttrTooLong if
// the nest has grown past 65535 bytes.
func (b *Builder) EndNest(n Nest) {
	p := b.buf.B
	l := len(p) - n.off
	if l > 0xffff {
		panic(ErrAttrTooLong)
	}
	binary.NativeEndian.PutUint16(p[n.off:], uint16(l))
}

// Bytes ends the open message and returns everything built since the last
// Reset. The slice points into the Builder's pooled buffer: it is valid until
// the next write, Reset or Release.
func (b *Builder) Bytes() []byte {
	b.End()
	if b.buf == nil {
		return nil
	}
	return b.buf.B
}

// MessageOffset returns the byte offset, within Bytes, of the header of the
// message begun last, or -1 if none was begun since the last Reset. Keep it
// to pass to SetSeq later.
func (b *Builder) MessageOffset() int {
	if b.n == 0 {
		return -1
	}
	return b.msg
}

// SetSeq rewrites the sequence number of the message whose header starts at
// byte offset off of Bytes (0 for the first message). It lets a caller encode
// a batch before the sequence numbers are known. off must be an offset that
// MessageOffset returned since the last Reset; anything else corrupts the
// buffer or panics.
func (b *Builder) SetSeq(off int, seq uint32) {
	binary.NativeEndian.PutUint32(b.buf.B[off+8:], seq)
}

// Reset empties the Builder but keeps its buffer.
func (b *Builder) Reset() {
	if b.buf != nil {
		b.buf.B = b.buf.B[:0]
	}
	b.open = false
	b.n = 0
}

// Release empties the Builder and returns its buffer to the pool. Slices
// returned by Bytes must not be used afterwards.
func (b *Builder) Release() {
	if b.buf != nil {
		b.buf.B = b.buf.B[:0]
		builderPool.Put(b.buf)
		b.buf = nil
	}
	b.open = false
	b.n = 0
}
