package bench

import (
	"testing"

	"github.com/nlengine/nlengine/bench/internal/ns"
)

func TestMain(m *testing.M) { ns.Main(m) }
