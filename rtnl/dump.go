package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// dumpInto runs a dump and decodes each message of type want into *v (one
// value, reused), yielding those keep accepts (keep nil: all). Messages of
// other types are skipped. The first decode error ends the dump: it is
// yielded, and the rest of the dump is drained by the engine.
func dumpInto[T any](ctx context.Context, c *Conn, typ nlmsg.Type, req []byte, want nlmsg.Type, v *T, decode func(*T, []byte) error, keep func(*T) bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for m, err := range c.ec.Dump(ctx, typ, req, 0) {
			if err != nil {
				yield(nil, err)
				return
			}
			if m.Type() != want {
				continue
			}
			if err := decode(v, m.Payload()); err != nil {
				yield(nil, err)
				return
			}
			if keep != nil && !keep(v) {
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}
