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
// Names: the core constants drop the kernel's prefix, which the type already
// says (NETLINK_ROUTE is FamilyRoute, NLM_F_ACK is Ack, NLMSG_DONE is Done).
// The rtnetlink and generic netlink constants keep their prefix, since the
// family is not otherwise visible, and write the kernel name in Go's mixed
// caps: abbreviations of several words stay in capitals (RTM, IFLA, IFA, RTA,
// RTN, RTNL, and initialisms such as MTU, OIF, ID, IPv4), abbreviations of one
// word read as words (Ctrl, Genl, Grp, Attr, Cmd, Prot). So RTM_NEWROUTE is
// RTMNewRoute, RTA_OIF is RTAOIF, RTNLGRP_IPV4_IFADDR is RTNLGrpIPv4IfAddr
// and CTRL_ATTR_FAMILY_ID is CtrlAttrFamilyID. Message types are Type
// values, attribute types uint16 (as Attr.Type and the Builder take them) and
// multicast group numbers untyped.
//
// Allocation contract: Scanner, AttrScanner, ParseError, ParseDone, the family
// header decoders and a Builder over a warm pool do not allocate. Errors for
// malformed input allocate (they carry the offset and the lengths seen).
package nlmsg
