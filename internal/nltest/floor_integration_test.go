//go:build linux

package nltest

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

func TestMain(m *testing.M) { netnstest.Main(m) }

// A fresh namespace has exactly one link, lo (index 1).
func TestIntegrationFloorDumpGetAndError(t *testing.T) {
	f := NewFloor(t, netnstest.New(t), unix.NETLINK_ROUTE)
	var links []int32
	collect := func(v nlmsg.View) error {
		if v.Type() != nlmsg.RTMNewLink {
			t.Errorf("reply type %v, want RTM_NEWLINK", v.Type())
		}
		h, _, err := nlmsg.DecodeIfInfoMsg(v.Payload())
		if err != nil {
			return err
		}
		links = append(links, h.Index)
		return nil
	}
	all := nlmsg.IfInfoMsg{}.AppendTo(nil)
	if err := f.RoundTrip(nlmsg.RTMGetLink, nlmsg.Dump, all, collect); err != nil {
		t.Fatalf("dump: %v", err)
	}
	if len(links) != 1 || links[0] != 1 {
		t.Fatalf("dump saw links %v, want [1] (lo)", links)
	}

	links = links[:0]
	if err := f.RoundTrip(nlmsg.RTMGetLink, 0, nlmsg.IfInfoMsg{Index: 1}.AppendTo(nil), collect); err != nil {
		t.Fatalf("get lo: %v", err)
	}
	if len(links) != 1 || links[0] != 1 {
		t.Fatalf("get lo saw links %v, want [1]", links)
	}

	err := f.RoundTrip(nlmsg.RTMGetLink, 0, nlmsg.IfInfoMsg{Index: 9999}.AppendTo(nil), collect)
	if !errors.Is(err, unix.ENODEV) {
		t.Fatalf("get index 9999: err %v, want ENODEV", err)
	}

	// The sequence numbers stay in step after an error: a dump still works.
	links = links[:0]
	if err := f.RoundTrip(nlmsg.RTMGetLink, nlmsg.Dump, all, collect); err != nil || len(links) != 1 {
		t.Fatalf("dump after an error: links %v, err %v", links, err)
	}
}

func TestIntegrationFloorAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := NewFloor(t, netnstest.New(t), unix.NETLINK_ROUTE)
	all := nlmsg.IfInfoMsg{}.AppendTo(nil)
	n := 0
	count := func(nlmsg.View) error { n++; return nil }
	allocs := testing.AllocsPerRun(50, func() {
		if err := f.RoundTrip(nlmsg.RTMGetLink, nlmsg.Dump, all, count); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("RoundTrip allocates %v times per dump, want 0", allocs)
	}
	if n == 0 {
		t.Fatal("the dumps saw no link")
	}
}
