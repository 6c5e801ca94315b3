//go:build linux

package netnstest

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

// requireEnv names the environment variable that turns skips into failures.
const requireEnv = "NLTEST_REQUIRE_NETNS"

// Require reports whether NLTEST_REQUIRE_NETNS=1 is set, that is whether a
// test that cannot get a network namespace must fail rather than skip.
// Safe for concurrent use.
func Require() bool { return os.Getenv(requireEnv) == "1" }

// errClosed is returned by Do once the owning test's cleanup has run.
var errClosed = errors.New("netnstest: namespace used after its test's cleanup")

// errGoexit is returned by Do when fn ended its goroutine with runtime.Goexit
// (typically t.FailNow or t.Fatal, which belong on the test goroutine).
var errGoexit = errors.New("netnstest: fn called runtime.Goexit (t.Fatal/t.FailNow?) on the NS.Do thread")

// NS is a private network namespace owned by one test or benchmark. It is
// kept alive by an open file descriptor, which the test's cleanup closes;
// the kernel frees the namespace once nothing else refers to it.
//
// All methods are safe for concurrent use. After the owning test's cleanup
// has run, FD returns -1 and Do (so Socket and every helper) fails.
type NS struct {
	mu sync.RWMutex // guards fd against the cleanup closing it under a setns
	fd int          // -1 once closed
}

// New makes a fresh network namespace for tb with its loopback link up, and
// registers a tb.Cleanup that releases it. The calling goroutine's thread never
// changes namespace: the namespace is born on a separate locked thread that
// the runtime discards afterwards.
//
// If no namespace can be made (see the package doc), New calls tb.Skipf with
// the reason, or tb.Fatalf when NLTEST_REQUIRE_NETNS=1. Safe for parallel tests.
func New(tb testing.TB) *NS {
	tb.Helper()
	fd, err := create()
	if err != nil {
		skipOrFail(tb, "netnstest: cannot create a network namespace: %v", err)
		return nil
	}
	ns := &NS{fd: fd}
	tb.Cleanup(ns.close)
	return ns
}

// skipOrFail ends the test with tb.Skipf, or with tb.Fatalf under NLTEST_REQUIRE_NETNS=1.
func skipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if Require() {
		tb.Fatalf(format+" ("+requireEnv+"=1 forbids skipping)", args...)
		return
	}
	tb.Skipf(format, args...)
}

// create makes a new network namespace with lo up (sandbox.NewNetNS) and
// says what is missing when it cannot.
func create() (int, error) {
	fd, err := sandbox.NewNetNS(true)
	if errors.Is(err, unix.EPERM) {
		hint := " (needs CAP_SYS_ADMIN: run as root, or call netnstest.Main from TestMain)"
		if mode == modeFallback {
			hint = " (needs CAP_SYS_ADMIN, and user namespaces are unavailable, so netnstest.Main could not re-run the tests in one)"
		}
		return -1, fmt.Errorf("%w%s", err, hint)
	}
	return fd, err
}

// close releases the namespace fd; registered as the test's cleanup.
func (ns *NS) close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.fd >= 0 {
		unix.Close(ns.fd)
		ns.fd = -1
	}
}

// FD returns the file descriptor that refers to the namespace, for setns(2)
// or for code that takes a namespace fd. It stays valid until the owning
// test's cleanup, which closes it; the caller must not close it. After the
// cleanup FD returns -1.
func (ns *NS) FD() int {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.fd
}

// Path returns "/proc/self/fd/N" for the namespace fd, usable wherever a
// network namespace path is expected, by this process only and for as long
// as FD is valid.
func (ns *NS) Path() string {
	return fmt.Sprintf("/proc/self/fd/%d", ns.FD())
}

// Do runs fn on a fresh OS thread that has entered the namespace, waits for
// it and returns fn's error. Everything fn creates that is bound to a
// namespace at creation (sockets, links, routes) belongs to ns; goroutines fn
// starts do not run in ns. The thread is discarded when fn returns, never
// handed back to the scheduler, so each call costs a thread creation.
//
// fn must not call t.Fatal or t.FailNow (Do then returns an error instead);
// a panic in fn is re-raised on the caller's goroutine. Safe for concurrent use.
func (ns *NS) Do(fn func() error) error {
	type result struct {
		err      error
		panicked bool
		value    any
		stack    []byte
	}
	ch := make(chan result, 1)
	sandbox.Throwaway(func() {
		res := result{err: errGoexit}
		returned := false
		defer func() {
			if !returned {
				// recover is nil after runtime.Goexit, so res keeps errGoexit.
				if v := recover(); v != nil {
					res = result{panicked: true, value: v, stack: debug.Stack()}
				}
			}
			ch <- res
		}()
		if err := ns.enter(); err != nil {
			res.err, returned = err, true
			return
		}
		res.err = fn()
		returned = true
	})
	r := <-ch
	if r.panicked {
		panic(fmt.Sprintf("netnstest: panic in NS.Do: %v\n\ngoroutine stack of the panic:\n%s", r.value, r.stack))
	}
	return r.err
}

// enter moves the calling (locked) thread into the namespace.
func (ns *NS) enter() error {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	if ns.fd < 0 {
		return errClosed
	}
	if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("netnstest: setns: %w", err)
	}
	return nil
}

// Socket opens a netlink socket (AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, blocking)
// of the given protocol, for example unix.NETLINK_ROUTE, inside the namespace.
// The socket stays in ns for its whole life, even after the test's cleanup
// closes FD. The caller owns and closes it. Safe for concurrent use.
func (ns *NS) Socket(proto int) (int, error) {
	fd := -1
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("netnstest: socket(AF_NETLINK, %d): %w", proto, err)
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	return fd, nil
}
