//go:build linux

package nltest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// Many sockets need many file descriptors, and RLIMIT_NOFILE (20 000 here)
// can only be raised with CAP_SYS_RESOURCE. So OpenTCPPairs spreads the
// sockets over helper processes: the test binary re-executed from a
// thread inside the namespace (so the helper and its sockets live there),
// each holding helperPairs connections, until its standard input closes.

const (
	helperEnv   = "NLTEST_TCP_PAIRS_HELPER" // "index,pairs"
	helperPairs = 9000                      // 18 001 descriptors per helper
)

// NB: the helper processes are this package's importers' test binaries,
// re-executed: init turns such a binary into a helper before its tests run.
func init() {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(socketHelper(spec))
	}
}

// socketHelper is the helper process: helper k listens on 127.0.0.1:(80+k)
// and connects pairs sockets to it from 127.0.0.(2+k), source ports 20000
// and up, accepting each; it prints "ready" and keeps them until stdin
// closes.
func socketHelper(spec string) int {
	ks, ps, _ := strings.Cut(spec, ",")
	k, err1 := strconv.Atoi(ks)
	pairs, err2 := strconv.Atoi(ps)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "bad helper spec", spec)
		return 2
	}
	if err := openPairs(k, pairs); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

func openPairs(k, pairs int) error {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dst := &unix.SockaddrInet4{Port: 80 + k, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(l, dst); err != nil {
		return err
	}
	if err := unix.Listen(l, 4096); err != nil {
		return err
	}
	for i := 0; i < pairs; i += 1000 {
		for j := i; j < min(i+1000, pairs); j++ {
			c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			src := &unix.SockaddrInet4{Port: 20000 + j, Addr: [4]byte{127, 0, 0, byte(2 + k)}}
			if err := unix.Bind(c, src); err != nil {
				return fmt.Errorf("bind %v: %w", src, err)
			}
			if err := unix.Connect(c, dst); err != nil {
				return err
			}
		}
		for j := i; j < min(i+1000, pairs); j++ {
			if _, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC); err != nil {
				return err
			}
		}
	}
	return nil
}

// OpenTCPPairs makes pairs established TCP connections over loopback
// inside ns (2*pairs sockets, plus one listener per helper), held by
// helper processes until tb's cleanup. It returns the number of sockets.
// Helper k listens on 127.0.0.1:(80+k) and connects from 127.0.0.(2+k).
// Not for concurrent use within one namespace.
func OpenTCPPairs(b testing.TB, ns *netnstest.NS, pairs int) int {
	start := time.Now()
	total := 0
	for k := 0; pairs > 0; k++ {
		n := min(pairs, helperPairs)
		pairs -= n
		var cmd *exec.Cmd
		var stdin io.WriteCloser
		var stdout io.ReadCloser
		err := ns.Do(func() error {
			cmd = exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", helperEnv, k, n))
			cmd.Stderr = os.Stderr
			var err error
			if stdin, err = cmd.StdinPipe(); err != nil {
				return err
			}
			if stdout, err = cmd.StdoutPipe(); err != nil {
				return err
			}
			// NB: started from this thread, which is inside ns, the
			// helper is born in ns.
			return cmd.Start()
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			stdin.Close()
			cmd.Wait()
		})
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			b.Fatalf("socket helper %d: %q %v", k, line, err)
		}
		total += 2*n + 1
	}
	b.Logf("opened %d sockets in %v", total, time.Since(start).Round(time.Millisecond))
	return total
}
