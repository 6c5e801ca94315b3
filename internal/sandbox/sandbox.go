//go:build linux

// Package sandbox makes private network namespaces without touching the
// caller's: on a throwaway OS thread when the process may unshare (root), or
// by re-running the program in a new user+network namespace when it may not.
// It is shared by the test helper internal/netnstest (which bench/ uses too)
// and by cmd/nlbench.
package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// Throwaway runs fn on a new goroutine locked to an OS thread that the
// runtime discards when fn returns, so fn may change the thread's namespace.
// It returns at once; fn reports back itself.
//
// NB: fn never runs on the main thread: the runtime parks the main thread for
// good instead of ending it when its locked goroutine exits, so a namespace
// entered there would stay alive (and visible in /proc/self/ns/net).
func Throwaway(fn func()) {
	go func() {
		// NB: no UnlockOSThread after fn: exiting locked is what makes the
		// runtime throw the thread away rather than reuse it elsewhere.
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			return
		}
		// This is the main thread, held by us: the nested goroutine cannot
		// land on it, and the main thread is handed back untouched.
		done := make(chan struct{})
		Throwaway(func() {
			defer close(done)
			fn()
		})
		<-done
		runtime.UnlockOSThread()
	}()
}

// CanUnshare reports whether this process may create network namespaces, by
// trying on a throwaway thread: capability checks alone would miss seccomp
// filters and LSMs.
func CanUnshare() bool {
	ch := make(chan error, 1)
	Throwaway(func() { ch <- unix.Unshare(unix.CLONE_NEWNET) })
	return <-ch == nil
}

// NewNetNS creates a network namespace and returns an fd that refers to it,
// with lo up when withLo is set. The namespace lives as long as that fd (and
// the sockets made in it); the caller's thread never enters it. The caller
// owns the fd. Errors wrap the failing syscall's errno.
func NewNetNS(withLo bool) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	Throwaway(func() {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{-1, fmt.Errorf("unshare(CLONE_NEWNET): %w", err)}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, fmt.Errorf("open /proc/thread-self/ns/net: %w", err)}
			return
		}
		if withLo {
			if err := LoUp(); err != nil {
				unix.Close(fd)
				ch <- result{-1, err}
				return
			}
		}
		ch <- result{fd, nil}
	})
	r := <-ch
	return r.fd, r.err
}

// LoUp sets IFF_UP on lo (ifindex 1) in the calling thread's namespace; a
// new namespace starts with it down.
func LoUp() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("lo up: %w", err)
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
		return fmt.Errorf("lo up: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	if n < 20 || ne.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return errors.New("lo up: no ack")
	}
	if e := int32(ne.Uint32(buf[16:])); e != 0 {
		return fmt.Errorf("lo up: %w", unix.Errno(-e))
	}
	return nil
}

// ErrNotStarted is wrapped by Reexec's error when the child could not be
// started at all (typically: unprivileged user namespaces are disabled).
var ErrNotStarted = errors.New("could not start the program in a new user namespace")

// Reexec runs this program again, with the same arguments and with env=1
// added to its environment, in a new user and network namespace where the
// caller's uid and gid are mapped to 0, so it may create network namespaces
// without privileges on the host. The child shares stdin, stdout and stderr;
// the signals given are forwarded to it. It returns the child's exit status
// (128+signal when a signal killed it). An error means the child could not be
// started (the error wraps ErrNotStarted) or waited for.
func Reexec(env string, forward ...os.Signal) (int, error) {
	// Pdeathsig fires when the thread that started the child ends, not the
	// process; pinning this goroutine to its thread (never unlocked: the
	// caller exits) makes the child die exactly when this process does.
	runtime.LockOSThread()
	cmd := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   os.Args,
		Env:    append(os.Environ(), env+"=1"),
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
	if len(forward) > 0 {
		signal.Notify(sigs, forward...)
		defer signal.Stop(sigs)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotStarted, err)
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
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	default:
		return 1, fmt.Errorf("waiting for the re-executed %s: %w", os.Args[0], err)
	}
}
