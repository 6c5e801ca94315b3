package ethtool

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// ethtoolSettings parses `ethtool IF` into its "Key: value" lines (the
// first of each key; continuation lines of link mode lists are skipped).
func ethtoolSettings(t *testing.T, ns *netnstest.NS, ifname string) map[string]string {
	t.Helper()
	out := string(ns.Run(t, "ethtool", ifname))
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok || strings.HasPrefix(l, "Settings for") {
			continue
		}
		if _, dup := m[k]; !dup {
			m[k] = strings.TrimSpace(v)
		}
	}
	if m["Speed"] == "" || m["Port"] == "" {
		t.Fatalf("ethtool %s printed no Speed or Port:\n%s", ifname, out)
	}
	return m
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// compareWithEthtool checks everything `ethtool IF` prints that link info,
// link modes and link state carry.
func compareWithEthtool(t *testing.T, e *Client, ns *netnstest.NS, ifname string) {
	t.Helper()
	want := ethtoolSettings(t, ns, ifname)
	ifc := Interface{Name: ifname}
	li, err := e.LinkInfo(testCtx(t), ifc)
	if err != nil {
		t.Fatalf("LinkInfo(%s): %v", ifname, err)
	}
	lm, err := e.LinkModes(testCtx(t), ifc)
	if err != nil {
		t.Fatalf("LinkModes(%s): %v", ifname, err)
	}
	ls, err := e.LinkState(testCtx(t), ifc)
	if err != nil {
		t.Fatalf("LinkState(%s): %v", ifname, err)
	}
	index := uint32(ns.LinkIndex(t, ifname))
	for _, h := range []Interface{li.Interface, lm.Interface, ls.Interface} {
		if h.Name != ifname || h.Index != index {
			t.Errorf("%s: reply header %+v, want name %s index %d", ifname, h, ifname, index)
		}
	}
	notReported := func(s *Bitset) string {
		if len(SpeedModes(s, nil)) == 0 {
			return "Not reported"
		}
		return "(modes)"
	}
	got := map[string]string{
		"Speed":                       lm.Speed.String(),
		"Duplex":                      lm.Duplex.String(),
		"Auto-negotiation":            onOff(lm.Autoneg),
		"Port":                        li.Port.String(),
		"PHYAD":                       strconv.Itoa(int(li.PhyAddr)),
		"Transceiver":                 li.Transceiver.String(),
		"Link detected":               map[bool]string{true: "yes", false: "no"}[ls.Link],
		"Supports auto-negotiation":   yesNo(lm.Supported.Has(nlmsg.EthtoolLinkModeAutonegBit)),
		"Advertised auto-negotiation": yesNo(lm.Advertised.Has(nlmsg.EthtoolLinkModeAutonegBit)),
		"Supported pause frame use":   Pause(&lm.Supported),
		"Advertised pause frame use":  Pause(&lm.Advertised),
		"Supported ports":             Ports(&lm.Supported),
		"Supported link modes":        notReported(&lm.Supported),
		"Advertised link modes":       notReported(&lm.Advertised),
		"Supported FEC modes":         FECModes(&lm.Supported),
		"Advertised FEC modes":        FECModes(&lm.Advertised),
	}
	// ethtool prints the link partner's block only when it advertises.
	if _, ok := want["Link partner advertised FEC modes"]; ok || !lm.Peer.Empty() {
		got["Link partner advertised FEC modes"] = FECModes(&lm.Peer)
	}
	// ethtool prints MDI-X for twisted pair only.
	if li.Port == Port(nlmsg.PortTP) {
		got["MDI-X"] = li.MDIXString()
	} else if _, ok := want["MDI-X"]; ok {
		t.Errorf("%s: ethtool prints MDI-X %q for port %v", ifname, want["MDI-X"], li.Port)
	}
	for k, g := range got {
		if w, ok := want[k]; !ok || w != g {
			t.Errorf("%s %s: %q, ethtool prints %q (present %v)", ifname, k, g, w, ok)
		}
	}
}

func TestIntegrationVethMatchesEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	compareWithEthtool(t, e, ns, "va")
	compareWithEthtool(t, e, ns, "vb")
	// veth reports a fixed 10 Gb/s full duplex link on twisted pair.
	lm, _ := e.LinkModes(testCtx(t), Interface{Name: "va"})
	if lm.Speed != 10000 || lm.Duplex != DuplexFull || lm.Autoneg {
		t.Errorf("veth link modes %+v; want 10000 Mb/s full duplex without autoneg", lm)
	}
}

// A bridge without ports knows neither its speed nor its duplex and is on
// port "Other": the awkward values (SPEED_UNKNOWN, DUPLEX_UNKNOWN, no
// MDI-X line).
func TestIntegrationBridgeMatchesEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.Run(t, "ip", "link", "add", "br0", "type", "bridge")
	compareWithEthtool(t, e, ns, "br0")
	lm, _ := e.LinkModes(testCtx(t), Interface{Name: "br0"})
	if lm.Speed.Known() || lm.Duplex != DuplexUnknown {
		t.Errorf("bridge link modes %+v; want unknown speed and duplex", lm)
	}
}

// What SetLinkModes writes is what ethtool shows afterwards (a tap device
// keeps the settings it is given).
func TestIntegrationSetLinkModesOnTap(t *testing.T) {
	e, ns := dialNS(t)
	addTap(t, ns, "tap0")
	for _, u := range []LinkModesUpdate{
		{Set: SetSpeed | SetDuplex | SetAutoneg, Speed: 100, Duplex: DuplexHalf, Autoneg: true},
		{Set: SetSpeed | SetDuplex | SetAutoneg, Speed: 25000, Duplex: DuplexFull, Autoneg: false},
		{Set: SetSpeed, Speed: 1000}, // duplex and autoneg stay
	} {
		if err := e.SetLinkModes(testCtx(t), Interface{Name: "tap0"}, u); err != nil {
			t.Fatalf("SetLinkModes(%+v): %v", u, err)
		}
		compareWithEthtool(t, e, ns, "tap0")
		lm, err := e.LinkModes(testCtx(t), Interface{Name: "tap0"})
		if err != nil {
			t.Fatal(err)
		}
		if lm.Speed != u.Speed || u.Set&SetDuplex != 0 && lm.Duplex != u.Duplex || u.Set&SetAutoneg != 0 && lm.Autoneg != u.Autoneg {
			t.Errorf("after SetLinkModes(%+v): %+v", u, lm)
		}
	}
	lm, _ := e.LinkModes(testCtx(t), Interface{Name: "tap0"})
	if lm.Duplex != DuplexFull || lm.Autoneg {
		t.Errorf("a speed-only update changed duplex or autoneg: %+v", lm)
	}
}

// addTap creates a tap device, or skips the test when /dev/net/tun cannot
// be opened (it is root's alone on some machines, so an unprivileged run in
// a user namespace cannot make taps); under NLTEST_REQUIRE_NETNS=1 that
// fails the test instead.
func addTap(t *testing.T, ns *netnstest.NS, name string) {
	t.Helper()
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if netnstest.Require() {
			t.Fatalf("cannot open /dev/net/tun to make a tap device: %v (NLTEST_REQUIRE_NETNS=1 forbids skipping)", err)
		}
		t.Skipf("cannot open /dev/net/tun to make a tap device: %v", err)
	}
	unix.Close(fd)
	ns.Run(t, "ip", "tuntap", "add", "dev", name, "mode", "tap")
}

func TestIntegrationByIndexAndErrors(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	idx := uint32(ns.LinkIndex(t, "vb"))
	li, err := e.LinkInfo(testCtx(t), Interface{Index: idx})
	if err != nil || li.Interface.Name != "vb" {
		t.Fatalf("LinkInfo by index %d: %+v, %v; want vb", idx, li, err)
	}
	if _, err := e.LinkInfo(testCtx(t), Interface{Name: "nosuchdev"}); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("LinkInfo(nosuchdev): %v; want ENODEV", err)
	}
	// veth cannot change its link.
	if err := e.SetLinkModes(testCtx(t), Interface{Name: "va"}, LinkModesUpdate{Set: SetSpeed, Speed: 100}); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("SetLinkModes on veth: %v; want EOPNOTSUPP", err)
	}
}

func TestIntegrationLinkInfosDumpsEveryLink(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	names := map[string]bool{}
	for li, err := range e.LinkInfos(testCtx(t)) {
		if err != nil {
			t.Fatal(err)
		}
		names[li.Interface.Name] = true
	}
	if !names["va"] || !names["vb"] {
		t.Fatalf("LinkInfos gave %v; want va and vb", names)
	}
}

// The values a tap device can be given that veth and bridges never show:
// every port type, a 16-bit unknown speed, supported ports, FEC modes of
// ours and the partner's, and an auto-negotiation byte that is neither 0
// nor 1. Each reads back as ethtool prints it.
func TestIntegrationTapAwkwardValuesMatchEthtool(t *testing.T) {
	e, ns := dialNS(t)
	addTap(t, ns, "tap0")
	for _, port := range []string{"tp", "aui", "mii", "fibre", "bnc", "da"} {
		ns.Run(t, "ethtool", "-s", "tap0", "port", port)
		compareWithEthtool(t, e, ns, "tap0")
	}
	for _, speed := range []Speed{65535, Speed(nlmsg.SpeedUnknown), 40000} {
		if err := e.SetLinkModes(testCtx(t), Interface{Name: "tap0"}, LinkModesUpdate{Set: SetSpeed, Speed: speed}); err != nil {
			t.Fatalf("SetLinkModes(speed %d): %v", speed, err)
		}
		compareWithEthtool(t, e, ns, "tap0")
	}
	setSupported(t, ns, "tap0", nlmsg.EthtoolLinkModeTPBit)
	compareWithEthtool(t, e, ns, "tap0")
	setSupported(t, ns, "tap0", nlmsg.EthtoolLinkModeBNCBit, nlmsg.EthtoolLinkModeMIIBit, nlmsg.EthtoolLinkModeBackplaneBit)
	compareWithEthtool(t, e, ns, "tap0")
	// FEC modes: all four supported, one advertised, two from the partner.
	patchLinkSettings(t, ns, "tap0", func(buf []byte, nwords int) {
		for k, bits := range [][]int{{49, 50, 51, 74}, {51}, {50, 74}} { // supported, advertising, lp_advertising
			for _, b := range bits {
				w := lsMasks + 4*nwords*k + 4*(b/32)
				binary.NativeEndian.PutUint32(buf[w:], binary.NativeEndian.Uint32(buf[w:])|1<<(b%32))
			}
		}
	})
	compareWithEthtool(t, e, ns, "tap0")
	if lm, err := e.LinkModes(testCtx(t), Interface{Name: "tap0"}); err != nil || FECModes(&lm.Peer) != "RS\t LLRS" {
		t.Errorf("partner FEC modes %q (%v), want RS and LLRS", FECModes(&lm.Peer), err)
	}
	patchLinkSettings(t, ns, "tap0", func(buf []byte, _ int) { buf[lsAutoneg] = 2 })
	compareWithEthtool(t, e, ns, "tap0")
	if lm, err := e.LinkModes(testCtx(t), Interface{Name: "tap0"}); err != nil || !lm.Autoneg {
		t.Errorf("autoneg byte 2: Autoneg %v (%v), want on", lm.Autoneg, err)
	}
}
