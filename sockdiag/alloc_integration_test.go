package sockdiag_test

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationDumpDoesNotAllocatePerSocket measures the allocations of
// a whole dump (with tcp_info, congestion and memory extensions) of 20 and
// of 220 sockets: they are the same, so a socket costs none. Unix dumps
// likewise.
func TestIntegrationDumpDoesNotAllocatePerSocket(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	small, large := netnstest.New(t), netnstest.New(t)
	open := func(ns *netnstest.NS, pairs int) {
		openIn(t, ns, func(o opener) error {
			l, err := o.listen(netip.AddrPortFrom(lo4, 80))
			if err != nil {
				return err
			}
			for range pairs {
				if _, _, err := o.connect(l, netip.AddrPortFrom(lo4, 80)); err != nil {
					return err
				}
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					return err
				}
				*o.fds = append(*o.fds, fds[0], fds[1])
			}
			return nil
		})
	}
	open(small, 10)
	open(large, 110)
	req := sockdiag.InetRequest{Family: unix.AF_INET, Ext: sockdiag.ExtInfo | sockdiag.ExtCong | sockdiag.ExtSkMemInfo | sockdiag.ExtMemInfo}
	measure := func(ns *netnstest.NS, want int) (inet, unixAllocs float64) {
		c := dial(t, ns)
		ctx := testCtx(t)
		count := func() int {
			n := 0
			for s, err := range sockdiag.DumpInet(ctx, c, req) {
				if err != nil {
					t.Fatal(err)
				}
				if s.TCPInfo.SndCwnd != 0 || s.State == sockdiag.StateListen {
					n++
				}
			}
			return n
		}
		if n := count(); n != want {
			t.Fatalf("dumped %d sockets, want %d", n, want)
		}
		inet = testing.AllocsPerRun(5, func() { count() })
		unixAllocs = testing.AllocsPerRun(5, func() {
			for _, err := range sockdiag.DumpUnix(ctx, c, sockdiag.UnixRequest{}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
		return inet, unixAllocs
	}
	i1, u1 := measure(small, 21)
	i2, u2 := measure(large, 221)
	t.Logf("allocations per dump: inet %v (21 sockets) and %v (221), unix %v (20) and %v (220)", i1, i2, u1, u2)
	if i2 > i1 || u2 > u1 {
		t.Errorf("allocations grow with the socket count: inet %v -> %v, unix %v -> %v", i1, i2, u1, u2)
	}
}

// TestIntegrationNetlinkAndPacketDumpsDoNotAllocatePerSocket measures the
// allocations of whole netlink and packet dumps, with every attribute, of
// 10 and of 110 sockets of each kind (rtnl sockets in a group, raw packet
// sockets with a filter and a membership): they are the same, so a socket
// costs none once the reused groups, filter and membership lists have
// grown.
func TestIntegrationNetlinkAndPacketDumpsDoNotAllocatePerSocket(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	open := func(ns *netnstest.NS, n int) {
		openIn(t, ns, func(o opener) error {
			for range n {
				nl, err := o.socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
				if err != nil {
					return err
				}
				if err := unix.Bind(nl, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
					return err
				}
				p, err := o.socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
				if err != nil {
					return err
				}
				if err := unix.SetsockoptSockFprog(p, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
					&unix.SockFprog{Len: uint16(len(packetProgram)), Filter: &packetProgram[0]}); err != nil {
					return err
				}
				mr := unix.PacketMreq{Ifindex: 1, Type: unix.PACKET_MR_ALLMULTI}
				if err := unix.SetsockoptPacketMreq(p, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr); err != nil {
					return err
				}
			}
			return nil
		})
	}
	measure := func(n int) (netlink, packet float64) {
		ns := netnstest.New(t)
		open(ns, n)
		c := dial(t, ns)
		ctx := testCtx(t)
		var got [2]int
		seen := make(map[uint32]bool, 2*n)
		dump := func() {
			got = [2]int{}
			clear(seen)
			for s, err := range sockdiag.DumpNetlink(ctx, c, sockdiag.NetlinkRequest{ByProtocol: true, Protocol: unix.NETLINK_ROUTE}) {
				if err != nil {
					t.Fatal(err)
				}
				if s.InGroup(1) && s.PortID != 0 {
					seen[s.Inode] = true
				}
			}
			got[0] = len(seen)
		}
		dumpPacket := func() {
			for s, err := range sockdiag.DumpPacket(ctx, c, sockdiag.PacketRequest{}) {
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Filter) == len(packetProgram) && len(s.Memberships) == 1 {
					got[1]++
				}
			}
		}
		dump()
		dumpPacket()
		// Every bound socket in a group is listed twice, though the
		// kernel drops one of those listings where the dump continues in
		// another reply (see DumpNetlink): count the sockets.
		if got != [2]int{n, n} {
			t.Fatalf("dumped %d netlink and %d packet sockets of the fixture, want %d of each", got[0], got[1], n)
		}
		return testing.AllocsPerRun(5, dump), testing.AllocsPerRun(5, dumpPacket)
	}
	n1, p1 := measure(10)
	n2, p2 := measure(110)
	t.Logf("allocations per dump: netlink %v (10 sockets) and %v (110), packet %v and %v", n1, n2, p1, p2)
	if n2 > n1 || p2 > p1 {
		t.Errorf("allocations grow with the socket count: netlink %v -> %v, packet %v -> %v", n1, n2, p1, p2)
	}
}
