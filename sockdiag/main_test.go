package sockdiag_test

import (
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestMain lets the kernel tests make their namespaces unprivileged too (see
// netnstest.Main).
func TestMain(m *testing.M) { netnstest.Main(m) }
