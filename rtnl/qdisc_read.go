package rtnl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// Qdiscs dumps the qdiscs f selects and yields each in place: one Qdisc,
// reused, valid only until the next step of the loop (Clone keeps one).
// Qdiscs come in the kernel's order: device by device, each device's root
// qdisc and those under it, then its ingress or clsact qdisc. Decoding
// allocates nothing once the kinds' names have been seen. Errors end the
// loop: the engine's (*engine.OpError, passed through) or an *AttrError
// for a message that does not decode. Breaking out of the loop is safe. A
// Conn of another netlink family is refused before anything is sent
// (errors.Is engine.ErrWrongFamily). Safe for concurrent use (dumps on one
// Conn take turns).
func (c *Conn) Qdiscs(ctx context.Context, f QdiscFilter) iter.Seq2[*Qdisc, error] {
	return func(yield func(*Qdisc, error) bool) {
		if err := c.ec.RequireFamily("rtnl qdiscs", nlmsg.FamilyRoute); err != nil {
			yield(nil, err)
			return
		}
		var reqBuf [nlmsg.TcMsgLen]byte
		var q Qdisc
		for v, err := range dumpInto(ctx, c, nlmsg.RTMGetQdisc, f.dumpRequest(reqBuf[:0]), nlmsg.RTMNewQdisc, &q, (*Qdisc).Decode, f.Match) {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// QdiscList is Qdiscs collected into owned values (each a Clone), valid
// for ever. On error it returns the qdiscs read so far and the error.
// Safe for concurrent use.
func (c *Conn) QdiscList(ctx context.Context, f QdiscFilter) ([]Qdisc, error) {
	return collect(c.Qdiscs(ctx, f), (*Qdisc).Clone)
}
