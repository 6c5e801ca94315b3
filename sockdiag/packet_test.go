package sockdiag_test

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// packetMessage is a packet_diag_msg payload for a raw IPv6 socket with
// the given attributes.
func packetMessage(attrs ...[]byte) []byte {
	return withAttrs(nlmsg.PacketDiagMsg{Family: unix.AF_PACKET, Type: unix.SOCK_RAW, Num: unix.ETH_P_IPV6, Inode: 321, Cookie: [2]uint32{5, 1}}.AppendTo(nil), attrs)
}

// mclist is one struct packet_diag_mclist.
func mclist(ifindex, count uint32, typ uint16, addr ...byte) []byte {
	b := u32s(ifindex, count)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, uint16(len(addr)))
	var a [nlmsg.PacketMCAddrLen]byte
	copy(a[:], addr)
	return append(b, a[:]...)
}

// sockFilters is a PACKET_DIAG_FILTER payload.
func sockFilters(prog ...unix.SockFilter) []byte {
	var b []byte
	for _, f := range prog {
		b = binary.NativeEndian.AppendUint16(b, f.Code)
		b = append(b, f.Jt, f.Jf)
		b = binary.NativeEndian.AppendUint32(b, f.K)
	}
	return b
}

func TestDecodePacket(t *testing.T) {
	msg := packetMessage(
		attr(nlmsg.PacketDiagInfo, u32s(3, unix.TPACKET_V3, 64, 128, 1, nlmsg.PDIRunning|nlmsg.PDILoss)),
		attr(nlmsg.PacketDiagUID, u32s(1000)),
		attr(nlmsg.PacketDiagMCList, append(mclist(3, 1, unix.PACKET_MR_PROMISC), mclist(3, 2, unix.PACKET_MR_MULTICAST, 0x33, 0x33, 0, 0, 0, 1)...)),
		attr(nlmsg.PacketDiagRxRing, u32s(65536, 2, 2048, 64, 60, 16, 1)),
		attr(nlmsg.PacketDiagTxRing, u32s(4096, 4, 1024, 16, 0, 0, 0)),
		attr(nlmsg.PacketDiagFanout, u32s(42|unix.PACKET_FANOUT_ROLLOVER<<16)),
		attr(nlmsg.PacketDiagMemInfo, u32s(1, 2, 3, 4, 5, 6, 7, 8, 9)),
		attr(nlmsg.PacketDiagFilter, sockFilters(packetProgram...)),
		attr(99, []byte{1}), // unknown: skipped
	)
	var s sockdiag.PacketSocket
	if err := s.Decode(msg); err != nil {
		t.Fatal(err)
	}
	if s.Type.String() != "p_raw" || s.Protocol.String() != "ipv6" || s.Inode != 321 || s.Cookie != 0x1_0000_0005 || s.UID != 1000 {
		t.Errorf("header: %+v", s)
	}
	if s.Info != (sockdiag.PacketInfo{Interface: 3, Version: unix.TPACKET_V3, Reserve: 64, CopyThresh: 128, Timestamp: 1, Flags: sockdiag.PacketRunning | sockdiag.PacketLoss}) {
		t.Errorf("info: %+v", s.Info)
	}
	if s.RxRing != (sockdiag.PacketRing{65536, 2, 2048, 64, 60, 16, 1}) || s.TxRing != (sockdiag.PacketRing{4096, 4, 1024, 16, 0, 0, 0}) {
		t.Errorf("rings: %+v %+v", s.RxRing, s.TxRing)
	}
	if s.Fanout != (sockdiag.PacketFanout{ID: 42, Mode: unix.PACKET_FANOUT_ROLLOVER}) || s.Fanout.Mode.String() != "roll" {
		t.Errorf("fanout: %+v", s.Fanout)
	}
	if s.SkMemInfo != (sockdiag.SkMemInfo{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("memory: %+v", s.SkMemInfo)
	}
	if len(s.Memberships) != 2 || s.Memberships[0].Type != unix.PACKET_MR_PROMISC || len(s.Memberships[0].Addr()) != 0 ||
		s.Memberships[1].Count != 2 || string(s.Memberships[1].Addr()) != "\x33\x33\x00\x00\x00\x01" {
		t.Errorf("memberships: %+v", s.Memberships)
	}
	if len(s.Filter) != len(packetProgram) || s.Filter[1] != packetProgram[1] || s.Filter[2] != packetProgram[2] {
		t.Errorf("filter: %+v", s.Filter)
	}
	for _, typ := range []uint16{nlmsg.PacketDiagInfo, nlmsg.PacketDiagUID, nlmsg.PacketDiagMCList, nlmsg.PacketDiagRxRing,
		nlmsg.PacketDiagTxRing, nlmsg.PacketDiagFanout, nlmsg.PacketDiagMemInfo, nlmsg.PacketDiagFilter} {
		if !s.Has(typ) {
			t.Errorf("Has(%d) = false", typ)
		}
	}
	if s.Has(99) {
		t.Error("Has reports an attribute that was not decoded")
	}
	// Another socket in the same value: nothing of the first remains, the
	// lists keep their memory. An empty filter attribute (a requester
	// without CAP_NET_ADMIN) is present with no instructions.
	mc := s.Memberships
	if err := s.Decode(packetMessage(attr(nlmsg.PacketDiagMCList, mclist(1, 1, unix.PACKET_MR_ALLMULTI)), attr(nlmsg.PacketDiagFilter, nil))); err != nil {
		t.Fatal(err)
	}
	if s.Info != (sockdiag.PacketInfo{}) || s.UID != 0 || s.Has(nlmsg.PacketDiagFanout) || len(s.Memberships) != 1 || &s.Memberships[0] != &mc[0] ||
		!s.Has(nlmsg.PacketDiagFilter) || len(s.Filter) != 0 {
		t.Errorf("second decode: %+v", s)
	}
}

// TestDecodePacketMalformed: each malformed attribute gives a
// *DecodeError naming it.
func TestDecodePacketMalformed(t *testing.T) {
	var s sockdiag.PacketSocket
	checkMalformed(t, []malformed{
		{"short header", "packet_diag_msg", packetMessage()[:15]},
		{"wrong family", "packet_diag_msg family AF_NETLINK", append([]byte{unix.AF_NETLINK}, packetMessage()[1:]...)},
		{"info", "PACKET_DIAG_INFO", packetMessage(attr(nlmsg.PacketDiagInfo, u32s(1, 2, 3)))},
		{"mclist", "PACKET_DIAG_MCLIST", packetMessage(attr(nlmsg.PacketDiagMCList, mclist(1, 1, 0)[:40]))},
		{"rx ring", "PACKET_DIAG_RX_RING", packetMessage(attr(nlmsg.PacketDiagRxRing, u32s(1, 2, 3, 4)))},
		{"tx ring", "PACKET_DIAG_TX_RING", packetMessage(attr(nlmsg.PacketDiagTxRing, nil))},
		{"fanout", "PACKET_DIAG_FANOUT", packetMessage(attr(nlmsg.PacketDiagFanout, []byte{1, 2}))},
		{"uid", "PACKET_DIAG_UID", packetMessage(attr(nlmsg.PacketDiagUID, u32s(1, 2)))},
		{"meminfo", "PACKET_DIAG_MEMINFO", packetMessage(attr(nlmsg.PacketDiagMemInfo, u32s(1)))},
		{"filter", "PACKET_DIAG_FILTER", packetMessage(attr(nlmsg.PacketDiagFilter, u32s(1, 2, 3)))},
		{"attribute list", "packet_diag attributes", append(packetMessage(), 0xff, 0, 0, 0)},
	}, s.Decode)
}

func TestPacketNames(t *testing.T) {
	for p, want := range map[sockdiag.EtherType]string{
		sockdiag.EtherTypeAll: "*", unix.ETH_P_IP: "ip", unix.ETH_P_ARP: "arp", unix.ETH_P_IPV6: "ipv6",
		unix.ETH_P_8021Q: "802.1Q", unix.ETH_P_8021AD: "802.1ad", unix.ETH_P_LLDP: "LLDP", 0: "[0]", 0x1234: "[4660]",
	} {
		if p.String() != want {
			t.Errorf("EtherType(%#x) = %q, want %q", uint16(p), p, want)
		}
	}
	for typ, want := range map[sockdiag.PacketType]string{unix.SOCK_RAW: "p_raw", unix.SOCK_DGRAM: "p_dgr", unix.SOCK_PACKET: "p_dgr"} {
		if typ.String() != want {
			t.Errorf("PacketType(%d) = %q, want %q", typ, typ, want)
		}
	}
	for m, want := range map[sockdiag.FanoutMode]string{
		unix.PACKET_FANOUT_HASH: "hash", unix.PACKET_FANOUT_LB: "lb", unix.PACKET_FANOUT_CPU: "cpu",
		unix.PACKET_FANOUT_ROLLOVER: "roll", unix.PACKET_FANOUT_RND: "random", unix.PACKET_FANOUT_QM: "qm",
		unix.PACKET_FANOUT_CBPF: "0x6", unix.PACKET_FANOUT_EBPF: "0x7",
	} {
		if m.String() != want {
			t.Errorf("FanoutMode(%d) = %q, want %q", m, m, want)
		}
	}
	all := sockdiag.PacketRunning | sockdiag.PacketAuxData | sockdiag.PacketOrigDev | sockdiag.PacketVnetHdr | sockdiag.PacketLoss
	if got := (all | 1<<20).String(); got != "running auxdata origdev vnethdr loss" || sockdiag.PacketFlags(0).String() != "" || !all.Has(sockdiag.PacketLoss) {
		t.Errorf("flags: %q", got)
	}
}

func TestPacketDecodeDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	msg := packetMessage(attr(nlmsg.PacketDiagInfo, u32s(3, 0, 0, 0, 0, 1)), attr(nlmsg.PacketDiagMCList, mclist(3, 1, unix.PACKET_MR_PROMISC)),
		attr(nlmsg.PacketDiagMemInfo, u32s(1, 2, 3, 4, 5, 6, 7, 8, 9)), attr(nlmsg.PacketDiagFilter, sockFilters(packetProgram...)))
	var s sockdiag.PacketSocket
	if n := testing.AllocsPerRun(100, func() {
		if err := s.Decode(msg); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("PacketSocket.Decode: %v allocations per reply", n)
	}
}
