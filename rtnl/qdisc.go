package rtnl

import (
	"bytes"
	"encoding/binary"

	"github.com/nlengine/nlengine/nlmsg"
)

// Qdisc is a queueing discipline of a device (RTM_NEWQDISC), with the
// fields `tc -s -d qdisc show` prints. Kind names the discipline ("htb",
// "tbf", "pfifo", "mq", "ingress", ...); the options of the kinds this
// package types are decoded into HTB, TBF or FIFO, and every kind's are
// also kept raw in Options.
//
// A Qdisc filled by Decode, or by the Qdiscs iterator, points into the
// message it was decoded from (Options, XStats, Stats.App, Attrs): it is
// valid until that buffer is reused, that is until the next step of the
// iterator. Clone makes an owned copy; QdiscList returns owned values. Not
// safe for concurrent use while being decoded into.
type Qdisc struct {
	LinkIndex int // tcm_ifindex
	// Handle is the qdisc's handle, major:0 ("1:"); the qdiscs the kernel
	// makes by itself have 0: (HandleNone). A write with HandleNone lets
	// the kernel pick one.
	Handle Handle
	// Parent is HandleRoot for a device's root qdisc, HandleIngress for
	// an ingress or clsact qdisc, else the class it is attached to
	// ("1:10"), or the queue of a multiqueue root (":1" under mq).
	Parent Handle
	// RefCount is tcm_info, the kernel's reference count (tc prints it as
	// refcnt when it is not 1). Reported only.
	RefCount uint32
	Kind     string // TCA_KIND
	// HWOffload is TCA_HW_OFFLOAD: the qdisc is offloaded to the device.
	// Reported only.
	HWOffload bool
	// IngressBlock and EgressBlock are the shared filter blocks of an
	// ingress or clsact qdisc (TCA_INGRESS_BLOCK, TCA_EGRESS_BLOCK), 0 if
	// none. Writes send them when not 0.
	IngressBlock uint32
	EgressBlock  uint32
	// Stats are the qdisc's counters (TCA_STATS2). Reported only.
	Stats TCStats
	// HTB, TBF and FIFO are the options of those kinds (Kind "htb";
	// "tbf"; "pfifo", "bfifo" and "pfifo_head_drop"); the others stay
	// zero. Writes encode the one Kind names.
	HTB  HTBQdisc
	TBF  TBFQdisc
	FIFO FIFOQdisc
	// Options is TCA_OPTIONS raw. Writes send it as given for a kind
	// without typed options (nil: none), and ignore it for the others.
	Options []byte
	// XStats is TCA_XSTATS raw: the kind's own statistics.
	XStats []byte
	// Attrs is every attribute of the message after the tcmsg header,
	// raw. Writes ignore it.
	Attrs []byte
}

// FIFOQdisc is the option of pfifo, bfifo and pfifo_head_drop (struct
// tc_fifo_qopt).
type FIFOQdisc struct {
	// Limit is the queue's length: in packets for pfifo and
	// pfifo_head_drop, in bytes for bfifo. A write of 0 sends no options,
	// and the kernel takes the device's txqueuelen (times its MTU for
	// bfifo).
	Limit uint32
}

// tcAttrNames names the attributes Decode checks, for errors.
var tcAttrNames = [...]string{
	nlmsg.TCAKind: "TCA_KIND", nlmsg.TCAOptions: "TCA_OPTIONS", nlmsg.TCAStats: "TCA_STATS",
	nlmsg.TCAXStats: "TCA_XSTATS", nlmsg.TCAStats2: "TCA_STATS2", nlmsg.TCAChain: "TCA_CHAIN",
	nlmsg.TCAHWOffload: "TCA_HW_OFFLOAD", nlmsg.TCAIngressBlock: "TCA_INGRESS_BLOCK",
	nlmsg.TCAEgressBlock: "TCA_EGRESS_BLOCK",
}

func tcAttrErr(object string, a nlmsg.Attr, err error) error {
	name := "rtattr"
	if t := a.Type(); int(t) < len(tcAttrNames) && tcAttrNames[t] != "" {
		name = tcAttrNames[t]
	}
	return &AttrError{Object: object, Attr: name, Offset: nlmsg.TcMsgLen + a.Offset(), Err: err}
}

// tcMessage is what a qdisc's and a class's messages share: the header and
// the attributes both decode the same way.
type tcMessage struct {
	h         nlmsg.TcMsg
	attrs     []byte
	kind      string
	options   nlmsg.Attr
	hasOpts   bool
	xstats    []byte
	hwOffload bool
	ingress   uint32
	egress    uint32
}

// decode reads payload's tcmsg and common attributes into m and st.
func (m *tcMessage) decode(object string, payload []byte, st *TCStats) error {
	attrs, err := m.h.Decode(payload)
	if err != nil {
		return &AttrError{Object: object, Attr: "tcmsg", Offset: 0, Err: err}
	}
	m.attrs = attrs
	*st = TCStats{}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case nlmsg.TCAKind:
			m.kind = names.String(a.StringBytes())
		case nlmsg.TCAOptions:
			m.options, m.hasOpts = a, true
		case nlmsg.TCAXStats:
			m.xstats = a.Data()
		case nlmsg.TCAStats2:
			err = st.decode(a.Data())
		case nlmsg.TCAHWOffload:
			var v uint8
			v, err = a.Uint8()
			m.hwOffload = v != 0
		case nlmsg.TCAIngressBlock:
			m.ingress, err = a.Uint32()
		case nlmsg.TCAEgressBlock:
			m.egress, err = a.Uint32()
		}
		if err != nil {
			return tcAttrErr(object, a, err)
		}
	}
	if err := s.Err(); err != nil {
		return scanErr(object, "rtattr", nlmsg.TcMsgLen, err)
	}
	return nil
}

// optionsOffset is the offset in the payload of TCA_OPTIONS's data.
func (m *tcMessage) optionsOffset() int {
	return nlmsg.TcMsgLen + m.options.Offset() + nlmsg.AttrHeaderLen
}

// optErr is an *AttrError for the attribute name inside TCA_OPTIONS, at
// offset off of the options' data.
func (m *tcMessage) optErr(object, name string, off int, err error) error {
	return &AttrError{Object: object, Attr: name, Offset: m.optionsOffset() + off, Err: err}
}

// scanOptions calls fn for each attribute inside TCA_OPTIONS; the
// *AttrError of one it fails on is named by names, indexed by type.
func (m *tcMessage) scanOptions(object string, names []string, fn func(a nlmsg.Attr) error) error {
	s := nlmsg.NewAttrScanner(m.options.Data())
	for s.Next() {
		a := s.Attr()
		if err := fn(a); err != nil {
			name := "TCA_OPTIONS"
			if t := int(a.Type()); t < len(names) && names[t] != "" {
				name = names[t]
			}
			return m.optErr(object, name, a.Offset(), err)
		}
	}
	if err := s.Err(); err != nil {
		return m.optErr(object, "TCA_OPTIONS", 0, err)
	}
	return nil
}

// shortStruct is the error of an attribute shorter than the struct it
// carries.
func shortStruct(what string, have, want int) error {
	return &nlmsg.FormatError{What: what, Len: have, Left: want, Err: nlmsg.ErrBadSize}
}

// Decode reads one RTM_NEWQDISC or RTM_DELQDISC payload (after the netlink
// header) into q, replacing every field. It allocates nothing once the
// kind's name has been seen; q then points into payload (see Qdisc). A
// malformed header or attribute, options included, gives an *AttrError
// naming it, and q is then partly filled.
func (q *Qdisc) Decode(payload []byte) error {
	var m tcMessage
	*q = Qdisc{}
	if err := m.decode("qdisc", payload, &q.Stats); err != nil {
		return err
	}
	q.LinkIndex = int(m.h.IfIndex)
	q.Handle, q.Parent, q.RefCount = Handle(m.h.Handle), Handle(m.h.Parent), m.h.Info
	q.Kind, q.HWOffload, q.IngressBlock, q.EgressBlock = m.kind, m.hwOffload, m.ingress, m.egress
	q.XStats, q.Attrs = m.xstats, m.attrs
	if !m.hasOpts {
		return nil
	}
	q.Options = m.options.Data()
	switch q.Kind {
	case "htb":
		return q.HTB.decode(&m)
	case "tbf":
		return q.TBF.decode(&m)
	case "pfifo", "bfifo", "pfifo_head_drop":
		if len(q.Options) < nlmsg.TcFifoQoptLen {
			return m.optErr("qdisc", "tc_fifo_qopt", 0, shortStruct("tc_fifo_qopt", len(q.Options), nlmsg.TcFifoQoptLen))
		}
		q.FIFO.Limit = nativeU32(q.Options)
	}
	return nil
}

// Clone returns a copy of q that owns its memory: it stays valid after the
// buffer q points into is reused. It allocates the copies of Attrs,
// Options, XStats and Stats.App (once each, when not empty).
func (q *Qdisc) Clone() Qdisc {
	c := *q
	c.Attrs, c.Options, c.XStats = bytes.Clone(q.Attrs), bytes.Clone(q.Options), bytes.Clone(q.XStats)
	c.Stats.App = bytes.Clone(q.Stats.App)
	return c
}

// nativeU32 reads a host-order u32 from the first 4 bytes of b.
func nativeU32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
