// Package ns gives each benchmark of the bench module a private network
// namespace, so that the libraries under comparison talk to the real kernel
// without touching the host's links or routes.
//
// As root, [New] unshares a fresh namespace on a throwaway OS thread (locked
// and never unlocked, so the runtime discards it) and keeps a file descriptor
// of it; the calling goroutine never changes namespace. Without root, [Main]
// (called from TestMain) re-executes the test binary inside a new user and
// network namespace where it holds CAP_SYS_ADMIN over its own namespaces, and
// New then works as it does for root.
//
// It mirrors the parent module's internal/netnstest, which this module
// cannot import; it keeps only what the benchmarks need.
package ns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// requireEnv, when "1", turns "cannot make a namespace" from a skip into a
// failure, so a CI run cannot silently measure nothing.
const requireEnv = "NLTEST_REQUIRE_NETNS"

// NS is a private network namespace owned by one benchmark or test and kept
// alive by an open file descriptor that the owner's cleanup closes. Sockets
// opened inside it keep it alive until they are closed too.
//
// All methods are safe for concurrent use until the owner's cleanup has run.
type NS struct {
	mu sync.RWMutex // keeps cleanup from closing fd under a setns
	fd int          // -1 once closed
}

// New creates a namespace with its loopback up and registers a tb.Cleanup
// that releases it. It calls tb.Skipf when no namespace can be made, or
// tb.Fatalf if NLTEST_REQUIRE_NETNS=1.
func New(tb testing.TB) *NS {
	tb.Helper()
	fd, err := create()
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			tb.Fatalf("ns: %v (%s=1 forbids skipping)", err, requireEnv)
		}
		tb.Skipf("ns: %v", err)
	}
	n := &NS{fd: fd}
	tb.Cleanup(n.close)
	return n
}

// FD returns the descriptor of the namespace, for setns(2) or for library
// options that take one. The caller must not close it; it is -1 after the
// owner's cleanup.
func (n *NS) FD() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.fd
}

// Do runs fn on a fresh OS thread that has entered the namespace and returns
// fn's error. Sockets fn opens belong to the namespace for their whole life;
// goroutines fn starts do not run in it. fn must not call t.Fatal. A panic in
// fn is re-raised in the caller.
func (n *NS) Do(fn func() error) error {
	type result struct {
		err   error
		panic any
		stack []byte
	}
	ch := make(chan result, 1)
	throwaway(func() {
		r := result{err: errors.New("ns: fn did not return (runtime.Goexit?)")}
		defer func() {
			if v := recover(); v != nil {
				r = result{panic: v, stack: debug.Stack()}
			}
			ch <- r
		}()
		if err := n.enter(); err != nil {
			r.err = err
			return
		}
		r.err = fn()
	})
	r := <-ch
	if r.panic != nil {
		panic(fmt.Sprintf("ns: panic in Do: %v\n%s", r.panic, r.stack))
	}
	return r.err
}

// Socket opens a blocking AF_NETLINK socket of protocol proto inside the
// namespace. The caller owns and closes it.
func (n *NS) Socket(proto int) (int, error) {
	fd := -1
	err := n.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("ns: socket(AF_NETLINK, %d): %w", proto, err)
	}
	return fd, nil
}

func (n *NS) enter() error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.fd < 0 {
		return errors.New("ns: namespace used after its owner's cleanup")
	}
	return unix.Setns(n.fd, unix.CLONE_NEWNET)
}

func (n *NS) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
}

// create unshares a namespace on a throwaway thread, opens a descriptor of
// it and brings its loopback up.
func create() (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	throwaway(func() {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{-1, fmt.Errorf("unshare(CLONE_NEWNET): %w (run as root, or call ns.Main from TestMain)", err)}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, err}
			return
		}
		if err := loUp(); err != nil {
			unix.Close(fd)
			ch <- result{-1, err}
			return
		}
		ch <- result{fd, nil}
	})
	r := <-ch
	return r.fd, r.err
}

// throwaway runs fn on a goroutine locked to a thread that dies with it.
//
// NB: never on the main thread: the runtime parks rather than kills a main
// thread whose locked goroutine exits, so a namespace change there would
// outlive fn.
func throwaway(fn func()) {
	go func() {
		// NB: no UnlockOSThread once fn ran: exiting locked makes the runtime
		// discard the thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			return
		}
		done := make(chan struct{})
		throwaway(func() { defer close(done); fn() })
		<-done
		runtime.UnlockOSThread() // the main thread itself was left alone
	}()
}

// loUp sets IFF_UP on lo (ifindex 1) in the calling thread's namespace; a
// new namespace starts with it down.
func loUp() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// nlmsghdr + ifinfomsg{index 1, flags IFF_UP, change IFF_UP}
	req := make([]byte, 16+16)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.RTM_NEWLINK)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(req[8:], 1)
	ne.PutUint32(req[16+4:], 1)
	ne.PutUint32(req[16+8:], unix.IFF_UP)
	ne.PutUint32(req[16+12:], unix.IFF_UP)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("ns: lo up: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("ns: lo up: %w", err)
	}
	if n < 20 || ne.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return errors.New("ns: lo up: no ack")
	}
	if e := int32(ne.Uint32(buf[16:])); e != 0 {
		return fmt.Errorf("ns: lo up: %w", unix.Errno(-e))
	}
	return nil
}
