package rtnl

import (
	"context"
	"fmt"

	"github.com/nlengine/nlengine/nlmsg"
)

// ClassAdd adds the class cl (RTM_NEWTCLASS with NLM_F_CREATE|NLM_F_EXCL,
// like tc class add): cl.LinkIndex, cl.Parent (the qdisc, "1:", or a
// class of it), cl.Handle (the class id, "1:10"), cl.Kind (the qdisc's,
// "htb") and its options. The kernel's refusals are *engine.OpError
// values with its extended ack message: EEXIST for a class id taken,
// ENOENT for a qdisc or parent class that does not exist, EINVAL for
// options it refuses. cl is not retained. A Conn of another netlink
// family is refused before anything is sent. Safe for concurrent use.
func (c *Conn) ClassAdd(ctx context.Context, cl *Class) error {
	return c.classWrite(ctx, nlmsg.RTMNewTClass, nlmsg.Create|nlmsg.Excl, cl)
}

// ClassReplace adds cl or changes the class of its id to it (tc class
// replace; the request carries NLM_F_CREATE|NLM_F_REPLACE). Safe for
// concurrent use.
func (c *Conn) ClassReplace(ctx context.Context, cl *Class) error {
	return c.classWrite(ctx, nlmsg.RTMNewTClass, nlmsg.Create|nlmsg.Replace, cl)
}

// ClassChange changes the options of the existing class cl.Handle (tc
// class change): ENOENT when there is none. Safe for concurrent use.
func (c *Conn) ClassChange(ctx context.Context, cl *Class) error {
	return c.classWrite(ctx, nlmsg.RTMNewTClass, 0, cl)
}

// ClassDel deletes the class cl.Handle of device cl.LinkIndex (tc class
// del): ENOENT when there is none, EBUSY for a class that has children.
// Options are not sent. Safe for concurrent use.
func (c *Conn) ClassDel(ctx context.Context, cl *Class) error {
	return c.classWrite(ctx, nlmsg.RTMDelTClass, 0, cl)
}

func (c *Conn) classWrite(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, cl *Class) error {
	if err := c.ec.RequireFamily("rtnl class write", nlmsg.FamilyRoute); err != nil {
		return err
	}
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) { return appendClass(b, cl, typ == nlmsg.RTMDelTClass) })
}

// appendClass appends the RTM_NEWTCLASS or (del) RTM_DELTCLASS payload of
// cl to b: the tcmsg, TCA_KIND and the kind's options.
func appendClass(b []byte, cl *Class, del bool) ([]byte, error) {
	start := len(b)
	fail := func(err error) ([]byte, error) { return b[:start], err }
	if cl.LinkIndex <= 0 {
		return fail(fmt.Errorf("%w: class without a device", ErrInvalidTC))
	}
	if !del && cl.Kind == "" {
		return fail(fmt.Errorf("%w: class without a kind", ErrInvalidTC))
	}
	b = nlmsg.TcMsg{IfIndex: int32(cl.LinkIndex), Handle: uint32(cl.Handle), Parent: uint32(cl.Parent)}.AppendTo(b)
	if cl.Kind != "" {
		if !fitsAttr(len(cl.Kind) + 1) {
			return fail(fmt.Errorf("%w: kind of %d bytes", ErrInvalidTC, len(cl.Kind)))
		}
		b = appendStringAttr(b, nlmsg.TCAKind, cl.Kind)
	}
	if del {
		return b, nil
	}
	var err error
	if cl.Kind == "htb" {
		b, err = cl.HTB.appendTo(b)
	} else {
		b, err = appendRawOptions(b, cl.Options)
	}
	if err != nil {
		return fail(err)
	}
	return b, nil
}
