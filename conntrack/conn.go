package conntrack

import (
	"context"
	"fmt"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Conn runs ctnetlink requests on an engine.Conn of nlmsg.FamilyNetfilter.
// It holds no state of its own besides the engine.Conn, and is safe for
// concurrent use as the engine.Conn is. Its methods do not close the
// engine.Conn.
type Conn struct {
	c *engine.Conn
}

// New returns a Conn over c. When c is not a NETLINK_NETFILTER connection
// it sends nothing and returns an *engine.OpError whose cause errors.Is
// ErrWrongFamily (engine.ErrWrongFamily); a nil c gives an error wrapping
// ErrWrongFamily.
func New(c *engine.Conn) (*Conn, error) {
	if c == nil {
		return nil, fmt.Errorf("conntrack: nil engine.Conn: %w", ErrWrongFamily)
	}
	if err := c.RequireFamily("conntrack", nlmsg.FamilyNetfilter); err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Dial connects a new engine.Conn of nlmsg.FamilyNetfilter with opts (for
// example engine.WithNetNSFD) and returns a Conn over it. Close it with
// Close.
func Dial(ctx context.Context, opts ...engine.Option) (*Conn, error) {
	c, err := engine.Connect(ctx, nlmsg.FamilyNetfilter, opts...)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Engine returns the underlying engine.Conn.
func (c *Conn) Engine() *engine.Conn { return c.c }

// Close closes the underlying engine.Conn.
func (c *Conn) Close() error { return c.c.Close() }

// msgType is the nlmsg_type of ctnetlink message msg.
func msgType(msg uint8) nlmsg.Type { return nlmsg.CTNetlinkType(msg) }

// beginPayload starts a payload in b: the nfgenmsg of family fam.
func beginPayload(b *nlmsg.Builder, fam uint8) {
	nlmsg.AppendFamilyHeader(b, nlmsg.NfGenMsg{Family: fam, Version: nlmsg.NFNetlinkV0})
}
