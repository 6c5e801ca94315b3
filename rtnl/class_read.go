package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// Classes dumps the classes f selects and yields each in place: one
// Class, reused, valid only until the next step of the loop (Clone keeps
// one). Classes come device by device (by index when f names none), in
// the kernel's order within each. Decoding allocates nothing once the
// kinds' names have been seen; a filter without a LinkIndex first reads
// the devices' indexes into a slice. Errors end the loop: the engine's
// (*engine.OpError, passed through) or an *AttrError for a message that
// does not decode. Breaking out of the loop is safe. A Conn of another
// netlink family is refused before anything is sent (errors.Is
// engine.ErrWrongFamily). Safe for concurrent use (dumps on one Conn take
// turns).
//
// A device that does not exist gives no classes, not an error, as the
// kernel answers it.
func (c *Conn) Classes(ctx context.Context, f ClassFilter) iter.Seq2[*Class, error] {
	return func(yield func(*Class, error) bool) {
		if err := c.ec.RequireFamily("rtnl classes", nlmsg.FamilyRoute); err != nil {
			yield(nil, err)
			return
		}
		var one [1]int
		links := one[:0]
		if f.LinkIndex != 0 {
			links = append(links, f.LinkIndex)
		} else {
			for l, err := range c.Links(ctx, LinkFilter{}) {
				if err != nil {
					yield(nil, err)
					return
				}
				links = append(links, l.Index)
			}
		}
		var reqBuf [nlmsg.TcMsgLen]byte
		var cl Class
		for _, link := range links {
			for v, err := range dumpInto(ctx, c, nlmsg.RTMGetTClass, f.dumpRequest(reqBuf[:0], link), nlmsg.RTMNewTClass, &cl, (*Class).Decode, f.Match) {
				if !yield(v, err) || err != nil {
					return
				}
			}
		}
	}
}

// ClassList is Classes collected into owned values (each a Clone), valid
// for ever. On error it returns the classes read so far and the error.
// Safe for concurrent use.
func (c *Conn) ClassList(ctx context.Context, f ClassFilter) ([]Class, error) {
	return collect(c.Classes(ctx, f), (*Class).Clone)
}
