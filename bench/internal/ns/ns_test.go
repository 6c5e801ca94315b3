package ns

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { Main(m) }

func inode(t *testing.T, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func selfNS(t *testing.T) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestNewIsPrivate checks that New makes a namespace other than the
// process's, that Do runs inside it, and that the process stays where it was.
func TestNewIsPrivate(t *testing.T) {
	before := selfNS(t)
	n := New(t)
	want := inode(t, n.FD())
	if want == before {
		t.Fatal("New returned the process's own namespace")
	}
	var got uint64
	err := n.Do(func() error {
		var st unix.Stat_t
		if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
			return err
		}
		got = st.Ino
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Do ran in namespace %d, want %d", got, want)
	}
	if after := selfNS(t); after != before {
		t.Fatalf("process namespace changed from %d to %d", before, after)
	}
}

// TestLoopbackUp checks that a new namespace's lo is up, by reading its
// flags with RTM_GETLINK on a socket made inside it.
func TestLoopbackUp(t *testing.T) {
	n := New(t)
	fd, err := n.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	req := make([]byte, 32)
	put32 := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	put32(req[0:], 32)
	req[4] = unix.RTM_GETLINK
	req[6] = unix.NLM_F_REQUEST
	put32(req[20:], 1) // ifindex 1
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	nr, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if nr < 32 || buf[4] != unix.RTM_NEWLINK {
		t.Fatalf("unexpected reply type %d (%d bytes)", buf[4], nr)
	}
	flags := uint32(buf[24]) | uint32(buf[25])<<8
	if flags&unix.IFF_UP == 0 {
		t.Fatalf("lo flags %#x: not up", flags)
	}
}

// TestUseAfterCleanup checks that Do refuses to run once the owner's
// cleanup has closed the namespace.
func TestUseAfterCleanup(t *testing.T) {
	var n *NS
	t.Run("owner", func(t *testing.T) { n = New(t) })
	if n == nil {
		t.Skip("no namespace")
	}
	if err := n.Do(func() error { return nil }); err == nil {
		t.Fatal("Do after cleanup succeeded")
	}
	if n.FD() != -1 {
		t.Fatalf("FD after cleanup = %d, want -1", n.FD())
	}
}
