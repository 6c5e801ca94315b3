//go:build !linux

package engine

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// Netlink exists only on Linux. Elsewhere the package builds, so that code
// which uses it on Linux compiles everywhere, and Connect fails with
// ErrNotSupported; no Conn is ever returned.

// Conn is a netlink connection; see the Linux build for its documentation.
// Off Linux none can be made: Connect fails with ErrNotSupported.
type Conn struct {
	family nlmsg.Family
	opts   options
}

// Connect fails off Linux with an *OpError whose cause is ErrNotSupported.
func Connect(ctx context.Context, family nlmsg.Family, opts ...Option) (*Conn, error) {
	return nil, setupErr(family, ErrNotSupported)
}

func unsupported(op string) error {
	return &OpError{Op: op, Index: -1, Err: ErrNotSupported, Offset: -1, MissType: -1}
}

// PortID returns 0: off Linux there is no socket.
func (c *Conn) PortID() uint32 { return 0 }

// Family returns the netlink family the Conn speaks.
func (c *Conn) Family() nlmsg.Family { return c.family }

// AddMembership fails with ErrNotSupported.
func (c *Conn) AddMembership(g uint32) error { return unsupported("add membership") }

// DropMembership fails with ErrNotSupported.
func (c *Conn) DropMembership(g uint32) error { return unsupported("drop membership") }

// ReceiveBuffer returns 0, false: off Linux there is no socket.
func (c *Conn) ReceiveBuffer() (bytes int, forced bool) { return 0, false }

// Close fails with ErrNotSupported.
func (c *Conn) Close() error { return unsupported("close") }

// Request fails with ErrNotSupported.
func (c *Conn) Request(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) ([]nlmsg.Message, error) {
	return nil, unsupported("request")
}

// RequestFunc fails with ErrNotSupported.
func (c *Conn) RequestFunc(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags, fn func(nlmsg.View) error) error {
	return unsupported("request")
}

// Dump yields ErrNotSupported.
func (c *Conn) Dump(ctx context.Context, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) iter.Seq2[nlmsg.View, error] {
	return func(yield func(nlmsg.View, error) bool) { yield(nlmsg.View{}, unsupported("dump")) }
}

// Noop fails with ErrNotSupported.
func (c *Conn) Noop(ctx context.Context) error { return unsupported("request") }

// Batch fails with ErrNotSupported, which it also sets as every op's Err.
func (c *Conn) Batch(ctx context.Context, ops []Op) error {
	err := unsupported("batch")
	for i := range ops {
		ops[i].Err = err
	}
	return err
}

// Receive fails with ErrNotSupported.
func (c *Conn) Receive(ctx context.Context) (nlmsg.Message, error) {
	return nlmsg.Message{}, unsupported("receive")
}

// Notifications yields ErrNotSupported.
func (c *Conn) Notifications(ctx context.Context) iter.Seq2[nlmsg.View, error] {
	return func(yield func(nlmsg.View, error) bool) { yield(nlmsg.View{}, unsupported("receive")) }
}

// Stats returns zero counters.
func (c *Conn) Stats() Stats { return Stats{} }

// DumpReadsAhead reports false: there is no Dump off Linux.
func (c *Conn) DumpReadsAhead() bool { return false }
