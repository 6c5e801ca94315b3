package ethtool

import (
	"fmt"
	"testing"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// TestIntegrationCorpus captures ethtool's replies for a veth, a bridge
// and a tap as fuzz seeds (see nltest.Seeds), link modes and features in
// both bit set forms, the reply to a features change, and channels.
func TestIntegrationCorpus(t *testing.T) {
	e, ns := dialNS(t)
	ns.AddVeth(t, "va", "vb")
	ns.Run(t, "ip", "link", "add", "br0", "type", "bridge")
	ctx := testCtx(t)
	links := []string{"va", "br0"}
	if !nltest.UpdateCorpus() {
		// The seeds are written as root; checking them needs no tap.
		links = links[:1]
	} else {
		addTap(t, ns, "tap0")
		links = append(links, "tap0")
	}
	capture := func(cmd uint8, hdr uint16, ifname string, flags uint32, extra func(*nlmsg.Builder)) []byte {
		var out []byte
		err := e.Conn().Execute(ctx, nlmsg.EthtoolGenlName, cmd, 0, func(b *nlmsg.Builder) {
			header(b, hdr, Interface{Name: ifname}, flags)
			if extra != nil {
				extra(b)
			}
		}, func(m genl.Message) error {
			out = append([]byte(nil), m.Attrs...)
			return nil
		})
		if err != nil {
			t.Fatalf("cmd %d on %q: %v", cmd, ifname, err)
		}
		return out
	}
	info, modes, state, strs, feats, chans := map[string][]any{}, map[string][]any{}, map[string][]any{}, map[string][]any{}, map[string][]any{}, map[string][]any{}
	for _, ifname := range links {
		info[ifname] = []any{capture(nlmsg.EthtoolMsgLinkInfoGet, nlmsg.EthtoolALinkInfoHeader, ifname, 0, nil)}
		modes[ifname+"-compact"] = []any{capture(nlmsg.EthtoolMsgLinkModesGet, nlmsg.EthtoolALinkModesHeader, ifname, nlmsg.EthtoolFlagCompactBitsets, nil)}
		modes[ifname+"-verbose"] = []any{capture(nlmsg.EthtoolMsgLinkModesGet, nlmsg.EthtoolALinkModesHeader, ifname, 0, nil)}
		state[ifname] = []any{capture(nlmsg.EthtoolMsgLinkStateGet, nlmsg.EthtoolALinkStateHeader, ifname, 0, nil)}
		feats[ifname+"-compact"] = []any{capture(nlmsg.EthtoolMsgFeaturesGet, nlmsg.EthtoolAFeaturesHeader, ifname, nlmsg.EthtoolFlagCompactBitsets, nil)}
		feats[ifname+"-verbose"] = []any{capture(nlmsg.EthtoolMsgFeaturesGet, nlmsg.EthtoolAFeaturesHeader, ifname, 0, nil)}
		if ifname != "br0" { // a bridge has no channels
			chans[ifname] = []any{capture(nlmsg.EthtoolMsgChannelsGet, nlmsg.EthtoolAChannelsHeader, ifname, 0, nil)}
		}
	}
	// The reply to a FEATURES_SET that changes two features (and with them
	// their dependents) and cannot change a fixed one.
	feats["va-set"] = []any{capture(nlmsg.EthtoolMsgFeaturesSet, nlmsg.EthtoolAFeaturesHeader, "va", nlmsg.EthtoolFlagCompactBitsets, func(b *nlmsg.Builder) {
		appendWantedFeatures(b, []FeatureChange{{"tx-scatter-gather", false}, {"rx-gro", true}, {"tx-checksum-ipv4", true}})
	})}
	for _, set := range []struct {
		ifname string
		id     uint32
	}{{"va", nlmsg.EthSSStats}, {"", nlmsg.EthSSLinkModes}} {
		name := set.ifname
		if name == "" {
			name = "global"
		}
		strs[fmt.Sprintf("%s-%d", name, set.id)] = []any{capture(nlmsg.EthtoolMsgStrsetGet, nlmsg.EthtoolAStrsetHeader, set.ifname, 0, func(b *nlmsg.Builder) {
			sets := b.BeginNest(nlmsg.EthtoolAStrsetStringsets)
			s := b.BeginNest(nlmsg.EthtoolAStringsetsStringset)
			b.Uint32(nlmsg.EthtoolAStringsetID, set.id)
			b.EndNest(s)
			b.EndNest(sets)
		}), set.id}
	}
	nltest.Seeds(t, "FuzzDecodeLinkInfo", info)
	nltest.Seeds(t, "FuzzDecodeLinkModes", modes)
	nltest.Seeds(t, "FuzzDecodeLinkState", state)
	nltest.Seeds(t, "FuzzDecodeStringSet", strs)
	nltest.Seeds(t, "FuzzDecodeFeatures", feats)
	nltest.Seeds(t, "FuzzDecodeChannels", chans)
}
