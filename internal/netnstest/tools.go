//go:build linux

package netnstest

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Run runs a reference tool (ip, ss, conntrack, ethtool, genl, ...) inside
// the namespace and returns what it printed on standard output. The process
// is started from a thread that has entered the namespace, so it and its
// sockets belong to ns; the calling goroutine never changes namespace.
//
// When the tool is not installed, Run skips tb with the reason (it fails tb
// under NLTEST_REQUIRE_NETNS=1, where CI installs every tool). When the tool
// exits non-zero, Run fails tb and quotes its standard error. Safe for
// concurrent use.
func (ns *NS) Run(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	out, err := ns.Output(name, args...)
	if errors.Is(err, exec.ErrNotFound) {
		skipOrFail(tb, "netnstest: %s is not installed: %v", name, err)
		return nil
	}
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return out
}

// Output is Run without a testing.TB: it returns the tool's standard output,
// or an error that quotes its standard error (exec.ErrNotFound when the tool
// is missing). Safe for concurrent use.
func (ns *NS) Output(name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	err = ns.Do(func() error {
		cmd := exec.Command(path, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		// NB: Run forks from this locked thread, which is inside ns, so the
		// child inherits ns; the thread is discarded afterwards.
		return cmd.Run()
	})
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("netnstest: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
