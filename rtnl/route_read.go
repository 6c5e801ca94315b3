package rtnl

import (
	"context"
	"errors"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Routes dumps the routes f selects and yields each in place: one Route,
// reused, valid only until the next step of the loop (Clone keeps one).
// Once the Route's Multipath has grown to fit, decoding allocates nothing.
// Errors end the loop: the engine's (*engine.OpError, passed through) or
// an *AttrError for a message that does not decode. Breaking out of the
// loop is safe. Safe for concurrent use (dumps on one Conn take turns).
//
// Where the kernel filters (see RouteFilter), a table or an interface that
// does not exist gives no routes, not an error, as in user space.
func (c *Conn) Routes(ctx context.Context, f RouteFilter) iter.Seq2[*Route, error] {
	return func(yield func(*Route, error) bool) {
		var reqBuf [nlmsg.RtMsgLen + 16]byte
		req := f.dumpRequest(reqBuf[:0], c.strict)
		keep := f.Match
		var r Route
		for v, err := range dumpInto(ctx, c, nlmsg.RTMGetRoute, req, nlmsg.RTMNewRoute, &r, (*Route).Decode, keep) {
			if err != nil {
				if c.strict && absentInFilter(&f, err) {
					return
				}
				yield(nil, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// absentInFilter reports whether a strict dump failed only because the
// filter names a table or an interface that does not exist: the kernel
// answers ENOENT or ENODEV, where the filter in user space finds nothing.
func absentInFilter(f *RouteFilter, err error) bool {
	return (f.Table != TableUnspec && errors.Is(err, unix.ENOENT)) ||
		(f.OIF != 0 && errors.Is(err, unix.ENODEV))
}

// RouteList is Routes collected into owned values (each a Clone), valid
// for ever. It allocates about one block per route (its Attrs) plus the
// slice. On error it returns the routes read so far and the error.
func (c *Conn) RouteList(ctx context.Context, f RouteFilter) ([]Route, error) {
	return collect(c.Routes(ctx, f), (*Route).Clone)
}
