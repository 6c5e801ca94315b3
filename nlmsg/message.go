package nlmsg

import (
	"encoding/binary"
)

// HeaderLen is the size of struct nlmsghdr on the wire.
const HeaderLen = 16

// Align rounds n up to the netlink alignment of 4 bytes (NLMSG_ALIGN).
func Align(n int) int { return (n + 3) &^ 3 }

// Header is struct nlmsghdr, decoded. All fields are in host byte order, as
// on the wire.
type Header struct {
	Len    uint32 // nlmsg_len: header plus payload, without trailing padding
	Type   Type
	Flags  Flags
	Seq    uint32
	PortID uint32 // nlmsg_pid: the sending socket's port id, 0 for the kernel
}

// AppendTo appends the 16-byte wire form of h to b.
func (h Header) AppendTo(b []byte) []byte {
	b = binary.NativeEndian.AppendUint32(b, h.Len)
	b = binary.NativeEndian.AppendUint16(b, uint16(h.Type))
	b = binary.NativeEndian.AppendUint16(b, uint16(h.Flags))
	b = binary.NativeEndian.AppendUint32(b, h.Seq)
	return binary.NativeEndian.AppendUint32(b, h.PortID)
}

// DecodeHeader decodes the first 16 bytes of b. It reports false if b is
// shorter than HeaderLen; it does not check the length field.
func DecodeHeader(b []byte) (Header, bool) {
	if len(b) < HeaderLen {
		return Header{}, false
	}
	return Header{
		Len:    binary.NativeEndian.Uint32(b[0:4]),
		Type:   Type(binary.NativeEndian.Uint16(b[4:6])),
		Flags:  Flags(binary.NativeEndian.Uint16(b[6:8])),
		Seq:    binary.NativeEndian.Uint32(b[8:12]),
		PortID: binary.NativeEndian.Uint32(b[12:16]),
	}, true
}

// Message is an owned netlink message: its header's type, flags, sequence
// number and sender's port id, and its payload. Its Payload
// belongs to the Message and stays valid forever.
type Message struct {
	Type    Type
	Flags   Flags
	Seq     uint32
	PortID  uint32
	Payload []byte // the bytes after the header, up to nlmsg_len
}

// Header returns m's header, with Len computed from the payload.
func (m Message) Header() Header {
	return Header{Len: uint32(HeaderLen + len(m.Payload)), Type: m.Type, Flags: m.Flags, Seq: m.Seq, PortID: m.PortID}
}

// View is a netlink message read in place: its header fields and payload
// point into the buffer it was scanned from, nothing is copied.
//
// A View is valid only as long as that buffer is unchanged: when the buffer
// is reused (the next receive, the next step of an iterator that says so),
// the View silently shows the new bytes. Call Message to keep a message.
// The zero View has no bytes; its accessors return zero values.
type View struct {
	b []byte // exactly nlmsg_len bytes, header first
}

// ViewOf returns the View of a single message that starts at b[0]. It
// checks the header as a Scanner would and reports the same errors.
func ViewOf(b []byte) (View, error) {
	n, err := checkMessage(b, 0)
	if err != nil {
		return View{}, err
	}
	return View{b: b[:n:n]}, nil
}

// Len returns nlmsg_len, the header and payload length without padding.
func (v View) Len() int { return len(v.b) }

// Type returns nlmsg_type.
func (v View) Type() Type {
	if len(v.b) < HeaderLen {
		return 0
	}
	return Type(binary.NativeEndian.Uint16(v.b[4:6]))
}

// Flags returns nlmsg_flags.
func (v View) Flags() Flags {
	if len(v.b) < HeaderLen {
		return 0
	}
	return Flags(binary.NativeEndian.Uint16(v.b[6:8]))
}

// Seq returns nlmsg_seq.
func (v View) Seq() uint32 {
	if len(v.b) < HeaderLen {
		return 0
	}
	return binary.NativeEndian.Uint32(v.b[8:12])
}

// PortID returns nlmsg_pid, the sender's port id (0 for the kernel).
func (v View) PortID() uint32 {
	if len(v.b) < HeaderLen {
		return 0
	}
	return binary.NativeEndian.Uint32(v.b[12:16])
}

// Header returns the decoded header.
func (v View) Header() Header {
	h, _ := DecodeHeader(v.b)
	return h
}

// Payload returns the bytes after the header, up to nlmsg_len. The slice
// points into the scanned buffer (see View for how long it stays valid);
// its capacity is cut so an append cannot overwrite the next message.
func (v View) Payload() []byte {
	if len(v.b) < HeaderLen {
		return nil
	}
	return v.b[HeaderLen:len(v.b):len(v.b)]
}

// Bytes returns the whole message, header first, without trailing padding.
// Like Payload, it points into the scanned buffer.
func (v View) Bytes() []byte { return v.b }

// Message returns an owned copy of v. It allocates once, for the payload.
func (v View) Message() Message {
	m := Message{Type: v.Type(), Flags: v.Flags(), Seq: v.Seq(), PortID: v.PortID()}
	if p := v.Payload(); len(p) > 0 {
		m.Payload = append([]byte(nil), p...)
	}
	return m
}

// CopyInto is Message without an allocation of its own: the payload is
// appended to arena, which is returned grown. The Message's payload aliases
// the returned arena, so it is valid as long as the caller keeps that arena
// and does not append to it past its capacity (use a fresh arena per batch).
func (v View) CopyInto(arena []byte) (Message, []byte) {
	m := Message{Type: v.Type(), Flags: v.Flags(), Seq: v.Seq(), PortID: v.PortID()}
	p := v.Payload()
	start := len(arena)
	arena = append(arena, p...)
	m.Payload = arena[start:len(arena):len(arena)]
	return m, arena
}
