//go:build linux

package nlmsg

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// structBytes returns the in-memory bytes of a C-layout struct from
// x/sys/unix: what the kernel writes on the wire for that struct.
func structBytes[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// familyCase checks one family header type against the x/sys/unix struct of
// the same C name: same bytes when encoded, same fields when decoded.
type familyCase struct {
	name    string
	size    int    // the XxxLen constant
	encoded []byte // AppendTo(nil) of the test value
	kernel  []byte // the unix struct with the same field values, as bytes
	decode  func([]byte) (any, []byte, error)
	value   any // the test value, to compare with the decoded one
}

func familyCases() []familyCase {
	ifi := IfInfoMsg{Family: unix.AF_UNSPEC, Type: unix.ARPHRD_ETHER, Index: -7, Flags: unix.IFF_UP | unix.IFF_RUNNING, Change: 0xffffffff}
	ifa := IfAddrMsg{Family: unix.AF_INET6, PrefixLen: 64, Flags: 0x80, Scope: RTScopeLink, Index: 0x01020304}
	rtm := RtMsg{Family: unix.AF_INET, DstLen: 24, SrcLen: 8, TOS: 0x10, Table: RTTableMain, Protocol: RTProtStatic, Scope: RTScopeLink, Type: RTNUnicast, Flags: 0x1000}
	nd := NdMsg{Family: unix.AF_INET, Index: 3, State: 0x80, Flags: 0x08, Type: 1}
	rtg := RtGenMsg{Family: unix.AF_INET6}
	genl := GenlMsgHdr{Cmd: CtrlCmdGetFamily, Version: 2, Reserved: 0x0102}

	kIfi := unix.IfInfomsg{Family: ifi.Family, Type: ifi.Type, Index: ifi.Index, Flags: ifi.Flags, Change: ifi.Change}
	kIfa := unix.IfAddrmsg{Family: ifa.Family, Prefixlen: ifa.PrefixLen, Flags: ifa.Flags, Scope: ifa.Scope, Index: ifa.Index}
	kRtm := unix.RtMsg{Family: rtm.Family, Dst_len: rtm.DstLen, Src_len: rtm.SrcLen, Tos: rtm.TOS, Table: rtm.Table, Protocol: rtm.Protocol, Scope: rtm.Scope, Type: rtm.Type, Flags: rtm.Flags}
	kNd := unix.NdMsg{Family: nd.Family, Ifindex: nd.Index, State: nd.State, Flags: nd.Flags, Type: nd.Type}
	kRtg := unix.RtGenmsg{Family: rtg.Family}
	kGenl := unix.Genlmsghdr{Cmd: genl.Cmd, Version: genl.Version, Reserved: genl.Reserved}

	return []familyCase{
		{"ifinfomsg", IfInfoMsgLen, ifi.AppendTo(nil), structBytes(&kIfi),
			func(p []byte) (any, []byte, error) { return DecodeIfInfoMsg(p) }, ifi},
		{"ifaddrmsg", IfAddrMsgLen, ifa.AppendTo(nil), structBytes(&kIfa),
			func(p []byte) (any, []byte, error) { return DecodeIfAddrMsg(p) }, ifa},
		{"rtmsg", RtMsgLen, rtm.AppendTo(nil), structBytes(&kRtm),
			func(p []byte) (any, []byte, error) { return DecodeRtMsg(p) }, rtm},
		{"ndmsg", NdMsgLen, nd.AppendTo(nil), structBytes(&kNd),
			func(p []byte) (any, []byte, error) { return DecodeNdMsg(p) }, nd},
		// rtgenmsg is 1 byte; its encoding carries the 3 padding bytes.
		{"rtgenmsg", RtGenMsgLen, rtg.AppendTo(nil), append(structBytes(&kRtg), 0, 0, 0),
			func(p []byte) (any, []byte, error) { return DecodeRtGenMsg(p) }, rtg},
		{"genlmsghdr", GenlMsgHdrLen, genl.AppendTo(nil), structBytes(&kGenl),
			func(p []byte) (any, []byte, error) { return DecodeGenlMsgHdr(p) }, genl},
	}
}

func TestFamilyHeaders(t *testing.T) {
	for _, c := range familyCases() {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.encoded, c.kernel) {
				t.Errorf("AppendTo = % x, the kernel struct is % x", c.encoded, c.kernel)
			}
			if len(c.encoded) != Align(c.size) {
				t.Errorf("AppendTo wrote %d bytes, want Align(%d)", len(c.encoded), c.size)
			}
			// Decode the header followed by an attribute.
			attrs := rawAttr(7, u32(0xabcdef01))
			got, rest, err := c.decode(cat(c.encoded, attrs))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.value {
				t.Errorf("decoded %+v, want %+v", got, c.value)
			}
			if !bytes.Equal(rest, attrs) {
				t.Errorf("attributes after the header = % x, want % x", rest, attrs)
			}
			// Exactly the header: no attributes, no error.
			if _, rest, err := c.decode(c.kernel[:c.size]); err != nil || len(rest) != 0 {
				t.Errorf("decoding %d bytes: rest %d bytes, err %v", c.size, len(rest), err)
			}
			// Every shorter payload fails with ErrBadSize.
			for n := 0; n < c.size; n++ {
				_, rest, err := c.decode(c.encoded[:n])
				wantFormatError(t, err, ErrBadSize, 0)
				if rest != nil {
					t.Errorf("%d bytes: rest %v with an error", n, rest)
				}
			}
		})
	}
}

func TestRtGenMsgUnpadded(t *testing.T) {
	// A request from a C program has nlmsg_len 17: one byte of rtgenmsg and
	// no padding. Any of 1..4 bytes decodes with no attributes.
	for n := 1; n <= 4; n++ {
		h, rest, err := DecodeRtGenMsg([]byte{unix.AF_INET, 0, 0, 0}[:n])
		if err != nil || h.Family != unix.AF_INET || len(rest) != 0 {
			t.Errorf("%d bytes: %+v, rest %d, err %v", n, h, len(rest), err)
		}
	}
}

func TestDecodeRouteMessage(t *testing.T) {
	// A whole route message, decoded the way a user would: no byte offsets.
	var b Builder
	defer b.Release()
	appendRoute(&b, 0x0102, 7, Multi)
	s := NewScanner(b.Bytes())
	if !s.Next() {
		t.Fatal(s.Err())
	}
	var r route
	if n, err := decodeRoutes(b.Bytes(), &r); n != 1 || err != nil {
		t.Fatalf("decodeRoutes = %d, %v", n, err)
	}
	want := route{dst: [16]byte{10, 1, 2, 0}, dstLen: 24, family: 2, table: 254, oif: 1 + 0x0102%4, priority: 100 + 0x0102%7}
	if r != want {
		t.Errorf("route = %+v, want %+v", r, want)
	}
	if s.View().Len() != 60 {
		t.Errorf("route message is %d bytes, the kernel's is 60", s.View().Len())
	}
}
