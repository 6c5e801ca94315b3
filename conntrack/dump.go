package conntrack

import (
	"context"
	"errors"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// dumpPayload encodes the dump request for flt at level lvl into b.
func dumpPayload(b *nlmsg.Builder, flt *Filter, lvl kernelLevel) []byte {
	b.Reset()
	var fam uint8
	if flt != nil {
		fam = flt.Family
	}
	beginPayload(b, fam)
	if flt != nil {
		flt.appendDumpFilter(b, lvl)
	}
	return b.Bytes()
}

// DumpOption changes what Dump and List ask of the kernel.
type DumpOption uint8

// ZeroCounters makes Dump and List read each entry's counters and zero
// them in the same step (IPCTNL_MSG_CT_GET_CTRZERO, conntrack -L -z): the
// counters yielded are those up to the zeroing, and traffic counted after
// it is in the next read. Since the kernel zeroes every entry it sends,
// such a dump takes only a Filter the kernel applies whole (family, mark,
// status and, with Family set, the protocol, IPv4 addresses and the ports
// of TCP and UDP; not a zone, since the kernel's zone filter also sends the
// entries whose original or reply direction alone is in the zone, which
// Match leaves out, as conntrack -L -w does); another is refused with
// ErrZeroFilter before anything is sent, and a kernel that refuses the
// filter is not asked again without it. Entries without counters (no
// nf_conntrack_acct) are listed unchanged.
const ZeroCounters DumpOption = 1

// ErrZeroFilter is returned (yielded) by a ZeroCounters dump, before
// anything is sent, for a Filter that the kernel cannot apply whole, since
// the kernel would zero the counters of entries the filter leaves out.
var ErrZeroFilter = errors.New("conntrack: a counter-zeroing dump takes only a filter the kernel applies whole")

// Dump streams the entries selected by flt (nil for all) in place: the
// yielded *Flow is one value reused for every entry, valid only until the
// loop body returns (copy *f to keep it). Memory stays flat however large
// the table, and no entry allocates. The kernel filters what it can (see
// Filter); the rest is filtered here. opts may be ZeroCounters. Errors are
// yielded last with a nil Flow: the kernel's error (an *engine.OpError),
// engine.ErrDumpInterrupted, a *DecodeError (the dump is drained and
// ends), ErrZeroFilter, or ctx.Err(). Breaking out is safe (a zeroing dump
// has then zeroed what the kernel already sent, and maybe more). Dumps on
// one Conn run one after the other.
func (c *Conn) Dump(ctx context.Context, flt *Filter, opts ...DumpOption) iter.Seq2[*Flow, error] {
	var o DumpOption
	for _, op := range opts {
		o |= op
	}
	return func(yield func(*Flow, error) bool) {
		var f Flow
		c.dumpInto(ctx, flt, o, &f, yield)
	}
}

// dumpInto runs the dump, decoding into f. It retries once with less
// filtering when the kernel refuses the request before any entry, unless
// it zeroes counters.
func (c *Conn) dumpInto(ctx context.Context, flt *Filter, o DumpOption, f *Flow, yield func(*Flow, error) bool) {
	msg := nlmsg.IPCTNLMsgCTGet
	if o&ZeroCounters != 0 {
		if flt != nil && !flt.kernelExact() {
			yield(nil, ErrZeroFilter)
			return
		}
		msg = nlmsg.IPCTNLMsgCTGetCtrZero
	}
	var b nlmsg.Builder
	defer b.Release()
	lvl := kernelAll
	for {
		payload := dumpPayload(&b, flt, lvl)
		seen := false
		var last error
		for v, err := range c.c.Dump(ctx, msgType(msg), payload, 0) {
			if err != nil {
				last = err
				break
			}
			seen = true
			if derr := f.Decode(v.Payload()); derr != nil {
				yield(nil, derr)
				return
			}
			if flt != nil && !flt.Match(f) {
				continue
			}
			if !yield(f, nil) {
				return
			}
		}
		if last == nil {
			return
		}
		if !seen && lvl == kernelAll && flt != nil && flt.needsKernelAll() && msg == nlmsg.IPCTNLMsgCTGet &&
			(errors.Is(last, unix.EINVAL) || errors.Is(last, unix.EOPNOTSUPP)) {
			lvl = kernelMark // an older kernel: filter the rest in user space
			continue
		}
		yield(nil, last)
		return
	}
}

// List returns the entries selected by flt (nil for all) as owned values;
// opts may be ZeroCounters, as for Dump. It allocates the slice; entries do
// not allocate otherwise. For a whole table (flt nil) it first asks the
// kernel how many entries there are (IPCTNL_MSG_CT_GET_STATS) and
// allocates the slice once at that size; otherwise it grows the slice as
// it goes. On an error it returns what it has read with the error.
func (c *Conn) List(ctx context.Context, flt *Filter, opts ...DumpOption) ([]Flow, error) {
	var out []Flow
	if flt == nil {
		if st, err := c.Stats(ctx); err == nil {
			// A little room for entries created during the dump.
			out = make([]Flow, 0, int(st.Entries)+int(st.Entries)/64+16)
		}
	}
	for f, err := range c.Dump(ctx, flt, opts...) {
		if err != nil {
			return out, err
		}
		out = append(out, *f)
	}
	return out, nil
}

// DeleteOutcome is the result of deleting one entry in DeleteFiltered.
type DeleteOutcome struct {
	Orig Tuple
	Zone uint16
	Err  error // nil, or an error that errors.Is unix.ENOENT when the entry went away (or was replaced) first
}

// DeleteFiltered deletes every entry that flt selects: it streams a
// filtered dump, keeping only each entry's original tuple, zone and id
// (about 72 bytes an entry), then deletes them in engine.Batch calls of a
// few thousand. Each delete names the entry's id (CTA_ID), so an entry
// that went away after the dump and came back with the same tuple (a new
// connection, which flt may not select) is not deleted: its outcome is
// ENOENT. outcome, if non-nil, is called once per entry with its result,
// in dump order. It returns how many were deleted; err is non-nil when the
// dump or a batch failed as a whole. Safe for concurrent use.
func (c *Conn) DeleteFiltered(ctx context.Context, flt *Filter, outcome func(DeleteOutcome)) (deleted int, err error) {
	keys, err := c.deleteKeys(ctx, flt)
	if err != nil {
		return 0, err
	}
	return c.deleteByKeys(ctx, keys, outcome)
}

// deleteKey is what a delete needs of an entry: its original tuple and
// zone, its family and, for an entry read from the kernel, its id.
type deleteKey struct {
	orig  Tuple
	zone  uint16
	fam   uint8
	hasID bool
	id    uint32
}

// deleteKeys dumps the entries flt selects and keeps their delete keys.
func (c *Conn) deleteKeys(ctx context.Context, flt *Filter) ([]deleteKey, error) {
	var keys []deleteKey
	for f, err := range c.Dump(ctx, flt) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, deleteKey{orig: f.Orig, zone: f.Zone, fam: f.Family, hasID: f.Has&FieldID != 0, id: f.ID})
	}
	return keys, nil
}

// deleteByKeys deletes the entries of keys, as DeleteFiltered says.
func (c *Conn) deleteByKeys(ctx context.Context, keys []deleteKey, outcome func(DeleteOutcome)) (deleted int, err error) {
	err = c.batch(ctx, len(keys), func(a *opArena, i int) {
		a.addDelete(&keys[i])
	}, func(i int, err error) {
		if err == nil {
			deleted++
		}
		if outcome != nil {
			outcome(DeleteOutcome{Orig: keys[i].orig, Zone: keys[i].zone, Err: err})
		}
	})
	return deleted, err
}
