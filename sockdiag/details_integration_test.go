package sockdiag_test

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// detailFixture opens, inside ns, the sockets whose less common fields ss
// prints: a listener with a mark; a client owned by uid 1000 with its own
// mark, TOS, priority and keepalive, whose bytes wait unread; a connection
// shut for writing on one side (FIN-WAIT-2 and CLOSE-WAIT); one closed
// (TIME-WAIT); a handshake that a deferred-accept listener holds
// (SYN-RECV); an IPv6 connection with a traffic class.
func detailFixture(t testing.TB, ns *netnstest.NS) {
	t.Helper()
	openIn(t, ns, func(o opener) error {
		var err error
		set := func(fd, level, opt, v int) {
			if err == nil {
				err = unix.SetsockoptInt(fd, level, opt, v)
			}
		}
		l, err := o.listen(netip.AddrPortFrom(lo4, 8080))
		if err != nil {
			return err
		}
		set(l, unix.SOL_SOCKET, unix.SO_MARK, 0x1234)
		// The socket belongs to the fsuid of the thread that makes it
		// (this locked thread dies with the namespace's goroutine).
		if _, err := unix.SetfsuidRetUid(1000); err != nil {
			return err
		}
		c, _, cerr := o.connect(l, netip.AddrPortFrom(lo4, 8080))
		unix.SetfsuidRetUid(0)
		if cerr != nil {
			return cerr
		}
		set(c, unix.SOL_SOCKET, unix.SO_MARK, 0xabc)
		set(c, unix.IPPROTO_IP, unix.IP_TOS, 0x10)
		set(c, unix.SOL_SOCKET, unix.SO_PRIORITY, 5)
		set(c, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		if _, werr := unix.Write(c, []byte("hello world")); err == nil {
			err = werr
		}
		half, _, cerr := o.connect(l, netip.AddrPortFrom(lo4, 8080))
		if cerr != nil {
			return cerr
		}
		if serr := unix.Shutdown(half, unix.SHUT_WR); serr != nil {
			return serr
		}
		// The peer acks a FIN late (a delayed ack), and the fixture is
		// only stable once it has.
		if werr := waitTCPState(half, nlmsg.TCPFinWait2); werr != nil {
			return werr
		}
		// Shut by the client first, then closed by the server: the
		// client's end waits in TIME-WAIT (its own fd, still open,
		// reads CLOSE then).
		tc, ts, cerr := o.connect(l, netip.AddrPortFrom(lo4, 8080))
		if cerr != nil {
			return cerr
		}
		if serr := unix.Shutdown(tc, unix.SHUT_WR); serr != nil {
			return serr
		}
		if n, rerr := unix.Read(ts, make([]byte, 1)); n != 0 || rerr != nil {
			return fmt.Errorf("server end reads %d, %v before the FIN", n, rerr)
		}
		unix.Close(ts)
		if werr := waitTCPState(tc, nlmsg.TCPClose); werr != nil {
			return werr
		}
		// TCP_DEFER_ACCEPT keeps the handshake a request socket until
		// data arrives.
		dl, derr := o.listen(netip.AddrPortFrom(lo4, 8081))
		if derr != nil {
			return derr
		}
		set(dl, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 30)
		dc, derr := o.socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if derr != nil {
			return derr
		}
		if cerr := unix.Connect(dc, &unix.SockaddrInet4{Port: 8081, Addr: lo4.As4()}); err == nil {
			err = cerr
		}
		l6, lerr := o.listen(netip.AddrPortFrom(lo6, 8443))
		if lerr != nil {
			return lerr
		}
		c6, _, cerr := o.connect(l6, netip.AddrPortFrom(lo6, 8443))
		if cerr != nil {
			return cerr
		}
		set(c6, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, 0x20)
		return err
	})
}

// waitTCPState waits up to 5 s for the TCP socket fd to reach state.
func waitTCPState(fd int, state uint8) error {
	var info *unix.TCPInfo
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO); err != nil || info.State == state {
			return err
		}
	}
	return fmt.Errorf("TCP socket still in state %d, not %d, after 5 s", info.State, state)
}

// TestIntegrationDetailsAgreeWithSS compares the fields that
// `ss -tane -o --tos --cgroup` prints beyond the addresses, for every
// socket of detailFixture (matched by cookie, as TIME-WAIT and request
// sockets have no inode): fwmark, uid, the shutdown arrow, the timer with
// its expiry and retransmissions, tos, tclass and class_id, the cgroup,
// and for TIME-WAIT and SYN-RECV sockets that neither side has the
// attributes the kernel does not send for them.
func TestIntegrationDetailsAgreeWithSS(t *testing.T) {
	ns := netnstest.New(t)
	detailFixture(t, ns)
	c := dial(t, ns)
	var socks []sockdiag.InetSocket
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		var err error
		socks, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: fam, Ext: sockdiag.ExtTOS | sockdiag.ExtTClass}, socks)
		if err != nil {
			t.Fatal(err)
		}
	}
	lines := runSS(t, ns, "-tane", "-o", "--tos", "--cgroup")
	byCookie := map[string]*sockdiag.InetSocket{}
	for i := range socks {
		byCookie[strconv.FormatUint(socks[i].Cookie, 16)] = &socks[i]
	}
	if len(lines) != len(socks) || len(socks) != 12 {
		t.Errorf("ss shows %d sockets, the dump %d, the fixture opened 12", len(lines), len(socks))
	}
	cgroup2 := cgroup2Mount(t)
	seen := map[string]bool{}
	for _, l := range lines {
		s := byCookie[l.fields["sk"]]
		if s == nil {
			t.Errorf("ss shows %s %s -> %s (sk:%s), not in the dump", l.state, l.local, l.peer, l.fields["sk"])
			continue
		}
		where := fmt.Sprintf("%s %s -> %s", l.state, l.local, l.peer)
		tok := func(key string) (string, bool) {
			v, ok := l.fields[key]
			if !ok {
				v, ok = detailValue(l, key)
			}
			return v, ok
		}
		// ss prints a field that is zero as nothing (fwmark, uid) or as
		// C's %#x does ("0", not "0x0").
		check := func(key string, has bool, got uint32, hex, printZero bool) {
			v, ok := tok(key)
			want := strconv.FormatUint(uint64(got), 10)
			if hex && got != 0 {
				want = "0x" + strconv.FormatUint(uint64(got), 16)
			}
			switch {
			case ok != (has && (got != 0 || printZero)):
				t.Errorf("%s: %s: ss prints %q (%v), the dump has %s (present %v)", where, key, v, ok, want, has)
			case ok && v != want:
				t.Errorf("%s: %s = %s, ss says %s", where, key, want, v)
			}
		}
		check("fwmark", s.Has(nlmsg.InetDiagMark), s.Mark, true, false)
		check("uid", true, s.UID, false, false)
		check("ino", true, s.Inode, false, true)
		check("tos", s.Has(nlmsg.InetDiagTOS), uint32(s.TOS), true, true)
		check("tclass", s.Has(nlmsg.InetDiagTClass), uint32(s.TClass), true, true)
		check("class_id", s.Has(nlmsg.InetDiagClassID), s.ClassID, true, true)
		arrow := ""
		if s.Has(nlmsg.InetDiagShutdown) {
			arrow = string([]byte{"<-"[s.Shutdown&1], '-', ">-"[s.Shutdown>>1&1]})
		}
		if got := ssArrow(l); got != arrow {
			t.Errorf("%s: shutdown %d (present %v), ss prints %q", where, s.Shutdown, s.Has(nlmsg.InetDiagShutdown), got)
		}
		checkTimer(t, where, s, l)
		if v, ok := tok("cgroup"); ok != s.Has(nlmsg.InetDiagCgroupID) {
			t.Errorf("%s: ss prints cgroup %q, the dump has cgroup id %d (present %v)", where, v, s.CgroupID, s.Has(nlmsg.InetDiagCgroupID))
		} else if ok && cgroup2 != "" {
			var st unix.Stat_t
			if err := unix.Stat(cgroup2+v, &st); err != nil || st.Ino != s.CgroupID {
				t.Errorf("%s: cgroup id %d, ss says %s, whose inode is %d (%v)", where, s.CgroupID, v, st.Ino, err)
			}
		}
		if s.Inode == 0 && (s.Has(nlmsg.InetDiagTOS) || s.Has(nlmsg.InetDiagShutdown) || s.Has(nlmsg.InetDiagCgroupID) || s.UID != 0) {
			t.Errorf("%s: a socket without a file has attributes of a full one: %+v", where, s)
		}
		seen[l.state] = true
	}
	for _, st := range []string{"LISTEN", "ESTAB", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT", "SYN-RECV"} {
		if !seen[st] {
			t.Errorf("the fixture has no %s socket: %v", st, seen)
		}
	}
	// The marked, prioritised client: the values its fixture set.
	for _, s := range socks {
		if s.Mark == 0xabc && (s.TOS != 0x10 || s.ClassID != 5 || s.UID != 1000 || s.Timer != sockdiag.TimerKeepalive) {
			t.Errorf("client %v: tos %#x class_id %d uid %d timer %v", s.Local, s.TOS, s.ClassID, s.UID, s.Timer)
		}
	}
}

// ssArrow returns the shutdown arrow ss prints ("<->", "<--", "-->",
// "---"), or "".
func ssArrow(l ssLine) string {
	for _, tok := range append(l.tokens, l.detail...) {
		if len(tok) == 3 && tok[1] == '-' && (tok[0] == '<' || tok[0] == '-') && (tok[2] == '>' || tok[2] == '-') {
			return tok
		}
	}
	return ""
}

// ssTimer is ss's timer:(name,expiry,retrans); the expiry as ss's
// print_ms_timer writes it: "119min", "1min5sec", "59sec", "5.123ms",
// "688ms".
var ssTimer = regexp.MustCompile(`^\(([a-z]+),(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?,(\d+)\)$`)

// checkTimer compares s's timer with ss's, which ss took a little later:
// the same timer and retransmissions, and an expiry no later than ours
// and within the precision ss prints it with (a retransmission in
// between restarts the timer: then only the count is compared).
func checkTimer(t *testing.T, where string, s *sockdiag.InetSocket, l ssLine) {
	t.Helper()
	v, ok := l.fields["timer"]
	if !ok {
		if s.Timer != sockdiag.TimerOff {
			t.Errorf("%s: timer %v %v %d, ss prints none", where, s.Timer, s.Expires, s.Retrans)
		}
		return
	}
	m := ssTimer.FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("%s: ss timer %q", where, v)
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	ssExpires := time.Duration(num(m[2]))*time.Minute + time.Duration(num(m[3]))*time.Second + time.Duration(num(m[5]))*time.Millisecond
	precision := time.Millisecond
	switch {
	case num(m[2]) > 9:
		precision = time.Minute
	case num(m[2]) > 0 || num(m[3]) > 9:
		precision = time.Second
	}
	retrans := num(m[6])
	if m[1] != s.Timer.String() || retrans < int(s.Retrans) || retrans > int(s.Retrans)+1 {
		t.Errorf("%s: timer %v, %v, %d; ss says %s", where, s.Timer, s.Expires, s.Retrans, v)
	} else if retrans == int(s.Retrans) && (ssExpires > s.Expires+time.Millisecond || s.Expires-ssExpires > precision+2*time.Second) {
		t.Errorf("%s: timer expires in %v, ss says %s", where, s.Expires, v)
	}
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or "".
func cgroup2Mount(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		// id parent dev root mountpoint options - fstype ...
		if pre, post, ok := strings.Cut(line, " - "); ok && strings.HasPrefix(post, "cgroup2 ") {
			if f := strings.Fields(pre); len(f) >= 5 && f[3] == "/" {
				return f[4]
			}
		}
	}
	return ""
}
