package conntrack

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// encodeFlow builds the payload of an entry message as the kernel sends
// it (attributes this package writes, plus the read-only ones).
func encodeFlow(f *Flow) []byte {
	return encodePayload(f.family(), func(b *nlmsg.Builder) { appendFlowMessage(b, f) })
}

// encodePayload returns, in a new slice, an nfgenmsg of family fam and
// the attributes build writes after it.
func encodePayload(fam uint8, build func(b *nlmsg.Builder)) []byte {
	var b nlmsg.Builder
	defer b.Release()
	beginPayload(&b, fam)
	build(&b)
	return append([]byte(nil), b.Bytes()...)
}

// appendFlowMessage writes the attributes of an entry message for f.
func appendFlowMessage(b *nlmsg.Builder, f *Flow) {
	appendFlowAttrs(b, f, createFields)
	b.Uint32BE(nlmsg.CTAID, f.ID)
	b.Uint32BE(nlmsg.CTAUse, f.Use)
	n := b.BeginNest(nlmsg.CTACountersOrig)
	b.Uint64BE(nlmsg.CTACountersPackets, f.CountersOrig.Packets)
	b.Uint64BE(nlmsg.CTACountersBytes, f.CountersOrig.Bytes)
	b.EndNest(n)
	n = b.BeginNest(nlmsg.CTATimestamp)
	b.Uint64BE(nlmsg.CTATimestampStart, f.Start)
	b.EndNest(n)
	n = b.BeginNest(nlmsg.CTAHelp)
	b.String(nlmsg.CTAHelpName, "ftp")
	b.EndNest(n)
	if f.Master.valid() {
		appendTuple(b, nlmsg.CTATupleMaster, &f.Master)
	}
}

func sampleFlow() Flow {
	return Flow{Orig: Tuple{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Proto: ProtoTCP, SrcPort: 5, DstPort: 6},
		Timeout: 9, Status: StatusAssured, Mark: 3, Zone: 4, ID: 77, Use: 1, Labels: Labels{}.Set(0).Set(127),
		TCP: TCPInfo{State: TCPTimeWait}, CountersOrig: Counters{Packets: 10, Bytes: 1 << 40}, Start: 123456789}
}

// TestDecodeRoundTrip decodes an encoded Flow back into the same fields.
func TestDecodeRoundTrip(t *testing.T) {
	want := sampleFlow()
	var got Flow
	if err := got.Decode(encodeFlow(&want)); err != nil {
		t.Fatal(err)
	}
	if got.Orig != want.Orig || got.Reply != want.Orig.Reverse() || got.Mark != 3 || got.Zone != 4 || got.ID != 77 ||
		got.Labels != want.Labels || got.TCP.State != TCPTimeWait || got.CountersOrig != want.CountersOrig ||
		got.Start != want.Start || got.Helper() != "ftp" || got.Status != StatusAssured|StatusConfirmed || got.Family != unix.AF_INET6 {
		t.Fatalf("decoded %+v\nwant %+v", got, want)
	}
	if got.Has&(FieldCountersReply|FieldSeqAdjOrig) != 0 || got.Has&(FieldLabels|FieldTCP|FieldHelper|FieldCountersOrig) == 0 {
		t.Fatalf("Has = %b", got.Has)
	}
}

// An SCTP entry's state and verification tags survive a round trip.
func TestDecodeSCTPRoundTrip(t *testing.T) {
	want := Flow{Orig: Tuple{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: ProtoSCTP, SrcPort: 1, DstPort: 2},
		Timeout: 9, SCTP: SCTPInfo{State: SCTPShutdownAckSent, VTagOrig: 0xdeadbeef, VTagReply: 6}}
	var got Flow
	if err := got.Decode(encodeFlow(&want)); err != nil {
		t.Fatal(err)
	}
	if got.SCTP != want.SCTP || got.Has&FieldSCTP == 0 || got.Has&FieldTCP != 0 {
		t.Fatalf("decoded SCTP %+v (Has %b), want %+v", got.SCTP, got.Has, want.SCTP)
	}
}

// An expected entry's master tuple survives a round trip; an entry
// without one says so.
func TestDecodeMasterRoundTrip(t *testing.T) {
	want := Flow{Orig: Tuple{Src: addr("10.0.0.2"), Dst: addr("10.0.0.1"), Proto: ProtoTCP, SrcPort: 20, DstPort: 40000},
		Timeout: 9, Status: StatusExpected,
		Master: Tuple{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: ProtoTCP, SrcPort: 39999, DstPort: 21}}
	var got Flow
	if err := got.Decode(encodeFlow(&want)); err != nil {
		t.Fatal(err)
	}
	if got.Master != want.Master || got.Has&FieldMaster == 0 || !got.Status.Has(StatusExpected) {
		t.Fatalf("decoded master %+v (Has %b), want %+v", got.Master, got.Has, want.Master)
	}
	s := sampleFlow()
	if err := got.Decode(encodeFlow(&s)); err != nil || got.Has&FieldMaster != 0 || got.Master != (Tuple{}) {
		t.Fatalf("entry without a master: %+v (Has %b), %v", got.Master, got.Has, err)
	}
}

// TestDecodeDoesNotAllocate decodes a full entry into a reused Flow.
func TestDecodeDoesNotAllocate(t *testing.T) {
	f0 := sampleFlow()
	p := encodeFlow(&f0)
	var f Flow
	flt := Filter{Family: unix.AF_INET6, Mark: 3, MarkMask: 0xff, OrigSrc: addr("2001:db8::1")}
	requireNoAllocs(t, "Decode+Match", func() bool { return f.Decode(p) == nil && flt.Match(&f) })
}

// requireNoAllocs fails t unless ok, run 1000 times, allocates nothing and
// returns true; it skips t under the race detector, which allocates.
func requireNoAllocs(t *testing.T, what string, ok func() bool) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	if n := testing.AllocsPerRun(1000, func() {
		if !ok() {
			panic(what + " failed")
		}
	}); n != 0 {
		t.Fatalf("%s: %v allocations, want 0", what, n)
	}
}

// TestDecodeErrorsNameTheAttribute corrupts one attribute at a time and
// checks the error says which.
func TestDecodeErrorsNameTheAttribute(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *nlmsg.Builder)
		attr  string
	}{
		{"short v4 address", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTATupleOrig)
			ip := b.BeginNest(nlmsg.CTATupleIP)
			b.Attr(nlmsg.CTAIPv4Src, []byte{1, 2, 3})
			b.EndNest(ip)
			b.EndNest(n)
		}, "CTA_TUPLE_ORIG/CTA_TUPLE_IP/CTA_IP_V4_SRC"},
		{"2-byte port in reply", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTATupleReply)
			p := b.BeginNest(nlmsg.CTATupleProto)
			b.Uint32(nlmsg.CTAProtoSrcPort, 1)
			b.EndNest(p)
			b.EndNest(n)
		}, "CTA_TUPLE_REPLY/CTA_TUPLE_PROTO/CTA_PROTO_SRC_PORT"},
		{"short master port", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTATupleMaster)
			p := b.BeginNest(nlmsg.CTATupleProto)
			b.Uint8(nlmsg.CTAProtoDstPort, 21)
			b.EndNest(p)
			b.EndNest(n)
		}, "CTA_TUPLE_MASTER/CTA_TUPLE_PROTO/CTA_PROTO_DST_PORT"},
		{"mark of 2 bytes", func(b *nlmsg.Builder) { b.Uint16(nlmsg.CTAMark, 1) }, "CTA_MARK"},
		{"labels of 17 bytes", func(b *nlmsg.Builder) { b.Attr(nlmsg.CTALabels, make([]byte, 17)) }, "CTA_LABELS"},
		{"tcp state of 4 bytes", func(b *nlmsg.Builder) {
			p := b.BeginNest(nlmsg.CTAProtoInfo)
			tc := b.BeginNest(nlmsg.CTAProtoInfoTCP)
			b.Uint32(nlmsg.CTAProtoInfoTCPState, 3)
			b.EndNest(tc)
			b.EndNest(p)
		}, "CTA_PROTOINFO/CTA_PROTOINFO_TCP/CTA_PROTOINFO_TCP_STATE"},
		{"sctp vtag of 2 bytes", func(b *nlmsg.Builder) {
			p := b.BeginNest(nlmsg.CTAProtoInfo)
			s := b.BeginNest(nlmsg.CTAProtoInfoSCTP)
			b.Uint8(nlmsg.CTAProtoInfoSCTPState, 4)
			b.Uint16(nlmsg.CTAProtoInfoSCTPVTagReply, 1)
			b.EndNest(s)
			b.EndNest(p)
		}, "CTA_PROTOINFO/CTA_PROTOINFO_SCTP/CTA_PROTOINFO_SCTP_VTAG_REPLY"},
		{"counter of 3 bytes", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTACountersReply)
			b.Attr(nlmsg.CTACountersBytes, []byte{1, 2, 3})
			b.EndNest(n)
		}, "CTA_COUNTERS_REPLY/CTA_COUNTERS_BYTES"},
	}
	for _, c := range cases {
		var b nlmsg.Builder
		beginPayload(&b, unix.AF_INET)
		c.build(&b)
		var f Flow
		err := f.Decode(b.Bytes())
		b.Release()
		var de *DecodeError
		if !errors.As(err, &de) || de.Attr != c.attr {
			t.Errorf("%s: %v, want a *DecodeError for %s", c.name, err, c.attr)
		}
	}
	var f Flow
	if err := f.Decode([]byte{2, 0}); err == nil {
		t.Error("a 2-byte payload decoded")
	}
	// A truncated attribute list is a format error, not a panic.
	p := encodeFlow(&Flow{Orig: Tuple{Src: addr("1.2.3.4"), Dst: addr("5.6.7.8"), Proto: ProtoUDP}})
	for i := nlmsg.NfGenMsgLen; i < len(p); i++ {
		f.Decode(p[:i])
	}
}

// TestNames checks the names conntrack-tools prints.
func TestNames(t *testing.T) {
	if s := (StatusSeenReply | StatusAssured | StatusConfirmed).String(); s != "SEEN_REPLY|ASSURED|CONFIRMED" {
		t.Errorf("Status.String = %q", s)
	}
	if s := Status(1 << 20).String(); s != "0x100000" {
		t.Errorf("unknown bit: %q", s)
	}
	for st, want := range map[TCPState]string{TCPEstablished: "ESTABLISHED", TCPTimeWait: "TIME_WAIT", TCPSynSent2: "SYN_SENT2", 42: "TCPState(42)"} {
		if st.String() != want {
			t.Errorf("TCPState(%d) = %q, want %q", st, st.String(), want)
		}
	}
	for st, want := range map[SCTPState]string{SCTPNone: "NONE", SCTPCookieEchoed: "COOKIE_ECHOED", SCTPShutdownAckSent: "SHUTDOWN_ACK_SENT", SCTPHeartbeatAcked: "HEARTBEAT_ACKED", 10: "SCTPState(10)"} {
		if st.String() != want {
			t.Errorf("SCTPState(%d) = %q, want %q", st, st.String(), want)
		}
	}
	if EventDestroy.String() != "DESTROY" || EventOverrun.String() != "OVERRUN" {
		t.Error("EventType names")
	}
}

// FuzzFlowDecode decodes arbitrary payloads: never a panic, and a
// successful decode re-encodes to a payload that decodes to the same tuple.
func FuzzFlowDecode(f *testing.F) {
	s := sampleFlow()
	f.Add(encodeFlow(&s))
	f.Fuzz(func(t *testing.T, p []byte) {
		var fl Flow
		if err := fl.Decode(p); err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			return
		}
		if !fl.Orig.valid() {
			return
		}
		var back Flow
		if err := back.Decode(encodeFlow(&fl)); err != nil {
			t.Fatalf("re-encoded flow does not decode: %v", err)
		}
		if back.Orig.Src != fl.Orig.Src || back.Orig.Dst != fl.Orig.Dst || back.Orig.Proto != fl.Orig.Proto {
			t.Fatalf("round trip changed the tuple: %+v -> %+v", fl.Orig, back.Orig)
		}
	})
}
