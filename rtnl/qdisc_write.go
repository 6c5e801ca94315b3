package rtnl

import (
	"context"
	"fmt"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrInvalidTC is wrapped by the error a qdisc or class write returns,
// before anything is sent, for a value that cannot be encoded: no device,
// no kind for an add, an htb class or tbf qdisc without the rate and
// burst tc also requires, options longer than an attribute holds. It
// errors.Is ErrInvalid.
var ErrInvalidTC error = invalidError("rtnl: invalid qdisc or class")

// QdiscAdd adds the qdisc q to its device (RTM_NEWQDISC with
// NLM_F_CREATE|NLM_F_EXCL, like tc qdisc add): q.LinkIndex, q.Parent
// (HandleRoot, HandleIngress or a class), q.Handle (HandleNone lets the
// kernel pick one; an ingress or clsact qdisc gets ffff: as from tc),
// q.Kind and the options of its kind (see Qdisc). The kernel's refusals
// are *engine.OpError values with its extended ack message: EEXIST
// ("Exclusivity flag on, cannot modify") when a qdisc of that handle is
// there, ENOENT for a kind this kernel does not have ("Specified qdisc
// kind is unknown") or a parent class that does not exist ("Specified
// class not found"), EINVAL for options it refuses. q is not retained. A Conn of another netlink
// family is refused before anything is sent. Safe for concurrent use.
func (c *Conn) QdiscAdd(ctx context.Context, q *Qdisc) error {
	return c.qdiscWrite(ctx, nlmsg.RTMNewQdisc, nlmsg.Create|nlmsg.Excl, q)
}

// QdiscReplace adds q, or replaces the qdisc at q.Parent with it (tc qdisc
// replace: NLM_F_CREATE|NLM_F_REPLACE): one of the same kind takes q's
// options, one of another kind is swapped for q when q.Handle is another
// handle or HandleNone. NB: the kernel refuses q.Handle naming a qdisc of
// another kind (the one in place, to swap it for a new kind under the same
// handle) with EINVAL "Invalid qdisc name: must match existing qdisc", and
// leaves it as it was. Safe for concurrent use.
func (c *Conn) QdiscReplace(ctx context.Context, q *Qdisc) error {
	return c.qdiscWrite(ctx, nlmsg.RTMNewQdisc, nlmsg.Create|nlmsg.Replace, q)
}

// QdiscChange changes the options of the existing qdisc q.Handle at
// q.Parent (tc qdisc change: no create flags): ENOENT when there is none,
// EINVAL "Change operation not supported by specified qdisc" for a kind
// whose options are fixed once made (htb's). Safe for concurrent use.
func (c *Conn) QdiscChange(ctx context.Context, q *Qdisc) error {
	return c.qdiscWrite(ctx, nlmsg.RTMNewQdisc, 0, q)
}

// QdiscDel deletes the qdisc at q.Parent of device q.LinkIndex (tc qdisc
// del), checking q.Handle and q.Kind when they are set: ENOENT when there
// is none, EINVAL "Invalid qdisc name" for another kind. Its classes and
// the qdiscs under them go with it; deleting a root qdisc gives the device
// its default back. Options are not sent. Safe for concurrent use.
func (c *Conn) QdiscDel(ctx context.Context, q *Qdisc) error {
	return c.qdiscWrite(ctx, nlmsg.RTMDelQdisc, 0, q)
}

func (c *Conn) qdiscWrite(ctx context.Context, typ nlmsg.Type, flags nlmsg.Flags, q *Qdisc) error {
	if err := c.ec.RequireFamily("rtnl qdisc write", nlmsg.FamilyRoute); err != nil {
		return err
	}
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) { return appendQdisc(b, q, typ == nlmsg.RTMDelQdisc) })
}

// appendQdisc appends the RTM_NEWQDISC or (del) RTM_DELQDISC payload of q
// to b: the tcmsg, TCA_KIND, the kind's options and the shared blocks.
func appendQdisc(b []byte, q *Qdisc, del bool) ([]byte, error) {
	start := len(b)
	fail := func(err error) ([]byte, error) { return b[:start], err }
	if q.LinkIndex <= 0 {
		return fail(fmt.Errorf("%w: qdisc without a device", ErrInvalidTC))
	}
	if !del && q.Kind == "" {
		return fail(fmt.Errorf("%w: qdisc without a kind", ErrInvalidTC))
	}
	h := q.Handle
	if h == HandleNone && (q.Kind == "ingress" || q.Kind == "clsact") {
		h = NewHandle(0xffff, 0)
	}
	b = nlmsg.TcMsg{IfIndex: int32(q.LinkIndex), Handle: uint32(h), Parent: uint32(q.Parent)}.AppendTo(b)
	if q.Kind != "" {
		if !fitsAttr(len(q.Kind) + 1) {
			return fail(fmt.Errorf("%w: kind of %d bytes", ErrInvalidTC, len(q.Kind)))
		}
		b = appendStringAttr(b, nlmsg.TCAKind, q.Kind)
	}
	if del {
		return b, nil
	}
	var err error
	switch q.Kind {
	case "htb":
		b = q.HTB.appendTo(b)
	case "tbf":
		b, err = q.TBF.appendTo(b)
	case "pfifo", "bfifo", "pfifo_head_drop":
		if q.FIFO.Limit != 0 {
			b = appendU32Attr(b, nlmsg.TCAOptions, q.FIFO.Limit)
		}
	default:
		b, err = appendRawOptions(b, q.Options)
	}
	if err != nil {
		return fail(err)
	}
	if q.IngressBlock != 0 {
		b = appendU32Attr(b, nlmsg.TCAIngressBlock, q.IngressBlock)
	}
	if q.EgressBlock != 0 {
		b = appendU32Attr(b, nlmsg.TCAEgressBlock, q.EgressBlock)
	}
	return b, nil
}

// appendRawOptions appends opts as TCA_OPTIONS, unless nil.
func appendRawOptions(b []byte, opts []byte) ([]byte, error) {
	if opts == nil {
		return b, nil
	}
	if !fitsAttr(len(opts)) {
		return b, fmt.Errorf("%w: TCA_OPTIONS of %d bytes", ErrInvalidTC, len(opts))
	}
	return appendAttr(b, nlmsg.TCAOptions, opts), nil
}
