package rtnl

import (
	"slices"
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

func TestNeighDecodeOfKernelMessages(t *testing.T) {
	var n Neigh
	seen := map[string]NeighState{}
	for _, p := range seeds(t, "FuzzNeighDecode") {
		if err := n.Decode(p); err != nil {
			t.Fatalf("a kernel message does not decode: %v", err)
		}
		seen[n.Dst.String()] = n.State
		switch n.Dst.String() {
		case "2001:db8::2":
			if n.Flags&NeighRouter == 0 || n.LLAddr.String() != "02:00:00:00:00:04" {
				t.Errorf("2001:db8::2: %+v", n)
			}
		case "10.0.0.51":
			if n.Family != FamilyBridge || n.Port != 4790 || n.VNI != 100 || n.ViaIndex == 0 || n.LLAddr.String() != "02:00:00:00:aa:01" {
				t.Errorf("the VXLAN remote 10.0.0.51: %+v", n)
			}
		case "10.0.0.10":
			if n.FlagsExt != NeighManaged {
				t.Errorf("10.0.0.10 is not managed: %v", n.FlagsExt)
			}
		case "10.0.0.12":
			if n.Protocol != ProtocolStatic || n.Flags&NeighExtLearned == 0 {
				t.Errorf("10.0.0.12: %+v", n)
			}
		}
	}
	for dst, st := range map[string]NeighState{"10.0.0.51": NeighNoARP | NeighPermanent, "10.0.0.2": NeighPermanent, "10.0.0.3": NeighReachable, "2001:db8::2": NeighStale, "10.0.0.4": NeighNoARP} {
		if seen[dst] != st {
			t.Errorf("%s: state %v, want %v", dst, seen[dst], st)
		}
	}
}

func TestNeighDecodeDoesNotAllocate(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	ps := seeds(t, "FuzzNeighDecode")
	var n Neigh
	if a := testing.AllocsPerRun(100, func() {
		for _, p := range ps {
			if err := n.Decode(p); err != nil {
				t.Fatal(err)
			}
		}
	}); a != 0 {
		t.Fatalf("decoding %d neighbours allocates %.1f times", len(ps), a)
	}
}

func TestNeighDecodeNamesTheMalformedAttribute(t *testing.T) {
	v4 := nlmsg.NdMsg{Family: uint8(FamilyIPv4), Index: 2, State: nlmsg.NUDReachable}
	for _, c := range []struct {
		name    string
		payload []byte
		attr    string
		off     int
	}{
		{"short header", make([]byte, 11), "ndmsg", 0},
		{"IPv4 dst of 16 bytes", craft(v4, func(b *nlmsg.Builder) { b.Attr(nlmsg.NDADst, make([]byte, 16)) }), "NDA_DST", 12},
		{"IPv6 dst of 4 bytes", craft(nlmsg.NdMsg{Family: uint8(FamilyIPv6)}, func(b *nlmsg.Builder) { b.Attr(nlmsg.NDADst, make([]byte, 4)) }), "NDA_DST", 12},
		{"probes of 1 byte", craft(v4, func(b *nlmsg.Builder) { b.Uint8(nlmsg.NDAProbes, 1) }), "NDA_PROBES", 12},
		{"vlan of 4 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint32(nlmsg.NDAVLAN, 1) }), "NDA_VLAN", 12},
		{"extended flags of 2 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint16(nlmsg.NDAFlagsExt, 1) }), "NDA_FLAGS_EXT", 12},
		{"protocol of 4 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint32(nlmsg.NDAProtocol, 1) }), "NDA_PROTOCOL", 12},
		{"short cacheinfo", craft(v4, func(b *nlmsg.Builder) { b.Uint64(nlmsg.NDACacheInfo, 1) }), "NDA_CACHEINFO", 12},
		{"port of 4 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint32(nlmsg.NDAPort, 1) }), "NDA_PORT", 12},
		{"vni of 2 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint16(nlmsg.NDAVNI, 1) }), "NDA_VNI", 12},
		{"src vni of 1 byte", craft(v4, func(b *nlmsg.Builder) { b.Uint8(nlmsg.NDASrcVNI, 1) }), "NDA_SRC_VNI", 12},
		{"via of 2 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint16(nlmsg.NDAIfIndex, 1) }), "NDA_IFINDEX", 12},
		{"next-hop id of 8 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint64(nlmsg.NDANHID, 1) }), "NDA_NH_ID", 12},
		{"attribute of length 2", append(craft(v4, nil), 2, 0, 1, 0), "NDA attributes", 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n Neigh
			wantAttrError(t, n.Decode(c.payload), "neighbour", c.attr, c.off)
		})
	}
}

func TestNeighDecodeOfTruncatedMessagesFailsCleanly(t *testing.T) {
	var n Neigh
	for _, p := range seeds(t, "FuzzNeighDecode") {
		for i := range len(p) {
			checkDecodeErr(t, p[:i], n.Decode(p[:i]))
		}
	}
}

func TestNeighEnumNames(t *testing.T) {
	for s, want := range map[NeighState][]string{
		NeighReachable: {"REACHABLE"}, NeighPermanent: {"PERMANENT"}, NeighNoARP: {"NOARP"}, NeighNone: {"NONE"},
		NeighStale | NeighDelay: {"STALE", "DELAY"}, NeighIncomplete | NeighProbe | NeighFailed: {"INCOMPLETE", "PROBE", "FAILED"},
		0x100: {"0x100"},
	} {
		if !slices.Equal(s.Names(), want) {
			t.Errorf("NeighState(%#x) = %v, want %v", uint16(s), s.Names(), want)
		}
	}
	if got := (NeighRouter | NeighProxy | NeighExtLearned).String(); got != "proxy extern_learn router" {
		t.Errorf("flags: %q", got)
	}
	if got := (NeighManaged | NeighLocked | 0x10).String(); got != "managed locked 0x10" {
		t.Errorf("extended flags: %q", got)
	}
}

func TestNeighFilterMatch(t *testing.T) {
	n := Neigh{Family: FamilyIPv4, LinkIndex: 2, State: NeighStale}
	for f, want := range map[NeighFilter]bool{
		{}: true, {Family: FamilyIPv4}: true, {Family: FamilyBridge}: false, {LinkIndex: 2}: true, {LinkIndex: 5}: false,
		{State: NeighStale | NeighReachable}: true, {State: NeighPermanent}: false, {Proxy: true}: false,
	} {
		if got := f.Match(&n); got != want {
			t.Errorf("%+v.Match: %v, want %v", f, got, want)
		}
	}
	// A proxy entry passes a filter without Proxy (an event about it),
	// and one with.
	proxy := Neigh{Family: FamilyIPv4, LinkIndex: 2, Flags: NeighProxy}
	for f, want := range map[NeighFilter]bool{{}: true, {Proxy: true}: true, {Proxy: true, LinkIndex: 5}: false} {
		if got := f.Match(&proxy); got != want {
			t.Errorf("%+v.Match(proxy): %v, want %v", f, got, want)
		}
	}
}

// MatchOnLink adds the master conditions, given the master of the entry's
// link: a bridge's own FDB entries pass its MasterIndex, and NoMaster
// gives way to MasterIndex.
func TestNeighFilterMatchOnLink(t *testing.T) {
	port := Neigh{Family: FamilyIPv4, LinkIndex: 2}
	for _, c := range []struct {
		f      NeighFilter
		master int
		want   bool
	}{
		{NeighFilter{}, 7, true},
		{NeighFilter{MasterIndex: 7}, 7, true},
		{NeighFilter{MasterIndex: 7}, 8, false},
		{NeighFilter{MasterIndex: 7}, 0, false},
		{NeighFilter{NoMaster: true}, 0, true},
		{NeighFilter{NoMaster: true}, 7, false},
		{NeighFilter{MasterIndex: 7, NoMaster: true}, 7, true},
		{NeighFilter{MasterIndex: 7, State: NeighPermanent}, 7, false}, // Match's own conditions still hold
	} {
		if got := c.f.MatchOnLink(&port, c.master); got != c.want {
			t.Errorf("%+v.MatchOnLink(master %d): %v, want %v", c.f, c.master, got, c.want)
		}
	}
	own := Neigh{Family: FamilyBridge, LinkIndex: 7}
	if f := (NeighFilter{Family: FamilyBridge, MasterIndex: 7}); !f.MatchOnLink(&own, 0) {
		t.Error("the bridge's own FDB entry does not pass its MasterIndex")
	}
	if f := (NeighFilter{Family: FamilyIPv4, MasterIndex: 7}); f.MatchOnLink(&Neigh{Family: FamilyIPv4, LinkIndex: 7}, 0) {
		t.Error("an ARP entry of the bridge itself passes its MasterIndex")
	}
	if f := (NeighFilter{Family: FamilyBridge, NoMaster: true}); !f.MatchOnLink(&own, 0) {
		t.Error("the bridge's own FDB entry does not pass NoMaster")
	}
}
