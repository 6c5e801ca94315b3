package sockdiag_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// packetProgram is the classic BPF program `tcpdump -dd ip` prints: keep
// IPv4 frames.
var packetProgram = []unix.SockFilter{
	{Code: 0x28, K: 12}, {Code: 0x15, Jf: 1, K: 0x800}, {Code: 0x06, K: 0x40000}, {Code: 0x06},
}

// packetFixture opens, inside ns with the veth pair pv0/pv1: a raw
// socket for every protocol bound to pv0, with auxdata, origdev, loss, a
// copy threshold, timestamps, a filter, a fanout group and three
// memberships of pv0 (promiscuous, and one multicast address added
// twice); a datagram socket for IPv4 on every interface with a TPACKET_V3
// receive ring and some reserve; a TPACKET_V2 one with a transmit ring; a
// raw socket for no protocol (not running) owned by uid 1000 with vnet
// headers. It returns the inodes by the fixture's names and pv0's index.
func packetFixture(t testing.TB, ns *netnstest.NS) (inodes map[string]uint32, fds map[uint32]int, pv0 int) {
	t.Helper()
	ns.AddVeth(t, "pv0", "pv1")
	pv0 = ns.LinkIndex(t, "pv0")
	byName := map[string]int{}
	openIn(t, ns, func(o opener) error {
		var err error
		set := func(fd, opt, v int) {
			if err == nil {
				err = unix.SetsockoptInt(fd, unix.SOL_PACKET, opt, v)
			}
		}
		htons := func(v uint16) uint16 { return v<<8 | v>>8 }
		all, e := o.socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		if e != nil {
			return e
		}
		byName["all on pv0"] = all
		if e := unix.Bind(all, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: pv0}); e != nil {
			return e
		}
		set(all, unix.PACKET_AUXDATA, 1)
		set(all, unix.PACKET_ORIGDEV, 1)
		set(all, unix.PACKET_LOSS, 1)
		set(all, unix.PACKET_COPY_THRESH, 128)
		set(all, unix.PACKET_TIMESTAMP, unix.SOF_TIMESTAMPING_RAW_HARDWARE)
		set(all, unix.PACKET_FANOUT, 42|unix.PACKET_FANOUT_CPU<<16)
		for _, mr := range []unix.PacketMreq{
			{Ifindex: int32(pv0), Type: unix.PACKET_MR_PROMISC},
			{Ifindex: int32(pv0), Type: unix.PACKET_MR_MULTICAST, Alen: 6, Address: [8]uint8{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}},
			{Ifindex: int32(pv0), Type: unix.PACKET_MR_MULTICAST, Alen: 6, Address: [8]uint8{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}},
		} {
			if err == nil {
				err = unix.SetsockoptPacketMreq(all, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr)
			}
		}
		if err == nil {
			err = unix.SetsockoptSockFprog(all, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
				&unix.SockFprog{Len: uint16(len(packetProgram)), Filter: &packetProgram[0]})
		}
		rx, e := o.socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP)))
		if e != nil {
			return e
		}
		byName["ipv4 rx ring"] = rx
		set(rx, unix.PACKET_VERSION, unix.TPACKET_V3)
		set(rx, unix.PACKET_RESERVE, 64)
		if err == nil {
			err = unix.SetsockoptTpacketReq3(rx, unix.SOL_PACKET, unix.PACKET_RX_RING, &unix.TpacketReq3{
				Block_size: 1 << 16, Block_nr: 2, Frame_size: 2048, Frame_nr: 64, Retire_blk_tov: 60, Sizeof_priv: 16,
			})
		}
		tx, e := o.socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if e != nil {
			return e
		}
		byName["tx ring"] = tx
		set(tx, unix.PACKET_VERSION, unix.TPACKET_V2)
		if err == nil {
			err = unix.SetsockoptTpacketReq(tx, unix.SOL_PACKET, unix.PACKET_TX_RING, &unix.TpacketReq{
				Block_size: 4096, Block_nr: 4, Frame_size: 1024, Frame_nr: 16,
			})
		}
		if _, e := unix.SetfsuidRetUid(1000); e != nil {
			return e
		}
		idle, e := o.socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		unix.SetfsuidRetUid(0)
		if e != nil {
			return e
		}
		byName["idle uid 1000"] = idle
		set(idle, unix.PACKET_VNET_HDR, 1)
		return err
	})
	inodes, fds = map[string]uint32{}, map[uint32]int{}
	for name, fd := range byName {
		ino, _ := identity(t, fd)
		inodes[name], fds[ino] = ino, fd
	}
	return inodes, fds, pv0
}

// ssPacketTokens renders s as `ss -H -0 -a -e -m -b -p` prints it after
// the address columns, without the users:(...) token: uid, inode and
// cookie; version, copy threshold and flags; the rings, the fanout
// group, the filter program and the memory figures.
func ssPacketTokens(s *sockdiag.PacketSocket) string {
	var b strings.Builder
	if s.UID != 0 {
		fmt.Fprintf(&b, "uid:%d ", s.UID)
	}
	fmt.Fprintf(&b, "ino:%d sk:%x ver:%d cpy_thresh:%d flags( ", s.Inode, s.Cookie, s.Info.Version, s.Info.CopyThresh)
	if f := s.Info.Flags.String(); f != "" {
		b.WriteString(f)
	} else {
		b.WriteString("0")
	}
	b.WriteString(" )")
	ring := func(name string, has bool, r sockdiag.PacketRing) {
		if has {
			fmt.Fprintf(&b, " %s(blk_size:%d,blk_nr:%d,frm_size:%d,frm_nr:%d,tmo:%d,features:0x%x)",
				name, r.BlockSize, r.BlockNr, r.FrameSize, r.FrameNr, r.RetireTimeout, r.Features)
		}
	}
	ring("ring_rx", s.Has(nlmsg.PacketDiagRxRing), s.RxRing)
	ring("ring_tx", s.Has(nlmsg.PacketDiagTxRing), s.TxRing)
	if s.Has(nlmsg.PacketDiagFanout) {
		fmt.Fprintf(&b, " fanout(id:%d,type:%v)", s.Fanout.ID, s.Fanout.Mode)
	}
	if s.Has(nlmsg.PacketDiagFilter) {
		fmt.Fprintf(&b, " bpf filter (%d): ", len(s.Filter))
		for _, f := range s.Filter {
			fmt.Fprintf(&b, " 0x%02x %d %d %d,", f.Code, f.Jt, f.Jf, f.K)
		}
	}
	m := s.SkMemInfo
	fmt.Fprintf(&b, " skmem:(r%d,rb%d,t%d,tb%d,f%d,w%d,o%d,bl%d,d%d)",
		m.RmemAlloc, m.Rcvbuf, m.WmemAlloc, m.Sndbuf, m.FwdAlloc, m.WmemQueued, m.Optmem, m.Backlog, m.Drops)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestIntegrationPacketAgreesWithSS compares a packet socket dump with
// `ss -0 -a -e -m -b -p` in the same namespace, socket by socket (by
// inode): type, state, queues, protocol and interface, the owning
// process and fd, uid, cookie, version, copy threshold, flags, rings,
// fanout group, filter program and memory. It then checks what ss does
// not print against the fixture: memberships, reserve, timestamps.
func TestIntegrationPacketAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	inodes, fds, pv0 := packetFixture(t, ns)
	c := dial(t, ns)
	ours, err := sockdiag.ListPacket(testCtx(t), c, sockdiag.PacketRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := runSS(t, ns, "-0", "-a", "-e", "-m", "-b", "-p")
	if len(lines) != len(ours) || len(ours) != len(inodes) {
		t.Fatalf("ss shows %d packet sockets, the dump %d, the fixture opened %d", len(lines), len(ours), len(inodes))
	}
	byIno := map[string]*sockdiag.PacketSocket{}
	for i := range ours {
		byIno[strconv.FormatUint(uint64(ours[i].Inode), 10)] = &ours[i]
	}
	ifname := map[uint32]string{0: "*", uint32(pv0): "pv0"}
	for _, l := range lines {
		s := byIno[l.fields["ino"]]
		if s == nil {
			t.Errorf("ss shows %s %s ino:%s, not in the dump", l.netid, l.local, l.fields["ino"])
			continue
		}
		where := fmt.Sprintf("%s %s ino:%d", l.netid, l.local, s.Inode)
		got := fmt.Sprintf("%v UNCONN %d 0 %v:%s *", s.Type, s.SkMemInfo.RmemAlloc, s.Protocol, ifname[s.Info.Interface])
		want := fmt.Sprintf("%s %s %d %d %s %s", l.netid, l.state, l.rq, l.sq, l.local, l.peer)
		if got != want {
			t.Errorf("%s:\n dump %s\n ss   %s", where, got, want)
		}
		var rest []string
		for _, tok := range append(l.tokens, l.detail...) {
			if strings.HasPrefix(tok, "users:") {
				if u := fmt.Sprintf(`users:(("%s",pid=%d,fd=%d))`, processName(t), os.Getpid(), fds[s.Inode]); tok != u {
					t.Errorf("%s: ss says %s, the fixture's fd is %s", where, tok, u)
				}
				continue
			}
			rest = append(rest, tok)
		}
		if got, want := ssPacketTokens(s), strings.Join(rest, " "); got != want {
			t.Errorf("%s:\n dump %s\n ss   %s", where, got, want)
		}
	}

	all, rx, tx, idle := byIno[strconv.Itoa(int(inodes["all on pv0"]))], byIno[strconv.Itoa(int(inodes["ipv4 rx ring"]))],
		byIno[strconv.Itoa(int(inodes["tx ring"]))], byIno[strconv.Itoa(int(inodes["idle uid 1000"]))]
	if all == nil || rx == nil || tx == nil || idle == nil {
		t.Fatalf("fixture sockets missing from the dump: %v", inodes)
	}
	if len(all.Memberships) != 2 {
		t.Fatalf("memberships %+v, want promiscuous and one multicast address", all.Memberships)
	}
	for _, m := range all.Memberships {
		switch m.Type {
		case unix.PACKET_MR_PROMISC:
			if m.Interface != uint32(pv0) || m.Count != 1 || len(m.Addr()) != 0 {
				t.Errorf("promiscuous membership %+v", m)
			}
		case unix.PACKET_MR_MULTICAST:
			if m.Interface != uint32(pv0) || m.Count != 2 || string(m.Addr()) != "\x01\x00\x5e\x00\x00\xfb" {
				t.Errorf("multicast membership %+v % x", m, m.Addr())
			}
		default:
			t.Errorf("membership %+v", m)
		}
	}
	if all.Protocol != sockdiag.EtherTypeAll || all.Info.Timestamp != unix.SOF_TIMESTAMPING_RAW_HARDWARE || all.Fanout.Mode.String() != "cpu" ||
		all.Info.Flags != sockdiag.PacketRunning|sockdiag.PacketAuxData|sockdiag.PacketOrigDev|sockdiag.PacketLoss ||
		len(all.Filter) != len(packetProgram) || all.Filter[1] != packetProgram[1] {
		t.Errorf("socket on pv0: %+v", all)
	}
	if rx.Info.Reserve != 64 || rx.Info.Version != unix.TPACKET_V3 || rx.RxRing.SizeofPriv != 16 || rx.RxRing.RetireTimeout != 60 || rx.Has(nlmsg.PacketDiagTxRing) || rx.Protocol.String() != "ip" {
		t.Errorf("receive ring socket: %+v", rx)
	}
	if tx.TxRing.FrameNr != 16 || tx.Has(nlmsg.PacketDiagRxRing) || tx.Has(nlmsg.PacketDiagFanout) || len(tx.Memberships) != 0 || tx.Has(nlmsg.PacketDiagFilter) {
		t.Errorf("transmit ring socket: %+v", tx)
	}
	if idle.UID != 1000 || idle.Info.Flags != sockdiag.PacketVnetHdr || idle.Type.String() != "p_raw" || idle.Protocol.String() != "[0]" {
		t.Errorf("idle socket: %+v", idle)
	}
}

// processName is the comm of this process, as ss's users:(...) shows it.
func processName(t testing.TB) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
