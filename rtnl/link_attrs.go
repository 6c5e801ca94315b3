package rtnl

import (
	"net/netip"

	"github.com/nlengine/nlengine/nlmsg"
)

// Helpers shared by the link, address and neighbour encoders.

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
