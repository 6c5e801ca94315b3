package conntrack

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// expMsgType is the nlmsg_type of expectation message msg.
func expMsgType(msg uint8) nlmsg.Type { return nlmsg.CTNetlinkExpType(msg) }

// ExpectFilter selects expectations of a dump. The zero ExpectFilter
// selects every expectation of the Conn's namespace, of both families.
// The kernel applies all of it: the family (nfgen_family) and, when Master
// has both addresses, the master (CTA_EXPECT_MASTER with CTA_EXPECT_ZONE:
// the kernel then lists that entry's expectations only, and fails the dump
// with ENOENT when there is no such entry). Every expectation is checked
// again in user space.
type ExpectFilter struct {
	Family uint8 // AF_INET or AF_INET6; 0 for both
	// Master is the original tuple of the master entry, in zone Zone.
	Master Tuple
	Zone   uint16
}

// Match reports whether e is selected. It does not allocate.
func (flt *ExpectFilter) Match(e *Expect) bool {
	if flt.Family != 0 && e.Family != flt.Family {
		return false
	}
	if flt.Master.valid() {
		m := e.Master
		m.Zone, m.HasZone = flt.Master.Zone, flt.Master.HasZone
		return m == flt.Master
	}
	return true
}

// expectDumpPayload encodes the dump request for flt into b.
func expectDumpPayload(b *nlmsg.Builder, flt *ExpectFilter) []byte {
	b.Reset()
	if flt == nil {
		beginPayload(b, 0)
		return b.Bytes()
	}
	fam := flt.Family
	if flt.Master.valid() && fam == 0 {
		// NB: the kernel parses the master tuple after nfgen_family and
		// refuses (EOPNOTSUPP) family 0.
		fam = flt.Master.Family()
	}
	beginPayload(b, fam)
	if flt.Master.valid() {
		appendTuple(b, nlmsg.CTAExpectMaster, &flt.Master)
		b.Uint16BE(nlmsg.CTAExpectZone, flt.Zone)
	}
	return b.Bytes()
}

// DumpExpect streams the expectations selected by flt (nil for all) in
// place, as Dump streams entries: the yielded *Expect is one value reused
// for every expectation, valid only until the loop body returns (copy *e
// to keep it), and no expectation allocates. Errors are yielded last with
// a nil Expect: the kernel's error (an *engine.OpError), a *DecodeError
// (the dump is drained and ends), or ctx.Err(). Breaking out is safe. Safe
// for concurrent use; dumps on one Conn run one after the other.
func (c *Conn) DumpExpect(ctx context.Context, flt *ExpectFilter) iter.Seq2[*Expect, error] {
	return func(yield func(*Expect, error) bool) {
		var b nlmsg.Builder
		defer b.Release()
		var e Expect
		for v, err := range c.c.Dump(ctx, expMsgType(nlmsg.IPCTNLMsgExpGet), expectDumpPayload(&b, flt), 0) {
			if err != nil {
				yield(nil, err)
				return
			}
			if derr := e.Decode(v.Payload()); derr != nil {
				yield(nil, derr)
				return
			}
			if flt != nil && !flt.Match(&e) {
				continue
			}
			if !yield(&e, nil) {
				return
			}
		}
	}
}

// ListExpect returns the expectations selected by flt (nil for all) as
// owned values in a new slice. On an error it returns what it has read
// with the error. Safe for concurrent use.
func (c *Conn) ListExpect(ctx context.Context, flt *ExpectFilter) ([]Expect, error) {
	var out []Expect
	for e, err := range c.DumpExpect(ctx, flt) {
		if err != nil {
			return out, err
		}
		out = append(out, *e)
	}
	return out, nil
}
