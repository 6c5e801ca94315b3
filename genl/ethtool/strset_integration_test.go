package ethtool

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

// The driver's statistics names (ETH_SS_STATS) are the names `ethtool -S`
// prints, in order.
func TestIntegrationStatsNamesMatchEthtoolS(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	var want []string
	for _, l := range strings.Split(string(ns.Run(t, "ethtool", "-S", "va")), "\n")[1:] {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			want = append(want, k)
		}
	}
	got, err := e.StringSet(testCtx(t), Interface{Name: "va"}, nlmsg.EthSSStats)
	if err != nil {
		t.Fatalf("StringSet(va, ETH_SS_STATS): %v", err)
	}
	if len(want) < 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stats names\n%q\nethtool -S prints\n%q", got, want)
	}
}

// The global link mode names are indexed by ETHTOOL_LINK_MODE_*_BIT.
func TestIntegrationLinkModeNames(t *testing.T) {
	e, _ := dialNS(t)
	names, err := e.StringSet(testCtx(t), Interface{}, nlmsg.EthSSLinkModes)
	if err != nil {
		t.Fatalf("StringSet(ETH_SS_LINK_MODES): %v", err)
	}
	for bit, want := range map[int]string{0: "10baseT/Half", 1: "10baseT/Full", nlmsg.EthtoolLinkModeAutonegBit: "Autoneg",
		nlmsg.EthtoolLinkModeTPBit: "TP", nlmsg.EthtoolLinkModePauseBit: "Pause", nlmsg.EthtoolLinkModeAsymPauseBit: "Asym_Pause"} {
		if bit >= len(names) || names[bit] != want {
			t.Errorf("link mode %d: %q (of %d names), want %q", bit, names[min(bit, len(names)-1)], len(names), want)
		}
	}
	if len(names) > MaxBits {
		t.Errorf("%d link modes, more than a Bitset holds (%d)", len(names), MaxBits)
	}
}
