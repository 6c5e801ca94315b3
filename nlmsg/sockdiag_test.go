//go:build linux

package nlmsg

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSockDiagValues(t *testing.T) {
	checkConsts(t, []constCase{
		{"SOCK_DIAG_BY_FAMILY", int64(SockDiagByFamily), 20, unix.SOCK_DIAG_BY_FAMILY},
		{"SOCK_DESTROY", int64(SockDestroy), 21, unix.SOCK_DESTROY},
		{"SK_MEMINFO_RMEM_ALLOC", SKMemInfoRmemAlloc, 0, unix.SK_MEMINFO_RMEM_ALLOC},
		{"SK_MEMINFO_RCVBUF", SKMemInfoRcvbuf, 1, unix.SK_MEMINFO_RCVBUF},
		{"SK_MEMINFO_WMEM_ALLOC", SKMemInfoWmemAlloc, 2, unix.SK_MEMINFO_WMEM_ALLOC},
		{"SK_MEMINFO_SNDBUF", SKMemInfoSndbuf, 3, unix.SK_MEMINFO_SNDBUF},
		{"SK_MEMINFO_FWD_ALLOC", SKMemInfoFwdAlloc, 4, unix.SK_MEMINFO_FWD_ALLOC},
		{"SK_MEMINFO_WMEM_QUEUED", SKMemInfoWmemQueued, 5, unix.SK_MEMINFO_WMEM_QUEUED},
		{"SK_MEMINFO_OPTMEM", SKMemInfoOptmem, 6, unix.SK_MEMINFO_OPTMEM},
		{"SK_MEMINFO_BACKLOG", SKMemInfoBacklog, 7, unix.SK_MEMINFO_BACKLOG},
		{"SK_MEMINFO_DROPS", SKMemInfoDrops, 8, unix.SK_MEMINFO_DROPS},
		{"SK_MEMINFO_VARS", SKMemInfoVars, 9, unix.SK_MEMINFO_VARS},
		// The TCP states: x/sys/unix has them as BPF_TCP_* (same enum).
		{"TCP_ESTABLISHED", int64(TCPEstablished), 1, unix.BPF_TCP_ESTABLISHED},
		{"TCP_SYN_SENT", int64(TCPSynSent), 2, unix.BPF_TCP_SYN_SENT},
		{"TCP_SYN_RECV", int64(TCPSynRecv), 3, unix.BPF_TCP_SYN_RECV},
		{"TCP_FIN_WAIT1", int64(TCPFinWait1), 4, unix.BPF_TCP_FIN_WAIT1},
		{"TCP_FIN_WAIT2", int64(TCPFinWait2), 5, unix.BPF_TCP_FIN_WAIT2},
		{"TCP_TIME_WAIT", int64(TCPTimeWait), 6, unix.BPF_TCP_TIME_WAIT},
		{"TCP_CLOSE", int64(TCPClose), 7, unix.BPF_TCP_CLOSE},
		{"TCP_CLOSE_WAIT", int64(TCPCloseWait), 8, unix.BPF_TCP_CLOSE_WAIT},
		{"TCP_LAST_ACK", int64(TCPLastAck), 9, unix.BPF_TCP_LAST_ACK},
		{"TCP_LISTEN", int64(TCPListen), 10, unix.BPF_TCP_LISTEN},
		{"TCP_CLOSING", int64(TCPClosing), 11, unix.BPF_TCP_CLOSING},
		{"TCP_NEW_SYN_RECV", int64(TCPNewSynRecv), 12, unix.BPF_TCP_NEW_SYN_RECV},
		{"TCP_BOUND_INACTIVE", int64(TCPBoundInactive), 13, noUnix},
		// x/sys/unix does not define the inet_diag and unix_diag enums:
		// values from <linux/inet_diag.h> and <linux/unix_diag.h>.
		{"INET_DIAG_REQ_BYTECODE", int64(InetDiagReqBytecode), 1, noUnix},
		{"INET_DIAG_REQ_PROTOCOL", int64(InetDiagReqProtocol), 3, noUnix},
		{"INET_DIAG_MEMINFO", int64(InetDiagMemInfo), 1, noUnix},
		{"INET_DIAG_INFO", int64(InetDiagInfo), 2, noUnix},
		{"INET_DIAG_CONG", int64(InetDiagCong), 4, noUnix},
		{"INET_DIAG_TOS", int64(InetDiagTOS), 5, noUnix},
		{"INET_DIAG_TCLASS", int64(InetDiagTClass), 6, noUnix},
		{"INET_DIAG_SKMEMINFO", int64(InetDiagSkMemInfo), 7, noUnix},
		{"INET_DIAG_SHUTDOWN", int64(InetDiagShutdown), 8, noUnix},
		{"INET_DIAG_PROTOCOL", int64(InetDiagProtocol), 10, noUnix},
		{"INET_DIAG_SKV6ONLY", int64(InetDiagSkV6Only), 11, noUnix},
		{"INET_DIAG_MARK", int64(InetDiagMark), 15, noUnix},
		{"INET_DIAG_CGROUP_ID", int64(InetDiagCgroupID), 21, noUnix},
		{"INET_DIAG_SOCKOPT", int64(InetDiagSockOpt), 22, noUnix},
		{"INET_DIAG_BC_JMP", int64(InetDiagBCJmp), 1, noUnix},
		{"INET_DIAG_BC_S_GE", int64(InetDiagBCSGE), 2, noUnix},
		{"INET_DIAG_BC_D_LE", int64(InetDiagBCDLE), 5, noUnix},
		{"INET_DIAG_BC_S_COND", int64(InetDiagBCSCond), 7, noUnix},
		{"INET_DIAG_BC_DEV_COND", int64(InetDiagBCDevCond), 9, noUnix},
		{"INET_DIAG_BC_S_EQ", int64(InetDiagBCSEQ), 11, noUnix},
		{"INET_DIAG_BC_D_EQ", int64(InetDiagBCDEQ), 12, noUnix},
		{"INET_DIAG_BC_CGROUP_COND", int64(InetDiagBCCgroupCond), 13, noUnix},
		{"UDIAG_SHOW_NAME", int64(UDiagShowName), 1, noUnix},
		{"UDIAG_SHOW_PEER", int64(UDiagShowPeer), 4, noUnix},
		{"UDIAG_SHOW_RQLEN", int64(UDiagShowRQLen), 0x10, noUnix},
		{"UDIAG_SHOW_UID", int64(UDiagShowUID), 0x40, noUnix},
		{"UNIX_DIAG_NAME", int64(UnixDiagName), 0, noUnix},
		{"UNIX_DIAG_PEER", int64(UnixDiagPeer), 2, noUnix},
		{"UNIX_DIAG_ICONS", int64(UnixDiagIcons), 3, noUnix},
		{"UNIX_DIAG_RQLEN", int64(UnixDiagRQLen), 4, noUnix},
		{"UNIX_DIAG_UID", int64(UnixDiagUID), 7, noUnix},
	})
}

// kernelListener is an inet_diag_msg with its attributes, as Linux 6.18
// sent it for a TCP socket listening on 127.0.0.1:443 (captured with
// `ss -tan -D file`, nlmsghdr removed).
const kernelListener = "020a0000 01bb0000 7f000001 00000000 00000000 00000000" +
	" 00000000 00000000 00000000 00000000 00000000 04000000" +
	" 00000000 00000000 00000000 80000000 00000000 c02a0000" +
	" 05000800 00000000 08000f00 00000000 0c001500 01000000 00000000 06001600 52000000"

func TestDecodeKernelInetDiagMsg(t *testing.T) {
	p, err := hex.DecodeString(strings.ReplaceAll(kernelListener, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	h, attrs, err := DecodeInetDiagMsg(p)
	if err != nil {
		t.Fatal(err)
	}
	want := InetDiagMsg{
		Family: unix.AF_INET, State: TCPListen,
		ID:     InetDiagSockID{SPort: 443, Src: [16]byte{127, 0, 0, 1}, Cookie: [2]uint32{4, 0}},
		WQueue: 128, Inode: 0x2ac0,
	}
	if h != want {
		t.Errorf("decoded %+v\nwant    %+v", h, want)
	}
	if !bytes.Equal(h.AppendTo(nil), p[:InetDiagMsgLen]) {
		t.Errorf("re-encoded % x\nkernel     % x", h.AppendTo(nil), p[:InetDiagMsgLen])
	}
	var types []uint16
	as := NewAttrScanner(attrs)
	for as.Next() {
		types = append(types, as.Attr().Type())
	}
	if err := as.Err(); err != nil {
		t.Fatal(err)
	}
	if len(types) != 4 || types[0] != InetDiagShutdown || types[1] != InetDiagMark || types[2] != InetDiagCgroupID || types[3] != InetDiagSockOpt {
		t.Errorf("attributes %v, want SHUTDOWN, MARK, CGROUP_ID, SOCKOPT", types)
	}
}

func TestSockDiagHeaders(t *testing.T) {
	id := InetDiagSockID{SPort: 0x1234, DPort: 443, If: 7, Cookie: [2]uint32{1, 2}}
	copy(id.Src[:], []byte{10, 0, 0, 1})
	copy(id.Dst[:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1})
	req := InetDiagReqV2{Family: unix.AF_INET6, Protocol: unix.IPPROTO_TCP, Ext: 1 << (InetDiagInfo - 1), States: 1 << TCPListen, ID: id}
	b := req.AppendTo(nil)
	if len(b) != InetDiagReqV2Len {
		t.Fatalf("inet_diag_req_v2 is %d bytes, want %d", len(b), InetDiagReqV2Len)
	}
	// Ports are big-endian on the wire; the interface is native.
	if b[8] != 0x12 || b[9] != 0x34 || b[10] != 0x01 || b[11] != 0xbb {
		t.Errorf("ports on the wire: % x", b[8:12])
	}
	got, rest, err := DecodeInetDiagReqV2(append(b, 1, 2, 3, 4))
	if err != nil || got != req || len(rest) != 4 {
		t.Errorf("DecodeInetDiagReqV2 = %+v, %d bytes left, %v", got, len(rest), err)
	}
	ureq := UnixDiagReq{Family: unix.AF_UNIX, States: 0xffffffff, Inode: 9, Show: UDiagShowName | UDiagShowPeer, Cookie: [2]uint32{InetDiagNoCookie, InetDiagNoCookie}}
	ub := ureq.AppendTo(nil)
	if gotU, _, err := DecodeUnixDiagReq(ub); len(ub) != UnixDiagReqLen || err != nil || gotU != ureq {
		t.Errorf("unix_diag_req: %d bytes, %+v, %v", len(ub), gotU, err)
	}
	umsg := UnixDiagMsg{Family: unix.AF_UNIX, Type: unix.SOCK_STREAM, State: TCPListen, Inode: 12345, Cookie: [2]uint32{5, 6}}
	mb := umsg.AppendTo(nil)
	if gotM, _, err := DecodeUnixDiagMsg(mb); len(mb) != UnixDiagMsgLen || err != nil || gotM != umsg {
		t.Errorf("unix_diag_msg: %d bytes, %+v, %v", len(mb), gotM, err)
	}
	op := InetDiagBCOp{Code: InetDiagBCSGE, Yes: 8, No: 12}.AppendTo(nil)
	cond := InetDiagHostCond{Family: unix.AF_INET, PrefixLen: 8, Port: -1, Addr: []byte{127, 0, 0, 0}}.AppendTo(nil)
	if len(op) != InetDiagBCOpLen || len(cond) != InetDiagHostCondLen+4 || !bytes.Equal(cond[4:8], []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("bc op % x, hostcond % x", op, cond)
	}
	for n := range InetDiagMsgLen {
		if _, _, err := DecodeInetDiagMsg(make([]byte, n)); err == nil {
			t.Errorf("%d bytes of inet_diag_msg decoded without error", n)
		}
	}
	for n := range UnixDiagMsgLen {
		if _, _, err := DecodeUnixDiagMsg(make([]byte, n)); err == nil {
			t.Errorf("%d bytes of unix_diag_msg decoded without error", n)
		}
	}
}
