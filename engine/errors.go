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

// ErrTruncated is reported when a datagram was larger than the receive
// buffer. The datagram is lost; the Conn grows its buffers so a retry fits.
var ErrTruncated = errors.New("datagram larger than the receive buffer was truncated")

// ErrOverrun is reported by Receive and Notifications when notifications
// were lost because the Conn's own notification queue was full (the reader
// was too slow). Kernel-side losses are reported as unix.ENOBUFS.
var ErrOverrun = errors.New("notification queue overrun: notifications were lost")

// OpError is the error of every Conn method that fails. Err is the cause:
// a syscall.Errno from the kernel (so errors.Is(err, unix.EEXIST) works),
// net.ErrClosed, ErrDumpInterrupted, an nlmsg.FormatError, or a context
// error. Message and Offset carry the kernel's extended acknowledgement.
//
// NB: every non-nil error returned by this package's Conn methods is an
// *OpError, except ctx.Err() values, which are returned as they are.
type OpError struct {
	Op       string     // "request", "dump", "batch", "receive", "connect", ...
	Type     nlmsg.Type // the request's message type, 0 if none
	Seq      uint32     // the request's sequence number, 0 if none
	Err      error
	Message  string // NLMSGERR_ATTR_MSG, the kernel's explanation
	Offset   int    // NLMSGERR_ATTR_OFFS: byte offset of the bad attribute in the request, -1 if none
	MissType int    // NLMSGERR_ATTR_MISS_TYPE: type of a missing attribute, -1 if none
}

// Error reads "nlengine: OP type T seq S: cause: kernel text (attribute at offset N)".
func (e *OpError) Error() string {
	var sb strings.Builder
	sb.WriteString("nlengine: ")
	sb.WriteString(e.Op)
	if e.Type != 0 {
		sb.WriteString(" type ")
		sb.WriteString(e.Type.String())
	}
	if e.Seq != 0 {
		sb.WriteString(" seq ")
		sb.WriteString(strconv.FormatUint(uint64(e.Seq), 10))
	}
	sb.WriteString(": ")
	if e.Err != nil {
		sb.WriteString(e.Err.Error())
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
	return sb.String()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

func opErr(op string, t nlmsg.Type, seq uint32, err error) *OpError {
	return &OpError{Op: op, Type: t, Seq: seq, Err: err, Offset: -1, MissType: -1}
}

// kernelErr turns an errno and extended ack into an *OpError.
func kernelErr(op string, t nlmsg.Type, seq uint32, errno error, ext *nlmsg.ExtAck) *OpError {
	e := opErr(op, t, seq, errno)
	if ext != nil {
		e.Message = string(ext.Msg)
		if ext.HasOffset {
			// The kernel counts from the start of the request's header.
			e.Offset = int(ext.Offset)
		}
		if ext.HasMissType {
			e.MissType = int(ext.MissType)
		}
	}
	return e
}
