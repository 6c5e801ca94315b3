//go:build linux

package engine

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// The floors are what the engine is measured against: a floor that
// allocated (unix.Recvfrom returns a new sockaddr per datagram) would make
// the engine look better than it is.
func TestIntegrationFloorsAllocateNothing(t *testing.T) {
	if raceDetectorOn {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	ns := netnstest.New(t)
	rawAddRoutes(t, ns, 0, 2000) // several dump chunks
	f := newFloor(t, ns)
	req, rt := ifinfoPayload(1), rtmsgIPv4()
	payloads := make([][]byte, 100)
	for i := range payloads {
		payloads[i] = routePayload(5000+i, 1) // not among the dumped routes
	}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"noop", func() error { return f.roundTrip(nlmsg.Noop, 0, nil, nil) }},
		{"getlink", func() error { return f.roundTrip(unix.RTM_GETLINK, 0, req, nil) }},
		{"route dump", func() error { _, err := f.dump(unix.RTM_GETROUTE, rt, nil); return err }},
		{"bulk", func() error {
			if err := f.bulk(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, payloads); err != nil {
				return err
			}
			return f.bulk(unix.RTM_DELROUTE, 0, payloads)
		}},
	} {
		var err error
		allocs := testing.AllocsPerRun(20, func() {
			if e := tc.run(); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if allocs != 0 {
			t.Errorf("floor %s: %.1f allocations per call, want 0", tc.name, allocs)
		}
	}
}
