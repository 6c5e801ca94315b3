//go:build linux

package nlmsg

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestPacketDiagValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"PACKET_SHOW_INFO", int64(PacketShowInfo), 1, noUnix},
		{"PACKET_SHOW_MCLIST", int64(PacketShowMCList), 2, noUnix},
		{"PACKET_SHOW_RING_CFG", int64(PacketShowRingCfg), 4, noUnix},
		{"PACKET_SHOW_FANOUT", int64(PacketShowFanout), 8, noUnix},
		{"PACKET_SHOW_MEMINFO", int64(PacketShowMemInfo), 0x10, noUnix},
		{"PACKET_SHOW_FILTER", int64(PacketShowFilter), 0x20, noUnix},
		{"PACKET_DIAG_INFO", int64(PacketDiagInfo), 0, noUnix},
		{"PACKET_DIAG_MCLIST", int64(PacketDiagMCList), 1, noUnix},
		{"PACKET_DIAG_RX_RING", int64(PacketDiagRxRing), 2, noUnix},
		{"PACKET_DIAG_TX_RING", int64(PacketDiagTxRing), 3, noUnix},
		{"PACKET_DIAG_FANOUT", int64(PacketDiagFanout), 4, noUnix},
		{"PACKET_DIAG_UID", int64(PacketDiagUID), 5, noUnix},
		{"PACKET_DIAG_MEMINFO", int64(PacketDiagMemInfo), 6, noUnix},
		{"PACKET_DIAG_FILTER", int64(PacketDiagFilter), 7, noUnix},
		{"PDI_RUNNING", int64(PDIRunning), 1, noUnix},
		{"PDI_AUXDATA", int64(PDIAuxData), 2, noUnix},
		{"PDI_ORIGDEV", int64(PDIOrigDev), 4, noUnix},
		{"PDI_VNETHDR", int64(PDIVnetHdr), 8, noUnix},
		{"PDI_LOSS", int64(PDILoss), 0x10, noUnix},
		{"sizeof(struct sock_filter)", SockFilterLen, 8, int64(unsafe.Sizeof(unix.SockFilter{}))},
		{"MAX_ADDR_LEN", PacketMCAddrLen, 32, noUnix},
	})
}

func TestPacketDiagHeaders(t *testing.T) {
	req := PacketDiagReq{Family: unix.AF_PACKET, Show: PacketShowInfo | PacketShowFilter, Cookie: [2]uint32{InetDiagNoCookie, InetDiagNoCookie}}
	b := req.AppendTo(nil)
	if len(b) != PacketDiagReqLen || b[0] != unix.AF_PACKET || b[1] != 0 || b[8] != 0x21 {
		t.Fatalf("packet_diag_req: % x", b)
	}
	// The two requests share their layout.
	if nb := (NetlinkDiagReq{Family: unix.AF_PACKET, Show: req.Show, Cookie: req.Cookie}).AppendTo(nil); !bytes.Equal(nb, b) {
		t.Errorf("packet_diag_req % x, netlink_diag_req % x", b, nb)
	}
	msg := PacketDiagMsg{Family: unix.AF_PACKET, Type: unix.SOCK_RAW, Num: unix.ETH_P_ALL, Inode: 4, Cookie: [2]uint32{5, 6}}
	mb := msg.AppendTo(nil)
	var got PacketDiagMsg
	rest, err := got.Decode(append(mb, 9, 9, 9, 9))
	if len(mb) != PacketDiagMsgLen || err != nil || got != msg || !bytes.Equal(rest, []byte{9, 9, 9, 9}) {
		t.Errorf("packet_diag_msg: %d bytes, %+v, %v", len(mb), got, err)
	}
	if _, err := got.Decode(mb[:PacketDiagMsgLen-1]); err == nil {
		t.Error("a short packet_diag_msg decoded")
	}
}
