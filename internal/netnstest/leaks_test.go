//go:build linux

package netnstest

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The check Main runs after passing tests names what a test left open, and
// is satisfied again once it is closed.
func TestLeaksSinceNamesAnUnclosedSocketAndNamespace(t *testing.T) {
	before := holdings()
	// NB: the namespace threads of earlier tests end asynchronously.
	if got := leaksSince(before, leakGrace); got != "" {
		t.Fatalf("nothing opened, yet: %s", got)
	}
	t.Run("open", func(t *testing.T) {
		ns := New(t) // closed when this subtest ends
		fd, err := ns.Socket(unix.NETLINK_ROUTE)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		got := leaksSince(before, 20*time.Millisecond)
		if !strings.Contains(got, "socket:[") || !strings.Contains(got, "net:[") {
			t.Errorf("with a socket and a namespace open: %q, want both named", got)
		}
	})
	if got := leaksSince(before, time.Second); got != "" {
		t.Errorf("after closing both: %s", got)
	}
}

// A goroutine running this module's code counts as held until it returns.
func TestLeaksSinceWaitsForGoroutinesOfThisModule(t *testing.T) {
	before := holdings()
	if got := leaksSince(before, leakGrace); got != "" {
		t.Fatalf("nothing started, yet: %s", got)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go parkUntil(stop, done)
	got := leaksSince(before, 20*time.Millisecond)
	if !strings.Contains(got, "netnstest.parkUntil") {
		t.Errorf("with a goroutine parked in parkUntil: %q, want its stack", got)
	}
	close(stop)
	<-done
	if got := leaksSince(before, time.Second); got != "" {
		t.Errorf("after it returned: %s", got)
	}
}

func parkUntil(stop <-chan struct{}, done chan<- struct{}) {
	<-stop
	close(done)
}
