package rtnl

import (
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
)

func TestMain(m *testing.M) { netnstest.Main(m) }
