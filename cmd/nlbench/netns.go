package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// childEnv marks the copy of nlbench that its unprivileged parent started in
// a new user+network namespace, so that it does not re-execute itself again.
const childEnv = "NLBENCH_SANDBOX_CHILD"

// errNoNamespace is what every failure to get a sandbox namespace is (see
// noNamespaceError), so run can give it its own exit code and paragraph.
var errNoNamespace = errors.New("cannot create a private network namespace")

// noNamespaceError is a failure to get a sandbox namespace: errors.Is
// errNoNamespace, and Unwrap gives the cause.
type noNamespaceError struct{ cause error }

func (e *noNamespaceError) Error() string        { return errNoNamespace.Error() + ": " + e.cause.Error() }
func (e *noNamespaceError) Unwrap() error        { return e.cause }
func (e *noNamespaceError) Is(target error) bool { return target == errNoNamespace }

// newNetNS creates a network namespace and returns an fd that refers to it.
// The namespace lives as long as that fd (and the sockets made in it); no
// thread of the process stays in it, and the caller's thread never enters it.
func newNetNS() (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	onThrowawayThread(func() {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{-1, fmt.Errorf("unshare(CLONE_NEWNET): %w", err)}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, fmt.Errorf("open /proc/thread-self/ns/net: %w", err)}
			return
		}
		ch <- result{fd, nil}
	})
	r := <-ch
	return r.fd, r.err
}

// onThrowawayThread runs fn on a goroutine locked to an OS thread that the
// runtime discards when fn returns, so fn may change the thread's namespace.
//
// NB: fn never runs on the main thread: the runtime parks the main thread for
// good instead of ending it when its locked goroutine exits, so a namespace
// entered there would stay alive (and visible in /proc/self/ns/net).
func onThrowawayThread(fn func()) {
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
		onThrowawayThread(func() {
			defer close(done)
			fn()
		})
		<-done
		runtime.UnlockOSThread()
	}()
}

// inChild reports whether this process is the re-executed copy.
func inChild() bool { return os.Getenv(childEnv) == "1" }

// reexecInUserNS runs this program again, with the same arguments, in a new
// user and network namespace where the caller's uid and gid are mapped to 0,
// so it may create network namespaces without privileges on the host. The
// child shares stdin, stdout and stderr; SIGINT, SIGTERM and SIGHUP are
// forwarded to it. It returns the child's exit status, or a
// *noNamespaceError when the child could not be started.
func reexecInUserNS() (int, error) {
	// Pdeathsig fires when the thread that started the child ends, not the
	// process; pinning this goroutine to its thread (never unlocked, the
	// caller exits) makes the child die exactly when this process does.
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
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, &noNamespaceError{fmt.Errorf("starting nlbench in a new user namespace: %w", err)}
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
		return 1, fmt.Errorf("waiting for the sandboxed nlbench: %w", err)
	}
}

// explainNoNamespace returns the one paragraph nlbench prints when it can get
// no sandbox: what failed, why that matters, and how to fix it, naming the
// setting that is in the way when it can tell which.
func explainNoNamespace(err error) string {
	var fix []string
	if v, ok := readSysctl("kernel/unprivileged_userns_clone"); ok && v == "0" {
		fix = append(fix, "allow unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1, currently 0)")
	}
	if v, ok := readSysctl("user/max_user_namespaces"); ok && v == "0" {
		fix = append(fix, "allow user namespaces (sysctl -w user.max_user_namespaces=15000, currently 0)")
	}
	if v, ok := readSysctl("kernel/apparmor_restrict_unprivileged_userns"); ok && v == "1" {
		fix = append(fix, "lift AppArmor's restriction (sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that grants userns to this binary)")
	}
	if len(fix) == 0 {
		fix = append(fix, "allow unprivileged user namespaces (kernel.unprivileged_userns_clone=1 on Debian-patched kernels, user.max_user_namespaces above 0, kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu; a container may also need to permit unshare in its seccomp profile)")
	}
	fix = append(fix, "run nlbench as root", "point it at an existing namespace with -netns PATH (only read workloads then, unless -allow-writes)")
	return fmt.Sprintf("nlbench: %v. nlbench runs its workloads in a private network namespace it creates and removes itself, so that it never changes this machine's own links, addresses or routes; as root it unshares one directly, as an ordinary user it re-runs itself in a new user and network namespace, and this system allowed neither (uid %d). To fix it: %s.",
		err, os.Getuid(), strings.Join(fix, "; or "))
}

// readSysctl reads /proc/sys/name, trimmed; ok is false when it does not exist.
func readSysctl(name string) (string, bool) {
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// kernelRelease returns uname -r, for the report.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// cpuModel returns the first "model name" of /proc/cpuinfo, for -benchfmt's
// cpu: line; "" when there is none.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
