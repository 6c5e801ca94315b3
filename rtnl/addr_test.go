package rtnl

import (
	"testing"

	"github.com/nlengine/nlengine/nlmsg"
)

func TestAddrDecodeOfKernelMessages(t *testing.T) {
	var a Addr
	seen := map[string]bool{}
	for _, p := range seeds(t, "FuzzAddrDecode") {
		if err := a.Decode(p); err != nil {
			t.Fatalf("a kernel message does not decode: %v", err)
		}
		seen[a.Prefix.String()] = true
		switch a.Prefix.String() {
		case "10.0.0.1/24":
			if a.Label != "va:one" || a.Broadcast.String() != "10.0.0.255" || a.ValidLifetime != LifetimeForever || a.Flags&AddrPermanent == 0 {
				t.Errorf("10.0.0.1/24: %+v", a)
			}
		case "10.0.0.2/24":
			if a.Flags&AddrSecondary == 0 {
				t.Errorf("10.0.0.2/24 is not secondary: %v", a.Flags)
			}
		case "10.9.0.1/32":
			if a.Peer.String() != "10.9.0.2" {
				t.Errorf("10.9.0.1's peer: %v", a.Peer)
			}
		case "2001:db8:3::1/128":
			if a.Peer.String() != "2001:db8:3::2" || a.Family != FamilyIPv6 {
				t.Errorf("2001:db8:3::1's peer: %v", a.Peer)
			}
		case "::1/128":
			if a.Protocol != AddrProtocolKernelLo {
				t.Errorf("::1/128: protocol %v, want kernel_lo", a.Protocol)
			}
		case "10.7.0.1/16":
			if a.Metric != 55 || a.Flags&AddrNoPrefixRoute == 0 {
				t.Errorf("10.7.0.1/16: metric %d flags %v", a.Metric, a.Flags)
			}
		case "2001:db8:1::1/64":
			// noprefixroute is above the 8 bits of ifa_flags: only IFA_FLAGS has it.
			if a.Flags&(AddrNoDAD|AddrNoPrefixRoute) != AddrNoDAD|AddrNoPrefixRoute || a.ValidLifetime > 2000 || a.ValidLifetime < 1900 {
				t.Errorf("2001:db8:1::1/64: %+v", a)
			}
		}
	}
	for _, p := range []string{"10.0.0.1/24", "10.9.0.1/32", "2001:db8:1::1/64", "2001:db8:3::1/128", "127.0.0.1/8", "::1/128"} {
		if !seen[p] {
			t.Errorf("the corpus lacks %s", p)
		}
	}
}

func TestAddrDecodeDoesNotAllocate(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	ps := seeds(t, "FuzzAddrDecode")
	var a Addr
	for _, p := range ps {
		_ = a.Decode(p)
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, p := range ps {
			if err := a.Decode(p); err != nil {
				t.Fatal(err)
			}
		}
	}); n != 0 {
		t.Fatalf("decoding %d addresses allocates %.1f times", len(ps), n)
	}
}

func TestAddrDecodeNamesTheMalformedAttribute(t *testing.T) {
	v4 := nlmsg.IfAddrMsg{Family: uint8(FamilyIPv4), PrefixLen: 24, Index: 2}
	for _, c := range []struct {
		name    string
		payload []byte
		attr    string
		off     int
	}{
		{"short header", make([]byte, 5), "ifaddrmsg", 0},
		{"IPv4 local of 16 bytes", craft(v4, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFALocal, make([]byte, 16)) }), "IFA_LOCAL", 8},
		{"address of 5 bytes", craft(v4, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFAAddress, make([]byte, 5)) }), "IFA_ADDRESS", 8},
		{"broadcast of 3 bytes", craft(v4, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFABroadcast, make([]byte, 3)) }), "IFA_BROADCAST", 8},
		{"flags of 2 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint16(nlmsg.IFAFlags, 1) }), "IFA_FLAGS", 8},
		{"short cacheinfo", craft(v4, func(b *nlmsg.Builder) { b.Uint64(nlmsg.IFACacheInfo, 1) }), "IFA_CACHEINFO", 8},
		{"protocol of 4 bytes", craft(v4, func(b *nlmsg.Builder) { b.Uint32(nlmsg.IFAProto, 1) }), "IFA_PROTO", 8},
		{"prefix longer than the address", craft(nlmsg.IfAddrMsg{Family: uint8(FamilyIPv4), PrefixLen: 33}, func(b *nlmsg.Builder) { b.Attr(nlmsg.IFALocal, make([]byte, 4)) }), "ifa_prefixlen", 1},
		{"truncated attribute", append(craft(v4, nil), 8, 0, 1), "IFA attributes", 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a Addr
			wantAttrError(t, a.Decode(c.payload), "address", c.attr, c.off)
		})
	}
}

func TestAddrDecodeOfTruncatedMessagesFailsCleanly(t *testing.T) {
	var a Addr
	for _, p := range seeds(t, "FuzzAddrDecode") {
		for n := range len(p) {
			checkDecodeErr(t, p[:n], a.Decode(p[:n]))
		}
	}
}

func TestAddrFlagNames(t *testing.T) {
	for f, want := range map[AddrFlags]string{
		AddrPermanent:                          "permanent",
		AddrSecondary | AddrNoDAD:              "secondary nodad",
		AddrNoPrefixRoute | AddrStablePrivacy:  "noprefixroute stable-privacy",
		AddrTentative | AddrDeprecated | 1<<20: "deprecated tentative 100000",
	} {
		if f.String() != want {
			t.Errorf("AddrFlags(%#x) = %q, want %q", uint32(f), f, want)
		}
	}
}

func TestAddrProtocolNames(t *testing.T) {
	for p, want := range map[AddrProtocol]string{
		AddrProtocolUnspec: "unspec", AddrProtocolKernelLo: "kernel_lo", AddrProtocolKernelRA: "kernel_ra", AddrProtocolKernelLL: "kernel_ll", 99: "99",
	} {
		if p.String() != want {
			t.Errorf("AddrProtocol(%d) = %q, want %q", uint8(p), p, want)
		}
	}
}

func TestAddrFilterMatch(t *testing.T) {
	a := Addr{Family: FamilyIPv6, LinkIndex: 2}
	for f, want := range map[AddrFilter]bool{
		{}: true, {Family: FamilyIPv6}: true, {Family: FamilyIPv4}: false, {LinkIndex: 2}: true, {LinkIndex: 3}: false,
	} {
		if got := f.Match(&a); got != want {
			t.Errorf("%+v.Match: %v, want %v", f, got, want)
		}
	}
}
