package nlmsg

import (
	"bytes"
	"testing"
)

// seen is what a test expects of one scanned message.
type seen struct {
	typ     Type
	seq     uint32
	payload string
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []seen
		reason  error // nil: the scan must end cleanly
		errOff  int   // FormatError.Offset when reason != nil
		stopped int   // Offset() after the scan
	}{
		{
			name: "empty datagram",
			in:   nil,
		},
		{
			name:    "one message, exact length",
			in:      rawMsg(Done, Multi, 1, u32(0)),
			want:    []seen{{Done, 1, "\x00\x00\x00\x00"}},
			stopped: 20,
		},
		{
			name: "three messages with alignment padding",
			in: cat(
				padded(rawMsg(RTMNewLink, Multi, 9, []byte("a"))),   // 17 -> 20
				padded(rawMsg(RTMNewLink, Multi, 9, []byte("bcd"))), // 19 -> 20
				rawMsg(Done, Multi, 9, u32(0)),
			),
			want:    []seen{{RTMNewLink, 9, "a"}, {RTMNewLink, 9, "bcd"}, {Done, 9, "\x00\x00\x00\x00"}},
			stopped: 60,
		},
		{
			name: "last message without its padding",
			in: cat(
				padded(rawMsg(RTMNewAddr, 0, 1, []byte("xy"))),
				rawMsg(RTMNewAddr, 0, 2, []byte("z")), // 17 bytes, datagram ends here
			),
			want:    []seen{{RTMNewAddr, 1, "xy"}, {RTMNewAddr, 2, "z"}},
			stopped: 37,
		},
		{
			name:    "last message with part of its padding",
			in:      append(rawMsg(Noop, 0, 3, []byte("z")), 0), // 18 bytes of 20
			want:    []seen{{Noop, 3, "z"}},
			stopped: 18,
		},
		{
			name:    "header only",
			in:      rawMsg(Noop, 0, 4, nil),
			want:    []seen{{Noop, 4, ""}},
			stopped: 16,
		},
		{
			name:   "truncated header",
			in:     make([]byte, 10),
			reason: ErrTruncated,
		},
		{
			name:   "nlmsg_len smaller than the header",
			in:     rawMsgLen(8, Noop, make([]byte, 8)),
			reason: ErrShortLength,
		},
		{
			name:   "nlmsg_len zero (would loop forever if trusted)",
			in:     rawMsgLen(0, Noop, make([]byte, 16)),
			reason: ErrShortLength,
		},
		{
			name:   "nlmsg_len larger than the datagram",
			in:     rawMsgLen(40, Noop, make([]byte, 8)),
			reason: ErrLongLength,
		},
		{
			name:   "nlmsg_len 0xffffffff",
			in:     rawMsgLen(0xffffffff, Noop, nil),
			reason: ErrLongLength,
		},
		{
			name:    "second message longer than what is left",
			in:      cat(rawMsg(Noop, 0, 1, nil), rawMsgLen(64, Noop, make([]byte, 4))),
			want:    []seen{{Noop, 1, ""}},
			reason:  ErrLongLength,
			errOff:  16,
			stopped: 16,
		},
		{
			name:    "second message with a short length",
			in:      cat(rawMsg(Noop, 0, 1, nil), rawMsgLen(4, Noop, make([]byte, 4))),
			want:    []seen{{Noop, 1, ""}},
			reason:  ErrShortLength,
			errOff:  16,
			stopped: 16,
		},
		{
			name:    "trailing garbage after the last message",
			in:      cat(rawMsg(Noop, 0, 1, nil), []byte{1, 2, 3, 4, 5, 6, 7}),
			want:    []seen{{Noop, 1, ""}},
			reason:  ErrTrailingData,
			errOff:  16,
			stopped: 16,
		},
		{
			name:    "trailing garbage after an unaligned message",
			in:      cat(padded(rawMsg(Noop, 0, 1, []byte("a"))), []byte{9, 9, 9, 9}),
			want:    []seen{{Noop, 1, "a"}},
			reason:  ErrTrailingData,
			errOff:  20,
			stopped: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner(tt.in)
			var got []seen
			for i := 0; s.Next(); i++ {
				if i > len(tt.in) {
					t.Fatal("scanner does not terminate")
				}
				v := s.View()
				got = append(got, seen{v.Type(), v.Seq(), string(v.Payload())})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("scanned %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("message %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if tt.reason == nil {
				if err := s.Err(); err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
			} else {
				wantFormatError(t, s.Err(), tt.reason, tt.errOff)
			}
			if s.Offset() != tt.stopped {
				t.Errorf("Offset() = %d after the scan, want %d", s.Offset(), tt.stopped)
			}
			// A stopped scanner stays stopped, with the same error.
			err := s.Err()
			if s.Next() || s.Err() != err || s.View().Len() != 0 {
				t.Error("Next after the end returned a message or changed Err")
			}
		})
	}
}

func TestScannerReset(t *testing.T) {
	s := NewScanner(make([]byte, 5))
	if s.Next() || s.Err() == nil {
		t.Fatal("want an error on 5 bytes")
	}
	good := rawMsg(Noop, 0, 8, []byte("ok"))
	s.Reset(good)
	if s.Err() != nil || !s.Next() || string(s.View().Payload()) != "ok" || s.Next() || s.Err() != nil {
		t.Error("Reset did not clear the error and rescan")
	}
	var zero Scanner
	if zero.Next() || zero.Err() != nil {
		t.Error("the zero Scanner is not empty")
	}
}

// TestScannerViewsStayInBuffer checks the property a caller relies on to
// keep Views without copying: each one is a subslice of the datagram.
func TestScannerViewsStayInBuffer(t *testing.T) {
	var b Builder
	defer b.Release()
	buildRouteDump(&b, 10, 1)
	dgram := append([]byte(nil), b.Bytes()...)
	s := NewScanner(dgram)
	n := 0
	for s.Next() {
		v := s.View()
		off := s.Offset() - Align(v.Len())
		if !bytes.Equal(v.Bytes(), dgram[off:off+v.Len()]) || &v.Bytes()[0] != &dgram[off] {
			t.Fatalf("view %d is not dgram[%d:%d]", n, off, off+v.Len())
		}
		n++
	}
	if n != 10 || s.Err() != nil {
		t.Fatalf("scanned %d messages, err %v", n, s.Err())
	}
}
