package sockdiag_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// netlinkMessage is a netlink_diag_msg payload for a connected rtnl
// socket with the given attributes.
func netlinkMessage(attrs ...[]byte) []byte {
	return withAttrs(nlmsg.NetlinkDiagMsg{Family: unix.AF_NETLINK, Type: unix.SOCK_RAW, Protocol: unix.NETLINK_ROUTE, State: 1,
		PortID: 4242, DstPortID: 7, DstGroup: 3, Inode: 99, Cookie: [2]uint32{0x10, 0x2}}.AppendTo(nil), attrs)
}

// groupWords is a NETLINK_DIAG_GROUPS bitmap of native 64-bit words, as
// a 64-bit kernel sends it.
func groupWords(words ...uint64) []byte {
	var b []byte
	for _, w := range words {
		b = binary.NativeEndian.AppendUint64(b, w)
	}
	return b
}

func TestDecodeNetlink(t *testing.T) {
	msg := netlinkMessage(
		attr(nlmsg.NetlinkDiagMemInfo, u32s(1, 2, 3, 4, 5, 6, 7, 8, 9)),
		attr(nlmsg.NetlinkDiagGroups, groupWords(1|1<<4|1<<32, 1<<63)),
		attr(nlmsg.NetlinkDiagFlags, u32s(nlmsg.NDiagFlagPktInfo|nlmsg.NDiagFlagCapAck|0x100)),
		attr(nlmsg.NetlinkDiagRxRing, u32s(4096, 2, 1024, 8)),
		attr(99, []byte{1}), // unknown: skipped
	)
	var s sockdiag.NetlinkSocket
	if err := s.Decode(msg); err != nil {
		t.Fatal(err)
	}
	if s.Protocol != unix.NETLINK_ROUTE || s.Type != unix.SOCK_RAW || !s.Connected || s.PortID != 4242 || s.DstPortID != 7 ||
		s.DstGroup != 3 || s.Inode != 99 || s.Cookie != 0x2_0000_0010 {
		t.Errorf("header: %+v", s)
	}
	if s.SkMemInfo != (sockdiag.SkMemInfo{1, 2, 3, 4, 5, 6, 7, 8, 9}) || s.RxRing != (sockdiag.NetlinkRing{4096, 2, 1024, 8}) || s.TxRing != (sockdiag.NetlinkRing{}) {
		t.Errorf("memory %+v, rings %+v %+v", s.SkMemInfo, s.RxRing, s.TxRing)
	}
	if !s.Flags.Has(sockdiag.NetlinkPktInfo|sockdiag.NetlinkCapAck) || s.Flags.String() != "pktinfo cap_ack 0x100" {
		t.Errorf("flags %q", s.Flags)
	}
	for g, want := range map[uint32]bool{0: false, 1: true, 2: false, 5: true, 33: true, 64: false, 128: true, 129: false, 1 << 20: false} {
		if s.InGroup(g) != want {
			t.Errorf("InGroup(%d) = %v, want %v", g, !want, want)
		}
	}
	if s.FirstGroups() != 0x11 {
		t.Errorf("FirstGroups = %#x, want 0x11", s.FirstGroups())
	}
	for _, typ := range []uint16{nlmsg.NetlinkDiagMemInfo, nlmsg.NetlinkDiagGroups, nlmsg.NetlinkDiagFlags, nlmsg.NetlinkDiagRxRing} {
		if !s.Has(typ) {
			t.Errorf("Has(%d) = false", typ)
		}
	}
	if s.Has(nlmsg.NetlinkDiagTxRing) || s.Has(99) {
		t.Error("Has reports an attribute that was not decoded")
	}
	// Decoding another socket into the same value leaves nothing of the
	// first, and reuses the groups' memory.
	groups := s.Groups
	if err := s.Decode(netlinkMessage(attr(nlmsg.NetlinkDiagGroups, groupWords(2)))); err != nil {
		t.Fatal(err)
	}
	if s.Flags != 0 || s.SkMemInfo != (sockdiag.SkMemInfo{}) || s.InGroup(1) || !s.InGroup(2) || s.InGroup(33) || &s.Groups[0] != &groups[0] {
		t.Errorf("second decode: %+v", s)
	}
	if err := s.Decode(netlinkMessage()); err != nil || len(s.Groups) != 0 || s.Has(nlmsg.NetlinkDiagGroups) || s.InGroup(2) {
		t.Errorf("a socket without groups: %+v, %v", s, err)
	}
}

// TestDecodeNetlinkMalformed: each malformed attribute gives a
// *DecodeError naming it.
func TestDecodeNetlinkMalformed(t *testing.T) {
	var s sockdiag.NetlinkSocket
	checkMalformed(t, []malformed{
		{"short header", "netlink_diag_msg", netlinkMessage()[:20]},
		{"wrong family", "netlink_diag_msg family AF_UNIX", append([]byte{unix.AF_UNIX}, netlinkMessage()[1:]...)},
		{"meminfo", "NETLINK_DIAG_MEMINFO", netlinkMessage(attr(nlmsg.NetlinkDiagMemInfo, u32s(1, 2)))},
		{"groups", "NETLINK_DIAG_GROUPS", netlinkMessage(attr(nlmsg.NetlinkDiagGroups, []byte{1, 2, 3}))},
		{"flags", "NETLINK_DIAG_FLAGS", netlinkMessage(attr(nlmsg.NetlinkDiagFlags, []byte{1, 2}))},
		{"rx ring", "NETLINK_DIAG_RX_RING", netlinkMessage(attr(nlmsg.NetlinkDiagRxRing, u32s(1)))},
		{"tx ring", "NETLINK_DIAG_TX_RING", netlinkMessage(attr(nlmsg.NetlinkDiagTxRing, u32s(1, 2, 3)))},
		{"attribute list", "netlink_diag attributes", append(netlinkMessage(), 0xff, 0, 0, 0)},
	}, s.Decode)
}

func TestNetlinkNames(t *testing.T) {
	for p, want := range map[sockdiag.NetlinkProtocol]string{
		unix.NETLINK_ROUTE: "rtnl", unix.NETLINK_SOCK_DIAG: "tcpdiag", unix.NETLINK_GENERIC: "genl",
		unix.NETLINK_KOBJECT_UEVENT: "uevent", unix.NETLINK_NETFILTER: "nft", unix.NETLINK_DNRTMSG: "dec-rt",
		unix.NETLINK_CRYPTO: "crypto", 17: "17", 31: "31", 255: "255",
	} {
		if p.String() != want {
			t.Errorf("NetlinkProtocol(%d) = %q, want %q", p, p, want)
		}
	}
	all := sockdiag.NetlinkDumpRunning | sockdiag.NetlinkPktInfo | sockdiag.NetlinkBroadcastError |
		sockdiag.NetlinkNoENOBUFS | sockdiag.NetlinkListenAllNSID | sockdiag.NetlinkCapAck
	if got := all.String(); got != "cb_running pktinfo broadcast_error no_enobufs listen_all_nsid cap_ack" {
		t.Errorf("flags: %q", got)
	}
	if got := sockdiag.NetlinkFlags(0).String(); got != "" {
		t.Errorf("no flags: %q", got)
	}
	if !strings.Contains(sockdiag.NetlinkFlags(1<<31).String(), "0x80000000") {
		t.Errorf("unknown flag: %q", sockdiag.NetlinkFlags(1<<31))
	}
}

func TestNetlinkDecodeDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	msg := netlinkMessage(attr(nlmsg.NetlinkDiagMemInfo, u32s(1, 2, 3, 4, 5, 6, 7, 8, 9)),
		attr(nlmsg.NetlinkDiagGroups, groupWords(1, 2)), attr(nlmsg.NetlinkDiagFlags, u32s(2)))
	var s sockdiag.NetlinkSocket
	if n := testing.AllocsPerRun(100, func() {
		if err := s.Decode(msg); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("NetlinkSocket.Decode: %v allocations per reply", n)
	}
}
