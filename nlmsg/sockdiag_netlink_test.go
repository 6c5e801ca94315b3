//go:build linux

package nlmsg

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNetlinkDiagValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"NDIAG_PROTO_ALL", int64(NetlinkDiagProtoAll), 255, noUnix},
		{"MAX_LINKS", NetlinkDiagMaxProtocols, 32, noUnix},
		{"NDIAG_SHOW_MEMINFO", int64(NDiagShowMemInfo), 1, noUnix},
		{"NDIAG_SHOW_GROUPS", int64(NDiagShowGroups), 2, noUnix},
		{"NDIAG_SHOW_RING_CFG", int64(NDiagShowRingCfg), 4, noUnix},
		{"NDIAG_SHOW_FLAGS", int64(NDiagShowFlags), 8, noUnix},
		{"NETLINK_DIAG_MEMINFO", int64(NetlinkDiagMemInfo), 0, noUnix},
		{"NETLINK_DIAG_GROUPS", int64(NetlinkDiagGroups), 1, noUnix},
		{"NETLINK_DIAG_RX_RING", int64(NetlinkDiagRxRing), 2, noUnix},
		{"NETLINK_DIAG_TX_RING", int64(NetlinkDiagTxRing), 3, noUnix},
		{"NETLINK_DIAG_FLAGS", int64(NetlinkDiagFlags), 4, noUnix},
		{"NDIAG_FLAG_CB_RUNNING", int64(NDiagFlagCBRunning), 1, noUnix},
		{"NDIAG_FLAG_PKTINFO", int64(NDiagFlagPktInfo), 2, noUnix},
		{"NDIAG_FLAG_BROADCAST_ERROR", int64(NDiagFlagBroadcastError), 4, noUnix},
		{"NDIAG_FLAG_NO_ENOBUFS", int64(NDiagFlagNoENOBUFS), 8, noUnix},
		{"NDIAG_FLAG_LISTEN_ALL_NSID", int64(NDiagFlagListenAllNSID), 0x10, noUnix},
		{"NDIAG_FLAG_CAP_ACK", int64(NDiagFlagCapAck), 0x20, noUnix},
	})
}

func TestNetlinkDiagHeaders(t *testing.T) {
	req := NetlinkDiagReq{Family: unix.AF_NETLINK, Protocol: NetlinkDiagProtoAll, Inode: 7, Show: NDiagShowGroups | NDiagShowFlags,
		Cookie: [2]uint32{InetDiagNoCookie, 3}}
	b := req.AppendTo(nil)
	if len(b) != NetlinkDiagReqLen || b[0] != unix.AF_NETLINK || b[1] != 0xff || b[2] != 0 || b[3] != 0 {
		t.Fatalf("netlink_diag_req: % x", b)
	}
	if got, rest, err := DecodeNetlinkDiagReq(append(b, 1, 2, 3, 4)); err != nil || got != req || len(rest) != 4 {
		t.Errorf("DecodeNetlinkDiagReq = %+v, %d bytes left, %v", got, len(rest), err)
	}
	if _, _, err := DecodeNetlinkDiagReq(b[:NetlinkDiagReqLen-1]); err == nil {
		t.Error("a short netlink_diag_req decoded")
	}
	msg := NetlinkDiagMsg{Family: unix.AF_NETLINK, Type: unix.SOCK_DGRAM, Protocol: unix.NETLINK_GENERIC, State: 1,
		PortID: 1, DstPortID: 2, DstGroup: 3, Inode: 4, Cookie: [2]uint32{5, 6}}
	mb := msg.AppendTo(nil)
	var got NetlinkDiagMsg
	rest, err := got.Decode(append(mb, 9, 9, 9, 9))
	if len(mb) != NetlinkDiagMsgLen || err != nil || got != msg || !bytes.Equal(rest, []byte{9, 9, 9, 9}) {
		t.Errorf("netlink_diag_msg: %d bytes, %+v, %v", len(mb), got, err)
	}
	if _, err := got.Decode(mb[:NetlinkDiagMsgLen-1]); err == nil {
		t.Error("a short netlink_diag_msg decoded")
	}
}
