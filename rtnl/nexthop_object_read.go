package rtnl

import (
	"context"
	"errors"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Nexthops reads the nexthop objects f selects and yields each in place:
// one NexthopObject, reused, valid only until the next step of the loop
// (Clone keeps one). Objects come in the kernel's order, by id. Once the
// object's Group has grown to fit, decoding a dump allocates nothing; a
// read by ID (see NexthopFilter) allocates a copy of the one message.
// Errors end the loop: the engine's (*engine.OpError, passed through) or
// an *AttrError for a message that does not decode. Breaking out of the
// loop is safe. A Conn of another netlink family is refused before
// anything is sent (errors.Is engine.ErrWrongFamily). Safe for concurrent
// use (dumps on one Conn take turns).
func (c *Conn) Nexthops(ctx context.Context, f NexthopFilter) iter.Seq2[*NexthopObject, error] {
	return func(yield func(*NexthopObject, error) bool) {
		if err := c.ec.RequireFamily("rtnl nexthops", nlmsg.FamilyRoute); err != nil {
			yield(nil, err)
			return
		}
		// NB: room for the members of a usual group up front, so that a
		// dump's allocations do not grow with the groups it meets.
		n := NexthopObject{Group: make([]NexthopMember, 0, 16)}
		if f.byGet() {
			p, err := c.getNexthop(ctx, f.ID)
			if err == nil {
				err = n.Decode(p)
			}
			switch {
			case errors.Is(err, unix.ENOENT):
			case err != nil:
				yield(nil, err)
			case f.Match(&n):
				yield(&n, nil)
			}
			return
		}
		var reqBuf [nlmsg.NhMsgLen + 32]byte
		req := f.dumpRequest(reqBuf[:0])
		for v, err := range dumpInto(ctx, c, nlmsg.RTMGetNexthop, req, nlmsg.RTMNewNexthop, &n, (*NexthopObject).Decode, f.Match) {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// getNexthop reads the object id with an RTM_GETNEXTHOP and returns a copy
// of its payload; the kernel's ENOENT when there is none.
func (c *Conn) getNexthop(ctx context.Context, id uint32) ([]byte, error) {
	var reqBuf [nlmsg.NhMsgLen + 8]byte
	var p []byte
	err := c.ec.RequestFunc(ctx, nlmsg.RTMGetNexthop, idRequest(reqBuf[:0], id), 0, func(v nlmsg.View) error {
		if v.Type() == nlmsg.RTMNewNexthop {
			p = append(p[:0], v.Payload()...)
		}
		return nil
	})
	return p, err
}

// NexthopList is Nexthops collected into owned values (each a Clone),
// valid for ever. On error it returns the objects read so far and the
// error. Safe for concurrent use.
func (c *Conn) NexthopList(ctx context.Context, f NexthopFilter) ([]NexthopObject, error) {
	return collect(c.Nexthops(ctx, f), (*NexthopObject).Clone)
}

// NexthopByID returns the nexthop object with that id, owned. When there
// is none the error is the kernel's, an *engine.OpError that errors.Is
// unix.ENOENT. Safe for concurrent use.
func (c *Conn) NexthopByID(ctx context.Context, id uint32) (NexthopObject, error) {
	if err := c.ec.RequireFamily("rtnl nexthop get", nlmsg.FamilyRoute); err != nil {
		return NexthopObject{}, err
	}
	p, err := c.getNexthop(ctx, id)
	if err != nil {
		return NexthopObject{}, err
	}
	var n NexthopObject
	if err := n.Decode(p); err != nil {
		return NexthopObject{}, err
	}
	return n, nil // n points into p, a copy of its own
}
