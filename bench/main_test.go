package bench

import (
	"testing"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

func TestMain(m *testing.M) { ns.Main(m) }
