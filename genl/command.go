package genl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// Message is one generic netlink message in place: its genlmsghdr decoded,
// the family's own header and the attributes as slices of the receive
// buffer. It is valid only until the callback or loop body that received it
// returns; copy what must outlive that.
type Message struct {
	Family  uint16      // the nlmsghdr type: the family's id
	Flags   nlmsg.Flags // the nlmsghdr flags
	Cmd     uint8       // genlmsghdr cmd
	Version uint8       // genlmsghdr version
	Header  []byte      // the family's own header (Family.HdrSize bytes), usually empty
	Attrs   []byte      // the attributes after the headers
}

// AttrScanner returns a scanner over m's attributes.
func (m Message) AttrScanner() nlmsg.AttrScanner { return nlmsg.NewAttrScanner(m.Attrs) }

// ParseMessage decodes v as a generic netlink message of a family whose own
// header is hdrSize bytes (Family.HdrSize). It fails with a *DecodeError
// when the payload is shorter than the headers. It does not allocate unless
// it fails.
func ParseMessage(v nlmsg.View, hdrSize uint32) (Message, error) {
	h, rest, err := nlmsg.DecodeGenlMsgHdr(v.Payload())
	if err != nil {
		return Message{}, &DecodeError{Msg: "genlmsghdr", Offset: -1, Err: err}
	}
	if uint64(len(rest)) < uint64(hdrSize) {
		return Message{}, &DecodeError{Msg: "family header", Offset: -1, Err: &nlmsg.FormatError{What: "family header", Len: len(rest), Left: int(hdrSize), Err: nlmsg.ErrBadSize}}
	}
	return Message{
		Family: uint16(v.Type()), Flags: v.Flags(), Cmd: h.Cmd, Version: h.Version,
		Header: rest[:hdrSize:hdrSize], Attrs: rest[hdrSize:],
	}, nil
}

// request encodes cmd for f into a pooled Builder: the genlmsghdr with the
// family's version, then whatever build appends.
func request(f *Family, cmd uint8, build func(*nlmsg.Builder)) *nlmsg.Builder {
	b := getBuilder()
	nlmsg.AppendFamilyHeader(b, nlmsg.GenlMsgHdr{Cmd: cmd, Version: uint8(f.Version)})
	if build != nil {
		build(b)
	}
	return b
}

// Execute sends command cmd to the family called family and calls fn with
// each message of the answer, in place, until the kernel's ack. The family
// is resolved on first use and cached. The genlmsghdr (cmd and the family's
// version) is encoded here; build, if not nil, appends the rest of the
// request to the Builder it is given: the family's own header first if it
// has one (Family.HdrSize), then attributes. The Builder is only valid
// during build. NLM_F_REQUEST and NLM_F_ACK are added to flags; include
// nlmsg.Dump for a dump, or use Dump.
//
// Errors: the kernel's (an *engine.OpError, errors.Is the errno: ENOENT
// for an unknown family, EOPNOTSUPP for a command it lacks), a *DecodeError
// for a reply too short for its headers, or fn's error, which stops the
// request (the rest of the answer is drained). Execute does not allocate
// once the family is cached and the pools are warm.
func (c *Conn) Execute(ctx context.Context, family string, cmd uint8, flags nlmsg.Flags, build func(*nlmsg.Builder), fn func(Message) error) error {
	f, err := c.resolve(ctx, family)
	if err != nil {
		return err
	}
	b := request(f, cmd, build)
	hdr := f.HdrSize
	err = c.ec.RequestFunc(ctx, nlmsg.Type(f.ID), b.Bytes(), flags, func(v nlmsg.View) error {
		m, err := ParseMessage(v, hdr)
		if err != nil {
			return err
		}
		return fn(m)
	})
	putBuilder(b)
	return err
}

// Dump sends command cmd to the family called family as a dump
// (nlmsg.Dump is added to flags) and yields its messages in place as they
// arrive, like engine.Conn.Dump: each Message is valid only until the loop
// body returns, memory stays flat, breaking out is safe. build is as for
// Execute. Errors are yielded last with a zero Message: the kernel's, a
// *DecodeError for a message too short for its headers (the dump stops),
// engine.ErrDumpInterrupted after all messages, or ctx.Err().
func (c *Conn) Dump(ctx context.Context, family string, cmd uint8, flags nlmsg.Flags, build func(*nlmsg.Builder)) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		f, err := c.resolve(ctx, family)
		if err != nil {
			yield(Message{}, err)
			return
		}
		b := request(f, cmd, build)
		// NB: engine.Dump copies the payload before its first yield, but b
		// is only given back once the loop is over, to keep that an
		// engine detail.
		defer putBuilder(b)
		for v, err := range c.ec.Dump(ctx, nlmsg.Type(f.ID), b.Bytes(), flags) {
			if err != nil {
				yield(Message{}, err)
				return
			}
			m, err := ParseMessage(v, f.HdrSize)
			if err != nil {
				yield(Message{}, err)
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// Notifications yields the Conn's multicast notifications (see JoinGroup)
// in place, like engine.Conn.Notifications: each Message is valid only
// until the loop body returns. The family header size of a message is taken
// from the cache (families resolved by this Conn); messages of other
// families are decoded as if they had none. A loss is yielded as (zero
// Message, error) and the loop goes on; it ends when ctx ends or the Conn
// closes. A message too short for a genlmsghdr is yielded as a
// *DecodeError and skipped.
func (c *Conn) Notifications(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for v, err := range c.ec.Notifications(ctx) {
			if err != nil {
				if !yield(Message{}, err) {
					return
				}
				continue
			}
			var hdr uint32
			c.mu.RLock()
			if f := c.byID[uint16(v.Type())]; f != nil {
				hdr = f.HdrSize
			}
			c.mu.RUnlock()
			m, err := ParseMessage(v, hdr)
			if !yield(m, err) {
				return
			}
		}
	}
}
