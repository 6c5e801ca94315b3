package rtnl

import (
	"errors"
	"net/netip"

	"github.com/nlengine/nlengine/nlmsg"
)

// Helpers shared by the decoders of every object.

// ErrAddrFamily is the cause in an AttrError for an address whose length
// does not fit its family, or a prefix length longer than the address.
var ErrAddrFamily = errors.New("address does not match the family")

// addrOf reads an address attribute payload of n bytes: 4 (IPv4) or 16
// (IPv6); n 0 (a family whose address length the decoder does not know)
// accepts either length.
func addrOf(b []byte, n int) (netip.Addr, bool) {
	switch {
	case len(b) == 4 && n != 16:
		return netip.AddrFrom4([4]byte(b)), true
	case len(b) == 16 && n != 4:
		return netip.AddrFrom16([16]byte(b)), true
	}
	return netip.Addr{}, false
}

// addrOfFamily reads an address attribute payload that must be of family
// f (IPv4: 4 bytes, IPv6: 16; any other family: either).
func addrOfFamily(f Family, b []byte) (netip.Addr, bool) {
	return addrOf(b, addrLen(f))
}

// zeroAddr is the unspecified address of n bytes (0.0.0.0 or ::).
func zeroAddr(n int) netip.Addr {
	if n == 4 {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// scanErr turns an attribute scanner's malformation into an AttrError of
// object whose offset is relative to the message payload (base is where
// the scanned bytes start in it).
func scanErr(object, attr string, base int, err error) error {
	off := base
	var fe *nlmsg.FormatError
	if errors.As(err, &fe) {
		off += fe.Offset
	}
	return &AttrError{Object: object, Attr: attr, Offset: off, Err: err}
}
