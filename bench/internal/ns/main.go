package ns

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/nlengine/nlengine/internal/sandbox"
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
		if err := sandbox.LoUp(); err != nil {
			fmt.Fprintf(os.Stderr, "ns: %v\n", err)
		}
		os.Exit(m.Run())
	}
	if sandbox.CanUnshare() {
		os.Exit(m.Run())
	}
	code, err := sandbox.Reexec(childEnv, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if errors.Is(err, sandbox.ErrNotStarted) {
		fmt.Fprintf(os.Stderr, "ns: cannot re-run in a user namespace (%v); namespaces will be skipped\n", err)
		os.Exit(m.Run())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ns: %v\n", err)
	}
	os.Exit(code)
}
