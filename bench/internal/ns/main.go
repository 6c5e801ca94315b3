package ns

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

// childEnv marks the re-executed test binary.
const childEnv = "NLBENCH_NS_CHILD"

// Main runs m and exits; call it from TestMain. If this process may create
// network namespaces it just runs m. Otherwise it re-runs the test binary,
// with the same arguments, environment and standard streams, inside a new
// user and network namespace in which the caller is uid 0, forwards
// termination signals to it and exits with its status. If that is impossible
// it says so and runs m here, where New skips. Main never returns.
func Main(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		// The child's own namespace is private too; lo up keeps it usable.
		if err := loUp(); err != nil {
			fmt.Fprintf(os.Stderr, "ns: %v\n", err)
		}
		os.Exit(m.Run())
	}
	if canUnshare() {
		os.Exit(m.Run())
	}
	code, err := reexec()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ns: cannot re-run in a user namespace (%v); namespaces will be skipped\n", err)
		os.Exit(m.Run())
	}
	os.Exit(code)
}

// canUnshare tries unshare(CLONE_NEWNET) on a throwaway thread: capability
// bits alone would miss seccomp and LSM refusals.
func canUnshare() bool {
	ch := make(chan error, 1)
	throwaway(func() { ch <- unix.Unshare(unix.CLONE_NEWNET) })
	return <-ch == nil
}

func reexec() (int, error) {
	// Pdeathsig follows the thread that started the child; pin it (os.Exit
	// follows, so it is never unlocked) to kill the child with this process.
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
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	default:
		return 1, nil
	}
}
