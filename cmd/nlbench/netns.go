package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/sandbox"
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

// newNetNS creates a network namespace and returns an fd that refers to it
// (see sandbox.NewNetNS); nlbench brings lo up itself, through the engine.
func newNetNS() (int, error) { return sandbox.NewNetNS(false) }

// inChild reports whether this process is the re-executed copy.
func inChild() bool { return os.Getenv(childEnv) == "1" }

// reexecInUserNS runs this program again in a new user and network
// namespace (see sandbox.Reexec), forwarding SIGINT, SIGTERM and SIGHUP. It
// returns the child's exit status, or a *noNamespaceError when the child
// could not be started.
func reexecInUserNS() (int, error) {
	code, err := sandbox.Reexec(childEnv, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if errors.Is(err, sandbox.ErrNotStarted) {
		return 0, &noNamespaceError{err}
	}
	return code, err
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
