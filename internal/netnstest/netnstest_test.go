//go:build linux

package netnstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { Main(m) }

// statIno returns the inode of a namespace file; equal inodes (on nsfs) mean
// the same namespace.
func statIno(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

func fdIno(t *testing.T, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat %d: %v", fd, err)
	}
	return st.Ino
}

// threadIno returns the namespace inode of the thread running fn's caller; the
// caller must be locked to its thread for the answer to mean anything.
func threadIno() (uint64, error) {
	var st unix.Stat_t
	err := unix.Stat("/proc/thread-self/ns/net", &st)
	return st.Ino, err
}

func TestMainMode(t *testing.T) {
	switch mode {
	case modeDirect:
		t.Log("ran directly: this process can unshare(CLONE_NEWNET)")
	case modeChild:
		if os.Getuid() != 0 || os.Getgid() != 0 {
			t.Errorf("re-executed child runs as uid %d gid %d, want 0 0", os.Getuid(), os.Getgid())
		}
		if os.Getenv(childEnv) != "1" {
			t.Errorf("child mode without %s=1", childEnv)
		}
		// Main brings up lo of the child's own namespace.
		c, err := dialRoute()
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if lo, err := c.getLink("lo"); err != nil || lo.flags&unix.IFF_UP == 0 {
			t.Errorf("lo of the child's namespace: %+v, %v; want IFF_UP", lo, err)
		}
		t.Log("ran re-executed in a user+network namespace")
	case modeFallback:
		skipOrFail(t, "user namespaces unavailable; tests ran unprivileged")
	default:
		t.Fatalf("mode = %d: Main did not record how it ran", mode)
	}
}

func TestIntegrationNewIsolatedNamespace(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	host := statIno(t, "/proc/thread-self/ns/net")
	if p := statIno(t, "/proc/self/ns/net"); p != host {
		t.Fatalf("test thread is in netns %d but the process in %d before New", host, p)
	}

	ns := New(t)
	got := fdIno(t, ns.FD())
	if got == host {
		t.Fatalf("New's namespace has the host's inode %d", host)
	}
	if p := statIno(t, ns.Path()); p != got {
		t.Errorf("Path() %s names netns %d, FD() names %d", ns.Path(), p, got)
	}
	if other := fdIno(t, New(t).FD()); other == got || other == host {
		t.Errorf("second New gave netns %d; first %d, host %d", other, got, host)
	}
	if after := statIno(t, "/proc/thread-self/ns/net"); after != host {
		t.Errorf("calling thread moved from netns %d to %d by New", host, after)
	}
}

func TestIntegrationDoRunsInsideAndLeavesCallerAlone(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	host := statIno(t, "/proc/thread-self/ns/net")
	ns := New(t)
	want := fdIno(t, ns.FD())

	var inside uint64
	if err := ns.Do(func() error {
		var err error
		inside, err = threadIno()
		return err
	}); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if inside != want {
		t.Errorf("Do ran in netns %d, want the NS's %d (host %d)", inside, want, host)
	}
	if after := statIno(t, "/proc/thread-self/ns/net"); after != host {
		t.Errorf("calling thread moved from netns %d to %d by Do", host, after)
	}
}

// TestIntegrationNoThreadLeaks checks that threads used by New and Do never
// return to the scheduler: afterwards, fresh goroutines on whatever threads the
// runtime has must all be in the process's namespace.
func TestIntegrationNoThreadLeaks(t *testing.T) {
	host := statIno(t, "/proc/self/ns/net")
	ns := New(t)
	for range 20 {
		if err := ns.Do(func() error { return nil }); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	const workers = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []uint64
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			runtime.LockOSThread() // spread over as many threads as possible
			defer runtime.UnlockOSThread()
			ino, err := threadIno()
			if err != nil || ino != host {
				mu.Lock()
				bad = append(bad, ino)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("%d goroutines ran on threads outside the process netns %d: %v", len(bad), host, bad)
	}
}

func TestIntegrationLoopbackUp(t *testing.T) {
	ns := New(t)
	err := ns.Do(func() error {
		c, err := dialRoute()
		if err != nil {
			return err
		}
		defer c.close()
		lo, err := c.getLink("lo")
		if err != nil {
			return err
		}
		if lo.flags&unix.IFF_UP == 0 {
			t.Errorf("lo flags %#x, want IFF_UP", lo.flags)
		}
		// A datagram to ourselves over 127.0.0.1 only arrives if lo really works.
		return udpSelf(unix.AF_INET, netip.MustParseAddr("127.0.0.1"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// udpSelf binds a UDP socket to addr in the calling thread's namespace and
// sends itself one datagram.
func udpSelf(family int, addr netip.Addr) error {
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// Only a guard against hanging forever: a working kernel answers at once.
	tv := unix.Timeval{Sec: 5}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	var sa unix.Sockaddr
	if addr.Is4() {
		sa = &unix.SockaddrInet4{Addr: addr.As4()}
	} else {
		sa = &unix.SockaddrInet6{Addr: addr.As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	if err := unix.Sendto(fd, []byte("ping"), 0, bound); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("udpSelf %v: %w", addr, err)
	}
	if string(buf[:n]) != "ping" {
		return errors.New("udpSelf: got " + string(buf[:n]))
	}
	return nil
}

type addrInfo struct {
	index int
	addr  netip.Prefix
}

// dumpAddrs lists the addresses of the namespace the connection lives in.
func dumpAddrs(c *rtconn) ([]addrInfo, error) {
	body := make([]byte, unix.SizeofIfAddrmsg) // AF_UNSPEC: both families
	msgs, err := c.execute("RTM_GETADDR dump", unix.RTM_GETADDR, unix.NLM_F_DUMP, body)
	if err != nil {
		return nil, err
	}
	ne := binary.NativeEndian
	var out []addrInfo
	for _, m := range msgs {
		p := m.data
		if m.typ != unix.RTM_NEWADDR || len(p) < unix.SizeofIfAddrmsg {
			continue
		}
		bits, index := int(p[1]), int(ne.Uint32(p[4:8]))
		for a := p[unix.SizeofIfAddrmsg:]; len(a) >= 4; {
			l := int(ne.Uint16(a[0:2]))
			if l < 4 || l > len(a) {
				break
			}
			if ne.Uint16(a[2:4]) == unix.IFA_ADDRESS {
				if ip, ok := netip.AddrFromSlice(a[4:l]); ok {
					out = append(out, addrInfo{index, netip.PrefixFrom(ip, bits)})
				}
			}
			a = a[min(nlAlign(l), len(a)):]
		}
	}
	return out, nil
}

func TestIntegrationVethAndAddrOnlyInside(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const name, peer = "nst0", "nst1"
	v4, v6 := netip.MustParsePrefix("10.99.0.1/24"), netip.MustParsePrefix("fd00:99::1/64")

	ns := New(t)
	ns.AddVeth(t, name, peer)
	ns.AddAddr(t, name, v4.String())
	ns.AddAddr(t, peer, v6.String())

	idx, pidx := ns.LinkIndex(t, name), ns.LinkIndex(t, peer)
	if idx <= 1 || pidx <= 1 || idx == pidx {
		t.Fatalf("LinkIndex: %s=%d %s=%d, want two distinct indexes above lo's 1", name, idx, peer, pidx)
	}

	err := ns.route(func(c *rtconn) error {
		for _, n := range []string{name, peer} {
			li, err := c.getLink(n)
			if err != nil {
				return err
			}
			if li.flags&unix.IFF_UP == 0 {
				t.Errorf("%s flags %#x, want IFF_UP", n, li.flags)
			}
		}
		addrs, err := dumpAddrs(c)
		if err != nil {
			return err
		}
		for _, want := range []addrInfo{{idx, v4}, {pidx, v6}} {
			found := false
			for _, a := range addrs {
				found = found || a == want
			}
			if !found {
				t.Errorf("address %v on index %d missing inside the namespace; have %v", want.addr, want.index, addrs)
			}
		}
		// Both addresses must be usable at once (IPv6 without DAD delay).
		if err := udpSelf(unix.AF_INET, v4.Addr()); err != nil {
			t.Errorf("UDP on %v: %v", v4.Addr(), err)
		}
		if err := udpSelf(unix.AF_INET6, v6.Addr()); err != nil {
			t.Errorf("UDP on %v: %v", v6.Addr(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The calling thread's namespace (the host, or the re-exec child's own
	// namespace) has neither the links nor the addresses.
	c, err := dialRoute()
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, n := range []string{name, peer} {
		if li, err := c.getLink(n); !errors.Is(err, unix.ENODEV) {
			t.Errorf("host lookup of %s: link %+v, err %v; want ENODEV", n, li, err)
		}
	}
	addrs, err := dumpAddrs(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.addr == v4 || a.addr == v6 {
			t.Errorf("host has the test address %v", a.addr)
		}
	}
}

func TestIntegrationSocketIsInside(t *testing.T) {
	ns := New(t)
	ns.AddVeth(t, "nstsock0", "nstsock1")
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	// The socket must keep talking to ns even from a thread outside it.
	c := &rtconn{fd: fd, buf: make([]byte, 64<<10)}
	defer c.close()
	li, err := c.getLink("nstsock0")
	if err != nil {
		t.Fatalf("lookup through ns.Socket: %v", err)
	}
	if want := ns.LinkIndex(t, "nstsock0"); li.index != want {
		t.Errorf("index through ns.Socket %d, LinkIndex %d", li.index, want)
	}
}

func TestIntegrationParallelNamespacesShareNames(t *testing.T) {
	for i := range 4 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			ns := New(t)
			ns.AddVeth(t, "veth0", "veth1")
			ns.AddAddr(t, "veth0", "192.0.2.1/24")
			ns.AddAddr(t, "veth1", "2001:db8::1/64")
		})
	}
}

func TestIntegrationDoErrorsAndPanics(t *testing.T) {
	ns := New(t)
	sentinel := errors.New("sentinel")
	if err := ns.Do(func() error { return sentinel }); err != sentinel {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	if err := ns.Do(func() error { runtime.Goexit(); return nil }); !errors.Is(err, errGoexit) {
		t.Errorf("Do with Goexit returned %v, want errGoexit", err)
	}
	func() {
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.Contains(s, "boom") {
				t.Errorf("recovered %v, want the panic from fn re-raised", r)
			}
		}()
		_ = ns.Do(func() error { panic("boom") })
		t.Error("Do returned after fn panicked")
	}()
}

func TestIntegrationUseAfterCleanup(t *testing.T) {
	var ns *NS
	t.Run("owner", func(t *testing.T) { ns = New(t) })
	if ns == nil {
		t.Skip("owner subtest skipped")
	}
	if fd := ns.FD(); fd != -1 {
		t.Errorf("FD() after cleanup = %d, want -1", fd)
	}
	if err := ns.Do(func() error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Do after cleanup: %v, want errClosed", err)
	}
}

// fakeTB records how a helper ended a test; Skipf and Fatalf end the goroutine
// as the real ones do.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
	cleanups        []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Skipf(s string, a ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(s, a...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(s string, a ...any) {
	f.failed, f.msg = true, fmt.Sprintf(s, a...)
	runtime.Goexit()
}

func runFake(fn func(tb *fakeTB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for _, c := range f.cleanups {
		c()
	}
	return f
}

func TestSkipOrFailHonoursRequire(t *testing.T) {
	t.Setenv(requireEnv, "")
	if Require() {
		t.Fatal("Require() with the variable empty")
	}
	if f := runFake(func(tb *fakeTB) { skipOrFail(tb, "no ns: %d", 7) }); !f.skipped || f.failed || f.msg != "no ns: 7" {
		t.Errorf("without %s: %+v, want a skip", requireEnv, f)
	}
	t.Setenv(requireEnv, "1")
	if !Require() {
		t.Fatal("Require() false with the variable set to 1")
	}
	if f := runFake(func(tb *fakeTB) { skipOrFail(tb, "no ns") }); f.skipped || !f.failed || !strings.Contains(f.msg, requireEnv) {
		t.Errorf("with %s=1: %+v, want a failure naming the variable", requireEnv, f)
	}
}

func TestIntegrationHelpersFailLoudly(t *testing.T) {
	ns := New(t)
	ns.AddVeth(t, "nstdup0", "nstdup1")
	cases := []struct {
		name string
		fn   func(tb *fakeTB)
		want string
	}{
		{"missing link", func(tb *fakeTB) { ns.LinkIndex(tb, "nope0") }, "no such device"},
		{"duplicate veth", func(tb *fakeTB) { ns.AddVeth(tb, "nstdup0", "nstdup2") }, "file exists"},
		// The kernel's extended-ack text must reach the message.
		{"name too long", func(tb *fakeTB) { ns.AddVeth(tb, "nst-name-too-long0", "nstdup3") }, "policy validation"},
		{"bad cidr", func(tb *fakeTB) { ns.AddAddr(tb, "nstdup0", "10.0.0.1") }, "10.0.0.1"},
		{"addr on missing link", func(tb *fakeTB) { ns.AddAddr(tb, "nope0", "10.0.0.1/8") }, "no such device"},
	}
	for _, tc := range cases {
		f := runFake(tc.fn)
		if !f.failed || !strings.Contains(f.msg, tc.want) {
			t.Errorf("%s: failed=%v msg=%q, want a failure mentioning %q", tc.name, f.failed, f.msg, tc.want)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	ns := New(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIntegrationRunToolsInside(t *testing.T) {
	ns := New(t)
	ns.AddVeth(t, "tool0", "tool1")
	out := ns.Run(t, "ip", "-j", "link", "show", "dev", "tool0")
	if !strings.Contains(string(out), `"ifname":"tool0"`) {
		t.Fatalf("ip -j link inside the namespace did not show tool0: %s", out)
	}
	if host, _ := exec.Command("ip", "-j", "link", "show", "dev", "tool0").Output(); strings.Contains(string(host), "tool0") {
		t.Fatalf("tool0 is visible outside the namespace: %s", host)
	}
	if _, err := ns.Output("ip", "link", "show", "dev", "nosuchlink"); err == nil || !strings.Contains(err.Error(), "nosuchlink") {
		t.Fatalf("a failing tool returned %v, want an error quoting its stderr", err)
	}
}
