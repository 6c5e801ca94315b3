package rtnl

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"net/netip"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// ruleView is a Rule as ip -j -d rule prints it.
func ruleView(u *Rule) map[string]any {
	m := map[string]any{"priority": float64(u.Priority), "src": "all", "protocol": u.Protocol.String()}
	hex := func(v uint32) string { return "0x" + strconv.FormatUint(uint64(v), 16) }
	if u.Invert {
		m["not"] = nil
	}
	if u.Src.IsValid() && u.Src.Bits() > 0 {
		m["src"], m["srclen"] = u.Src.Addr().String(), float64(u.Src.Bits())
	}
	if u.Dst.IsValid() && u.Dst.Bits() > 0 {
		m["dst"], m["dstlen"] = u.Dst.Addr().String(), float64(u.Dst.Bits())
	}
	if u.TOS != 0 {
		m["tos"] = hex(uint32(u.TOS))
	}
	if u.Mark != 0 || u.Mask != 0 && u.Mask != 0xffffffff {
		m["fwmark"] = hex(u.Mark)
		if u.Mask != 0xffffffff {
			m["fwmask"] = hex(u.Mask)
		}
	}
	if u.IIFName != "" {
		m["iif"] = u.IIFName
	}
	if u.OIFName != "" {
		m["oif"] = u.OIFName
	}
	if u.Table != TableUnspec {
		m["table"] = u.Table.String()
	}
	if u.HasSuppressPrefixLen {
		m["suppress_prefixlen"] = float64(u.SuppressPrefixLen)
	}
	if u.HasSuppressIfGroup {
		m["suppress_ifgroup"] = strconv.Itoa(int(u.SuppressIfGroup))
	}
	if u.HasUIDRange {
		m["uid_start"], m["uid_end"] = float64(u.UIDStart), float64(u.UIDEnd)
	}
	if u.IPProto != 0 {
		// As /etc/protocols names them, which ip prints.
		name, ok := map[uint8]string{1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp"}[u.IPProto]
		if !ok {
			name = "ipproto-" + strconv.Itoa(int(u.IPProto))
		}
		m["ipproto"] = name
	}
	for _, p := range []struct {
		key string
		r   PortRange
	}{{"sport", u.SrcPorts}, {"dport", u.DstPorts}} {
		switch {
		case p.r == PortRange{}:
		case p.r.Start == p.r.End:
			m[p.key] = float64(p.r.Start)
		default:
			m[p.key+"_start"], m[p.key+"_end"] = float64(p.r.Start), float64(p.r.End)
		}
	}
	if u.Realms != 0 {
		if u.Realms.From() != 0 {
			m["flow_from"] = strconv.Itoa(int(u.Realms.From()))
		}
		m["flow_to"] = strconv.Itoa(int(u.Realms.To()))
	}
	if u.TunID != 0 {
		m["tun_id"] = float64(u.TunID)
	}
	switch u.Action {
	case RuleActionGoto:
		m["goto"] = float64(u.Goto)
	case RuleActionToTable:
	default:
		m["action"] = u.Action.String()
	}
	return m
}

func ruleFixture(t *testing.T, ns *netnstest.NS) {
	ns.AddVeth(t, "v0", "v1")
	for _, c := range ruleFixtureCmds {
		ns.Run(t, "ip", strings.Fields(c)...)
	}
}

// ruleFixtureCmds are the ip commands of ruleFixture after its veth pair.
var ruleFixtureCmds = []string{
	"rule add fwmark 0x10/0xff table 100 prio 100",
	"rule add fwmark 0x20 table 1000 prio 110",
	"rule add from 10.0.0.0/8 to 192.168.0.0/16 iif v0 table 1000 prio 200",
	"rule add not from 10.1.0.0/16 oif v1 goto 32766 prio 300",
	"rule add from all table main suppress_prefixlength 0 prio 400",
	"rule add tos 0x10 blackhole prio 500",
	"rule add from 10.2.0.0/16 unreachable prio 510 proto bird",
	"-6 rule add from fd00::/64 table 1000 prio 600 proto bgp",
	"rule add uidrange 100-200 ipproto tcp sport 1000 dport 2000-3000 table 302 prio 700",
	"rule add uidrange 5-5 ipproto udp sport 10-20 dport 53 table 303 prio 710",
	"rule add ipproto 200 table 304 prio 720",
	"rule add realms 3/4 table 305 prio 730",
	"rule add realms 7 table 305 prio 731",
	"rule add tun_id 7 table 306 prio 740",
	"rule add table main suppress_ifgroup 5 prio 750",
	"-6 rule add ipproto ipv6-icmp dport 128 table 307 prio 760",
}

func checkRulesAgainstIP(t *testing.T, ns *netnstest.NS, rules []Rule, famFlag string) {
	t.Helper()
	shown := ipJSON(t, ns, "-d", famFlag, "rule", "show")
	if len(shown) != len(rules) {
		t.Fatalf("ip %s rule: %d rules, rtnl %d", famFlag, len(shown), len(rules))
	}
	for i := range rules {
		if got := ruleView(&rules[i]); !reflect.DeepEqual(got, shown[i]) {
			t.Errorf("rule %d:\nrtnl %v\nip   %v", i, got, shown[i])
		}
	}
}

func TestIntegrationRulesAgreeWithIproute2(t *testing.T) {
	ns := netnstest.New(t)
	ruleFixture(t, ns)
	c := dialIn(t, ns)
	for _, f := range []struct {
		fam  Family
		flag string
	}{{FamilyIPv4, "-4"}, {FamilyIPv6, "-6"}} {
		rules, err := c.RuleList(context.Background(), RuleFilter{Family: f.fam})
		if err != nil {
			t.Fatal(err)
		}
		checkRulesAgainstIP(t, ns, rules, f.flag)
	}
	only, err := c.RuleList(context.Background(), RuleFilter{Table: 1000})
	if err != nil || len(only) != 3 {
		t.Fatalf("rules of table 1000: %d, %v; want 3 (two IPv4, one IPv6)", len(only), err)
	}
}

func TestIntegrationRuleWritesShowInIproute2AsWritten(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "v0", "v1")
	c := dialIn(t, ns)
	ctx := context.Background()
	pfx := netip.MustParsePrefix
	written := []Rule{
		{Priority: 150, Mark: 0x20, Mask: 0xff, Table: 1001, Protocol: ProtocolStatic},
		{Priority: 160, Src: pfx("10.0.0.0/8"), Dst: pfx("192.168.0.0/16"), IIFName: "v0", Table: TableMain, Protocol: ProtocolBoot},
		{Priority: 170, Invert: true, Src: pfx("10.1.0.0/16"), OIFName: "v1", Goto: 32766, Protocol: ProtocolBoot},
		{Priority: 180, Table: TableMain, HasSuppressPrefixLen: true, SuppressPrefixLen: 0, Protocol: ProtocolBoot},
		{Priority: 190, TOS: 0x10, Action: RuleActionProhibit, Protocol: ProtocolBoot},
		{Family: FamilyIPv6, Priority: 200, Src: pfx("fd00::/64"), Table: 1000, Protocol: ProtocolBGP},
		{Priority: 210, Table: 302, HasUIDRange: true, UIDStart: 100, UIDEnd: 200, IPProto: 6,
			SrcPorts: PortRange{1000, 1000}, DstPorts: PortRange{2000, 3000}, Protocol: ProtocolBoot},
		{Priority: 220, Table: 305, Realms: MakeRealms(3, 4), Protocol: ProtocolBoot},
		{Priority: 230, Table: 306, TunID: 1 << 40, Protocol: ProtocolBoot},
		{Priority: 240, Table: TableMain, HasSuppressIfGroup: true, SuppressIfGroup: 5, Protocol: ProtocolBoot},
	}
	for i := range written {
		if err := c.RuleAdd(ctx, &written[i]); err != nil {
			t.Fatalf("RuleAdd %d: %v", i, err)
		}
	}
	shown := append(ipJSON(t, ns, "-d", "-4", "rule", "show"), ipJSON(t, ns, "-d", "-6", "rule", "show")...)
	for i, w := range written {
		if w.Action == 0 {
			w.Action = RuleActionToTable
			if w.Goto != 0 {
				w.Action = RuleActionGoto
			}
		}
		exp := ruleView(&w)
		found := false
		for _, s := range shown {
			if s["priority"] == exp["priority"] {
				found = true
				if !reflect.DeepEqual(s, exp) {
					t.Errorf("rule %d:\nwritten %v\nip      %v", i, exp, s)
				}
			}
		}
		if !found {
			t.Errorf("rule %d (priority %d) not shown", i, w.Priority)
		}
	}
	if err := c.RuleDel(ctx, &Rule{Priority: 150, Mark: 0x20, Mask: 0xff, Table: 1001}); err != nil {
		t.Fatal(err)
	}
	for _, s := range ipJSON(t, ns, "-d", "-4", "rule", "show") {
		if s["priority"] == 150.0 {
			t.Errorf("RuleDel left %v", s)
		}
	}
}
