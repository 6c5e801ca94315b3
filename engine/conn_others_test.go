//go:build !linux

package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// TestConnectNotSupported: off Linux, Connect fails with an *OpError for
// "connect" whose cause is ErrNotSupported.
func TestConnectNotSupported(t *testing.T) {
	c, err := Connect(context.Background(), nlmsg.FamilyRoute)
	var oe *OpError
	if c != nil || !errors.As(err, &oe) || oe.Op != "connect" || !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Connect: %v, %v; want no Conn and an *OpError with ErrNotSupported", c, err)
	}
}
