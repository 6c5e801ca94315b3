package netnstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
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
func Main(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		mode = modeChild
		// The child's own namespace is new and its lo is down; bring it up so
		// tests that use loopback without New behave as they would as root.
		if err := loUp(); err != nil {
			fmt.Fprintf(os.Stderr, "netnstest: cannot bring lo up in the test namespace: %v\n", err)
		}
		os.Exit(m.Run())
	}
	if canUnshare() {
		mode = modeDirect
		os.Exit(m.Run())
	}
	code, err := reexec()
	if err != nil {
		mode = modeFallback
		fmt.Fprintf(os.Stderr, "netnstest: cannot re-run the tests in a user namespace (%v); running them unprivileged\n", err)
		os.Exit(m.Run())
	}
	os.Exit(code)
}

// canUnshare reports whether this process may create network namespaces, by
// trying it on a throwaway thread: capability checks alone would miss
// seccomp filters and LSMs.
func canUnshare() bool {
	ch := make(chan error, 1)
	goThrowaway(func() { ch <- unix.Unshare(unix.CLONE_NEWNET) })
	return <-ch == nil
}

// reexec runs this test binary again in a new user+network namespace and
// returns its exit code. An error means the child could not be started.
func reexec() (int, error) {
	// Pdeathsig fires when the thread that started the child exits, not the
	// process. Locking (and never unlocking: os.Exit follows) pins that thread,
	// so the child is killed exactly when this process dies, e.g. by the go
	// command's SIGKILL after a timeout.
	runtime.LockOSThread()
	cmd := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   os.Args,
		Env:    append(os.Environ(), childEnv+"=1"),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNET,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
			Pdeathsig:   syscall.SIGKILL,
		},
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigs)
		return 0, err
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s) // fails only once the child is gone
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "netnstest: test process killed by %v\n", ws.Signal())
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	default:
		fmt.Fprintf(os.Stderr, "netnstest: waiting for the test process: %v\n", err)
		return 1, nil
	}
}
