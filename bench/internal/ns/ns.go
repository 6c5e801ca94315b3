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
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/sandbox"
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
	sandbox.Throwaway(func() {
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

// create makes a new network namespace with lo up (sandbox.NewNetNS).
func create() (int, error) {
	fd, err := sandbox.NewNetNS(true)
	if errors.Is(err, unix.EPERM) {
		err = fmt.Errorf("%w (run as root, or call ns.Main from TestMain)", err)
	}
	return fd, err
}
