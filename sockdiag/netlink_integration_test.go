package sockdiag_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// nlFixtureSocket is one netlink socket netlinkFixture opened, with what
// the kernel says of it outside sock_diag.
type nlFixtureSocket struct {
	name   string
	fd     int
	ino    uint32
	cookie uint64
	proto  sockdiag.NetlinkProtocol
	groups []uint32 // the groups it joined, numbered from 1
}

// netlinkFixture opens, inside ns: an rtnl socket bound to groups 1 and 5
// that also joined group 33 (beyond the bind mask) and set four options;
// a generic netlink socket connected to port 0; a usersock datagram
// socket bound to port 5000 and a raw one connected to it; an rtnl socket
// that joined group 2 without binding (listed once, with port 0); and an
// rtnl socket never bound (not listed).
func netlinkFixture(t testing.TB, ns *netnstest.NS) []nlFixtureSocket {
	t.Helper()
	var socks []nlFixtureSocket
	openIn(t, ns, func(o opener) error {
		add := func(name string, typ, proto int, groups ...uint32) (int, error) {
			fd, err := o.socket(unix.AF_NETLINK, typ, proto)
			if err != nil {
				return -1, err
			}
			socks = append(socks, nlFixtureSocket{name: name, fd: fd, proto: sockdiag.NetlinkProtocol(proto), groups: groups})
			return fd, nil
		}
		var err error
		set := func(fd, opt, v int) {
			if err == nil {
				err = unix.SetsockoptInt(fd, unix.SOL_NETLINK, opt, v)
			}
		}
		r, e := add("rtnl listener", unix.SOCK_RAW, unix.NETLINK_ROUTE, 1, 5, 33)
		if e != nil {
			return e
		}
		if e := unix.Bind(r, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 | 1<<4}); e != nil {
			return e
		}
		set(r, unix.NETLINK_ADD_MEMBERSHIP, 33)
		for _, opt := range []int{unix.NETLINK_PKTINFO, unix.NETLINK_BROADCAST_ERROR, unix.NETLINK_NO_ENOBUFS, unix.NETLINK_CAP_ACK} {
			set(r, opt, 1)
		}
		g, e := add("genl connected", unix.SOCK_DGRAM, unix.NETLINK_GENERIC)
		if e != nil {
			return e
		}
		if e := unix.Connect(g, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); e != nil {
			return e
		}
		u, e := add("usersock bound", unix.SOCK_DGRAM, unix.NETLINK_USERSOCK)
		if e != nil {
			return e
		}
		if e := unix.Bind(u, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: 5000}); e != nil {
			return e
		}
		uc, e := add("usersock connected", unix.SOCK_RAW, unix.NETLINK_USERSOCK)
		if e != nil {
			return e
		}
		if e := unix.Connect(uc, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: 5000}); e != nil {
			return e
		}
		m, e := add("rtnl member only", unix.SOCK_RAW, unix.NETLINK_ROUTE, 2)
		if e != nil {
			return e
		}
		set(m, unix.NETLINK_ADD_MEMBERSHIP, 2)
		if _, e := add("rtnl unbound", unix.SOCK_RAW, unix.NETLINK_ROUTE); e != nil {
			return e
		}
		return err
	})
	for i := range socks {
		socks[i].ino, socks[i].cookie = identity(t, socks[i].fd)
	}
	return socks
}

// ssNetlinkProc is the process column ss prints for a netlink port:
// "kernel" for 0, "comm/pid" when a process has the port as its pid, the
// number (as a signed int) otherwise.
func ssNetlinkProc(port uint32) string {
	if port == 0 {
		return "kernel"
	}
	if pid := int32(port); pid > 0 {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/stat"); err == nil {
			if i, j := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')'); i >= 0 && j > i {
				return string(b[i+1:j]) + "/" + strconv.Itoa(int(pid))
			}
		}
	}
	return strconv.Itoa(int(int32(port)))
}

// ssNetlinkLine renders s as `ss -H -f netlink -a -e -p -m` prints it:
// queues, protocol:process, the peer, groups and memory. The sock_diag
// sockets' memory (theirs and ss's own change with every dump) is left
// out.
func ssNetlinkLine(s *sockdiag.NetlinkSocket) string {
	peer := "*"
	if s.Connected {
		peer = fmt.Sprintf("%d:%d", int32(s.DstGroup), int32(s.DstPortID))
	}
	line := fmt.Sprintf("%s:%s %s groups=0x%08x", s.Protocol, ssNetlinkProc(s.PortID), peer, s.FirstGroups())
	if s.Protocol == unix.NETLINK_SOCK_DIAG {
		return line
	}
	m := s.SkMemInfo
	return fmt.Sprintf("%d %d %s skmem:(r%d,rb%d,t%d,tb%d,f%d,w%d,o%d,bl%d,d%d)", s.SkMemInfo.RmemAlloc, s.SkMemInfo.WmemAlloc, line,
		m.RmemAlloc, m.Rcvbuf, m.WmemAlloc, m.Sndbuf, m.FwdAlloc, m.WmemQueued, m.Optmem, m.Backlog, m.Drops)
}

// TestIntegrationNetlinkAgreesWithSS compares a netlink socket dump with
// `ss -f netlink -a -e -p -m` in the same namespace, line for line as
// multisets (ss's lines carry no inode): queues, protocol name, port or
// process, peer group and port, the first 32 groups and the memory
// figures; ss's own sock_diag socket is the one line it has more. The
// fixture's sockets are then checked against what the kernel says of
// them outside sock_diag: inode, cookie, groups, options, and the
// listing twice of a bound socket in groups.
func TestIntegrationNetlinkAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	fixture := netlinkFixture(t, ns)
	c := dial(t, ns)
	ours, err := sockdiag.ListNetlink(testCtx(t), c, sockdiag.NetlinkRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := runSS(t, ns, "-f", "netlink", "-a", "-e", "-p", "-m")
	t.Logf("ss shows %d netlink sockets, the dump %d", len(lines), len(ours))
	count := map[string]int{}
	for i := range ours {
		count[ssNetlinkLine(&ours[i])]++
	}
	extra := 0
	for _, l := range lines {
		if l.state != "UNCONN" || l.fields["sk=0"] != "" {
			t.Errorf("ss line %+v", l)
		}
		var groups string
		for _, tok := range l.tokens {
			if strings.HasPrefix(tok, "groups=") {
				groups = tok
			}
		}
		line := fmt.Sprintf("%s %s %s", l.local, l.peer, groups)
		if !strings.HasPrefix(l.local, "tcpdiag:") {
			line = fmt.Sprintf("%d %d %s skmem:%s", l.rq, l.sq, line, l.fields["skmem"])
		}
		if count[line] == 0 && strings.HasPrefix(l.local, "tcpdiag:") {
			extra++ // ss's own socket
			continue
		}
		if count[line] == 0 {
			t.Errorf("ss shows %q, not in the dump", line)
			continue
		}
		count[line]--
	}
	for line, n := range count {
		if n > 0 && !strings.HasPrefix(line, "tcpdiag:") {
			t.Errorf("the dump has %d× %q that ss does not show", n, line)
		}
	}
	if extra != 1 {
		t.Errorf("ss shows %d sock_diag sockets the dump does not have, want 1 (its own)", extra)
	}

	byIno := map[uint32][]*sockdiag.NetlinkSocket{}
	for i := range ours {
		byIno[ours[i].Inode] = append(byIno[ours[i].Inode], &ours[i])
	}
	for _, f := range fixture {
		got := byIno[f.ino]
		want := 1
		switch f.name {
		case "rtnl unbound":
			want = 0
		case "rtnl listener":
			want = 2 // bound and in groups: the kernel lists it twice
		}
		if len(got) != want {
			t.Errorf("%s (inode %d): listed %d times, want %d", f.name, f.ino, len(got), want)
			continue
		}
		for _, s := range got {
			if s.Cookie != f.cookie || s.Protocol != f.proto || !s.Has(nlmsg.NetlinkDiagFlags) || !s.Has(nlmsg.NetlinkDiagMemInfo) {
				t.Errorf("%s: %+v, want cookie %#x protocol %v, flags and memory", f.name, s, f.cookie, f.proto)
			}
			sa, err := unix.Getsockname(f.fd)
			if nl, ok := sa.(*unix.SockaddrNetlink); err != nil || !ok || nl.Pid != s.PortID {
				t.Errorf("%s: port %d, getsockname says %+v (%v)", f.name, s.PortID, sa, err)
			}
			for g := uint32(1); g <= 64; g++ {
				if s.InGroup(g) != slices.Contains(f.groups, g) {
					t.Errorf("%s: InGroup(%d) = %v, joined %v (bitmap % x)", f.name, g, s.InGroup(g), f.groups, s.Groups)
				}
			}
			if s.Has(nlmsg.NetlinkDiagGroups) != (len(f.groups) > 0) {
				t.Errorf("%s: groups attribute present %v, joined %v", f.name, s.Has(nlmsg.NetlinkDiagGroups), f.groups)
			}
			var flags sockdiag.NetlinkFlags
			for bit, opt := range map[sockdiag.NetlinkFlags]int{
				sockdiag.NetlinkPktInfo: unix.NETLINK_PKTINFO, sockdiag.NetlinkBroadcastError: unix.NETLINK_BROADCAST_ERROR,
				sockdiag.NetlinkNoENOBUFS: unix.NETLINK_NO_ENOBUFS, sockdiag.NetlinkListenAllNSID: unix.NETLINK_LISTEN_ALL_NSID,
				sockdiag.NetlinkCapAck: unix.NETLINK_CAP_ACK,
			} {
				if v, err := unix.GetsockoptInt(f.fd, unix.SOL_NETLINK, opt); err != nil {
					t.Fatal(err)
				} else if v != 0 {
					flags |= bit
				}
			}
			if s.Flags != flags {
				t.Errorf("%s: flags %q, getsockopt says %q", f.name, s.Flags, flags)
			}
			switch f.name {
			case "rtnl listener":
				if s.Flags.String() != "pktinfo broadcast_error no_enobufs cap_ack" || s.FirstGroups() != 0x11 {
					t.Errorf("%s: flags %q, groups %#x", f.name, s.Flags, s.FirstGroups())
				}
			case "usersock connected":
				if !s.Connected || s.DstPortID != 5000 || s.Type != unix.SOCK_RAW {
					t.Errorf("%s: %+v, want connected to port 5000", f.name, s)
				}
			case "usersock bound":
				if s.Connected || s.PortID != 5000 || s.Type != unix.SOCK_DGRAM {
					t.Errorf("%s: %+v, want unconnected datagram socket on port 5000", f.name, s)
				}
			case "rtnl member only":
				if s.PortID != 0 {
					t.Errorf("%s: port %d, want 0 (never bound)", f.name, s.PortID)
				}
			}
		}
	}
}

// TestIntegrationNetlinkByProtocol asks the kernel for the usersock
// sockets only, without attributes: it sends just the fixture's two
// (and the kernel's, if any), none of another protocol and no attribute;
// a protocol the kernel has no table for is refused before sending.
func TestIntegrationNetlinkByProtocol(t *testing.T) {
	ns := netnstest.New(t)
	netlinkFixture(t, ns)
	c := dial(t, ns)
	n := 0
	for s, err := range sockdiag.DumpNetlink(testCtx(t), c, sockdiag.NetlinkRequest{ByProtocol: true, Protocol: unix.NETLINK_USERSOCK, Show: nlmsg.NDiagShowRingCfg}) {
		if err != nil {
			t.Fatal(err)
		}
		if s.Protocol != unix.NETLINK_USERSOCK || s.Has(nlmsg.NetlinkDiagMemInfo) || s.Has(nlmsg.NetlinkDiagGroups) || s.Has(nlmsg.NetlinkDiagFlags) || s.Has(nlmsg.NetlinkDiagRxRing) {
			t.Errorf("socket %+v: want a usersock socket without attributes", s)
		}
		if s.PortID != 0 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d user usersock sockets, want 2", n)
	}
	before := c.Stats().RequestsSent
	_, err := sockdiag.ListNetlink(testCtx(t), c, sockdiag.NetlinkRequest{ByProtocol: true, Protocol: nlmsg.NetlinkDiagMaxProtocols}, nil)
	var fe *sockdiag.FamilyError
	if !errors.As(err, &fe) || !errors.Is(err, sockdiag.ErrBadRequest) || fe.Got != nlmsg.NetlinkDiagMaxProtocols {
		t.Errorf("protocol 32: %v", err)
	}
	if after := c.Stats().RequestsSent; after != before {
		t.Errorf("the refused request was sent (%d -> %d requests)", before, after)
	}
}
