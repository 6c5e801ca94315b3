//go:build linux

package nlmsg_test

import (
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestMain lets the kernel tests make their namespaces unprivileged too:
// without CAP_SYS_ADMIN the test binary re-runs itself in a new user and
// network namespace (see netnstest.Main).
func TestMain(m *testing.M) { netnstest.Main(m) }
