package sockdiag_test

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"reflect"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

func attr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32s(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.NativeEndian.AppendUint32(b, x)
	}
	return b
}

// inetMessage is an inet_diag_msg payload for 10.0.0.1:443 -> [::]... with
// the given attributes.
func inetMessage(family uint8, attrs ...[]byte) []byte {
	h := nlmsg.InetDiagMsg{Family: family, State: nlmsg.TCPEstablished, Timer: 1, Retrans: 2, Expires: 1500,
		RQueue: 3, WQueue: 4, UID: 1000, Inode: 77}
	h.ID.SPort, h.ID.DPort, h.ID.If, h.ID.Cookie = 443, 50000, 2, [2]uint32{0x11, 0x22}
	if family == unix.AF_INET {
		copy(h.ID.Src[:], []byte{10, 0, 0, 1})
		copy(h.ID.Dst[:], []byte{10, 0, 0, 2})
	} else {
		h.ID.Src = netip.MustParseAddr("2001:db8::1").As16()
		h.ID.Dst = netip.MustParseAddr("::ffff:10.0.0.2").As16()
	}
	b := h.AppendTo(nil)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// kernelTCPInfo is a struct tcp_info as x/sys/unix lays it out, every field
// a distinct value, with the wscale and app-limited bit fields (which
// unix.TCPInfo leaves as padding) set by hand.
func kernelTCPInfo() []byte {
	var k unix.TCPInfo
	v := reflect.ValueOf(&k).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.CanSet() {
			f.SetUint(uint64(i + 1))
		}
	}
	b := append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k))...)
	b[6] = 7<<4 | 10 // rcv_wscale 7, snd_wscale 10
	b[7] = 1 | 2<<1  // delivery_rate_app_limited, fastopen_client_fail 2
	return b
}

// TestTCPInfoLayout decodes a tcp_info laid out by x/sys/unix's TCPInfo and
// checks every field this package names against the unix field of the
// same kernel name.
func TestTCPInfoLayout(t *testing.T) {
	raw := kernelTCPInfo()
	var s sockdiag.InetSocket
	if err := s.Decode(inetMessage(unix.AF_INET, attr(nlmsg.InetDiagInfo, raw)), unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	var k unix.TCPInfo
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k)), raw)
	i := s.TCPInfo
	got := []uint64{uint64(i.State), uint64(i.CAState), uint64(i.Retransmits), uint64(i.Probes), uint64(i.Backoff), uint64(i.Options),
		uint64(i.RTOUsec), uint64(i.ATOUsec), uint64(i.SndMSS), uint64(i.RcvMSS), uint64(i.Unacked), uint64(i.Sacked), uint64(i.Lost),
		uint64(i.Retrans), uint64(i.Fackets), uint64(i.LastDataSent), uint64(i.LastAckSent), uint64(i.LastDataRecv), uint64(i.LastAckRecv),
		uint64(i.PMTU), uint64(i.RcvSsthresh), uint64(i.RTTUsec), uint64(i.RTTVarUsec), uint64(i.SndSsthresh), uint64(i.SndCwnd),
		uint64(i.AdvMSS), uint64(i.Reordering), uint64(i.RcvRTTUsec), uint64(i.RcvSpace), uint64(i.TotalRetrans),
		i.PacingRate, i.MaxPacingRate, i.BytesAcked, i.BytesReceived, uint64(i.SegsOut), uint64(i.SegsIn), uint64(i.NotsentBytes),
		uint64(i.MinRTTUsec), uint64(i.DataSegsIn), uint64(i.DataSegsOut), i.DeliveryRate, i.BusyTimeUsec, i.RwndLimited,
		i.SndbufLimited, uint64(i.Delivered), uint64(i.DeliveredCE), i.BytesSent, i.BytesRetrans, uint64(i.DSACKDups),
		uint64(i.ReordSeen), uint64(i.RcvOOOPack), uint64(i.SndWnd), uint64(i.RcvWnd), uint64(i.Rehash), uint64(i.TotalRTO),
		uint64(i.TotalRTORecov), uint64(i.TotalRTOTime)}
	want := []uint64{uint64(k.State), uint64(k.Ca_state), uint64(k.Retransmits), uint64(k.Probes), uint64(k.Backoff), uint64(k.Options),
		uint64(k.Rto), uint64(k.Ato), uint64(k.Snd_mss), uint64(k.Rcv_mss), uint64(k.Unacked), uint64(k.Sacked), uint64(k.Lost),
		uint64(k.Retrans), uint64(k.Fackets), uint64(k.Last_data_sent), uint64(k.Last_ack_sent), uint64(k.Last_data_recv), uint64(k.Last_ack_recv),
		uint64(k.Pmtu), uint64(k.Rcv_ssthresh), uint64(k.Rtt), uint64(k.Rttvar), uint64(k.Snd_ssthresh), uint64(k.Snd_cwnd),
		uint64(k.Advmss), uint64(k.Reordering), uint64(k.Rcv_rtt), uint64(k.Rcv_space), uint64(k.Total_retrans),
		k.Pacing_rate, k.Max_pacing_rate, k.Bytes_acked, k.Bytes_received, uint64(k.Segs_out), uint64(k.Segs_in), uint64(k.Notsent_bytes),
		uint64(k.Min_rtt), uint64(k.Data_segs_in), uint64(k.Data_segs_out), k.Delivery_rate, k.Busy_time, k.Rwnd_limited,
		k.Sndbuf_limited, uint64(k.Delivered), uint64(k.Delivered_ce), k.Bytes_sent, k.Bytes_retrans, uint64(k.Dsack_dups),
		uint64(k.Reord_seen), uint64(k.Rcv_ooopack), uint64(k.Snd_wnd), uint64(k.Rcv_wnd), uint64(k.Rehash), uint64(k.Total_rto),
		uint64(k.Total_rto_recoveries), uint64(k.Total_rto_time)}
	for n := range want {
		if got[n] != want[n] || want[n] == 0 {
			t.Errorf("field %d: decoded %d, unix.TCPInfo has %d", n, got[n], want[n])
		}
	}
	if i.SndWScale != 10 || i.RcvWScale != 7 || !i.DeliveryRateAppLimited || i.FastOpenClientFail != 2 {
		t.Errorf("bit fields: wscale %d,%d app-limited %v fastopen fail %d", i.SndWScale, i.RcvWScale, i.DeliveryRateAppLimited, i.FastOpenClientFail)
	}
	// An old kernel's 104-byte tcp_info: the later fields are zero.
	if err := s.Decode(inetMessage(unix.AF_INET, attr(nlmsg.InetDiagInfo, raw[:104])), unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	if s.TCPInfo.TotalRetrans != k.Total_retrans || s.TCPInfo.PacingRate != 0 || s.TCPInfo.TotalRTOTime != 0 {
		t.Errorf("short tcp_info: total_retrans %d, pacing %d", s.TCPInfo.TotalRetrans, s.TCPInfo.PacingRate)
	}
}

// TestDecodeHeaderAndExtensions checks the header fields and every
// extension of a crafted reply, and that decoding the next socket into the
// same value leaves nothing of the previous one.
func TestDecodeHeaderAndExtensions(t *testing.T) {
	msg := inetMessage(unix.AF_INET6,
		attr(nlmsg.InetDiagMemInfo, u32s(1, 2, 3, 4)),
		attr(nlmsg.InetDiagSkMemInfo, u32s(10, 11, 12, 13, 14, 15, 16, 17, 18)),
		attr(nlmsg.InetDiagCong, []byte("cubic\x00")),
		attr(nlmsg.InetDiagTOS, []byte{0x10}),
		attr(nlmsg.InetDiagTClass, []byte{0x20}),
		attr(nlmsg.InetDiagShutdown, []byte{3}),
		attr(nlmsg.InetDiagSkV6Only, []byte{1}),
		attr(nlmsg.InetDiagMark, u32s(0xbeef)),
		attr(nlmsg.InetDiagClassID, u32s(9)),
		attr(nlmsg.InetDiagCgroupID, binary.NativeEndian.AppendUint64(nil, 1234)),
		attr(99, []byte{1, 2, 3}), // unknown: skipped
	)
	var s sockdiag.InetSocket
	if err := s.Decode(msg, unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	want := sockdiag.InetSocket{
		Family: unix.AF_INET6, Protocol: unix.IPPROTO_TCP, State: sockdiag.StateEstablished, Timer: sockdiag.TimerOn,
		Retrans: 2, Expires: 1500e6, Local: netip.MustParseAddrPort("[2001:db8::1]:443"),
		Remote: netip.MustParseAddrPort("[::ffff:10.0.0.2]:50000"), Interface: 2, Cookie: 0x22_0000_0011,
		RQueue: 3, WQueue: 4, UID: 1000, Inode: 77,
		MemInfo: sockdiag.MemInfo{1, 2, 3, 4}, SkMemInfo: sockdiag.SkMemInfo{10, 11, 12, 13, 14, 15, 16, 17, 18},
		Congestion: "cubic", TOS: 0x10, TClass: 0x20, Shutdown: 3, V6Only: true, Mark: 0xbeef, ClassID: 9, CgroupID: 1234,
	}
	if !sameSocket(&s, &want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", s, want)
	}
	for _, typ := range []uint16{nlmsg.InetDiagMemInfo, nlmsg.InetDiagCong, nlmsg.InetDiagCgroupID} {
		if !s.Has(typ) {
			t.Errorf("Has(%d) = false", typ)
		}
	}
	if s.Has(nlmsg.InetDiagInfo) || s.Has(99) {
		t.Error("Has reports attributes that were not there")
	}
	if id := s.ID(); id.SPort != 443 || id.Src != netip.MustParseAddr("2001:db8::1").As16() || id.Cookie != [2]uint32{0x11, 0x22} || id.If != 2 {
		t.Errorf("ID() = %+v", id)
	}
	// The next socket, with no extensions, into the same value.
	if err := s.Decode(inetMessage(unix.AF_INET), unix.IPPROTO_UDP); err != nil {
		t.Fatal(err)
	}
	if s.Congestion != "" || s.MemInfo != (sockdiag.MemInfo{}) || s.Mark != 0 || s.Has(nlmsg.InetDiagMemInfo) || s.Local != netip.MustParseAddrPort("10.0.0.1:443") || s.Protocol != unix.IPPROTO_UDP {
		t.Errorf("second decode kept old fields: %+v", s)
	}
}

// TestDecodeCongestionControlFigures decodes the three figures a
// congestion control module can send: bbr's 64-bit bandwidth from its two
// halves, vegas's and dctcp's fields in order; each is marked present,
// and the next socket, under cubic, keeps none of them.
func TestDecodeCongestionControlFigures(t *testing.T) {
	dctcp := binary.NativeEndian.AppendUint16(nil, 1)
	dctcp = binary.NativeEndian.AppendUint16(dctcp, 2)
	dctcp = append(dctcp, u32s(1024, 3000, 9000)...)
	msg := inetMessage(unix.AF_INET,
		attr(nlmsg.InetDiagBBRInfo, u32s(0x89abcdef, 0x1, 25, 739, 512)),
		attr(nlmsg.InetDiagVegasInfo, u32s(1, 8, 120, 100)),
		attr(nlmsg.InetDiagDCTCPInfo, dctcp),
	)
	var s sockdiag.InetSocket
	if err := s.Decode(msg, unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	if want := (sockdiag.BBRInfo{Bandwidth: 0x1_89ab_cdef, MinRTTUsec: 25, PacingGain: 739, CwndGain: 512}); s.BBR != want {
		t.Errorf("BBR = %+v, want %+v", s.BBR, want)
	}
	if want := (sockdiag.VegasInfo{Enabled: 1, RTTCount: 8, RTTUsec: 120, MinRTTUsec: 100}); s.Vegas != want {
		t.Errorf("Vegas = %+v, want %+v", s.Vegas, want)
	}
	if want := (sockdiag.DCTCPInfo{Enabled: 1, CEState: 2, Alpha: 1024, ABECN: 3000, ABTot: 9000}); s.DCTCP != want {
		t.Errorf("DCTCP = %+v, want %+v", s.DCTCP, want)
	}
	for _, typ := range []uint16{nlmsg.InetDiagBBRInfo, nlmsg.InetDiagVegasInfo, nlmsg.InetDiagDCTCPInfo} {
		if !s.Has(typ) {
			t.Errorf("Has(%d) = false", typ)
		}
	}
	if err := s.Decode(inetMessage(unix.AF_INET, attr(nlmsg.InetDiagCong, []byte("cubic\x00"))), unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	if s.BBR != (sockdiag.BBRInfo{}) || s.Vegas != (sockdiag.VegasInfo{}) || s.DCTCP != (sockdiag.DCTCPInfo{}) || s.Has(nlmsg.InetDiagBBRInfo) {
		t.Errorf("a cubic socket after kept %+v %+v %+v", s.BBR, s.Vegas, s.DCTCP)
	}
}

// TestDecodeSockOpts decodes the bit fields of struct inet_diag_sockopt
// as the ABI lays them out (the first field in the lowest bit of a byte
// on little-endian machines, the highest on big-endian ones): the options
// come out by ss's names, and the five unused bits are dropped.
func TestDecodeSockOpts(t *testing.T) {
	// is_icsk, mc_loop, mc_all; defer_connect and the unused bits.
	raw := []byte{1<<1 | 1<<4 | 1<<6, 1<<2 | 0xf8}
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		raw[0], raw[1] = bits.Reverse8(raw[0]), bits.Reverse8(raw[1])
	}
	var s sockdiag.InetSocket
	if err := s.Decode(inetMessage(unix.AF_INET, attr(nlmsg.InetDiagSockOpt, raw)), unix.IPPROTO_TCP); err != nil {
		t.Fatal(err)
	}
	want := sockdiag.SockOptICSK | sockdiag.SockOptMulticastLoop | sockdiag.SockOptMulticastAll | sockdiag.SockOptDeferConnect
	if s.SockOpt != want || !s.Has(nlmsg.InetDiagSockOpt) || !s.SockOpt.Has(sockdiag.SockOptICSK|sockdiag.SockOptDeferConnect) || s.SockOpt.Has(sockdiag.SockOptRecvErr) {
		t.Errorf("SockOpt = %#x (%s), want %#x", uint16(s.SockOpt), s.SockOpt, uint16(want))
	}
	if got := s.SockOpt.String(); got != "is_icsk mc_loop mc_all defer_connect" {
		t.Errorf("String() = %q", got)
	}
	all := sockdiag.SockOpts(1<<11 - 1)
	if got := all.String(); got != "recverr is_icsk freebind hdrincl mc_loop transparent mc_all nodefrag bind_addr_no_port recverr_rfc4884 defer_connect" {
		t.Errorf("every option: %q", got)
	}
	if got := sockdiag.SockOpts(0).String(); got != "" {
		t.Errorf("no option: %q", got)
	}
}

func sameSocket(a, b *sockdiag.InetSocket) bool {
	// has is unexported; compare through a copy with Has cleared.
	x, y := *a, *b
	return reflect.DeepEqual(exported(x), exported(y))
}

func exported(s sockdiag.InetSocket) map[string]any {
	m := map[string]any{}
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			m[v.Type().Field(i).Name] = v.Field(i).Interface()
		}
	}
	return m
}

// TestDecodeErrorsNameTheAttribute feeds replies with one malformed part
// each: the error is a *DecodeError naming it, never a panic or a
// silently wrong field.
func TestDecodeErrorsNameTheAttribute(t *testing.T) {
	cases := []struct {
		name string
		msg  []byte
	}{
		{"inet_diag_msg", inetMessage(unix.AF_INET)[:71]},
		{"inet_diag_msg family AF_UNIX", func() []byte { b := inetMessage(unix.AF_INET); b[0] = unix.AF_UNIX; return b }()},
		{"INET_DIAG_INFO (tcp_info)", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagInfo, make([]byte, 100)))},
		{"INET_DIAG_MEMINFO", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagMemInfo, u32s(1, 2, 3)))},
		{"INET_DIAG_SKMEMINFO", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagSkMemInfo, u32s(1, 2, 3)))},
		{"INET_DIAG_CONG", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagCong, []byte("a-name-longer-than-sixteen")))},
		{"INET_DIAG_TOS", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagTOS, nil))},
		{"INET_DIAG_MARK", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagMark, []byte{1, 2}))},
		{"INET_DIAG_CGROUP_ID", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagCgroupID, u32s(1)))},
		{"INET_DIAG_SOCKOPT", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagSockOpt, []byte{1}))},
		{"INET_DIAG_BBRINFO", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagBBRInfo, u32s(1, 2, 3, 4)))},
		{"INET_DIAG_VEGASINFO", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagVegasInfo, u32s(1, 2, 3)))},
		{"INET_DIAG_DCTCPINFO", inetMessage(unix.AF_INET, attr(nlmsg.InetDiagDCTCPInfo, u32s(1, 2, 3)))},
		{"inet_diag attributes", append(inetMessage(unix.AF_INET), 0xff, 0, 1, 0)},
	}
	for _, c := range cases {
		var s sockdiag.InetSocket
		err := s.Decode(c.msg, unix.IPPROTO_TCP)
		var de *sockdiag.DecodeError
		if !errors.As(err, &de) || de.Attr != c.name {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
	unixCases := []struct {
		name string
		msg  []byte
	}{
		{"unix_diag_msg", unixMessage()[:15]},
		{"UNIX_DIAG_NAME", unixMessage(attr(nlmsg.UnixDiagName, make([]byte, 109)))},
		{"UNIX_DIAG_VFS", unixMessage(attr(nlmsg.UnixDiagVFS, u32s(1)))},
		{"UNIX_DIAG_PEER", unixMessage(attr(nlmsg.UnixDiagPeer, nil))},
		{"UNIX_DIAG_ICONS", unixMessage(attr(nlmsg.UnixDiagIcons, []byte{1, 2, 3}))},
		{"UNIX_DIAG_RQLEN", unixMessage(attr(nlmsg.UnixDiagRQLen, u32s(1)))},
		{"UNIX_DIAG_MEMINFO", unixMessage(attr(nlmsg.UnixDiagMemInfo, u32s(1)))},
		{"UNIX_DIAG_UID", unixMessage(attr(nlmsg.UnixDiagUID, []byte{1}))},
	}
	for _, c := range unixCases {
		var s sockdiag.UnixSocket
		err := s.Decode(c.msg)
		var de *sockdiag.DecodeError
		if !errors.As(err, &de) || de.Attr != c.name {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
}

func unixMessage(attrs ...[]byte) []byte {
	return withAttrs(nlmsg.UnixDiagMsg{Family: unix.AF_UNIX, Type: unix.SOCK_STREAM, State: nlmsg.TCPListen, Inode: 5, Cookie: [2]uint32{1, 0}}.AppendTo(nil), attrs)
}

// withAttrs appends the attributes to the family header h.
func withAttrs(h []byte, attrs [][]byte) []byte {
	for _, a := range attrs {
		h = append(h, a...)
	}
	return h
}

// malformed is a reply Decode must refuse with a *DecodeError for attr.
type malformed struct {
	name, attr string
	payload    []byte
}

// checkMalformed decodes each case with decode and checks the error.
func checkMalformed(t *testing.T, cases []malformed, decode func([]byte) error) {
	t.Helper()
	for _, tc := range cases {
		err := decode(tc.payload)
		var de *sockdiag.DecodeError
		if !errors.As(err, &de) || de.Attr != tc.attr {
			t.Errorf("%s: %v, want a *DecodeError for %s", tc.name, err, tc.attr)
		}
	}
}

func TestDecodeUnix(t *testing.T) {
	msg := unixMessage(
		attr(nlmsg.UnixDiagName, []byte("/run/x.sock\x00")),
		attr(nlmsg.UnixDiagVFS, u32s(88, 0xfe00001)),
		attr(nlmsg.UnixDiagPeer, u32s(0)),
		attr(nlmsg.UnixDiagIcons, u32s(7, 8, 9)),
		attr(nlmsg.UnixDiagRQLen, u32s(3, 128)),
		attr(nlmsg.UnixDiagUID, u32s(1000)),
	)
	var s sockdiag.UnixSocket
	if err := s.Decode(msg); err != nil {
		t.Fatal(err)
	}
	if s.Path() != "/run/x.sock" || s.VFS != (sockdiag.VFS{Inode: 88, Dev: 0xfe00001}) || len(s.Pending) != 3 || s.Pending[2] != 9 ||
		s.RQueue != 3 || s.WQueue != 128 || s.UID != 1000 || s.Type.String() != "u_str" || s.State.String() != "LISTEN" {
		t.Errorf("decoded %+v path %q", s, s.Path())
	}
	// An abstract name reads with '@', as ss prints it; Pending keeps its
	// memory for the next socket.
	p := &s.Pending[0]
	if err := s.Decode(unixMessage(attr(nlmsg.UnixDiagName, []byte("\x00abstract")), attr(nlmsg.UnixDiagIcons, u32s(1)))); err != nil {
		t.Fatal(err)
	}
	if s.Path() != "@abstract" || string(s.PathBytes()) != "\x00abstract" || len(s.Pending) != 1 || &s.Pending[0] != p || s.UID != 0 {
		t.Errorf("second decode: path %q, pending %v", s.Path(), s.Pending)
	}
}

// TestDecodeDoesNotAllocate decodes a reply with every extension, and a
// unix reply with a name and pending connections, into reused values.
func TestDecodeDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	msg := inetMessage(unix.AF_INET6,
		attr(nlmsg.InetDiagInfo, kernelTCPInfo()),
		attr(nlmsg.InetDiagMemInfo, u32s(1, 2, 3, 4)),
		attr(nlmsg.InetDiagSkMemInfo, u32s(10, 11, 12, 13, 14, 15, 16, 17, 18)),
		attr(nlmsg.InetDiagCong, []byte("bbr\x00")),
		attr(nlmsg.InetDiagBBRInfo, u32s(1, 2, 3, 4, 5)),
		attr(nlmsg.InetDiagTOS, []byte{0x10}),
		attr(nlmsg.InetDiagCgroupID, binary.NativeEndian.AppendUint64(nil, 1234)),
	)
	var s sockdiag.InetSocket
	if n := testing.AllocsPerRun(100, func() {
		if err := s.Decode(msg, unix.IPPROTO_TCP); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("InetSocket.Decode: %v allocations per reply", n)
	}
	umsg := unixMessage(attr(nlmsg.UnixDiagName, []byte("/run/x.sock\x00")), attr(nlmsg.UnixDiagIcons, u32s(7, 8, 9)))
	var u sockdiag.UnixSocket
	if n := testing.AllocsPerRun(100, func() {
		if err := u.Decode(umsg); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("UnixSocket.Decode: %v allocations per reply", n)
	}
}
