package rtnl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// NSIDNotAssigned is the id of a namespace to which the asking namespace
// gave none (NETNSA_NSID_NOT_ASSIGNED); given to SetNetNSIDByFD or
// SetNetNSIDByPID, it lets the kernel choose the id (ip netns set NAME
// auto).
const NSIDNotAssigned = -1

// NSID is a network namespace id (RTM_NEWNSID, RTM_DELNSID): the number by
// which one namespace knows a peer namespace, as ip netns list-id prints
// it. Ids are per namespace: a peer may have another id, or none, in a
// third namespace.
//
// A decoded NSID points into its message (Attrs): valid until the next
// step of the NetNSIDs iterator; Clone keeps one. Not safe for concurrent
// use while being decoded into.
type NSID struct {
	// ID is the peer's id (NETNSA_NSID) in the namespace that answered or,
	// for a dump with a target, in the target; NSIDNotAssigned when it has
	// none.
	ID int
	// CurrentID is the id the Conn's own namespace gives the same peer
	// (NETNSA_CURRENT_NSID, ip's "current-nsid"), when HasCurrentID: only
	// answers to a query with a target carry it. NSIDNotAssigned when the
	// Conn's namespace gives the peer no id.
	CurrentID    int
	HasCurrentID bool
	// Attrs is every attribute after the rtgenmsg header, raw.
	Attrs []byte
}

var nsidAttrNames = [...]string{
	nlmsg.NETNSANSID: "NETNSA_NSID", nlmsg.NETNSAPID: "NETNSA_PID", nlmsg.NETNSAFD: "NETNSA_FD",
	nlmsg.NETNSATargetNSID: "NETNSA_TARGET_NSID", nlmsg.NETNSACurrentNSID: "NETNSA_CURRENT_NSID",
}

// nsidAttrsAt is where the attributes of an RTM_*NSID payload start: after
// the rtgenmsg and its padding.
var nsidAttrsAt = nlmsg.Align(nlmsg.RtGenMsgLen)

// Decode reads one RTM_NEWNSID or RTM_DELNSID payload into n, replacing
// every field, without allocating; n then points into payload (Attrs). A
// message without NETNSA_NSID, or with a malformed attribute, gives an
// *AttrError naming it.
func (n *NSID) Decode(payload []byte) error {
	_, attrs, err := nlmsg.DecodeRtGenMsg(payload)
	if err != nil {
		return &AttrError{Object: "nsid", Attr: "rtgenmsg", Offset: 0, Err: err}
	}
	*n = NSID{ID: NSIDNotAssigned, Attrs: attrs}
	seen := false
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var v int32
		var err error
		switch a.Type() {
		case nlmsg.NETNSANSID:
			v, err = a.Int32()
			n.ID, seen = int(v), err == nil
		case nlmsg.NETNSACurrentNSID:
			v, err = a.Int32()
			n.CurrentID, n.HasCurrentID = int(v), err == nil
		}
		if err != nil {
			return &AttrError{Object: "nsid", Attr: nsidAttrNames[a.Type()], Offset: nsidAttrsAt + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("nsid", "nlattr", nsidAttrsAt, err)
	}
	if !seen {
		return &AttrError{Object: "nsid", Attr: "NETNSA_NSID", Offset: -1, Err: errMissingAttr}
	}
	return nil
}

// errMissingAttr is the cause in an AttrError for an attribute a message
// must carry and does not.
var errMissingAttr = errors.New("missing")

// Clone returns a copy of n that owns its memory (its Attrs).
func (n *NSID) Clone() NSID {
	c := *n
	c.Attrs = bytes.Clone(n.Attrs)
	return c
}

// NSIDFilter selects what NetNSIDs lists. The zero filter lists the ids
// the Conn's own namespace gave (ip netns list-id). A plain value.
type NSIDFilter struct {
	// Target, when HasTarget, lists instead the ids given by the
	// namespace that the Conn's namespace calls Target, each with the id
	// the Conn's namespace gives the same peer in CurrentID (ip netns
	// list-id target-nsid N). The kernel applies it only with
	// NETLINK_GET_STRICT_CHK on (Dial's Conn); on another Conn NetNSIDs
	// refuses it before sending, with an error that errors.Is ErrInvalid.
	Target    int
	HasTarget bool
}

// NetNSIDs dumps the namespace ids f selects (RTM_GETNSID with NLM_F_DUMP)
// and yields each in place: one NSID, reused, valid only until the next
// step of the loop (Clone keeps one). Decoding allocates nothing. Errors
// end the loop: the engine's (*engine.OpError, passed through) or an
// *AttrError. Breaking out of the loop is safe. Safe for concurrent use.
func (c *Conn) NetNSIDs(ctx context.Context, f NSIDFilter) iter.Seq2[*NSID, error] {
	return func(yield func(*NSID, error) bool) {
		var reqBuf [16]byte
		req := nlmsg.RtGenMsg{}.AppendTo(reqBuf[:0])
		if f.HasTarget {
			if !c.strict {
				yield(nil, fmt.Errorf("%w: a target namespace needs NETLINK_GET_STRICT_CHK, which this Conn has off", ErrInvalidNSID))
				return
			}
			req = appendU32Attr(req, nlmsg.NETNSATargetNSID, uint32(int32(f.Target)))
		}
		var n NSID
		for v, err := range dumpInto(ctx, c, nlmsg.RTMGetNSID, req, nlmsg.RTMNewNSID, &n, (*NSID).Decode, nil) {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// NetNSIDList is NetNSIDs collected into owned values (each a Clone), valid
// for ever. On error it returns the ids read so far and the error. Safe for
// concurrent use.
func (c *Conn) NetNSIDList(ctx context.Context, f NSIDFilter) ([]NSID, error) {
	return collect(c.NetNSIDs(ctx, f), (*NSID).Clone)
}

// ErrInvalidNSID is wrapped by the error of a namespace id call refused
// before anything is sent: a negative file descriptor, a pid that is not
// positive, an id below NSIDNotAssigned, a target on a Conn without strict
// checking. It errors.Is ErrInvalid.
var ErrInvalidNSID error = invalidError("rtnl: invalid namespace id request")

// NetNSIDByFD returns the id the Conn's namespace gives the namespace fd
// refers to (an open /proc/PID/ns/net or /run/netns/NAME), or
// NSIDNotAssigned when it gives none (RTM_GETNSID with NETNSA_FD, as ip
// does for ip netns list-id's names). fd stays the caller's. The kernel's
// errors are *engine.OpError values: EBADF for a closed fd, EINVAL for one
// that is not a network namespace. Safe for concurrent use.
func (c *Conn) NetNSIDByFD(ctx context.Context, fd int) (int, error) {
	if fd < 0 {
		return 0, fmt.Errorf("%w: fd %d", ErrInvalidNSID, fd)
	}
	return c.getNSID(ctx, nlmsg.NETNSAFD, uint32(fd))
}

// NetNSIDByPID returns the id the Conn's namespace gives the network
// namespace of process pid, or NSIDNotAssigned when it gives none. A
// process that does not exist is the kernel's ESRCH. Safe for concurrent
// use.
func (c *Conn) NetNSIDByPID(ctx context.Context, pid int) (int, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("%w: pid %d", ErrInvalidNSID, pid)
	}
	return c.getNSID(ctx, nlmsg.NETNSAPID, uint32(pid))
}

func (c *Conn) getNSID(ctx context.Context, by uint16, v uint32) (int, error) {
	var reqBuf [16]byte
	req := appendNSIDPeer(reqBuf[:0], by, v)
	id, found := NSIDNotAssigned, false
	var n NSID
	err := c.ec.RequestFunc(ctx, nlmsg.RTMGetNSID, req, 0, func(v nlmsg.View) error {
		if v.Type() != nlmsg.RTMNewNSID || found {
			return nil
		}
		if err := n.Decode(v.Payload()); err != nil {
			return err
		}
		id, found = n.ID, true
		return nil
	})
	if err == nil && !found {
		err = &AttrError{Object: "nsid", Attr: "RTM_NEWNSID", Offset: -1, Err: errMissingAttr}
	}
	return id, err
}

// SetNetNSIDByFD makes the Conn's namespace call the namespace fd refers
// to id (RTM_NEWNSID, ip netns set NAME ID); id NSIDNotAssigned lets the
// kernel choose, and NetNSIDByFD tells which it chose. An id cannot be
// changed or removed: the kernel answers EEXIST when the namespace has
// one or id is taken, and drops the id when the peer namespace dies.
// Safe for concurrent use.
func (c *Conn) SetNetNSIDByFD(ctx context.Context, fd, id int) error {
	if fd < 0 {
		return fmt.Errorf("%w: fd %d", ErrInvalidNSID, fd)
	}
	return c.setNSID(ctx, nlmsg.NETNSAFD, uint32(fd), id)
}

// SetNetNSIDByPID is SetNetNSIDByFD for the network namespace of process
// pid. Safe for concurrent use.
func (c *Conn) SetNetNSIDByPID(ctx context.Context, pid, id int) error {
	if pid <= 0 {
		return fmt.Errorf("%w: pid %d", ErrInvalidNSID, pid)
	}
	return c.setNSID(ctx, nlmsg.NETNSAPID, uint32(pid), id)
}

func (c *Conn) setNSID(ctx context.Context, by uint16, v uint32, id int) error {
	if id < NSIDNotAssigned || id > 1<<31-1 {
		return fmt.Errorf("%w: id %d", ErrInvalidNSID, id)
	}
	return c.write(ctx, nlmsg.RTMNewNSID, 0, func(b []byte) ([]byte, error) { return appendNSIDAssign(b, by, v, id), nil })
}

// appendNSIDAssign appends the RTM_NEWNSID payload that gives the peer
// namespace named by by and v the id id.
func appendNSIDAssign(b []byte, by uint16, v uint32, id int) []byte {
	return appendU32Attr(appendNSIDPeer(b, by, v), nlmsg.NETNSANSID, uint32(int32(id)))
}

// appendNSIDPeer appends an RTM_*NSID payload that names the peer
// namespace: the rtgenmsg and NETNSA_FD or NETNSA_PID (by) of value v, as
// ip sends them.
func appendNSIDPeer(b []byte, by uint16, v uint32) []byte {
	return appendU32Attr(nlmsg.RtGenMsg{}.AppendTo(b), by, v)
}
