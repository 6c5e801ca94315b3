package conntrack

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// encodeExpect builds the payload of an expectation message as the
// kernel sends it: the attributes CreateExpect writes, plus the read-only
// id.
func encodeExpect(e *Expect) []byte {
	return encodePayload(e.family(), func(b *nlmsg.Builder) {
		appendExpectAttrs(b, e)
		b.Uint32BE(nlmsg.CTAExpectID, e.ID)
	})
}

// sampleExpect is an FTP data connection expected through source NAT, as
// the kernel's FTP helper makes it, with every optional part set.
func sampleExpect() Expect {
	e := Expect{
		Tuple:   Tuple{Src: addr("10.0.0.2"), Dst: addr("10.0.0.55"), Proto: ProtoTCP, DstPort: 51210},
		Master:  Tuple{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: ProtoTCP, SrcPort: 40000, DstPort: 21},
		Timeout: 300, ID: 0xa6b34db2, Zone: 5, Flags: ExpectPermanent | ExpectInactive, Class: 0,
		NAT: ExpectNAT{Dir: 1, Tuple: Tuple{Src: addr("0.0.0.0"), Dst: addr("0.0.0.0"), Proto: ProtoTCP, SrcPort: 51210}},
		Has: ExpectFieldNAT,
	}
	e.Mask = ExactMask(e.Tuple)
	if e.SetHelper("ftp") != nil || e.SetFn("nat-follow-master") != nil {
		panic("names")
	}
	return e
}

// TestExpectDecodeRoundTrip decodes an encoded Expect back into the same
// fields, and the mask CreateExpect writes for an Expect without one is
// ExactMask's.
func TestExpectDecodeRoundTrip(t *testing.T) {
	want := sampleExpect()
	var got Expect
	if err := got.Decode(encodeExpect(&want)); err != nil {
		t.Fatal(err)
	}
	want.Family = unix.AF_INET
	want.Has = ExpectFieldMaster | ExpectFieldMask | ExpectFieldTimeout | ExpectFieldID | ExpectFieldHelper |
		ExpectFieldZone | ExpectFieldFlags | ExpectFieldNAT | ExpectFieldFn
	if got != want {
		t.Fatalf("decoded %+v\nwant    %+v", got, want)
	}
	if got.Helper() != "ftp" || got.Fn() != "nat-follow-master" {
		t.Errorf("names %q %q", got.Helper(), got.Fn())
	}
	if got.Mask != (Tuple{Src: addr("255.255.255.255"), Dst: addr("255.255.255.255"), Proto: ProtoTCP, DstPort: 0xffff}) {
		t.Errorf("mask %+v", got.Mask)
	}
	// No mask, no NAT tuple addresses, IPv6: the defaults.
	v6 := Expect{Tuple: Tuple{Src: addr("2001:db8::2"), Dst: addr("2001:db8::1"), Proto: ProtoUDP, SrcPort: 7, DstPort: 9},
		Master: Tuple{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2},
		NAT:    ExpectNAT{Tuple: Tuple{SrcPort: 5}}, Has: ExpectFieldNAT}
	if err := got.Decode(encodeExpect(&v6)); err != nil {
		t.Fatal(err)
	}
	ones := addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	if got.Family != unix.AF_INET6 || got.Mask != (Tuple{Src: ones, Dst: ones, Proto: ProtoUDP, SrcPort: 0xffff, DstPort: 0xffff}) ||
		got.NAT.Tuple != (Tuple{Src: addr("::"), Dst: addr("::"), Proto: ProtoUDP, SrcPort: 5}) || got.Has&(ExpectFieldHelper|ExpectFieldFn|ExpectFieldZone) != 0 {
		t.Errorf("IPv6 defaults: %+v", got)
	}
}

// TestExpectWriteAttributes checks what CreateExpect leaves out: a zero
// zone, class and flags, no helper, no function and no NAT are not sent.
func TestExpectWriteAttributes(t *testing.T) {
	e := Expect{Tuple: Tuple{Src: addr("10.0.0.2"), Dst: addr("10.0.0.1"), Proto: ProtoTCP, DstPort: 9},
		Master: Tuple{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: ProtoTCP, SrcPort: 1, DstPort: 21}, Timeout: 60}
	p := encodePayload(unix.AF_INET, func(b *nlmsg.Builder) { appendExpectAttrs(b, &e) })
	_, attrs, _ := nlmsg.DecodeNfGenMsg(p)
	var types []uint16
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		types = append(types, s.Attr().Type())
	}
	want := []uint16{nlmsg.CTAExpectMaster, nlmsg.CTAExpectTuple, nlmsg.CTAExpectMask, nlmsg.CTAExpectTimeout}
	if len(types) != len(want) {
		t.Fatalf("attributes %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("attributes %v, want %v", types, want)
		}
	}
}

// TestExpectNames checks the flag names conntrack prints and the length
// limits of the names.
func TestExpectNames(t *testing.T) {
	for f, want := range map[ExpectFlags]string{0: "", ExpectPermanent: "PERMANENT", ExpectPermanent | ExpectInactive | ExpectUserspace: "PERMANENT,INACTIVE,USERSPACE",
		ExpectInactive | 0x10: "INACTIVE,0x10"} {
		if f.String() != want {
			t.Errorf("ExpectFlags(%#x) = %q, want %q", uint32(f), f.String(), want)
		}
	}
	if EventExpectNew.String() != "NEW" || EventExpectDestroy.String() != "DESTROY" || !EventExpectNew.IsExpect() || EventNew.IsExpect() ||
		EventExpectDestroy.group() != nlmsg.NFNLGrpConntrackExpDestroy || EventOverrun.group() != 0 {
		t.Error("expectation event types")
	}
	var e Expect
	if err := e.SetHelper("0123456789abcdef"); !errors.Is(err, ErrBadLength) || e.Helper() != "" {
		t.Errorf("a 16-byte helper name: %v, %q", err, e.Helper())
	}
	if err := e.SetHelper("0123456789abcde"); err != nil || e.Helper() != "0123456789abcde" || e.Has&ExpectFieldHelper == 0 {
		t.Errorf("a 15-byte helper name: %v, %q", err, e.Helper())
	}
	if err := e.SetHelper("sip"); err != nil || e.Helper() != "sip" || e.helper[3] != 0 {
		t.Errorf("a shorter name after a longer one: %v, %q % x", err, e.Helper(), e.helper)
	}
	if err := e.SetFn(string(make([]byte, 32))); !errors.Is(err, ErrBadLength) {
		t.Errorf("a 32-byte function name: %v", err)
	}
	if e.SetHelper("") != nil || e.Has&ExpectFieldHelper != 0 {
		t.Error("SetHelper(\"\") kept the helper")
	}
}

// TestExpectDecodeDoesNotAllocate decodes a full expectation into a reused
// Expect and matches it.
func TestExpectDecodeDoesNotAllocate(t *testing.T) {
	e0 := sampleExpect()
	p := encodeExpect(&e0)
	flt := ExpectFilter{Family: unix.AF_INET, Master: e0.Master}
	var e Expect
	requireNoAllocs(t, "Decode+Match", func() bool { return e.Decode(p) == nil && flt.Match(&e) })
}

// TestExpectFilterMatch checks the user-space half of ExpectFilter.
func TestExpectFilterMatch(t *testing.T) {
	e := sampleExpect()
	e.Family = unix.AF_INET
	other := e.Master
	other.SrcPort++
	for _, c := range []struct {
		flt  ExpectFilter
		want bool
	}{
		{ExpectFilter{}, true},
		{ExpectFilter{Family: unix.AF_INET}, true},
		{ExpectFilter{Family: unix.AF_INET6}, false},
		{ExpectFilter{Master: e.Master, Zone: 5}, true},
		{ExpectFilter{Master: other}, false},
	} {
		if got := c.flt.Match(&e); got != c.want {
			t.Errorf("%+v: Match = %v, want %v", c.flt, got, c.want)
		}
	}
}

// TestExpectDecodeErrorsNameTheAttribute corrupts one attribute at a time
// and checks the error says which.
func TestExpectDecodeErrorsNameTheAttribute(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *nlmsg.Builder)
		attr  string
	}{
		{"short tuple address", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTAExpectTuple)
			ip := b.BeginNest(nlmsg.CTATupleIP)
			b.Attr(nlmsg.CTAIPv4Dst, []byte{1, 2})
			b.EndNest(ip)
			b.EndNest(n)
		}, "CTA_EXPECT_TUPLE/CTA_TUPLE_IP/CTA_IP_V4_DST"},
		{"v6 mask of 15 bytes", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTAExpectMask)
			ip := b.BeginNest(nlmsg.CTATupleIP)
			b.Attr(nlmsg.CTAIPv6Src, make([]byte, 15))
			b.EndNest(ip)
			b.EndNest(n)
		}, "CTA_EXPECT_MASK/CTA_TUPLE_IP/CTA_IP_V6_SRC"},
		{"1-byte master port", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTAExpectMaster)
			p := b.BeginNest(nlmsg.CTATupleProto)
			b.Uint8(nlmsg.CTAProtoSrcPort, 1)
			b.EndNest(p)
			b.EndNest(n)
		}, "CTA_EXPECT_MASTER/CTA_TUPLE_PROTO/CTA_PROTO_SRC_PORT"},
		{"timeout of 2 bytes", func(b *nlmsg.Builder) { b.Uint16(nlmsg.CTAExpectTimeout, 1) }, "CTA_EXPECT_TIMEOUT"},
		{"id of 8 bytes", func(b *nlmsg.Builder) { b.Uint64(nlmsg.CTAExpectID, 1) }, "CTA_EXPECT_ID"},
		{"zone of 4 bytes", func(b *nlmsg.Builder) { b.Uint32(nlmsg.CTAExpectZone, 1) }, "CTA_EXPECT_ZONE"},
		{"flags of 1 byte", func(b *nlmsg.Builder) { b.Uint8(nlmsg.CTAExpectFlags, 1) }, "CTA_EXPECT_FLAGS"},
		{"class of 2 bytes", func(b *nlmsg.Builder) { b.Uint16(nlmsg.CTAExpectClass, 1) }, "CTA_EXPECT_CLASS"},
		{"helper of 16 bytes", func(b *nlmsg.Builder) { b.String(nlmsg.CTAExpectHelpName, "0123456789abcdef") }, "CTA_EXPECT_HELP_NAME"},
		{"NAT direction of 2 bytes", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTAExpectNAT)
			b.Uint16(nlmsg.CTAExpectNATDir, 1)
			b.EndNest(n)
		}, "CTA_EXPECT_NAT/CTA_EXPECT_NAT_DIR"},
		{"NAT tuple port of 4 bytes", func(b *nlmsg.Builder) {
			n := b.BeginNest(nlmsg.CTAExpectNAT)
			tu := b.BeginNest(nlmsg.CTAExpectNATTuple)
			p := b.BeginNest(nlmsg.CTATupleProto)
			b.Uint32(nlmsg.CTAProtoSrcPort, 1)
			b.EndNest(p)
			b.EndNest(tu)
			b.EndNest(n)
		}, "CTA_EXPECT_NAT/CTA_EXPECT_NAT_TUPLE/CTA_TUPLE_PROTO/CTA_PROTO_SRC_PORT"},
		{"function of 32 bytes", func(b *nlmsg.Builder) { b.String(nlmsg.CTAExpectFN, "nat-follow-master-and-then-some!") }, "CTA_EXPECT_FN"},
	}
	for _, c := range cases {
		var e Expect
		err := e.Decode(encodePayload(unix.AF_INET, c.build))
		var de *DecodeError
		if !errors.As(err, &de) || de.Attr != c.attr {
			t.Errorf("%s: %v, want a *DecodeError for %s", c.name, err, c.attr)
		}
	}
	var e Expect
	if err := e.Decode([]byte{2}); err == nil {
		t.Error("a 1-byte payload decoded")
	}
	// Every truncation is a *DecodeError or a success, never a panic.
	s := sampleExpect()
	p := encodeExpect(&s)
	for i := range len(p) {
		if err := e.Decode(p[:i]); err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("truncated to %d: %T %v", i, err, err)
			}
		}
	}
}

// FuzzExpectDecode decodes arbitrary payloads: never a panic, errors are
// *DecodeError, and a decoded expectation with its tuples re-encodes to a
// payload that decodes to the same tuples.
func FuzzExpectDecode(f *testing.F) {
	s := sampleExpect()
	f.Add(encodeExpect(&s))
	f.Fuzz(func(t *testing.T, p []byte) {
		var e Expect
		if err := e.Decode(p); err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			return
		}
		if !e.tuplesValid() {
			return
		}
		var back Expect
		if err := back.Decode(encodeExpect(&e)); err != nil {
			t.Fatalf("re-encoded expectation does not decode: %v", err)
		}
		if back.Tuple.Src != e.Tuple.Src || back.Tuple.Dst != e.Tuple.Dst || back.Master.Src != e.Master.Src ||
			back.Master.Dst != e.Master.Dst || back.Helper() != e.Helper() || back.Fn() != e.Fn() {
			t.Fatalf("round trip changed the expectation: %+v -> %+v", e, back)
		}
	})
}
