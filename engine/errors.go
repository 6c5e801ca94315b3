package engine

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// ErrDumpInterrupted is reported, after all the messages of a dump, when the
// kernel set NLM_F_DUMP_INTR: the data changed while it was being dumped, so
// the messages may be inconsistent. Repeat the dump for a consistent view.
var ErrDumpInterrupted = errors.New("dump interrupted (NLM_F_DUMP_INTR): the data changed during the dump")

// ErrDatagramTruncated is reported when a datagram was larger than the
// Conn's read buffer (WithReadBufferSize). The datagram is lost; the Conn
// grows its read buffers so that a retry fits. It is not nlmsg.ErrTruncated,
// which is about a message shorter than its header says.
var ErrDatagramTruncated = errors.New("datagram larger than the read buffer was truncated")

// ErrTruncated is the old name of ErrDatagramTruncated.
//
// Deprecated: use ErrDatagramTruncated; nlmsg.ErrTruncated is another fault.
var ErrTruncated = ErrDatagramTruncated

// ErrNotSupported is the cause of Connect's error on an operating system
// without netlink (any but Linux). The package builds everywhere so that
// code using it compiles everywhere.
var ErrNotSupported = errors.New("netlink is not supported on this operating system (Linux only)")

// ErrOverrun is reported by Receive and Notifications when notifications
// were lost because the Conn's own notification queue was full (the reader
// was too slow). Kernel-side losses are reported as unix.ENOBUFS.
var ErrOverrun = errors.New("notification queue overrun: notifications were lost")

// OpError is the error of every Conn method that fails. Err is the cause:
//
//   - a syscall.Errno the kernel sent in NLMSG_ERROR or NLMSG_DONE, as it
//     is, so errors.Is(err, unix.EEXIST) works;
//   - an *os.SyscallError when a system call itself failed (sendmsg,
//     recvmsg, setsockopt, socket, ...): the kernel refused to carry the
//     message rather than answered it. errors.Is sees its errno too: a
//     receive overrun is an *os.SyscallError for recvmsg with unix.ENOBUFS;
//   - net.ErrClosed, ErrDumpInterrupted, ErrDatagramTruncated,
//     ErrDumpInBatch, a *WrongFamilyError, an *nlmsg.FormatError, or, for
//     Batch, a *BatchError.
//
// Message and Offset carry the kernel's extended acknowledgement.
//
// NB: every non-nil error returned by this package's Conn methods is an
// *OpError, except context errors (ctx.Err(), returned as they are) and
// the errors of the caller's own callbacks (RequestFunc's fn), which are
// returned unchanged.
type OpError struct {
	Op     string       // "request", "dump", "batch", "receive", "connect", ...
	Family nlmsg.Family // the Conn's family, which names Type
	Type   nlmsg.Type   // the request's message type, 0 if none
	Seq    uint32       // the request's sequence number, 0 if none
	// Index is the op's position in the slice given to Batch, -1 for
	// anything else.
	Index   int
	Err     error
	Message string // NLMSGERR_ATTR_MSG, the kernel's explanation
	// Offset is NLMSGERR_ATTR_OFFS, the byte offset of the attribute the
	// kernel rejected, counted from the start of the payload the caller
	// wrote (the 16-byte netlink header is not counted, as the caller did
	// not write it); -1 if the kernel named none, or named a byte of the
	// header.
	Offset   int
	MissType int // NLMSGERR_ATTR_MISS_TYPE: type of a missing attribute, -1 if none
}

// Error reads "nlengine: OP [op I] [TYPE] [seq S]: cause[: kernel text]
// [(attribute at offset N)]", e.g. "nlengine: batch op 1 RTM_NEWROUTE seq
// 25002: file exists". TYPE is the family's name for the type
// (nlmsg.TypeName).
func (e *OpError) Error() string {
	var sb strings.Builder
	sb.WriteString("nlengine: ")
	e.describe(&sb)
	return sb.String()
}

// describe writes the error without the "nlengine: " prefix, so that an
// error quoting another (BatchError) carries one prefix.
func (e *OpError) describe(sb *strings.Builder) {
	sb.WriteString(e.Op)
	if e.Index >= 0 {
		sb.WriteString(" op ")
		sb.WriteString(strconv.Itoa(e.Index))
	}
	if e.Type != 0 {
		sb.WriteString(" ")
		sb.WriteString(nlmsg.TypeName(e.Family, e.Type))
	}
	if e.Seq != 0 {
		sb.WriteString(" seq ")
		sb.WriteString(strconv.FormatUint(uint64(e.Seq), 10))
	}
	sb.WriteString(": ")
	if e.Err != nil {
		if be, ok := e.Err.(*BatchError); ok {
			be.describe(sb)
		} else {
			sb.WriteString(e.Err.Error())
		}
	}
	if e.Message != "" {
		sb.WriteString(": ")
		sb.WriteString(e.Message)
	}
	if e.Offset >= 0 {
		sb.WriteString(" (attribute at offset ")
		sb.WriteString(strconv.Itoa(e.Offset))
		sb.WriteString(")")
	}
	if e.MissType >= 0 {
		sb.WriteString(" (missing attribute type ")
		sb.WriteString(strconv.Itoa(e.MissType))
		sb.WriteString(")")
	}
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// BatchError is the Err of the *OpError Batch returns when some of its ops
// failed; each op's own Err says how.
type BatchError struct {
	Failed int   // how many ops failed
	Total  int   // how many ops the batch had
	First  error // the first failure in the caller's order: an *OpError naming the op's Index
}

// Error reads "batch: 1 of 2 ops failed, first: op 1 RTM_NEWROUTE seq
// 25002: file exists".
func (e *BatchError) Error() string {
	var sb strings.Builder
	e.describe(&sb)
	return sb.String()
}

func (e *BatchError) describe(sb *strings.Builder) {
	sb.WriteString(strconv.Itoa(e.Failed))
	sb.WriteString(" of ")
	sb.WriteString(strconv.Itoa(e.Total))
	sb.WriteString(" ops failed, first: ")
	switch first := e.First.(type) {
	case *OpError:
		// Without the first's "nlengine: batch": the OpError around e said it.
		var inner strings.Builder
		first.describe(&inner)
		sb.WriteString(strings.TrimPrefix(inner.String(), first.Op+" "))
	case nil:
	default:
		sb.WriteString(first.Error())
	}
}

// Unwrap returns the first failure, so errors.Is(err, unix.EEXIST) asks
// about it.
func (e *BatchError) Unwrap() error { return e.First }

// opErr builds the *OpError of a failure of op on c.
func (c *Conn) opErr(op string, t nlmsg.Type, seq uint32, err error) *OpError {
	return &OpError{Op: op, Family: c.family, Type: t, Seq: seq, Index: -1, Err: err, Offset: -1, MissType: -1}
}

// setupErr is the *OpError of a Connect that failed before a Conn existed.
func setupErr(family nlmsg.Family, err error) *OpError {
	return &OpError{Op: "connect", Family: family, Index: -1, Err: err, Offset: -1, MissType: -1}
}

// kernelErr turns an errno and extended ack into an *OpError.
func (c *Conn) kernelErr(op string, t nlmsg.Type, seq uint32, errno error, ext *nlmsg.ExtAck) *OpError {
	e := c.opErr(op, t, seq, errno)
	if ext != nil {
		e.Message = string(ext.Msg)
		// NB: the kernel counts from the start of the request's header;
		// the caller wrote what follows it.
		if ext.HasOffset && ext.Offset >= nlmsg.HeaderLen {
			e.Offset = int(ext.Offset) - nlmsg.HeaderLen
		}
		if ext.HasMissType {
			e.MissType = int(ext.MissType)
		}
	}
	return e
}
