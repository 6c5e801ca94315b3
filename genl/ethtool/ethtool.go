// Package ethtool speaks ethtool's generic netlink family ("ethtool",
// Linux 5.6+) over a genl.Conn: link info (port, transceiver, MDI-X), link
// modes (speed, duplex, auto-negotiation, supported, advertised and peer
// modes), link state, features (ethtool -k), channels (ethtool -l) and
// string sets, read as typed values that print as the ethtool program
// prints them, and link mode, feature and channel changes written.
//
// Every call takes the interface by name or index (Interface). Reads
// decode into caller-owned values without allocating once warm (names are
// interned); the *Into forms take the value, the plain forms return one.
// A Client is safe for concurrent use; the values the *Into forms fill are
// the caller's, and must not be filled from two goroutines at once.
//
// # Errors
//
// Errors are genl's: engine and kernel errors pass through unchanged as
// *engine.OpError (errors.Is(err, unix.ENODEV) for an interface that does
// not exist, unix.ENOENT when the kernel has no ethtool family), and a
// malformed reply gives a *genl.DecodeError naming the message and the
// attribute. The Client works on a genl.Conn, which New of genl has
// already checked is NETLINK_GENERIC.
package ethtool

import (
	"context"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// Client sends ethtool requests over a genl.Conn.
type Client struct {
	c   *genl.Conn
	own bool
}

// New returns a Client over c. Closing the Client does not close c.
func New(c *genl.Conn) *Client { return &Client{c: c} }

// Dial connects a genl.Conn with opts (engine.WithNetNSFD, ...) and
// returns a Client that owns it.
func Dial(ctx context.Context, opts ...engine.Option) (*Client, error) {
	c, err := genl.Dial(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, own: true}, nil
}

// Conn returns the genl.Conn the Client speaks over.
func (e *Client) Conn() *genl.Conn { return e.c }

// Close closes the genl.Conn if Dial made it.
func (e *Client) Close() error {
	if e.own {
		return e.c.Close()
	}
	return nil
}

// Interface names a network interface by name or index; when both are
// set, the kernel checks that they agree.
type Interface struct {
	Index uint32
	Name  string
}

// header appends the request header nest of type typ for ifc.
func header(b *nlmsg.Builder, typ uint16, ifc Interface, flags uint32) {
	n := b.BeginNest(typ)
	if ifc.Index != 0 {
		b.Uint32(nlmsg.EthtoolAHeaderDevIndex, ifc.Index)
	}
	if ifc.Name != "" {
		b.String(nlmsg.EthtoolAHeaderDevName, ifc.Name)
	}
	if flags != 0 {
		b.Uint32(nlmsg.EthtoolAHeaderFlags, flags)
	}
	b.EndNest(n)
}

// decodeHeader decodes a reply header nest into ifc.
func decodeHeader(a nlmsg.Attr, msg string, ifc *Interface) error {
	as := a.Attrs()
	for as.Next() {
		f := as.Attr()
		switch f.Type() {
		case nlmsg.EthtoolAHeaderDevIndex:
			v, err := f.Uint32()
			if err != nil {
				return genl.NewDecodeError(msg, "ETHTOOL_A_HEADER_DEV_INDEX", f.Offset(), err)
			}
			ifc.Index = v
		case nlmsg.EthtoolAHeaderDevName:
			ifc.Name = genl.Intern(f.StringBytes())
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msg, "ETHTOOL_A_HEADER", a.Offset(), err)
	}
	return nil
}

// u8 reads a one-byte attribute or names it in the error.
func u8(a nlmsg.Attr, msg, name string) (uint8, error) {
	v, err := a.Uint8()
	if err != nil {
		return 0, genl.NewDecodeError(msg, name, a.Offset(), err)
	}
	return v, nil
}

// u32 reads a four-byte attribute or names it in the error.
func u32(a nlmsg.Attr, msg, name string) (uint32, error) {
	v, err := a.Uint32()
	if err != nil {
		return 0, genl.NewDecodeError(msg, name, a.Offset(), err)
	}
	return v, nil
}

// get runs one GET command for ifc and hands the reply's attributes to
// decode.
func (e *Client) get(ctx context.Context, cmd uint8, hdrType uint16, ifc Interface, flags uint32, decode func([]byte) error) error {
	return e.c.Execute(ctx, nlmsg.EthtoolGenlName, cmd, 0, func(b *nlmsg.Builder) {
		header(b, hdrType, ifc, flags)
	}, func(m genl.Message) error {
		return decode(m.Attrs)
	})
}
