package sockdiag_test

import (
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationDestroy kills the server end of a TCP connection with
// SOCK_DESTROY: its owner reads ECONNABORTED, the peer gets a reset, the
// socket leaves the dump, a second destroy finds nothing (ENOENT), and a
// wrong cookie is refused (ENOENT) without touching the socket.
func TestIntegrationDestroy(t *testing.T) {
	ns := netnstest.New(t)
	var client, server int
	openIn(t, ns, func(o opener) error {
		l, err := o.listen(netip.AddrPortFrom(lo4, 443))
		if err != nil {
			return err
		}
		client, server, err = o.connect(l, netip.AddrPortFrom(lo4, 443))
		return err
	})
	c := dial(t, ns)
	established := sockdiag.InetRequest{Family: unix.AF_INET, States: sockdiag.StatesOf(sockdiag.StateEstablished), Filter: sockdiag.SrcPort(443)}
	socks, err := sockdiag.ListInet(testCtx(t), c, established, nil)
	if err != nil || len(socks) != 1 {
		t.Fatalf("server side: %v, %v", socks, err)
	}
	target := socks[0]
	if ino, _ := identity(t, server); ino != target.Inode {
		t.Fatalf("dump found inode %d, the server socket is %d", target.Inode, ino)
	}

	stale := target
	stale.Cookie++
	if err := sockdiag.Destroy(testCtx(t), c, &stale); !errors.Is(err, unix.ENOENT) {
		t.Errorf("destroy with a wrong cookie: %v, want ENOENT", err)
	}
	if socks, err := sockdiag.ListInet(testCtx(t), c, established, nil); err != nil || len(socks) != 1 {
		t.Fatalf("after a refused destroy: %v, %v", socks, err)
	}
	if err := sockdiag.Destroy(testCtx(t), c, &target); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	buf := make([]byte, 8)
	if _, err := unix.Read(server, buf); !errors.Is(err, unix.ECONNABORTED) {
		t.Errorf("owner of the destroyed socket reads %v, want ECONNABORTED", err)
	}
	if _, err := unix.Read(client, buf); !errors.Is(err, unix.ECONNRESET) {
		t.Errorf("peer reads %v, want ECONNRESET", err)
	}
	if socks, err := sockdiag.ListInet(testCtx(t), c, established, nil); err != nil || len(socks) != 0 {
		t.Errorf("after destroy: %v, %v", socks, err)
	}
	err = sockdiag.Destroy(testCtx(t), c, &target)
	var oe *engine.OpError
	if !errors.Is(err, unix.ENOENT) || !errors.As(err, &oe) {
		t.Errorf("second destroy: %v, want the engine's ENOENT", err)
	}
}

// TestIntegrationDestroyUDP aborts a bound UDP socket: its owner's next
// receive fails with ECONNABORTED; the socket stays bound (and listed)
// until its owner closes it.
func TestIntegrationDestroyUDP(t *testing.T) {
	ns := netnstest.New(t)
	var fd int
	openIn(t, ns, func(o opener) error {
		var err error
		fd, err = o.bound(unix.SOCK_DGRAM, netip.AddrPortFrom(lo6, 5353))
		return err
	})
	c := dial(t, ns)
	req := sockdiag.InetRequest{Family: unix.AF_INET6, Protocol: unix.IPPROTO_UDP}
	socks, err := sockdiag.ListInet(testCtx(t), c, req, nil)
	if err != nil || len(socks) != 1 {
		t.Fatalf("UDP sockets: %v, %v", socks, err)
	}
	if err := sockdiag.Destroy(testCtx(t), c, &socks[0]); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, _, err := unix.Recvfrom(fd, make([]byte, 8), unix.MSG_DONTWAIT); !errors.Is(err, unix.ECONNABORTED) {
		t.Errorf("owner reads %v, want ECONNABORTED", err)
	}
	if after, err := sockdiag.ListInet(testCtx(t), c, req, nil); err != nil || len(after) != 1 || after[0].Inode != socks[0].Inode {
		t.Errorf("after destroy: %v, %v", after, err)
	}
}

// TestIntegrationDestroyMiniSockets destroys a TIME-WAIT socket and a
// handshake's request socket (SYN-RECV), which have no file: the kernel
// takes their identity and cookie as a dump gave them and removes both.
func TestIntegrationDestroyMiniSockets(t *testing.T) {
	ns := netnstest.New(t)
	detailFixture(t, ns)
	c := dial(t, ns)
	mini := sockdiag.InetRequest{Family: unix.AF_INET, States: sockdiag.StatesOf(sockdiag.StateTimeWait, sockdiag.StateSynRecv)}
	socks, err := sockdiag.ListInet(testCtx(t), c, mini, nil)
	if err != nil || len(socks) != 2 || socks[0].State == socks[1].State {
		t.Fatalf("TIME-WAIT and SYN-RECV sockets: %v, %v", socks, err)
	}
	for i := range socks {
		if err := sockdiag.Destroy(testCtx(t), c, &socks[i]); err != nil {
			t.Errorf("destroy %v %v: %v", socks[i].State, socks[i].Local, err)
		}
	}
	if after, err := sockdiag.ListInet(testCtx(t), c, mini, nil); err != nil || len(after) != 0 {
		t.Errorf("after destroy: %v, %v", after, err)
	}
}
