//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/nlengine/nlengine/internal/sandbox"
)

// childEnv marks the re-executed test binary, so it runs the tests instead of
// re-executing again.
const childEnv = "NETNSTEST_REEXEC"

// runMode records how Main ran the tests, for this package's own tests.
type runMode int

const (
	modeNone     runMode = iota // Main was not called
	modeDirect                  // the process could unshare itself (root)
	modeChild                   // this is the re-executed child in a user+net namespace
	modeFallback                // re-exec was impossible; tests ran as they are
)

var mode = modeNone

// Main runs the tests of m and exits; call it from TestMain:
//
//	func TestMain(m *testing.M) { netnstest.Main(m) }
//
// If this process can create network namespaces it just runs m.Run. If not,
// it re-executes the test binary (same arguments, environment plus a marker
// variable, stdin/stdout/stderr shared) into a new user and network namespace
// in which the caller's uid and gid are mapped to 0, forwards SIGINT, SIGTERM,
// SIGHUP and SIGQUIT to it, and exits with its exit code. If the re-exec is
// impossible (user namespaces disabled) it says so on stderr and runs the
// tests here, where New will skip or fail. Main never returns.
//
// When the tests pass, Main then checks that they gave back what they took:
// no goroutine may still run this module's code, and no socket or network
// namespace descriptor may be open that was not open before the tests
// began. Closing every Conn, listener and namespace a test made (with
// t.Cleanup) is what makes that hold. Main waits a few seconds for what ends
// asynchronously, then prints what is still held and exits with status 1.
func Main(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		mode = modeChild
		// The child's own namespace is new and its lo is down; bring it up so
		// tests that use loopback without New behave as they would as root.
		if err := sandbox.LoUp(); err != nil {
			fmt.Fprintf(os.Stderr, "netnstest: cannot bring lo up in the test namespace: %v\n", err)
		}
		os.Exit(runCheckingLeaks(m))
	}
	if sandbox.CanUnshare() {
		mode = modeDirect
		os.Exit(runCheckingLeaks(m))
	}
	code, err := reexec()
	if err != nil {
		mode = modeFallback
		fmt.Fprintf(os.Stderr, "netnstest: cannot re-run the tests in a user namespace (%v); running them unprivileged\n", err)
		code := m.Run()
		runAfterRun()
		os.Exit(code)
	}
	os.Exit(code)
}

// afterRun holds the functions AfterRun registered, run in reverse order
// once m.Run returns.
var afterRun struct {
	sync.Mutex
	fns []func()
}

// AfterRun registers fn to run once every test and benchmark of the binary
// has ended, before Main checks for leaks: the release of a fixture that
// several benchmarks share and none of them may release. Functions run in
// the reverse order of their registration. Safe for concurrent use.
func AfterRun(fn func()) {
	afterRun.Lock()
	defer afterRun.Unlock()
	afterRun.fns = append(afterRun.fns, fn)
}

// runAfterRun runs the functions AfterRun registered.
func runAfterRun() {
	afterRun.Lock()
	fns := afterRun.fns
	afterRun.fns = nil
	afterRun.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// runCheckingLeaks runs m and, if its tests passed, fails the run when they
// left goroutines or descriptors behind (see Main).
func runCheckingLeaks(m *testing.M) int {
	before := holdings()
	code := m.Run()
	runAfterRun()
	if code != 0 {
		return code
	}
	if leaks := leaksSince(before, leakGrace); leaks != "" {
		fmt.Fprintf(os.Stderr, "netnstest: the tests passed but leaked:\n%s", leaks)
		fmt.Fprintln(os.Stdout, "FAIL")
		return 1
	}
	return 0
}

// reexec runs the test binary again in a new user+network namespace (see
// sandbox.Reexec) and returns its exit code. An error means the child could
// not be started.
func reexec() (int, error) {
	code, err := sandbox.Reexec(childEnv, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if err != nil && !errors.Is(err, sandbox.ErrNotStarted) {
		fmt.Fprintf(os.Stderr, "netnstest: %v\n", err)
		return code, nil
	}
	if err == nil && code > 128 {
		fmt.Fprintf(os.Stderr, "netnstest: test process killed by %v\n", syscall.Signal(code-128))
	}
	return code, err
}
