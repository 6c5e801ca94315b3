//go:build linux

package nlmsg

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// errnoBytes is the s32 error field of struct nlmsgerr: minus the errno.
func errnoBytes(e syscall.Errno) []byte { return u32(uint32(-int32(e))) }

// echoedRequest is the request the error messages below answer: an
// RTM_NEWLINK with a 5-byte payload, so its echo needs padding.
var echoedRequest = rawMsg(RTMNewLink, Request|Ack|Create|Excl, 42, []byte{1, 2, 3, 4, 5})

var echoedHeader = Header{Len: 21, Type: RTMNewLink, Flags: Request | Ack | Create | Excl, Seq: 42}

// allTLVs has one of each extended-ack TLV, the policy a small nest.
var allTLVs = cat(
	padded(rawAttr(ExtAckMsg, []byte("Attribute failed policy validation\x00"))),
	rawAttr(ExtAckOffset, u32(36)),
	padded(rawAttr(ExtAckCookie, []byte{0xc0, 0x0c, 0x1e})),
	rawAttr(ExtAckPolicy|AttrNested, cat(rawAttr(1, u32(3)), rawAttr(2, u32(9)))),
	rawAttr(ExtAckMissType, u32(3)),
	rawAttr(ExtAckMissNest, u32(20)),
)

func errorView(t *testing.T, f Flags, body []byte) View {
	t.Helper()
	v, err := ViewOf(rawMsg(Error, f, 42, body))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name  string
		flags Flags
		body  []byte
		want  ErrorBody
		check func(*testing.T, ErrorBody)
	}{
		{
			name:  "ack: errno 0, capped",
			flags: Capped,
			body:  cat(u32(0), echoedRequest[:HeaderLen]),
			want:  ErrorBody{Request: echoedHeader, Capped: true},
		},
		{
			name:  "error with the full request echoed",
			flags: 0,
			body:  cat(errnoBytes(unix.EEXIST), echoedRequest),
			want:  ErrorBody{Errno: unix.EEXIST, Request: echoedHeader, RequestPayload: []byte{1, 2, 3, 4, 5}},
		},
		{
			name:  "error with the full request echoed, then TLVs",
			flags: AckTLVs,
			body:  cat(errnoBytes(unix.EINVAL), padded(echoedRequest), rawAttr(ExtAckOffset, u32(20))),
			want: ErrorBody{Errno: unix.EINVAL, Request: echoedHeader, RequestPayload: []byte{1, 2, 3, 4, 5},
				Ext: ExtAck{Offset: 20, HasOffset: true}},
		},
		{
			name:  "error echoing only a header without NLM_F_CAPPED (older senders)",
			flags: 0,
			body:  cat(errnoBytes(unix.ENOENT), echoedRequest[:HeaderLen]),
			want:  ErrorBody{Errno: unix.ENOENT, Request: echoedHeader},
		},
		{
			name:  "capped error with every TLV",
			flags: Capped | AckTLVs,
			body:  cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], allTLVs),
			want: ErrorBody{Errno: unix.EINVAL, Request: echoedHeader, Capped: true, Ext: ExtAck{
				Msg:    []byte("Attribute failed policy validation"),
				Offset: 36, HasOffset: true,
				Cookie:   []byte{0xc0, 0x0c, 0x1e},
				Policy:   cat(rawAttr(1, u32(3)), rawAttr(2, u32(9))),
				MissType: 3, HasMissType: true,
				MissNest: 20, HasMissNest: true,
			}},
			check: func(t *testing.T, b ErrorBody) {
				// The policy is a nest the caller can walk.
				s := NewAttrScanner(b.Ext.Policy)
				n := 0
				for s.Next() {
					n++
				}
				if n != 2 || s.Err() != nil {
					t.Errorf("policy nest: %d attributes, err %v", n, s.Err())
				}
			},
		},
		{
			name:  "ack with a TLV (a warning on success)",
			flags: Capped | AckTLVs,
			body:  cat(u32(0), echoedRequest[:HeaderLen], padded(rawAttr(ExtAckMsg, []byte("deprecated\x00")))),
			want:  ErrorBody{Request: echoedHeader, Capped: true, Ext: ExtAck{Msg: []byte("deprecated")}},
		},
		{
			name:  "TLVs without NLM_F_ACK_TLVS are not read",
			flags: Capped,
			body:  cat(errnoBytes(unix.EPERM), echoedRequest[:HeaderLen], rawAttr(ExtAckOffset, u32(1))),
			want:  ErrorBody{Errno: unix.EPERM, Request: echoedHeader, Capped: true},
		},
		{
			name:  "unknown TLVs are skipped",
			flags: Capped | AckTLVs,
			body:  cat(errnoBytes(unix.EPERM), echoedRequest[:HeaderLen], rawAttr(99, u32(1)), rawAttr(ExtAckMissType, u32(7))),
			want:  ErrorBody{Errno: unix.EPERM, Request: echoedHeader, Capped: true, Ext: ExtAck{MissType: 7, HasMissType: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseError(errorView(t, tt.flags, tt.body))
			if err != nil {
				t.Fatalf("ParseError: %v", err)
			}
			if !errorBodyEqual(got, tt.want) {
				t.Errorf("ParseError =\n%+v\nwant\n%+v", got, tt.want)
			}
			if got.Ext.Empty() != extEqual(tt.want.Ext, ExtAck{}) {
				t.Errorf("Ext.Empty() = %v", got.Ext.Empty())
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestParseErrorErrnoIs(t *testing.T) {
	body, err := ParseError(errorView(t, Capped, cat(errnoBytes(unix.EEXIST), echoedRequest[:HeaderLen])))
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(body.Errno, unix.EEXIST) {
		t.Errorf("errors.Is(%v, unix.EEXIST) = false", body.Errno)
	}
	if errors.Is(body.Errno, unix.ENOENT) {
		t.Error("errors.Is(EEXIST, ENOENT) = true")
	}
	var wrapped error = &FormatError{Err: body.Errno}
	if !errors.Is(wrapped, unix.EEXIST) {
		t.Error("a wrapped Errno does not match")
	}
}

func TestParseErrorMalformed(t *testing.T) {
	tests := []struct {
		name   string
		flags  Flags
		body   []byte
		reason error
		off    int
	}{
		{"empty body", 0, nil, ErrBadSize, HeaderLen},
		{"errno only", 0, errnoBytes(unix.EINVAL), ErrBadSize, HeaderLen},
		{"truncated echoed header", Capped, cat(errnoBytes(unix.EINVAL), echoedRequest[:15]), ErrBadSize, HeaderLen},
		{"echoed length overruns the body", 0, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen+2]), ErrLongLength, HeaderLen + 4},
		{"echoed length below a header", 0, cat(errnoBytes(unix.EINVAL), rawMsgLen(8, RTMNewLink, []byte{1, 2, 3, 4})), ErrShortLength, HeaderLen + 4},
		{"TLV overruns the message", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], rawAttrLen(64, ExtAckMsg, []byte("abcd"))), ErrLongLength, 36},
		{"TLV with a short length", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], rawAttrLen(2, ExtAckMsg, []byte("abcd"))), ErrShortLength, 36},
		{"bytes after the TLVs", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], rawAttr(ExtAckOffset, u32(1)), []byte{1, 2}), ErrTrailingData, 44},
		{"OFFS of the wrong size", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], padded(rawAttr(ExtAckOffset, []byte{1, 2}))), ErrBadSize, 36},
		{"MISS_TYPE of the wrong size", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], rawAttr(ExtAckMissType, make([]byte, 8))), ErrBadSize, 36},
		{"MISS_NEST of the wrong size", Capped | AckTLVs, cat(errnoBytes(unix.EINVAL), echoedRequest[:HeaderLen], rawAttr(ExtAckMissNest, nil)), ErrBadSize, 36},
		{"TLV overruns after a full echo", AckTLVs, cat(errnoBytes(unix.EINVAL), padded(echoedRequest), rawAttrLen(9, ExtAckMsg, []byte("ab"))), ErrLongLength, 44},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseError(errorView(t, tt.flags, tt.body))
			wantFormatError(t, err, tt.reason, tt.off)
		})
	}
}

func TestParseDone(t *testing.T) {
	tests := []struct {
		name  string
		flags Flags
		body  []byte
		want  DoneBody
	}{
		{"empty payload", Multi, nil, DoneBody{}},
		{"status 0", Multi, u32(0), DoneBody{}},
		{"dump failed", Multi, errnoBytes(unix.ENOBUFS), DoneBody{Errno: unix.ENOBUFS}},
		{"status and TLVs", Multi | AckTLVs, cat(errnoBytes(unix.EINVAL), padded(rawAttr(ExtAckMsg, []byte("bad filter\x00"))), rawAttr(ExtAckOffset, u32(32))),
			DoneBody{Errno: unix.EINVAL, Ext: ExtAck{Msg: []byte("bad filter"), Offset: 32, HasOffset: true}}},
		{"TLVs without NLM_F_ACK_TLVS are not read", Multi, cat(u32(0), rawAttr(ExtAckOffset, u32(32))), DoneBody{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ViewOf(rawMsg(Done, tt.flags, 1, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseDone(v)
			if err != nil {
				t.Fatalf("ParseDone: %v", err)
			}
			if got.Errno != tt.want.Errno || !extEqual(got.Ext, tt.want.Ext) {
				t.Errorf("ParseDone = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseDoneMalformed(t *testing.T) {
	tests := []struct {
		name   string
		flags  Flags
		body   []byte
		reason error
		off    int
	}{
		{"1 byte", Multi, []byte{0}, ErrBadSize, HeaderLen},
		{"3 bytes", Multi, []byte{0, 0, 0}, ErrBadSize, HeaderLen},
		{"TLV overruns", Multi | AckTLVs, cat(u32(0), rawAttrLen(200, ExtAckMsg, []byte("x"))), ErrLongLength, 20},
		{"TLV of the wrong size", Multi | AckTLVs, cat(u32(0), rawAttr(ExtAckOffset, u16(1))), ErrBadSize, 20},
		{"trailing bytes after TLVs", Multi | AckTLVs, cat(u32(0), rawAttr(ExtAckOffset, u32(1)), []byte{7}), ErrTrailingData, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ViewOf(rawMsg(Done, tt.flags, 1, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseDone(v)
			wantFormatError(t, err, tt.reason, tt.off)
		})
	}
}

func errorBodyEqual(a, b ErrorBody) bool {
	return a.Errno == b.Errno && a.Request == b.Request && bytes.Equal(a.RequestPayload, b.RequestPayload) &&
		(a.RequestPayload == nil) == (b.RequestPayload == nil) && a.Capped == b.Capped && extEqual(a.Ext, b.Ext)
}

func extEqual(a, b ExtAck) bool {
	return bytes.Equal(a.Msg, b.Msg) && (a.Msg == nil) == (b.Msg == nil) &&
		a.Offset == b.Offset && a.HasOffset == b.HasOffset &&
		bytes.Equal(a.Cookie, b.Cookie) && bytes.Equal(a.Policy, b.Policy) &&
		a.MissType == b.MissType && a.HasMissType == b.HasMissType &&
		a.MissNest == b.MissNest && a.HasMissNest == b.HasMissNest
}
