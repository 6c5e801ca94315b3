package ethtool

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// ethtoolLegacyNames are the features `ethtool -k` shows under the name of
// the old single-feature flag instead of the kernel's name.
var ethtoolLegacyNames = map[string]string{
	"rx-checksum":             "rx-checksumming",
	"tx-generic-segmentation": "generic-segmentation-offload",
	"rx-gro":                  "generic-receive-offload",
	"rx-lro":                  "large-receive-offload",
	"rx-vlan-hw-parse":        "rx-vlan-offload",
	"tx-vlan-hw-insert":       "tx-vlan-offload",
	"rx-ntuple-filter":        "ntuple-filters",
	"rx-hashing":              "receive-hashing",
}

// ethtoolFeature is one feature of `ethtool --json -k`.
type ethtoolFeature struct {
	Active, Fixed, Requested *bool
}

// compareFeaturesWithEthtool checks every named feature of ifname against
// `ethtool --json -k`: on, [fixed] and requested. It returns the features.
func compareFeaturesWithEthtool(t *testing.T, e *Client, ns *netnstest.NS, ifname string, names []string) Features {
	t.Helper()
	var out []map[string]json.RawMessage
	if err := json.Unmarshal(ns.Run(t, "ethtool", "--json", "-k", ifname), &out); err != nil || len(out) != 1 {
		t.Fatalf("ethtool --json -k %s: %v (%d objects)", ifname, err, len(out))
	}
	f, err := e.Features(testCtx(t), Interface{Name: ifname})
	if err != nil {
		t.Fatalf("Features(%s): %v", ifname, err)
	}
	if f.Interface.Name != ifname || f.Interface.Index != uint32(ns.LinkIndex(t, ifname)) {
		t.Errorf("%s: reply header %+v", ifname, f.Interface)
	}
	compared := 0
	for i, name := range names {
		if name == "" {
			continue // a bit the kernel leaves unnamed; ethtool does not show it
		}
		key := name
		if l, ok := ethtoolLegacyNames[name]; ok {
			key = l
		}
		raw, ok := out[0][key]
		var w ethtoolFeature
		if !ok || json.Unmarshal(raw, &w) != nil || w.Active == nil || w.Fixed == nil || w.Requested == nil {
			t.Errorf("%s: ethtool --json -k shows no feature %q (%s)", ifname, key, raw)
			continue
		}
		compared++
		if *w.Active != f.Active.Has(i) || *w.Fixed != f.Fixed(i) || *w.Requested != f.Wanted.Has(i) {
			t.Errorf("%s %s: on %v fixed %v requested %v; ethtool: %s", ifname, name, f.Active.Has(i), f.Fixed(i), f.Wanted.Has(i), raw)
		}
	}
	if compared < 50 {
		t.Errorf("%s: compared %d features with ethtool; the kernel names more than 50", ifname, compared)
	}
	return f
}

func featureNames(t *testing.T, e *Client) []string {
	t.Helper()
	names, err := e.FeatureNames(testCtx(t))
	if err != nil || len(names) < 50 {
		t.Fatalf("FeatureNames: %d names, %v", len(names), err)
	}
	return names
}

// Every kind of link the kernel makes here, each with its own mix of
// changeable, fixed and requested-but-off features.
func TestIntegrationFeaturesMatchEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	ns.Run(t, "ip", "link", "add", "br0", "type", "bridge")
	ns.Run(t, "ip", "link", "add", "ifb0", "type", "ifb")
	ns.Run(t, "ip", "link", "add", "vx0", "type", "vxlan", "id", "5", "dstport", "4789")
	addTap(t, ns, "tap0")
	names := featureNames(t, e)
	for _, ifname := range []string{"lo", "va", "br0", "ifb0", "vx0", "tap0"} {
		compareFeaturesWithEthtool(t, e, ns, ifname, names)
	}
	// ethtool -K's changes read back too, dependent features included.
	ns.Run(t, "ethtool", "-K", "va", "sg", "off", "gro", "on")
	f := compareFeaturesWithEthtool(t, e, ns, "va", names)
	if i := slices.Index(names, "tx-scatter-gather"); f.Active.Has(i) || !f.HW.Has(i) {
		t.Errorf("after ethtool -K va sg off: tx-scatter-gather on %v, changeable %v", f.Active.Has(i), f.HW.Has(i))
	}
}

// The verbose form of the reply (bits by name, HW with a mask of every
// known feature) decodes to what the compact form does.
func TestIntegrationFeaturesCompactAndVerboseAgree(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	compact, err := e.Features(testCtx(t), Interface{Name: "va"})
	if err != nil {
		t.Fatal(err)
	}
	var verbose Features
	err = e.Conn().Execute(testCtx(t), nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgFeaturesGet, 0, func(b *nlmsg.Builder) {
		header(b, nlmsg.EthtoolAFeaturesHeader, Interface{Name: "va"}, 0)
	}, func(m genl.Message) error { return DecodeFeatures(m.Attrs, &verbose) })
	if err != nil {
		t.Fatal(err)
	}
	if verbose != compact {
		t.Errorf("verbose reply decoded to\n%+v\ncompact to\n%+v", verbose, compact)
	}
	if compact.HW.Empty() || compact.Active.Empty() || compact.Wanted.Empty() {
		t.Errorf("veth features %+v: want changeable, active and wanted features", compact)
	}
}

// What SetFeatures writes is what ethtool -k shows afterwards, and its
// result says what the kernel changed and what it would not.
func TestIntegrationSetFeaturesMatchesEthtool(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	names := featureNames(t, e)
	bit := func(name string) int {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("the kernel has no feature %q", name)
		}
		return i
	}
	bitNames := func(s *Bitset) []string {
		var out []string
		for i := range s.Bits() {
			out = append(out, names[i])
		}
		return out
	}
	ctx := testCtx(t)
	va := Interface{Name: "va"}

	// Off, and on, by the kernel's names, addressed by name and by index.
	res, err := e.SetFeatures(ctx, va, []FeatureChange{{"tx-tcp-segmentation", false}, {"rx-gro", true}})
	if err != nil {
		t.Fatalf("SetFeatures: %v", err)
	}
	f := compareFeaturesWithEthtool(t, e, ns, "va", names)
	if f.Active.Has(bit("tx-tcp-segmentation")) || !f.Active.Has(bit("rx-gro")) {
		t.Errorf("after SetFeatures: tso on %v, gro on %v", f.Active.Has(bit("tx-tcp-segmentation")), f.Active.Has(bit("rx-gro")))
	}
	if !res.Changed.Has(bit("tx-tcp-segmentation")) || !res.Changed.Has(bit("rx-gro")) || !res.Active.Has(bit("rx-gro")) ||
		res.Active.Has(bit("tx-tcp-segmentation")) || !res.NotApplied.Empty() || res.Interface.Name != "va" {
		t.Errorf("result: changed %v, now on %v, not applied %v (%+v)", bitNames(&res.Changed), bitNames(&res.Active), bitNames(&res.NotApplied), res.Interface)
	}
	idx := Interface{Index: uint32(ns.LinkIndex(t, "va"))}
	if _, err := e.SetFeatures(ctx, idx, []FeatureChange{{"tx-tcp-segmentation", true}}); err != nil {
		t.Fatalf("SetFeatures by index: %v", err)
	}
	if f := compareFeaturesWithEthtool(t, e, ns, "va", names); !f.Active.Has(bit("tx-tcp-segmentation")) {
		t.Error("tx-tcp-segmentation still off after turning it on by index")
	}

	// A fixed feature is refused in the result, not with an error, and
	// nothing changes.
	res, err = e.SetFeatures(ctx, va, []FeatureChange{{"tx-checksum-ipv4", true}})
	if err != nil || !slices.Equal(bitNames(&res.NotApplied), []string{"tx-checksum-ipv4"}) || !res.Changed.Empty() {
		t.Errorf("turning on fixed tx-checksum-ipv4: %v, not applied %v, changed %v", err, bitNames(&res.NotApplied), bitNames(&res.Changed))
	}
	compareFeaturesWithEthtool(t, e, ns, "va", names)

	// A name the kernel does not know, and a missing interface.
	_, err = e.SetFeatures(ctx, va, []FeatureChange{{"no-such-feature", true}})
	var oe *engine.OpError
	if !errors.As(err, &oe) || !errors.Is(err, unix.EOPNOTSUPP) || oe.Message == "" {
		t.Errorf("an unknown feature name: %v; want an *engine.OpError for EOPNOTSUPP with the kernel's message", err)
	}
	if _, err := e.SetFeatures(ctx, Interface{Name: "nosuchdev"}, []FeatureChange{{"rx-gro", true}}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("SetFeatures(nosuchdev): %v; want ENODEV", err)
	}
	if _, err := e.Features(ctx, Interface{Name: "nosuchdev"}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("Features(nosuchdev): %v; want ENODEV", err)
	}
}
