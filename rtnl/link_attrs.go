package rtnl

import (
	"errors"
	"net/netip"

	"github.com/nlengine/nlengine/nlmsg"
)

// Helpers shared by the link, address and neighbour decoders.

// errBadAddrLen is the cause of an AttrError for an IP address attribute
// that is neither 4 nor 16 bytes long (or not the family's length).
var errBadAddrLen = errors.New("an IP address must be 4 or 16 bytes")

// attrIP reads an IPv4 or IPv6 address attribute payload.
func attrIP(b []byte) (netip.Addr, bool) {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b)), true
	case 16:
		return netip.AddrFrom16([16]byte(b)), true
	}
	return netip.Addr{}, false
}

// attrIPOf reads an address attribute that must be of family f (IPv4: 4
// bytes, IPv6: 16; any other family: either).
func attrIPOf(f Family, b []byte) (netip.Addr, bool) {
	switch {
	case f == FamilyIPv4 && len(b) != 4, f == FamilyIPv6 && len(b) != 16:
		return netip.Addr{}, false
	}
	return attrIP(b)
}

// scanFailure turns an AttrScanner's error into an AttrError of object,
// with the offset made relative to the message payload (base is where the
// scanned attributes start in it).
func scanFailure(object, attr string, base int, err error) error {
	off := -1
	var fe *nlmsg.FormatError
	if errors.As(err, &fe) {
		off = base + fe.Offset
	}
	return &AttrError{Object: object, Attr: attr, Offset: off, Err: err}
}

// putIP appends an address attribute: 4 bytes for an IPv4 address, 16 for
// IPv6.
func putIP(b *nlmsg.Builder, typ uint16, a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		b.Attr(typ, v[:])
		return
	}
	v := a.As16()
	b.Attr(typ, v[:])
}

// requestBody returns the family header and attributes of the message
// begun last in b (what engine.Conn's requests take as payload). The slice
// is valid until b's next write.
func requestBody(b *nlmsg.Builder) []byte {
	return b.Bytes()[nlmsg.HeaderLen:]
}
