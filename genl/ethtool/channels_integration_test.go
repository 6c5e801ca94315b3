package ethtool

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// ethtoolChannels parses `ethtool -l IF` into "max RX", "current TX", ...
func ethtoolChannels(t *testing.T, ns *netnstest.NS, ifname string) map[string]string {
	t.Helper()
	out := string(ns.Run(t, "ethtool", "-l", ifname))
	m := map[string]string{}
	section := ""
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Pre-set maximums"):
			section = "max"
		case strings.HasPrefix(l, "Current hardware settings"):
			section = "current"
		case section != "":
			if k, v, ok := strings.Cut(l, ":"); ok {
				m[section+" "+k] = strings.TrimSpace(v)
			}
		}
	}
	if len(m) != 8 {
		t.Fatalf("ethtool -l %s: parsed %v from\n%s", ifname, m, out)
	}
	return m
}

// compareChannelsWithEthtool checks the eight numbers of `ethtool -l`,
// "n/a" for a kind the device does not have.
func compareChannelsWithEthtool(t *testing.T, e *Client, ns *netnstest.NS, ifname string) Channels {
	t.Helper()
	want := ethtoolChannels(t, ns, ifname)
	c, err := e.Channels(testCtx(t), Interface{Name: ifname})
	if err != nil {
		t.Fatalf("Channels(%s): %v", ifname, err)
	}
	if c.Interface.Name != ifname || c.Interface.Index != uint32(ns.LinkIndex(t, ifname)) {
		t.Errorf("%s: reply header %+v", ifname, c.Interface)
	}
	show := func(max, v uint32) string {
		if max == 0 {
			return "n/a"
		}
		return strconv.FormatUint(uint64(v), 10)
	}
	for _, k := range []struct {
		name       string
		max, count uint32
	}{{"RX", c.RxMax, c.RxCount}, {"TX", c.TxMax, c.TxCount}, {"Other", c.OtherMax, c.OtherCount}, {"Combined", c.CombinedMax, c.CombinedCount}} {
		if g, w := show(k.max, k.max), want["max "+k.name]; g != w {
			t.Errorf("%s maximum %s: %s, ethtool -l prints %s", ifname, k.name, g, w)
		}
		if g, w := show(k.max, k.count), want["current "+k.name]; g != w {
			t.Errorf("%s current %s: %s, ethtool -l prints %s", ifname, k.name, g, w)
		}
	}
	return c
}

// veth has receive and transmit channels, a tap one combined channel that
// it does not use until it is multi-queue; both read as ethtool -l
// prints them, and a device without channels says so.
func TestIntegrationChannelsMatchEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	addTap(t, ns, "tap0")
	if c := compareChannelsWithEthtool(t, e, ns, "va"); c.RxMax == 0 || c.TxMax == 0 || c.RxCount == 0 {
		t.Errorf("veth channels %+v; want receive and transmit channels", c)
	}
	if c := compareChannelsWithEthtool(t, e, ns, "tap0"); c.CombinedMax == 0 || c.RxMax != 0 {
		t.Errorf("tap channels %+v; want combined channels only", c)
	}
	if _, err := e.Channels(testCtx(t), Interface{Name: "lo"}); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("Channels(lo): %v; want EOPNOTSUPP", err)
	}
	if _, err := e.Channels(testCtx(t), Interface{Name: "nosuchdev"}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("Channels(nosuchdev): %v; want ENODEV", err)
	}
}

// What SetChannels writes is what ethtool -l shows afterwards, and what
// ethtool -L writes reads back; a count above the maximum is refused with
// the kernel's reason.
func TestIntegrationSetChannelsMatchesEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	ctx := testCtx(t)
	va := Interface{Name: "va"}
	c := compareChannelsWithEthtool(t, e, ns, "va")
	if c.RxMax < 2 || c.TxMax < 2 {
		msg := "veth offers %d rx and %d tx channels here (one per CPU); the test needs 2"
		if netnstest.Require() { // CI's machines have 2 CPUs: never skip there
			t.Fatalf(msg, c.RxMax, c.TxMax)
		}
		t.Skipf(msg, c.RxMax, c.TxMax)
	}
	if err := e.SetChannels(ctx, va, ChannelsUpdate{Set: SetRx | SetTx, Rx: 2, Tx: 2}); err != nil {
		t.Fatalf("SetChannels(rx 2 tx 2): %v", err)
	}
	if c := compareChannelsWithEthtool(t, e, ns, "va"); c.RxCount != 2 || c.TxCount != 2 {
		t.Errorf("after SetChannels(rx 2 tx 2): %+v", c)
	}
	// By index, one count alone: the other stays.
	if err := e.SetChannels(ctx, Interface{Index: uint32(ns.LinkIndex(t, "va"))}, ChannelsUpdate{Set: SetTx, Tx: 1}); err != nil {
		t.Fatalf("SetChannels(tx 1) by index: %v", err)
	}
	if c := compareChannelsWithEthtool(t, e, ns, "va"); c.RxCount != 2 || c.TxCount != 1 {
		t.Errorf("after SetChannels(tx 1): %+v; want rx 2 tx 1", c)
	}
	ns.Run(t, "ethtool", "-L", "va", "rx", "1")
	if c := compareChannelsWithEthtool(t, e, ns, "va"); c.RxCount != 1 {
		t.Errorf("after ethtool -L va rx 1: %+v", c)
	}
	err := e.SetChannels(ctx, va, ChannelsUpdate{Set: SetRx, Rx: c.RxMax + 1})
	var oe *engine.OpError
	if !errors.As(err, &oe) || !errors.Is(err, unix.EINVAL) || oe.Message == "" {
		t.Errorf("SetChannels(rx max+1): %v; want an *engine.OpError for EINVAL with the kernel's message", err)
	}
	if err := e.SetChannels(ctx, va, ChannelsUpdate{Set: SetCombined, Combined: 1}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("SetChannels(combined 1) on a veth without combined channels: %v; want EINVAL", err)
	}
}
