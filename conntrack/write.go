package conntrack

import (
	"context"
	"errors"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// appendFlowAttrs writes the attributes of a create or update of f: the
// original tuple, the reply tuple (f.Reply, or f.Orig reversed when f.Reply
// lacks an address or mixes families), and the parts selected by fields.
func appendFlowAttrs(b *nlmsg.Builder, f *Flow, fields Fields) {
	appendTuple(b, nlmsg.CTATupleOrig, &f.Orig)
	if fields&FieldReply != 0 {
		if f.Reply.valid() {
			appendTuple(b, nlmsg.CTATupleReply, &f.Reply)
		} else {
			r := f.Orig.Reverse()
			appendTuple(b, nlmsg.CTATupleReply, &r)
		}
	}
	if fields&FieldZone != 0 {
		b.Uint16BE(nlmsg.CTAZone, f.Zone)
	}
	if fields&FieldTimeout != 0 {
		b.Uint32BE(nlmsg.CTATimeout, f.Timeout)
	}
	if fields&FieldStatus != 0 {
		// NB: an entry in the table is confirmed (a new one is created
		// so), and the kernel refuses (EBUSY) a status that would change
		// that bit.
		st := f.Status | StatusConfirmed
		b.Uint32BE(nlmsg.CTAStatus, uint32(st))
	}
	if fields&FieldMark != 0 {
		b.Uint32BE(nlmsg.CTAMark, f.Mark)
	}
	if fields&FieldLabels != 0 {
		b.Attr(nlmsg.CTALabels, f.Labels[:])
		all := Labels{}
		for i := range all {
			all[i] = 0xff
		}
		b.Attr(nlmsg.CTALabelsMask, all[:])
	}
	if fields&FieldTCP != 0 && f.Orig.Proto == ProtoTCP {
		p := b.BeginNest(nlmsg.CTAProtoInfo)
		t := b.BeginNest(nlmsg.CTAProtoInfoTCP)
		b.Uint8(nlmsg.CTAProtoInfoTCPState, uint8(f.TCP.State))
		b.EndNest(t)
		b.EndNest(p)
	}
	if fields&FieldSCTP != 0 && f.Orig.Proto == ProtoSCTP {
		// NB: the kernel wants all three or refuses the write (EINVAL).
		p := b.BeginNest(nlmsg.CTAProtoInfo)
		s := b.BeginNest(nlmsg.CTAProtoInfoSCTP)
		b.Uint8(nlmsg.CTAProtoInfoSCTPState, uint8(f.SCTP.State))
		b.Uint32BE(nlmsg.CTAProtoInfoSCTPVTagOriginal, f.SCTP.VTagOrig)
		b.Uint32BE(nlmsg.CTAProtoInfoSCTPVTagReply, f.SCTP.VTagReply)
		b.EndNest(s)
		b.EndNest(p)
	}
}

// createFields are what Create writes.
const createFields = FieldReply | FieldTimeout | FieldStatus | FieldMark | FieldZone | FieldLabels | FieldTCP | FieldSCTP

// family returns the nfgenmsg family of f.
func (f *Flow) family() uint8 {
	if f.Family != 0 {
		return f.Family
	}
	return f.Orig.Family()
}

func checkTuple(f *Flow) error {
	if !f.Orig.valid() {
		return ErrNoTuple
	}
	return nil
}

// request builds one payload with build and runs it as a request of type
// msg with flags, decoding any entry in the reply into out (if non-nil).
func (c *Conn) request(ctx context.Context, msg uint8, flags nlmsg.Flags, fam uint8, out *Flow, build func(*nlmsg.Builder)) error {
	var b nlmsg.Builder
	beginPayload(&b, fam)
	build(&b)
	payload := b.Bytes()
	var decErr error
	err := c.c.RequestFunc(ctx, msgType(msg), payload, flags, func(v nlmsg.View) error {
		if out != nil && decErr == nil {
			decErr = out.Decode(v.Payload())
		}
		return nil
	})
	b.Release()
	if err != nil {
		return err
	}
	return decErr
}

// Create adds f to the table (IPCTNL_MSG_CT_NEW with NLM_F_CREATE|NLM_F_EXCL):
// its original tuple, the reply tuple (f.Reply, or the original reversed
// when f.Reply has no addresses), timeout (the kernel requires one),
// status, mark, zone, labels (kept by the kernel only in a namespace whose
// ruleset uses ct labels) and, for TCP, f.TCP.State, for SCTP, f.SCTP (state
// and verification tags). An existing entry
// fails with an error that errors.Is unix.EEXIST. Safe for concurrent use.
func (c *Conn) Create(ctx context.Context, f *Flow) error {
	if err := checkTuple(f); err != nil {
		return err
	}
	return c.request(ctx, nlmsg.IPCTNLMsgCTNew, nlmsg.Create|nlmsg.Excl, f.family(), nil, func(b *nlmsg.Builder) {
		appendFlowAttrs(b, f, createFieldsOf(f))
	})
}

// createFieldsOf returns what Create writes of f: the optional parts that
// are set.
func createFieldsOf(f *Flow) Fields {
	fields := createFields
	if f.Labels.IsZero() {
		fields &^= FieldLabels
	}
	if f.Zone == 0 {
		fields &^= FieldZone
	}
	if f.Status == 0 {
		fields &^= FieldStatus
	}
	if f.Mark == 0 {
		fields &^= FieldMark
	}
	return fields
}

// CreateFlows creates every flow of flows as Create does, in engine.Batch
// calls of a few thousand, and returns one outcome per flow, in order (nil,
// or an error that errors.Is unix.EEXIST for an entry that exists). err is
// non-nil only when a batch failed as a whole, or is ErrNoTuple, before
// anything is sent, when a flow lacks its original tuple. Safe for
// concurrent use.
func (c *Conn) CreateFlows(ctx context.Context, flows []Flow) (outcomes []error, err error) {
	return c.batchFlows(ctx, flows, (*opArena).addCreate)
}

// Update changes the entry with f's original tuple (and f.Zone): the parts
// named by fields among FieldTimeout, FieldStatus, FieldMark, FieldLabels,
// FieldTCP and FieldSCTP (the state and both verification tags). FieldLabels replaces all 128 label bits with f.Labels (a
// zero Labels clears them; kept only where a ruleset uses ct labels, as for
// Create). A missing entry fails with an error that errors.Is
// unix.ENOENT. Safe for concurrent use.
func (c *Conn) Update(ctx context.Context, f *Flow, fields Fields) error {
	if err := checkTuple(f); err != nil {
		return err
	}
	fields &= FieldTimeout | FieldStatus | FieldMark | FieldLabels | FieldTCP | FieldSCTP
	return c.request(ctx, nlmsg.IPCTNLMsgCTNew, 0, f.family(), nil, func(b *nlmsg.Builder) {
		appendFlowAttrs(b, f, fields|FieldZone)
	})
}

// Get returns the entry with orig as its original tuple in zone, decoded
// into out. A missing entry fails with an error that errors.Is unix.ENOENT.
// Safe for concurrent use.
func (c *Conn) Get(ctx context.Context, orig Tuple, zone uint16, out *Flow) error {
	f := Flow{Orig: orig, Zone: zone}
	if err := checkTuple(&f); err != nil {
		return err
	}
	*out = Flow{}
	return c.request(ctx, nlmsg.IPCTNLMsgCTGet, 0, f.family(), out, func(b *nlmsg.Builder) {
		appendTuple(b, nlmsg.CTATupleOrig, &f.Orig)
		b.Uint16BE(nlmsg.CTAZone, zone)
	})
}

// Delete removes the entry with f's original tuple in f.Zone. A missing
// entry fails with an error that errors.Is unix.ENOENT. Safe for
// concurrent use.
func (c *Conn) Delete(ctx context.Context, f *Flow) error {
	if err := checkTuple(f); err != nil {
		return err
	}
	return c.request(ctx, nlmsg.IPCTNLMsgCTDelete, 0, f.family(), nil, func(b *nlmsg.Builder) {
		appendDeleteAttrs(b, &deleteKey{orig: f.Orig, zone: f.Zone})
	})
}

// appendDeleteAttrs writes the attributes of the delete of k: the kernel
// deletes the entry with k's original tuple in k's zone, and only if its id
// is k's when k has one.
func appendDeleteAttrs(b *nlmsg.Builder, k *deleteKey) {
	appendTuple(b, nlmsg.CTATupleOrig, &k.orig)
	b.Uint16BE(nlmsg.CTAZone, k.zone)
	if k.hasID {
		b.Uint32BE(nlmsg.CTAID, k.id)
	}
}

// Flush removes every entry of family (AF_INET, AF_INET6, or 0 for both)
// in the Conn's namespace. For 0 it is one request and the kernel does the
// work; for one family it is DeleteFiltered with that family, since the
// kernel's flush (measured on Linux 6.18) ignores nfgen_family and would
// remove both. Safe for concurrent use.
func (c *Conn) Flush(ctx context.Context, family uint8) error {
	if family != 0 {
		_, err := c.DeleteFiltered(ctx, &Filter{Family: family}, nil)
		return err
	}
	return c.request(ctx, nlmsg.IPCTNLMsgCTDelete, 0, 0, nil, func(*nlmsg.Builder) {})
}

// batchChunk is how many deletes go into one engine.Batch call: big
// enough to fill sendmmsg, small enough that the encoded requests stay a
// few hundred KiB whatever the number of entries.
const batchChunk = 2048

// opArena packs request payloads (deletes, creates) back to back for
// one Batch.
type opArena struct {
	b   nlmsg.Builder
	buf []byte
	ops []engine.Op
}

// addDelete encodes the delete of k as the next op.
func (a *opArena) addDelete(k *deleteKey) {
	a.b.Reset()
	beginPayload(&a.b, k.fam)
	appendDeleteAttrs(&a.b, k)
	a.push(msgType(nlmsg.IPCTNLMsgCTDelete), 0)
}

// addCreate encodes the create of f as the next op.
func (a *opArena) addCreate(f *Flow) {
	a.b.Reset()
	beginPayload(&a.b, f.family())
	appendFlowAttrs(&a.b, f, createFieldsOf(f))
	a.push(msgType(nlmsg.IPCTNLMsgCTNew), nlmsg.Create|nlmsg.Excl)
}

// push appends the Builder's payload as the next op of type t.
func (a *opArena) push(t nlmsg.Type, flags nlmsg.Flags) {
	start := len(a.buf)
	a.buf = append(a.buf, a.b.Bytes()...)
	a.ops = append(a.ops, engine.Op{Type: t, Flags: flags})
	a.ops[len(a.ops)-1].Payload = a.buf[start:len(a.buf):len(a.buf)]
}

// run sends the ops; a BatchError is not returned, the ops carry the
// outcomes. The ops' payloads alias a.buf, which is only reused after run.
func (a *opArena) run(ctx context.Context, c *engine.Conn) error {
	// NB: payloads were appended to a.buf, which may have moved since the
	// first op was added: rebuild the slices from the final buffer.
	off := 0
	for i := range a.ops {
		l := len(a.ops[i].Payload)
		a.ops[i].Payload = a.buf[off : off+l : off+l]
		off += l
	}
	err := c.Batch(ctx, a.ops)
	if be := (*engine.BatchError)(nil); errors.As(err, &be) {
		err = nil
	}
	return err
}

func (a *opArena) reset() {
	a.buf = a.buf[:0]
	clear(a.ops)
	a.ops = a.ops[:0]
}

// DeleteFlows deletes each flow of flows (by original tuple and zone) in
// engine.Batch calls and returns one outcome per flow, in order: nil,
// an error that errors.Is unix.ENOENT when it was already gone, or another
// kernel error. err is non-nil only when the batch itself failed (ctx
// ended, the Conn closed), or is ErrNoTuple, before anything is sent, when
// a flow lacks its original tuple. Safe for concurrent use.
func (c *Conn) DeleteFlows(ctx context.Context, flows []Flow) (outcomes []error, err error) {
	return c.batchFlows(ctx, flows, func(a *opArena, f *Flow) {
		a.addDelete(&deleteKey{orig: f.Orig, zone: f.Zone, fam: f.family()})
	})
}

// batchFlows sends one op per flow, encoded by add, in engine.Batch calls
// of batchChunk ops, and returns the ops' outcomes in the flows' order.
// NB: every flow's tuple is checked before the first Batch, so ErrNoTuple
// means nothing was sent.
func (c *Conn) batchFlows(ctx context.Context, flows []Flow, add func(*opArena, *Flow)) (outcomes []error, err error) {
	outcomes = make([]error, len(flows))
	for i := range flows {
		if err := checkTuple(&flows[i]); err != nil {
			return outcomes, err
		}
	}
	err = c.batch(ctx, len(flows), func(a *opArena, i int) { add(a, &flows[i]) }, func(i int, err error) { outcomes[i] = err })
	return outcomes, err
}

// batch sends n ops, the i-th encoded by add, in engine.Batch calls of
// batchChunk ops, and calls done with each op's index and outcome, in
// order. It returns an error only when a Batch failed as a whole.
func (c *Conn) batch(ctx context.Context, n int, add func(a *opArena, i int), done func(i int, err error)) error {
	var a opArena
	defer a.b.Release()
	for i := 0; i < n; i += batchChunk {
		end := min(i+batchChunk, n)
		a.reset()
		for j := i; j < end; j++ {
			add(&a, j)
		}
		err := a.run(ctx, c.c)
		for j := range a.ops {
			done(i+j, a.ops[j].Err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
