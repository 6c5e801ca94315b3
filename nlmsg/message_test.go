package nlmsg

import (
	"bytes"
	"testing"
)

func TestAlign(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 0}, {1, 4}, {3, 4}, {4, 4}, {5, 8}, {16, 16}, {17, 20}} {
		if got := Align(c.in); got != c.want {
			t.Errorf("Align(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Len: 0x01020304, Type: RTMNewRoute, Flags: Request | Ack | Dump, Seq: 0xdeadbeef, PortID: 4242}
	b := h.AppendTo([]byte{0xaa}) // appends after what is there
	if len(b) != 1+HeaderLen || b[0] != 0xaa {
		t.Fatalf("AppendTo wrote %d bytes after the prefix, want %d", len(b)-1, HeaderLen)
	}
	got, ok := DecodeHeader(b[1:])
	if !ok || got != h {
		t.Fatalf("DecodeHeader = %+v, %v; want %+v, true", got, ok, h)
	}
	if _, ok := DecodeHeader(b[1:HeaderLen]); ok {
		t.Error("DecodeHeader of 15 bytes reported ok")
	}
}

func TestViewAccessors(t *testing.T) {
	payload := []byte{1, 2, 3, 4, 5}
	raw := Header{Len: 21, Type: RTMNewLink, Flags: Multi | DumpIntr, Seq: 77, PortID: 99}.AppendTo(nil)
	raw = padded(append(raw, payload...)) // 3 bytes of padding that are not part of the message

	v, err := ViewOf(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 21 || v.Type() != RTMNewLink || v.Flags() != Multi|DumpIntr || v.Seq() != 77 || v.PortID() != 99 {
		t.Errorf("accessors = len %d type %v flags %v seq %d port %d", v.Len(), v.Type(), v.Flags(), v.Seq(), v.PortID())
	}
	if want := (Header{Len: 21, Type: RTMNewLink, Flags: Multi | DumpIntr, Seq: 77, PortID: 99}); v.Header() != want {
		t.Errorf("Header() = %+v, want %+v", v.Header(), want)
	}
	if !bytes.Equal(v.Payload(), payload) {
		t.Errorf("Payload() = %v, want %v", v.Payload(), payload)
	}
	if cap(v.Payload()) != len(payload) {
		t.Errorf("cap(Payload()) = %d, want %d so appends cannot reach the padding", cap(v.Payload()), len(payload))
	}
	if !bytes.Equal(v.Bytes(), raw[:21]) {
		t.Errorf("Bytes() = %v, want the 21 message bytes", v.Bytes())
	}
	// The View points into raw: a change there shows through.
	raw[HeaderLen] = 0xff
	if v.Payload()[0] != 0xff {
		t.Error("View does not point into the buffer it was made from")
	}
}

func TestZeroView(t *testing.T) {
	var v View
	if v.Len() != 0 || v.Type() != 0 || v.Flags() != 0 || v.Seq() != 0 || v.PortID() != 0 ||
		v.Payload() != nil || v.Bytes() != nil || v.Header() != (Header{}) {
		t.Error("zero View has non-zero fields")
	}
	m := v.Message()
	if m.Payload != nil || m.Type != 0 {
		t.Errorf("zero View's Message = %+v", m)
	}
}

func TestViewOfErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		reason error
	}{
		{"empty", nil, ErrTruncated},
		{"15 bytes", make([]byte, 15), ErrTruncated},
		{"nlmsg_len 15", rawMsgLen(15, Noop, nil), ErrShortLength},
		{"nlmsg_len 0", rawMsgLen(0, Noop, nil), ErrShortLength},
		{"nlmsg_len past end", rawMsgLen(21, Noop, []byte{1, 2, 3, 4}), ErrLongLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ViewOf(tt.in)
			wantFormatError(t, err, tt.reason, 0)
		})
	}
}

func TestMessageOwnsItsPayload(t *testing.T) {
	raw := rawMsg(RTMNewAddr, Multi, 5, []byte("payload!"))
	v, err := ViewOf(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := v.Message()
	for i := range raw {
		raw[i] = 0xee // the next receive reuses the buffer
	}
	want := Message{Type: RTMNewAddr, Flags: Multi, Seq: 5, Payload: []byte("payload!")}
	if m.Type != want.Type || m.Flags != want.Flags || m.Seq != want.Seq || !bytes.Equal(m.Payload, want.Payload) {
		t.Errorf("Message after the buffer changed = %+v, want %+v", m, want)
	}
	if h := m.Header(); h.Len != uint32(HeaderLen+len("payload!")) || h.Type != RTMNewAddr {
		t.Errorf("Message.Header() = %+v", h)
	}
}

func TestCopyIntoOwnsItsPayload(t *testing.T) {
	dgram := cat(padded(rawMsg(RTMNewLink, Multi, 1, []byte("first"))), rawMsg(RTMNewLink, Multi, 2, []byte("second")))
	var arena []byte
	var msgs []Message
	s := NewScanner(dgram)
	for s.Next() {
		var m Message
		m, arena = s.View().CopyInto(arena)
		msgs = append(msgs, m)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range dgram {
		dgram[i] = 0
	}
	if len(msgs) != 2 || string(msgs[0].Payload) != "first" || string(msgs[1].Payload) != "second" || msgs[1].Seq != 2 {
		t.Fatalf("copies after the buffer changed = %+v", msgs)
	}
	// Appending to the first payload must not overwrite the second.
	_ = append(msgs[0].Payload, 'X')
	if string(msgs[1].Payload) != "second" {
		t.Errorf("append to one copied payload overwrote the next: %q", msgs[1].Payload)
	}
	if len(arena) != len("first")+len("second") {
		t.Errorf("arena holds %d bytes, want %d", len(arena), len("firstsecond"))
	}
}
