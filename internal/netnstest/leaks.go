//go:build linux

package netnstest

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// leakGrace is how long Main waits, after the tests pass, for goroutines
// and descriptors that end asynchronously (a closed Conn's driver, a
// namespace thread on its way out) before it calls them leaked.
const leakGrace = 5 * time.Second

// ownPackage prefixes the functions of this module: a goroutine that runs
// one of them after every test has finished and every Conn was closed is a
// leak, whatever started it.
const ownPackage = "github.com/nlengine/nlengine/"

// resources is what a test binary holds that a test's cleanups must give
// back: the goroutines running this module's code, and the open sockets and
// namespace descriptors, by /proc/self/fd target.
type resources struct {
	goroutines []string       // stacks of goroutines in this module's code
	fds        map[string]int // "socket:[…]" and "net:[…]" targets, counted
}

// holdings reads the process's current resources. The goroutine that calls
// it (Main's) is left out.
func holdings() resources {
	return resources{goroutines: ownGoroutines(), fds: openSocketsAndNamespaces()}
}

// ownGoroutines returns the stack of every goroutine with a frame in this
// module's code, except the caller's and the one running Main.
func ownGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		// runtime.Stack puts the caller's own goroutine first; the one
		// running Main is the test binary's main goroutine.
		if i == 0 || strings.Contains(g, "\n"+ownPackage+"internal/netnstest.Main(") {
			continue
		}
		for _, line := range strings.Split(g, "\n") {
			if strings.HasPrefix(line, ownPackage) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// openSocketsAndNamespaces counts the process's descriptors that are
// sockets or network namespaces, by link target. Files, pipes and the
// runtime's own epoll and eventfd descriptors are not counted: the runtime
// and the testing package open and close those on their own schedule.
func openSocketsAndNamespaces() map[string]int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[string]int{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil { // the ReadDir's own descriptor, closed by now
			continue
		}
		if strings.HasPrefix(target, "socket:[") || strings.HasPrefix(target, "net:[") {
			out[target]++
		}
	}
	return out
}

// leaksSince waits up to grace for the process to hold no more than it held
// at before, and describes what is still held beyond that; "" means nothing
// leaked.
func leaksSince(before resources, grace time.Duration) string {
	deadline := time.Now().Add(grace)
	for {
		now := holdings()
		extra := extraDescriptors(before.fds, now.fds)
		if len(now.goroutines) == 0 && len(extra) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			if len(now.goroutines) > 0 {
				fmt.Fprintf(&b, "%d goroutines still run nlengine code after every test ended:\n\n%s\n\n",
					len(now.goroutines), strings.Join(now.goroutines, "\n\n"))
			}
			if len(extra) > 0 {
				fmt.Fprintf(&b, "descriptors open after every test ended that were not open before (a Conn, socket or namespace not closed?): %s\n", strings.Join(extra, ", "))
			}
			return b.String()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// extraDescriptors lists the targets now holds more of than before did.
func extraDescriptors(before, now map[string]int) []string {
	var out []string
	for target, n := range now {
		if k := n - before[target]; k > 0 {
			out = append(out, fmt.Sprintf("%s ×%d", target, k))
		}
	}
	sort.Strings(out)
	return out
}
