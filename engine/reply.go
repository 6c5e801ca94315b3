//go:build linux

package engine

import (
	"encoding/binary"
	"syscall"

	"github.com/nlengine/nlengine/nlmsg"
)

// replyScan reads the datagrams of one request's answer, in order, and
// keeps what decides its result: the kernel's error (from NLMSG_ERROR, or
// NLMSG_DONE for a dump), whether the dump was interrupted, and the first
// error of the caller's function, after which fn is called no more.
type replyScan struct {
	kerr, fnErr error
	intr        bool
}

// scan passes each message of buf that is not a control message to fn, in
// place. op, typ, seq and kind are the request's, for the errors.
func (r *replyScan) scan(c *Conn, op string, typ nlmsg.Type, seq uint32, kind pendingKind, buf *rxBuf, fn func(nlmsg.View) error) {
	s := nlmsg.NewScanner(buf.b[:buf.n])
	for s.Next() {
		v := s.View()
		if v.Flags()&nlmsg.DumpIntr != 0 {
			r.intr = true
		}
		switch v.Type() {
		case nlmsg.Error:
			if b := v.Payload(); len(b) == 4+nlmsg.HeaderLen && v.Flags()&nlmsg.AckTLVs == 0 && binary.NativeEndian.Uint32(b) == 0 {
				// A plain ack (errno 0, the echoed header alone, no TLVs):
				// what ParseError would find, without decoding the echo.
				continue
			}
			body, err := nlmsg.ParseError(v)
			r.status(c, op, typ, seq, body.Errno, &body.Ext, err)
		case nlmsg.Done:
			if kind != kindDump {
				continue
			}
			body, err := nlmsg.ParseDone(v)
			r.status(c, op, typ, seq, body.Errno, &body.Ext, err)
		case nlmsg.Noop:
		default:
			if r.fnErr == nil {
				r.fnErr = fn(v)
			}
		}
	}
	if err := s.Err(); err != nil && r.kerr == nil {
		r.kerr = c.opErr(op, typ, seq, err)
	}
}

// status records what an NLMSG_ERROR or NLMSG_DONE said: the error that
// parsing it met, else its errno with the extended ack, else nothing.
func (r *replyScan) status(c *Conn, op string, typ nlmsg.Type, seq uint32, errno syscall.Errno, ext *nlmsg.ExtAck, parseErr error) {
	switch {
	case parseErr != nil:
		r.kerr = c.opErr(op, typ, seq, parseErr)
	case errno != 0:
		r.kerr = c.kernelErr(op, typ, seq, errno, ext)
	}
}

// result is the answer's outcome once every datagram was scanned: fn's
// error first, then the kernel's, then ErrDumpInterrupted.
func (r *replyScan) result(c *Conn, op string, typ nlmsg.Type, seq uint32) error {
	switch {
	case r.fnErr != nil:
		return r.fnErr
	case r.kerr != nil:
		return r.kerr
	case r.intr:
		return c.opErr(op, typ, seq, ErrDumpInterrupted)
	}
	return nil
}
