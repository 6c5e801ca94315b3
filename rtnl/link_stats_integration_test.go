package rtnl

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"golang.org/x/sys/unix"
)

// statsFixture makes, inside ns, traffic no one else adds to: 20 UDP
// datagrams to 127.0.0.1 (lo counts them and the ICMP errors they draw)
// and 7 out of veth va to a static neighbour on its peer vb, both without
// IPv6 addresses, so that nothing sends on its own.
func statsFixture(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	ipRun(t, ns, "link", "set", "lo", "up")
	ipRun(t, ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	for _, l := range []string{"va", "vb"} {
		ipRun(t, ns, "link", "set", l, "addrgenmode", "none")
		ipRun(t, ns, "link", "set", l, "up")
	}
	ipRun(t, ns, "addr", "add", "10.0.0.1/24", "dev", "va")
	vb := ipJSON(t, ns, "link", "show", "vb")
	ipRun(t, ns, "neigh", "add", "10.0.0.2", "lladdr", str(vb[0], "address"), "dev", "va", "nud", "permanent")
	err := ns.Do(func() error {
		for dst, n := range map[string]int{"127.0.0.1:9": 20, "10.0.0.2:9": 7} {
			c, err := net.Dial("udp4", dst)
			if err != nil {
				return err
			}
			for range n {
				c.Write([]byte("counted")) // lo's port-unreachable errors come back on later writes
			}
			c.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationLinkStatsAgreeWithIP compares every counter of every link
// (LinkFilter.Stats and Link.Stats, and LinkStatsByIndex) with `ip -j -s
// -s link show`, and the qdisc and carrier changes with what ip prints.
func TestIntegrationLinkStatsAgreeWithIP(t *testing.T) {
	ns := netnstest.New(t)
	statsFixture(t, ns)
	c := dialIn(t, ns)
	links, err := c.LinkList(bg, LinkFilter{Stats: true})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Link{}
	for i := range links {
		byName[links[i].Name] = &links[i]
	}
	shown := ipJSON(t, ns, "-s", "-s", "link", "show")
	if len(shown) != len(links) || len(links) != 3 {
		t.Fatalf("%d links, ip shows %d, the fixture has 3", len(links), len(shown))
	}
	for _, w := range shown {
		name := str(w, "ifname")
		l := byName[name]
		st, ok := l.Stats()
		if !ok {
			t.Fatalf("%s: no counters in a dump that asked for them", name)
		}
		eq := func(field string, got uint64, want int64) {
			t.Helper()
			if want < 0 { // ip did not print it
				return
			}
			if got != uint64(want) {
				t.Errorf("%s: %s = %d, ip says %d", name, field, got, want)
			}
		}
		rx, tx := obj(obj(w, "stats64"), "rx"), obj(obj(w, "stats64"), "tx")
		for _, f := range []struct {
			name string
			got  uint64
			m    map[string]any
			key  string
		}{
			{"RxBytes", st.RxBytes, rx, "bytes"}, {"RxPackets", st.RxPackets, rx, "packets"},
			{"RxErrors", st.RxErrors, rx, "errors"}, {"RxDropped", st.RxDropped, rx, "dropped"},
			{"RxOverErrors", st.RxOverErrors, rx, "over_errors"}, {"Multicast", st.Multicast, rx, "multicast"},
			{"RxLengthErrors", st.RxLengthErrors, rx, "length_errors"}, {"RxCRCErrors", st.RxCRCErrors, rx, "crc_errors"},
			{"RxFrameErrors", st.RxFrameErrors, rx, "frame_errors"}, {"RxFIFOErrors", st.RxFIFOErrors, rx, "fifo_errors"},
			{"RxMissedErrors", st.RxMissedErrors, rx, "missed_errors"}, {"RxNoHandler", st.RxNoHandler, rx, "nohandler"},
			{"RxOtherHostDropped", st.RxOtherHostDropped, rx, "otherhost"},
			{"RxCompressed", st.RxCompressed, rx, "compressed"},
			{"TxBytes", st.TxBytes, tx, "bytes"}, {"TxPackets", st.TxPackets, tx, "packets"},
			{"TxErrors", st.TxErrors, tx, "errors"}, {"TxDropped", st.TxDropped, tx, "dropped"},
			{"TxCarrierErrors", st.TxCarrierErrors, tx, "carrier_errors"}, {"Collisions", st.Collisions, tx, "collisions"},
			{"TxAbortedErrors", st.TxAbortedErrors, tx, "aborted_errors"}, {"TxFIFOErrors", st.TxFIFOErrors, tx, "fifo_errors"},
			{"TxWindowErrors", st.TxWindowErrors, tx, "window_errors"}, {"TxHeartbeatErrors", st.TxHeartbeatErrors, tx, "heartbeat_errors"},
			{"TxCompressed", st.TxCompressed, tx, "compressed"},
		} {
			eq(f.name, f.got, num(f.m, f.key))
		}
		eq("CarrierChanges", uint64(l.CarrierChanges), num(tx, "carrier_changes"))
		if l.Qdisc != str(w, "qdisc") {
			t.Errorf("%s: qdisc %q, ip says %q", name, l.Qdisc, str(w, "qdisc"))
		}
		one, err := c.LinkStatsByIndex(bg, l.Index)
		if err != nil || one != st {
			t.Errorf("%s: LinkStatsByIndex = %+v, %v; the dump said %+v", name, one, err, st)
		}
	}
	// The traffic is there, each packet once.
	lo, va, vb := byName["lo"], byName["va"], byName["vb"]
	los, _ := lo.Stats()
	vas, _ := va.Stats()
	vbs, _ := vb.Stats()
	if los.TxPackets < 20 || los.RxPackets != los.TxPackets || vas.TxPackets != 7 || vbs.RxPackets != 7 || vas.RxPackets != 0 {
		t.Errorf("lo %d/%d, va %d/%d, vb %d/%d packets (tx/rx); want at least 20 on lo, 7 from va to vb",
			los.TxPackets, los.RxPackets, vas.TxPackets, vas.RxPackets, vbs.TxPackets, vbs.RxPackets)
	}
	if va.CarrierUpCount == 0 || va.CarrierChanges != va.CarrierUpCount+va.CarrierDownCount {
		t.Errorf("va: carrier changes %d, up %d, down %d", va.CarrierChanges, va.CarrierUpCount, va.CarrierDownCount)
	}
}

// The link's own counters come in every link message, whatever
// LinkFilter.Stats says (it asks only for SR-IOV functions' statistics):
// in a dump, a get and a notification; LinkStatsByIndex of a missing
// link is the kernel's ENODEV.
func TestIntegrationLinkStatsComeInEveryMessage(t *testing.T) {
	ns := netnstest.New(t)
	statsFixture(t, ns)
	c := dialIn(t, ns)
	listener := dialIn(t, ns)
	if err := listener.Subscribe(GroupLink); err != nil {
		t.Fatal(err)
	}
	for l, err := range c.Links(bg, LinkFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := l.Stats(); !ok || (l.Name == "va" && st.TxPackets != 7) {
			t.Errorf("%s: counters %v %+v in a dump without LinkFilter.Stats", l.Name, ok, st)
		}
	}
	va, err := c.LinkByName(bg, "va")
	if st, ok := va.Stats(); err != nil || !ok || st.TxPackets != 7 {
		t.Errorf("LinkByName(va): counters %v %+v, %v", ok, st, err)
	}
	if err := c.LinkSetAlias(bg, va.Index, "counted"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	for ev, err := range listener.Events(ctx) {
		if err != nil {
			t.Fatalf("no notification of the alias: %v", err)
		}
		if ev.Kind != EventLink || ev.Link.Name != "va" {
			continue
		}
		if st, ok := ev.Link.Stats(); !ok || st.TxPackets != 7 {
			t.Errorf("the alias's notification: counters %v %+v", ok, st)
		}
		break
	}
	if _, err := c.LinkStatsByIndex(bg, 999); !errors.Is(err, unix.ENODEV) {
		t.Errorf("LinkStatsByIndex(999): %v, want ENODEV", err)
	}
}

// TestIntegrationLinkByIndexErrors checks the errors LinkByIndex's and
// LinkStatsByIndex's docs name: ENODEV for an index no link has, EINVAL
// for one that is not positive (which the kernel takes for no index at
// all, and refuses without a name).
func TestIntegrationLinkByIndexErrors(t *testing.T) {
	ns := netnstest.New(t)
	c := dialIn(t, ns)
	for _, tt := range []struct {
		index int
		errno unix.Errno
	}{{9999, unix.ENODEV}, {0, unix.EINVAL}, {-1, unix.EINVAL}} {
		if _, err := c.LinkByIndex(bg, tt.index); !errors.Is(err, tt.errno) {
			t.Errorf("LinkByIndex(%d): %v, want %v", tt.index, err, tt.errno)
		}
		if _, err := c.LinkStatsByIndex(bg, tt.index); !errors.Is(err, tt.errno) {
			t.Errorf("LinkStatsByIndex(%d): %v, want %v", tt.index, err, tt.errno)
		}
	}
}
