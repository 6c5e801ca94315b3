package nlmsg

import (
	"encoding/binary"
	"syscall"
)

// Extended-ack attribute types (enum nlmsgerr_attrs).
const (
	ExtAckMsg      uint16 = 1 // NLMSGERR_ATTR_MSG: a NUL-terminated text
	ExtAckOffset   uint16 = 2 // NLMSGERR_ATTR_OFFS: u32 offset of the bad attribute in the request
	ExtAckCookie   uint16 = 3 // NLMSGERR_ATTR_COOKIE: opaque bytes
	ExtAckPolicy   uint16 = 4 // NLMSGERR_ATTR_POLICY: nested policy of the bad attribute
	ExtAckMissType uint16 = 5 // NLMSGERR_ATTR_MISS_TYPE: u32 type of a missing attribute
	ExtAckMissNest uint16 = 6 // NLMSGERR_ATTR_MISS_NEST: u32 offset of the nest that lacks it
)

// ExtAck holds the extended-ack TLVs of an NLMSG_ERROR or NLMSG_DONE. Its
// slices point into the scanned buffer (see View).
type ExtAck struct {
	Msg         []byte // NLMSGERR_ATTR_MSG without its NUL; nil when absent
	Offset      uint32 // NLMSGERR_ATTR_OFFS, valid when HasOffset
	HasOffset   bool
	Cookie      []byte // NLMSGERR_ATTR_COOKIE
	Policy      []byte // NLMSGERR_ATTR_POLICY, raw nested attributes
	MissType    uint32 // NLMSGERR_ATTR_MISS_TYPE, valid when HasMissType
	HasMissType bool
	MissNest    uint32 // NLMSGERR_ATTR_MISS_NEST, valid when HasMissNest
	HasMissNest bool
}

// Empty reports whether no TLV was present.
func (e *ExtAck) Empty() bool {
	return e.Msg == nil && !e.HasOffset && e.Cookie == nil && e.Policy == nil && !e.HasMissType && !e.HasMissNest
}

func parseExtAck(b []byte, base int) (ExtAck, error) {
	var x ExtAck
	s := NewAttrScanner(b)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case ExtAckMsg:
			x.Msg = a.StringBytes()
		case ExtAckOffset:
			x.Offset, err = a.Uint32()
			x.HasOffset = err == nil
		case ExtAckCookie:
			x.Cookie = a.Data()
		case ExtAckPolicy:
			x.Policy = a.Data()
		case ExtAckMissType:
			x.MissType, err = a.Uint32()
			x.HasMissType = err == nil
		case ExtAckMissNest:
			x.MissNest, err = a.Uint32()
			x.HasMissNest = err == nil
		}
		if err != nil {
			fe := err.(*FormatError)
			fe.What = "extended ack attribute"
			fe.Offset += base
			return x, fe
		}
	}
	if err := s.Err(); err != nil {
		fe := err.(*FormatError)
		fe.What = "extended ack attribute"
		fe.Offset += base
		return x, fe
	}
	return x, nil
}

func errnoOf(v int32) syscall.Errno {
	if v < 0 {
		return syscall.Errno(-int64(v))
	}
	return syscall.Errno(v)
}

// ErrorBody is the decoded payload of an NLMSG_ERROR message: an
// acknowledgement when Errno is 0, a failure otherwise. Its slices point into
// the scanned buffer (see View).
type ErrorBody struct {
	Errno          syscall.Errno // 0 for an ack; errors.Is works against unix.E* values
	Request        Header        // the header of the request this answers
	RequestPayload []byte        // the echoed request payload; nil when Capped
	Capped         bool          // NLM_F_CAPPED: only the request header was echoed
	Ext            ExtAck        // the TLVs, when NLM_F_ACK_TLVS is set
}

// ParseError decodes v, which must be an NLMSG_ERROR message. It honours
// NLM_F_CAPPED (no echoed payload) and NLM_F_ACK_TLVS (TLVs after the echoed
// request), and returns a *FormatError for a body that is too short, an
// echoed length that overruns, or TLVs that overrun. It does not allocate
// unless it fails.
func ParseError(v View) (ErrorBody, error) {
	p := v.Payload()
	const fixed = 4 + HeaderLen // struct nlmsgerr
	if len(p) < fixed {
		return ErrorBody{}, &FormatError{What: "error body", Offset: HeaderLen, Len: len(p), Left: fixed, Err: ErrBadSize}
	}
	body := ErrorBody{
		Errno:  errnoOf(int32(binary.NativeEndian.Uint32(p))),
		Capped: v.Flags()&Capped != 0,
	}
	body.Request, _ = DecodeHeader(p[4:])
	rest := fixed
	// Without NLM_F_CAPPED the whole request is echoed, unless the body ends
	// after the echoed header (old kernels and other senders do that).
	if !body.Capped && len(p) > fixed {
		n := int(body.Request.Len)
		switch {
		case n < HeaderLen:
			return body, &FormatError{What: "echoed request", Offset: HeaderLen + 4, Len: n, Left: len(p) - 4, Err: ErrShortLength}
		case n > len(p)-4:
			return body, &FormatError{What: "echoed request", Offset: HeaderLen + 4, Len: n, Left: len(p) - 4, Err: ErrLongLength}
		}
		body.RequestPayload = p[fixed : 4+n : 4+n]
		rest = 4 + Align(n)
	}
	if v.Flags()&AckTLVs != 0 && rest < len(p) {
		ext, err := parseExtAck(p[rest:], HeaderLen+rest)
		body.Ext = ext
		if err != nil {
			return body, err
		}
	}
	return body, nil
}

// DoneBody is the decoded payload of an NLMSG_DONE message: the dump's final
// status and, when NLM_F_ACK_TLVS is set, its extended-ack TLVs.
type DoneBody struct {
	Errno syscall.Errno // 0 when the dump completed
	Ext   ExtAck
}

// ParseDone decodes v, which must be an NLMSG_DONE message. A DONE without
// a payload (some families send one) decodes as success.
func ParseDone(v View) (DoneBody, error) {
	p := v.Payload()
	if len(p) == 0 {
		return DoneBody{}, nil
	}
	if len(p) < 4 {
		return DoneBody{}, &FormatError{What: "done body", Offset: HeaderLen, Len: len(p), Left: 4, Err: ErrBadSize}
	}
	d := DoneBody{Errno: errnoOf(int32(binary.NativeEndian.Uint32(p)))}
	if v.Flags()&AckTLVs != 0 && len(p) > 4 {
		ext, err := parseExtAck(p[4:], HeaderLen+4)
		d.Ext = ext
		if err != nil {
			return d, err
		}
	}
	return d, nil
}
