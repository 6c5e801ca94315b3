package rtnl

import (
	"context"
	"errors"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Links yields the links f selects, decoded in place into one Link that is
// reused: it and what it points to are valid only until the next step of
// the loop (copy what you keep, or use LinkList). A kernel error or a
// malformed message is yielded last with a nil Link. Breaking out of the
// loop early is safe. With f.Name set, Links asks the kernel for that one
// link and yields nothing if there is none. Decoding allocates nothing per
// link once the names have been seen. Safe for concurrent use.
func (c *Conn) Links(ctx context.Context, f LinkFilter) iter.Seq2[*Link, error] {
	l := new(Link)
	if f.Name != "" {
		req := getLinkRequest(0, f.Name, f.extMask())
		return func(yield func(*Link, error) bool) {
			found := false
			err := c.ec.RequestFunc(ctx, nlmsg.RTMGetLink, req, 0, func(v nlmsg.View) error {
				if v.Type() != nlmsg.RTMNewLink || found {
					return nil
				}
				if err := l.Decode(v.Payload()); err != nil {
					return err
				}
				found = true
				return nil
			})
			if errors.Is(err, unix.ENODEV) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if found && f.matchDumped(l) {
				yield(l, nil)
			}
		}
	}
	return dumpInto(ctx, c, nlmsg.RTMGetLink, f.dumpRequest(c.strict), nlmsg.RTMNewLink, l, (*Link).Decode, f.matchDumped)
}

// LinkList returns the links f selects as owned values (each copies its
// message's attributes: one allocation per link, plus the slice). On an
// error it returns the links read so far with it. Safe for concurrent use.
func (c *Conn) LinkList(ctx context.Context, f LinkFilter) ([]Link, error) {
	return collect(c.Links(ctx, f), (*Link).Clone)
}

// LinkByName returns the link called name (or with that alternative name),
// owned. When there is none the error is the kernel's, an *engine.OpError
// that errors.Is unix.ENODEV. Safe for concurrent use.
func (c *Conn) LinkByName(ctx context.Context, name string) (Link, error) {
	return c.getLink(ctx, getLinkRequest(0, name, nlmsg.RTExtFilterSkipStats))
}

// LinkByIndex returns the link with that index, owned. When there is none
// the error is the kernel's, an *engine.OpError that errors.Is unix.ENODEV;
// for an index that is not positive, which the kernel reads as no index
// given, it errors.Is unix.EINVAL. Safe for concurrent use.
func (c *Conn) LinkByIndex(ctx context.Context, index int) (Link, error) {
	return c.getLink(ctx, getLinkRequest(index, "", nlmsg.RTExtFilterSkipStats))
}

// LinkStatsByIndex returns the counters of the link with that index (one
// RTM_GETLINK, as ip -s link show dev sends). When there is no
// such link the error is the kernel's, an *engine.OpError that errors.Is
// unix.ENODEV (unix.EINVAL for an index that is not positive, as
// LinkByIndex). It allocates only the request. Safe for concurrent use.
func (c *Conn) LinkStatsByIndex(ctx context.Context, index int) (LinkStats, error) {
	var st LinkStats
	var l Link
	err := c.ec.RequestFunc(ctx, nlmsg.RTMGetLink, getLinkRequest(index, "", nlmsg.RTExtFilterSkipStats), 0, func(v nlmsg.View) error {
		if v.Type() != nlmsg.RTMNewLink {
			return nil
		}
		if err := l.Decode(v.Payload()); err != nil {
			return err
		}
		st, _ = l.Stats()
		return nil
	})
	return st, err
}

func (c *Conn) getLink(ctx context.Context, req []byte) (Link, error) {
	var out Link
	var l Link
	err := c.ec.RequestFunc(ctx, nlmsg.RTMGetLink, req, 0, func(v nlmsg.View) error {
		if v.Type() != nlmsg.RTMNewLink {
			return nil
		}
		if err := l.Decode(v.Payload()); err != nil {
			return err
		}
		out = l.Clone()
		return nil
	})
	return out, err
}
