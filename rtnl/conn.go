package rtnl

import (
	"context"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Conn is an rtnetlink connection with typed reads and writes. It wraps an
// engine.Conn of FamilyRoute. Safe for concurrent use.
type Conn struct {
	ec     *engine.Conn
	owned  bool // Close closes ec
	strict bool // the kernel applies dump filters (NETLINK_GET_STRICT_CHK)
}

// Dial opens a NETLINK_ROUTE engine.Conn with NETLINK_GET_STRICT_CHK on,
// so that the kernel applies the filters of typed dumps, and wraps it. opts
// are the engine's (for example engine.WithNetNS). Close closes it.
func Dial(ctx context.Context, opts ...engine.Option) (*Conn, error) {
	ec, err := engine.Connect(ctx, nlmsg.FamilyRoute, append(opts, engine.WithStrictCheck(true))...)
	if err != nil {
		return nil, err
	}
	return &Conn{ec: ec, owned: true, strict: true}, nil
}

// New wraps an existing engine.Conn, which must be of FamilyRoute:
// otherwise New returns an *engine.OpError that errors.Is
// engine.ErrWrongFamily. The caller keeps ownership of ec (Close does not
// close it). Without NETLINK_GET_STRICT_CHK on ec, filters run in user
// space.
func New(ec *engine.Conn) (*Conn, error) {
	if err := ec.RequireFamily("rtnl", nlmsg.FamilyRoute); err != nil {
		return nil, err
	}
	return &Conn{ec: ec, strict: ec.StrictCheck()}, nil
}

// Engine returns the engine.Conn under c, for raw requests and dumps.
func (c *Conn) Engine() *engine.Conn { return c.ec }

// Close closes the engine.Conn if Dial opened it; a Conn made by New leaves
// its engine.Conn open.
func (c *Conn) Close() error {
	if c.owned {
		return c.ec.Close()
	}
	return nil
}
