package sockdiag_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// unixFixture opens, inside ns: a stream listener on a path with one
// accepted and two pending connections, a listener with an abstract name
// that holds a NUL inside it too, a datagram socket bound to a path, one
// bound to a path that fills all of sun_path (no room for a NUL), and an
// unbound seqpacket pair. It returns the listener's path and the inodes of
// the pending clients.
func unixFixture(t testing.TB, ns *netnstest.NS) (path string, pending []uint32) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "listen.sock")
	abstract := "\x00nlengine-sockdiag\x00" + strconv.Itoa(os.Getpid())
	full := filepath.Join(dir, "f")
	full += strings.Repeat("x", len(unix.RawSockaddrUnix{}.Path)-len(full))
	openIn(t, ns, func(o opener) error {
		l, err := o.socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(l, &unix.SockaddrUnix{Name: path}); err != nil {
			return err
		}
		if err := unix.Listen(l, 16); err != nil {
			return err
		}
		for i := range 3 {
			c, err := o.socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				return err
			}
			if err := unix.Connect(c, &unix.SockaddrUnix{Name: path}); err != nil {
				return err
			}
			if i == 0 {
				a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
				if err != nil {
					return err
				}
				*o.fds = append(*o.fds, a)
				// Bytes waiting to be read on the accepted side.
				if _, err := unix.Write(c, []byte("hello")); err != nil {
					return err
				}
				continue
			}
			var st unix.Stat_t
			if err := unix.Fstat(c, &st); err != nil {
				return err
			}
			pending = append(pending, uint32(st.Ino))
		}
		al, err := o.socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(al, &unix.SockaddrUnix{Name: abstract}); err != nil {
			return err
		}
		if err := unix.Listen(al, 4); err != nil {
			return err
		}
		d, err := o.socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(d, &unix.SockaddrUnix{Name: filepath.Join(dir, "dgram.sock")}); err != nil {
			return err
		}
		f, err := o.socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		if err := bindFullPath(f, full); err != nil {
			return err
		}
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		*o.fds = append(*o.fds, pair[0], pair[1])
		return nil
	})
	return path, pending
}

// bindFullPath binds fd to path, which fills sun_path without a NUL:
// Linux accepts that, unix.Bind does not.
func bindFullPath(fd int, path string) error {
	var sa unix.RawSockaddrUnix
	sa.Family = unix.AF_UNIX
	if len(path) != len(sa.Path) {
		return fmt.Errorf("%d bytes, not a full sun_path", len(path))
	}
	for i := range len(path) {
		sa.Path[i] = int8(path[i])
	}
	if _, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa)); e != 0 {
		return e
	}
	return nil
}

// TestIntegrationUnixAgreesWithSS compares a unix socket dump with `ss
// -xane` in the same namespace: type, state, queues, name (paths and
// abstract names), inode, peer inode and name, VFS inode, and the pending
// connections of a listener.
func TestIntegrationUnixAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	path, pending := unixFixture(t, ns)
	c := dial(t, ns)
	ours, err := sockdiag.ListUnix(testCtx(t), c, sockdiag.UnixRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := runSS(t, ns, "-xane")
	if len(lines) != len(ours) || len(ours) != 10 {
		t.Fatalf("ss shows %d unix sockets, the dump %d, the fixture opened 10", len(lines), len(ours))
	}
	byIno := map[uint32]*sockdiag.UnixSocket{}
	for i := range ours {
		byIno[ours[i].Inode] = &ours[i]
	}
	name := func(s *sockdiag.UnixSocket) string {
		if p := s.Path(); p != "" {
			return p
		}
		return "*"
	}
	for _, l := range lines {
		s := byIno[l.localInode]
		if s == nil {
			t.Errorf("ss shows %s %s %s %d, not in the dump", l.netid, l.state, l.local, l.localInode)
			continue
		}
		where := fmt.Sprintf("%s %s %d", l.netid, l.local, l.localInode)
		// ss prints no peer names from a netlink dump: always "*".
		got := fmt.Sprintf("%v %v %d %d %s %d *", s.Type, s.State, s.RQueue, s.WQueue, name(s), s.Peer)
		want := fmt.Sprintf("%s %s %d %d %s %d %s", l.netid, l.state, l.rq, l.sq, l.local, l.peerInode, l.peer)
		if got != want {
			t.Errorf("%s:\n dump %s\n ss   %s", where, got, want)
		}
		if ino, ok := l.fields["ino"]; ok && ino != strconv.Itoa(int(s.VFS.Inode)) {
			t.Errorf("%s: VFS inode %d, ss says %s", where, s.VFS.Inode, ino)
		}
		if i := slices.Index(l.tokens, "peers:"); i >= 0 {
			var icons []string
			for _, p := range s.Pending {
				icons = append(icons, strconv.Itoa(int(p)))
			}
			if ssIcons := l.tokens[i+1:]; strings.Join(icons, " ") != strings.Join(ssIcons, " ") {
				t.Errorf("%s: pending %v, ss says %v", where, icons, ssIcons)
			}
		}
	}
	// The listener on path holds the two unaccepted clients, and its queue
	// lengths are the accept queue and the backlog.
	i := slices.IndexFunc(ours, func(s sockdiag.UnixSocket) bool { return s.Path() == path && s.State == sockdiag.StateListen })
	if i < 0 {
		for _, s := range ours {
			t.Logf("%q %v", s.Path(), s.State)
		}
		t.Fatalf("no listener on %q", path)
	}
	l := ours[i]
	slices.Sort(l.Pending)
	slices.Sort(pending)
	if !slices.Equal(l.Pending, pending) || l.RQueue != 2 || l.WQueue != 16 || !l.Has(nlmsg.UnixDiagIcons) || !l.Has(nlmsg.UnixDiagUID) {
		t.Errorf("listener: pending %v (want %v), queues %d/%d (want 2/16)", l.Pending, pending, l.RQueue, l.WQueue)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil || uint64(l.VFS.Inode) != st.Ino {
		t.Errorf("listener VFS inode %d, stat says %d (%v)", l.VFS.Inode, st.Ino, err)
	}
}

// TestIntegrationUnixStatesAndShow asks for listeners only, with memory
// info and without names: the kernel's selection and attributes follow.
func TestIntegrationUnixStatesAndShow(t *testing.T) {
	ns := netnstest.New(t)
	unixFixture(t, ns)
	c := dial(t, ns)
	got, err := sockdiag.ListUnix(testCtx(t), c, sockdiag.UnixRequest{
		States: sockdiag.StatesOf(sockdiag.StateListen), Show: nlmsg.UDiagShowMemInfo | nlmsg.UDiagShowRQLen,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d listeners, want 2", len(got))
	}
	for _, s := range got {
		if s.State != sockdiag.StateListen || s.Has(nlmsg.UnixDiagName) || len(s.PathBytes()) != 0 || !s.Has(nlmsg.UnixDiagMemInfo) || s.SkMemInfo.Rcvbuf == 0 {
			t.Errorf("listener %+v: want no name, memory info", s)
		}
	}
}
