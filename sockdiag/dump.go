package sockdiag

import (
	"context"
	"slices"
	"sync"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// A sink takes the sockets of one dump, in one of two ways: a Dump*
// iterator decodes every socket into one value it reuses and yields it;
// a List* function decodes each into its own slot of pooled blocks and
// copies them out once the dump is over. Every family's dump writes into
// a sink, so that both ways read the replies with the same loop.
type sink[T any] struct {
	// yield, when not nil, is the iterator's: every socket is decoded into
	// one and yielded.
	// NB: the sink is passed down by pointer, and what it holds escapes;
	// yield must not (the caller's loop body would then be allocated at
	// every dump), so it is passed down beside the sink, never stored in it.
	one *T

	pool   *sync.Pool // collecting: of *listBlock[T]
	blocks []*listBlock[T]
	n      int
}

// reusing returns the sink of a Dump* iterator.
func reusing[T any]() sink[T] { return sink[T]{one: new(T)} }

// collecting returns the sink of a List* function, with blocks from pool.
func collecting[T any](pool *sync.Pool) sink[T] { return sink[T]{pool: pool} }

// slot returns the value the next socket is decoded into.
func (k *sink[T]) slot() *T {
	if k.one != nil {
		return k.one
	}
	if k.n%listBlockLen == 0 && k.n/listBlockLen == len(k.blocks) {
		k.blocks = append(k.blocks, k.pool.Get().(*listBlock[T]))
	}
	return &k.blocks[k.n/listBlockLen][k.n%listBlockLen]
}

// add takes the socket s just decoded, yielding it to yield when that is
// not nil; false ends the dump.
func (k *sink[T]) add(s *T, yield func(*T, error) bool) bool {
	if yield != nil {
		return yield(s, nil)
	}
	k.n++
	return true
}

// fail yields err, if any, last and with a nil value, as a Dump* iterator
// ends.
func fail[T any](yield func(*T, error) bool, err error) {
	if err != nil {
		yield(nil, err)
	}
}

// list appends the collected sockets to dst, in one copy into a slice of
// the final size, gives the blocks back and returns dst with err, the
// dump's error. The blocks are zeroed, so a slice a value decodes into
// (UnixSocket.Pending and the like) is that value's own.
func (k *sink[T]) list(dst []T, err error) ([]T, error) {
	dst = slices.Grow(dst, k.n)
	for i, b := range k.blocks {
		dst = append(dst, b[:max(0, min(listBlockLen, k.n-i*listBlockLen))]...)
		clear(b[:]) // drop what the values refer to before pooling
		k.pool.Put(b)
	}
	k.blocks = nil
	return dst, err
}

// listBlockLen values make one pooled block of a List* function.
const listBlockLen = 512

type listBlock[T any] [listBlockLen]T

func newBlockPool[T any]() *sync.Pool {
	return &sync.Pool{New: func() any { return new(listBlock[T]) }}
}

// noCookie is the cookie of a request that names no particular socket.
var noCookie = [2]uint32{nlmsg.InetDiagNoCookie, nlmsg.InetDiagNoCookie}

// dumpReplies refuses a Conn of another family (the call op) and then a
// request that could not be built (reqErr), before anything is sent; it
// sends the SOCK_DIAG_BY_FAMILY dump request payload on c, decodes each
// reply into a slot of k and hands it to k (and yield, for an iterator),
// and returns the first error. proto is the request's protocol, which an
// inet reply does not carry.
func dumpReplies[T any](ctx context.Context, c *engine.Conn, op string, payload []byte, reqErr error, proto uint8, k *sink[T], yield func(*T, error) bool) error {
	if err := checkConn(op, c); err != nil {
		return err
	}
	if reqErr != nil {
		return reqErr
	}
	for v, err := range c.Dump(ctx, nlmsg.SockDiagByFamily, payload, 0) {
		if err != nil {
			return err
		}
		if v.Type() != nlmsg.SockDiagByFamily {
			continue
		}
		s := k.slot()
		if err := decodeReply(s, v.Payload(), proto); err != nil {
			return err
		}
		if !k.add(s, yield) {
			return nil
		}
	}
	return nil
}

// decodeReply decodes payload into s, a *InetSocket, *UnixSocket,
// *NetlinkSocket or *PacketSocket.
// NB: each Decode is called statically, not through a func value, so that
// the compiler sees it keeps no reference to the payload and the receive
// path allocates nothing for it.
func decodeReply(s any, payload []byte, proto uint8) error {
	switch s := s.(type) {
	case *InetSocket:
		return s.Decode(payload, proto)
	case *UnixSocket:
		return s.Decode(payload)
	case *NetlinkSocket:
		return s.Decode(payload)
	case *PacketSocket:
		return s.Decode(payload)
	}
	panic("sockdiag: no decoder for this socket type")
}
