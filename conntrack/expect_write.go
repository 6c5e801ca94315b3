package conntrack

import (
	"context"
	"errors"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrNoExpectTuple is returned, before anything is sent, by CreateExpect
// for an Expect whose Tuple or Master lacks an address, or whose tuples
// mix IPv4 and IPv6, and by GetExpect and DeleteExpect for a tuple without
// both addresses.
var ErrNoExpectTuple = errors.New("conntrack: the expectation lacks its tuple or its master's (source and destination addresses of one family)")

// expectRequest runs one expectation request of type msg with flags,
// decoding any expectation in the reply into out (if non-nil).
func (c *Conn) expectRequest(ctx context.Context, msg uint8, flags nlmsg.Flags, fam uint8, out *Expect, build func(*nlmsg.Builder)) error {
	var b nlmsg.Builder
	defer b.Release()
	beginPayload(&b, fam)
	build(&b)
	var decErr error
	err := c.c.RequestFunc(ctx, expMsgType(msg), b.Bytes(), flags, func(v nlmsg.View) error {
		if out != nil && decErr == nil {
			decErr = out.Decode(v.Payload())
		}
		return nil
	})
	if err != nil {
		return err
	}
	return decErr
}

// tuplesValid reports whether e's tuple and master have both addresses,
// all of one family.
func (e *Expect) tuplesValid() bool {
	return e.Tuple.valid() && e.Master.valid() && e.Tuple.Src.Is4() == e.Master.Src.Is4()
}

// CreateExpect adds the expectation e (IPCTNL_MSG_EXP_NEW with
// NLM_F_CREATE|NLM_F_EXCL): e.Tuple expected by the entry whose original
// tuple is e.Master in zone e.Zone, with mask e.Mask (ExactMask(e.Tuple)
// when e.Mask has no addresses), and, when set, the helper (SetHelper),
// class, flags, function (SetFn) and NAT (when e.Has has ExpectFieldNAT;
// a NAT tuple without addresses gets the unspecified ones). The master
// must exist (else ENOENT) and have a helper, one that a ruleset assigned
// (an nft ct helper, for example), else the kernel refuses with
// EOPNOTSUPP; an existing expectation fails with EEXIST. NB: the kernel
// does not apply e.Timeout to a new expectation: it starts with the
// timeout of the master's helper's policy (300 s for FTP); UpdateExpect
// changes it afterwards. Safe for concurrent use.
func (c *Conn) CreateExpect(ctx context.Context, e *Expect) error {
	if !e.tuplesValid() {
		return ErrNoExpectTuple
	}
	return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpNew, nlmsg.Create|nlmsg.Excl, e.family(), nil, func(b *nlmsg.Builder) {
		appendExpectAttrs(b, e)
	})
}

// UpdateExpect sets the timeout of the existing expectation with e.Tuple
// in zone e.Zone to e.Timeout seconds (IPCTNL_MSG_EXP_NEW without
// NLM_F_CREATE; the kernel changes nothing else, but wants the master and
// the mask too, so e must carry them as CreateExpect's does). A missing
// expectation fails with ENOENT, one whose timer already fired with ETIME.
// Safe for concurrent use.
func (c *Conn) UpdateExpect(ctx context.Context, e *Expect) error {
	if !e.tuplesValid() {
		return ErrNoExpectTuple
	}
	return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpNew, 0, e.family(), nil, func(b *nlmsg.Builder) {
		appendExpectKey(b, e)
		b.Uint16BE(nlmsg.CTAExpectZone, e.Zone)
	})
}

// GetExpect returns the expectation with tuple as its tuple in zone (the
// zone of its master), decoded into out. A missing expectation fails with
// an error that errors.Is unix.ENOENT. Safe for concurrent use.
func (c *Conn) GetExpect(ctx context.Context, tuple Tuple, zone uint16, out *Expect) error {
	if !tuple.valid() {
		return ErrNoExpectTuple
	}
	*out = Expect{}
	return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpGet, 0, tuple.Family(), out, func(b *nlmsg.Builder) {
		appendTuple(b, nlmsg.CTAExpectTuple, &tuple)
		b.Uint16BE(nlmsg.CTAExpectZone, zone)
	})
}

// DeleteExpect removes the expectation with e.Tuple in zone e.Zone, and,
// when e.Has has ExpectFieldID (an Expect read from the kernel), only if
// its id is still e.ID, so that an expectation that went and came back
// with the same tuple is spared. A missing one (or one with another id)
// fails with an error that errors.Is unix.ENOENT. Safe for concurrent use.
func (c *Conn) DeleteExpect(ctx context.Context, e *Expect) error {
	if !e.Tuple.valid() {
		return ErrNoExpectTuple
	}
	return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpDelete, 0, e.family(), nil, func(b *nlmsg.Builder) {
		appendTuple(b, nlmsg.CTAExpectTuple, &e.Tuple)
		b.Uint16BE(nlmsg.CTAExpectZone, e.Zone)
		if e.Has&ExpectFieldID != 0 {
			b.Uint32BE(nlmsg.CTAExpectID, e.ID)
		}
	})
}

// DeleteExpectHelper removes every expectation whose master's helper is
// named helper (one request; the kernel does the work). Safe for
// concurrent use.
func (c *Conn) DeleteExpectHelper(ctx context.Context, helper string) error {
	return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpDelete, 0, 0, nil, func(b *nlmsg.Builder) {
		b.String(nlmsg.CTAExpectHelpName, helper)
	})
}

// FlushExpect removes every expectation of family (AF_INET, AF_INET6, or
// 0 for both) in the Conn's namespace. For 0 it is one request; for one
// family it dumps that family's expectations and deletes each by tuple and
// id, since the kernel's flush ignores nfgen_family and would remove both
// (as it does for entries). The kernel finds an expectation by tuple only
// in its master's zone, which it does not report: one not found in zone 0
// is deleted in the zone of its master, read from one dump of the
// family's entries. An expectation that went away meanwhile is not an
// error. Safe for concurrent use.
func (c *Conn) FlushExpect(ctx context.Context, family uint8) error {
	if family == 0 {
		return c.expectRequest(ctx, nlmsg.IPCTNLMsgExpDelete, 0, 0, nil, func(*nlmsg.Builder) {})
	}
	exps, err := c.ListExpect(ctx, &ExpectFilter{Family: family})
	if err != nil {
		return err
	}
	var missed []int
	for i := range exps {
		err := c.DeleteExpect(ctx, &exps[i])
		switch {
		case err == nil:
		case errors.Is(err, unix.ENOENT):
			if exps[i].Has&ExpectFieldZone == 0 {
				missed = append(missed, i)
			}
		default:
			return err
		}
	}
	if len(missed) == 0 {
		return nil
	}
	zones, err := c.masterZones(ctx, family)
	if err != nil {
		return err
	}
	for _, i := range missed {
		e := &exps[i]
		z, ok := zones[unzoned(e.Master)]
		if !ok {
			continue // gone, or its master is
		}
		e.Zone = z
		if err := c.DeleteExpect(ctx, e); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

// masterZones returns the zone of each entry of family that is in a zone
// other than 0, by its original tuple without a zone (the zone's id, in
// which the kernel looks up the entry's expectations, whatever the zone's
// direction).
func (c *Conn) masterZones(ctx context.Context, family uint8) (map[Tuple]uint16, error) {
	zones := make(map[Tuple]uint16)
	for f, err := range c.Dump(ctx, &Filter{Family: family}) {
		if err != nil {
			return nil, err
		}
		z := f.Zone
		if f.Orig.HasZone {
			z = f.Orig.Zone
		} else if f.Reply.HasZone {
			z = f.Reply.Zone
		}
		if z != 0 {
			zones[unzoned(f.Orig)] = z
		}
	}
	return zones, nil
}

// unzoned returns t without its zone.
func unzoned(t Tuple) Tuple {
	t.Zone, t.HasZone = 0, false
	return t
}
