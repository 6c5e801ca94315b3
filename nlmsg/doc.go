// Package nlmsg knows the netlink wire format and nothing about sockets.
//
// It parses datagrams in place: a View is a netlink message whose header
// fields and payload point into the caller's buffer, and a Scanner walks the
// messages of a datagram without copying or allocating. NLMSG_ERROR and
// NLMSG_DONE bodies, including their extended-ack TLVs, decode into values
// that also point into the buffer. A Builder encodes messages, family headers
// and attributes into a pooled buffer (github.com/valyala/bytebufferpool),
// several messages back to back when a batch is wanted.
//
// Lifetimes: nothing in this package retains a buffer it was given. A View,
// an Attr, an Ack or anything else decoded from a buffer is valid exactly as
// long as the caller keeps that buffer unchanged; Message is the owned form,
// made by View.Message, and is valid forever.
//
// Allocation contract: Scanner, AttrScanner, ParseAck, ParseDone, the family
// header decoders and a Builder over a warm pool do not allocate. Errors for
// malformed input allocate (they carry the offset and the lengths seen).
package nlmsg
