package rtnl

import (
	"context"
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// The encoders of this package append a request's payload (family header
// and attributes, no netlink header) to a caller's []byte: one buffer can
// then hold many payloads back to back (a typed batch) without a Builder
// per message. Every attribute is padded to 4 bytes.

// appendAttr appends one attribute.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(nlmsg.AttrHeaderLen+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	return pad4(b)
}

func pad4(b []byte) []byte {
	for len(b)&3 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendU8Attr(b []byte, typ uint16, v uint8) []byte {
	b = binary.NativeEndian.AppendUint16(b, nlmsg.AttrHeaderLen+1)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return append(b, v, 0, 0, 0)
}

func appendU16Attr(b []byte, typ uint16, v uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, nlmsg.AttrHeaderLen+2)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, v)
	return append(b, 0, 0)
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	b = binary.NativeEndian.AppendUint16(b, nlmsg.AttrHeaderLen+4)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.NativeEndian.AppendUint32(b, v)
}

func appendStringAttr(b []byte, typ uint16, s string) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(nlmsg.AttrHeaderLen+len(s)+1))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, s...)
	return pad4(append(b, 0))
}

// appendAddrAttr appends ip's 4 or 16 bytes as an attribute, without
// allocating.
func appendAddrAttr(b []byte, typ uint16, ip netip.Addr) []byte {
	if ip.Is4() {
		a := ip.As4()
		return appendAttr(b, typ, a[:])
	}
	a := ip.As16()
	return appendAttr(b, typ, a[:])
}

// beginNest appends the header of an attribute whose payload follows; pass
// the returned offset to endNest. nested sets NLA_F_NESTED.
func beginNest(b []byte, typ uint16, nested bool) ([]byte, int) {
	if nested {
		typ |= nlmsg.AttrNested
	}
	off := len(b)
	b = binary.NativeEndian.AppendUint16(b, 0)
	return binary.NativeEndian.AppendUint16(b, typ), off
}

// endNest writes the length of the attribute begun at off. A nest longer
// than 65535 bytes cannot be expressed: endNest reports false.
func endNest(b []byte, off int) bool {
	n := len(b) - off
	if n > 0xffff {
		return false
	}
	binary.NativeEndian.PutUint16(b[off:], uint16(n))
	return true
}

// appendU16BEAttr appends a two-byte attribute in network byte order, with
// NLA_F_NET_BYTEORDER set.
func appendU16BEAttr(b []byte, typ uint16, v uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, nlmsg.AttrHeaderLen+2)
	b = binary.NativeEndian.AppendUint16(b, typ|nlmsg.AttrNetByteOrder)
	b = binary.BigEndian.AppendUint16(b, v)
	return append(b, 0, 0)
}

// fitsAttr reports whether a payload of n bytes fits one attribute (the
// 16-bit nla_len): the encoders check it for every field of caller-chosen
// length, so that an oversized field fails the write instead of wrapping
// its length.
func fitsAttr(n int) bool { return n <= nlmsg.MaxAttrData }

// payloadPool holds the buffers single writes encode into.
var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write sends one request whose payload encode appends to a pooled buffer,
// and waits for the kernel's ack. An encoding error is returned before
// anything is sent; the kernel's is an *engine.OpError.
func (c *Conn) write(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, encode func([]byte) ([]byte, error)) error {
	return c.writeFunc(ctx, typ, flags, encode, ignoreReply)
}

// writeFunc is write handing each message of the answer (an echo, with
// NLM_F_ECHO) to reply, in place, as engine.Conn.RequestFunc does.
func (c *Conn) writeFunc(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, encode func([]byte) ([]byte, error), reply func(nlmsg.View) error) error {
	bp := payloadPool.Get().(*[]byte)
	defer payloadPool.Put(bp)
	p, err := encode((*bp)[:0])
	*bp = p[:0]
	if err != nil {
		return err
	}
	// NB: the engine copies the payload before RequestFunc returns, so the
	// buffer may go back to the pool afterwards.
	return c.ec.RequestFunc(ctx, typ, p, flags, reply)
}

func ignoreReply(nlmsg.View) error { return nil }
