package rtnl

import (
	"bytes"
)

// Class is a traffic class of a classful qdisc (RTM_NEWTCLASS), with the
// fields `tc -s -d class show` prints. The options of htb classes are
// decoded into HTB; every kind's are also kept raw in Options.
//
// A Class filled by Decode, or by the Classes iterator, points into the
// message it was decoded from (Options, XStats, Stats.App, Attrs): it is
// valid until that buffer is reused, that is until the next step of the
// iterator. Clone makes an owned copy; ClassList returns owned values. Not
// safe for concurrent use while being decoded into.
type Class struct {
	LinkIndex int // tcm_ifindex
	// Handle is the class id, major:minor with the major of its qdisc
	// ("1:10").
	Handle Handle
	// Parent is the class's parent class, or HandleRoot for a top class
	// of its qdisc (tc prints "root"); a write may name the qdisc itself
	// ("1:") for a top class, as tc does.
	Parent Handle
	// Leaf is the handle of the qdisc attached to a leaf class (tcm_info;
	// tc prints "leaf 10:"), HandleNone for an inner class. Reported only.
	Leaf Handle
	Kind string // TCA_KIND: the kind of the class's qdisc
	// Stats are the class's counters (TCA_STATS2). Reported only.
	Stats TCStats
	// HTB is the options of an htb class; zero for other kinds. Writes
	// encode it when Kind is "htb".
	HTB HTBClass
	// Options is TCA_OPTIONS raw. Writes send it as given for a kind
	// without typed options (nil: none), and ignore it for htb.
	Options []byte
	// XStats is TCA_XSTATS raw: the kind's own statistics (struct
	// tc_htb_xstats for htb).
	XStats []byte
	// Attrs is every attribute of the message after the tcmsg header,
	// raw. Writes ignore it.
	Attrs []byte
}

// Decode reads one RTM_NEWTCLASS or RTM_DELTCLASS payload (after the
// netlink header) into c, replacing every field. It allocates nothing
// once the kind's name has been seen; c then points into payload (see
// Class). A malformed header or attribute, options included, gives an
// *AttrError naming it, and c is then partly filled.
func (c *Class) Decode(payload []byte) error {
	var m tcMessage
	*c = Class{}
	if err := m.decode("class", payload, &c.Stats); err != nil {
		return err
	}
	c.LinkIndex = int(m.h.IfIndex)
	c.Handle, c.Parent, c.Leaf = Handle(m.h.Handle), Handle(m.h.Parent), Handle(m.h.Info)
	c.Kind, c.XStats, c.Attrs = m.kind, m.xstats, m.attrs
	if !m.hasOpts {
		return nil
	}
	c.Options = m.options.Data()
	if c.Kind == "htb" {
		return c.HTB.decode(&m)
	}
	return nil
}

// Clone returns a copy of c that owns its memory: it stays valid after the
// buffer c points into is reused. It allocates the copies of Attrs,
// Options, XStats and Stats.App (once each, when not empty).
func (c *Class) Clone() Class {
	o := *c
	o.Attrs, o.Options, o.XStats = bytes.Clone(c.Attrs), bytes.Clone(c.Options), bytes.Clone(c.XStats)
	o.Stats.App = bytes.Clone(c.Stats.App)
	return o
}
