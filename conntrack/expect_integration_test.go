package conntrack

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// toolExpect is one line of conntrack -L expect (or -E expect): the event
// tag if any, the timeout, the protocol, the expected tuple, the mask and
// the master (each as tupleFields renders a tuple), the flags and the
// remaining key=value pairs (zone, class, helper).
type toolExpect struct {
	event               string
	timeout, proto      int
	tuple, mask, master map[string]string
	flags               string
	kv                  map[string]string
}

// parseExpectLine parses one line that conntrack prints for an
// expectation: "[NEW] 300 proto=6 src= dst= sport= dport= mask-src= ...
// master-src= ... [zone=] [FLAGS] class= helper=".
func parseExpectLine(line string) *toolExpect {
	w := strings.Fields(line)
	te := &toolExpect{tuple: map[string]string{}, mask: map[string]string{}, master: map[string]string{}, kv: map[string]string{}}
	if len(w) > 0 && strings.HasPrefix(w[0], "[") {
		te.event, w = strings.Trim(w[0], "[]"), w[1:]
	}
	if len(w) < 2 {
		return nil
	}
	te.timeout, _ = strconv.Atoi(w[0])
	group := te.tuple
	for _, tok := range w[1:] {
		k, v, ok := strings.Cut(tok, "=")
		switch {
		case !ok:
			te.flags = tok
		case k == "proto":
			te.proto, _ = strconv.Atoi(v)
		case k == "mask-src":
			group, k = te.mask, "src"
		case k == "master-src":
			group, k = te.master, "src"
		case k == "mask-dst" || k == "master-dst":
			k = "dst"
		}
		switch k {
		case "src", "dst", "sport", "dport":
			group[k] = v
		case "proto":
		default:
			if ok {
				te.kv[k] = v
			}
		}
	}
	return te
}

// parseExpectTool parses conntrack -L expect's output, keyed by the
// expected tuple (expectKey).
func parseExpectTool(out []byte) map[string]*toolExpect {
	m := map[string]*toolExpect{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if te := parseExpectLine(sc.Text()); te != nil {
			m[te.tuple["src"]+" "+te.tuple["dst"]+" "+te.tuple["sport"]+" "+te.tuple["dport"]] = te
		}
	}
	return m
}

// expectKey is parseExpectTool's key for e.
func expectKey(e *Expect) string {
	return e.Tuple.Src.String() + " " + e.Tuple.Dst.String() + " " + strconv.Itoa(int(e.Tuple.SrcPort)) + " " + strconv.Itoa(int(e.Tuple.DstPort))
}

// expectTool lists the expectations of both families with conntrack -L
// expect, which lists IPv4 only unless told -f ipv6.
func expectTool(t *testing.T, ns *netnstest.NS) map[string]*toolExpect {
	t.Helper()
	m := parseExpectTool(ns.Run(t, "conntrack", "-L", "expect"))
	for k, v := range parseExpectTool(ns.Run(t, "conntrack", "-L", "expect", "-f", "ipv6")) {
		m[k] = v
	}
	return m
}

// compareExpect checks e against the tool's line for it, field by field:
// everything conntrack prints for an expectation.
func compareExpect(t *testing.T, e *Expect, te *toolExpect) {
	t.Helper()
	what := "expectation " + expectKey(e)
	if d := int(e.Timeout) - te.timeout; d < -2 || d > 2 {
		t.Errorf("%s: timeout %d, conntrack %d", what, e.Timeout, te.timeout)
	}
	if int(e.Tuple.Proto) != te.proto {
		t.Errorf("%s: protocol %d, conntrack %d", what, e.Tuple.Proto, te.proto)
	}
	compareTuple(t, what+" tuple", &e.Tuple, te.tuple)
	compareTuple(t, what+" mask", &e.Mask, te.mask)
	compareTuple(t, what+" master", &e.Master, te.master)
	if e.Flags.String() != te.flags {
		t.Errorf("%s: flags %q, conntrack %q", what, e.Flags, te.flags)
	}
	wantZone := ""
	if e.Has&ExpectFieldZone != 0 {
		wantZone = strconv.Itoa(int(e.Zone))
	}
	if te.kv["zone"] != wantZone || te.kv["class"] != strconv.Itoa(int(e.Class)) || te.kv["helper"] != e.Helper() {
		t.Errorf("%s: zone %q class %d helper %q, conntrack %q %q %q", what, wantZone, e.Class, e.Helper(),
			te.kv["zone"], te.kv["class"], te.kv["helper"])
	}
}

// agreeExpectWithTool compares every expectation of ListExpect with
// conntrack -L expect (both families) and returns them.
func agreeExpectWithTool(t *testing.T, c *Conn, ns *netnstest.NS) []Expect {
	t.Helper()
	tool := expectTool(t, ns)
	exps, err := c.ListExpect(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != len(tool) {
		t.Fatalf("ListExpect returned %d expectations, conntrack %d: %+v", len(exps), len(tool), tool)
	}
	for i := range exps {
		te := tool[expectKey(&exps[i])]
		if te == nil {
			t.Errorf("expectation %s not listed by conntrack", expectKey(&exps[i]))
			continue
		}
		compareExpect(t, &exps[i], te)
	}
	return exps
}

// agreeExpectWithXML compares exps with conntrack -L expect -o xml (-f
// family), which prints the same fields as the plain output, as elements.
func agreeExpectWithXML(t *testing.T, ns *netnstest.NS, family string, exps []Expect) {
	t.Helper()
	type addrs struct {
		Src string `xml:"src"`
		Dst string `xml:"dst"`
	}
	type ports struct {
		Sport string `xml:"sport"`
		Dport string `xml:"dport"`
	}
	var doc struct {
		Flows []struct {
			L3 struct {
				Expected addrs `xml:"expected"`
				Mask     addrs `xml:"mask"`
				Master   addrs `xml:"master"`
			} `xml:"layer3"`
			L4 struct {
				Proto    int   `xml:"protonum,attr"`
				Expected ports `xml:"expected"`
				Mask     ports `xml:"mask"`
				Master   ports `xml:"master"`
			} `xml:"layer4"`
			Meta struct {
				Helper  string `xml:"helper-name"`
				Timeout int    `xml:"timeout"`
				Class   string `xml:"class"`
				Zone    string `xml:"zone"`
				// The flags, as empty elements.
				Permanent *struct{} `xml:"permanent"`
				Inactive  *struct{} `xml:"inactive"`
				Userspace *struct{} `xml:"userspace"`
			} `xml:"meta"`
		} `xml:"flow"`
	}
	out := ns.Run(t, "conntrack", "-L", "expect", "-o", "xml", "-f", family)
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("conntrack -o xml: %v\n%s", err, out)
	}
	tool := map[string]*toolExpect{}
	for _, f := range doc.Flows {
		te := &toolExpect{timeout: f.Meta.Timeout, proto: f.L4.Proto, kv: map[string]string{"class": f.Meta.Class, "helper": f.Meta.Helper},
			tuple:  map[string]string{"src": f.L3.Expected.Src, "dst": f.L3.Expected.Dst, "sport": f.L4.Expected.Sport, "dport": f.L4.Expected.Dport},
			mask:   map[string]string{"src": f.L3.Mask.Src, "dst": f.L3.Mask.Dst, "sport": f.L4.Mask.Sport, "dport": f.L4.Mask.Dport},
			master: map[string]string{"src": f.L3.Master.Src, "dst": f.L3.Master.Dst, "sport": f.L4.Master.Sport, "dport": f.L4.Master.Dport}}
		if f.Meta.Zone != "" {
			te.kv["zone"] = f.Meta.Zone
		}
		var fl ExpectFlags
		for bit, set := range map[ExpectFlags]bool{ExpectPermanent: f.Meta.Permanent != nil, ExpectInactive: f.Meta.Inactive != nil, ExpectUserspace: f.Meta.Userspace != nil} {
			if set {
				fl |= bit
			}
		}
		te.flags = fl.String()
		tool[te.tuple["src"]+" "+te.tuple["dst"]+" "+te.tuple["sport"]+" "+te.tuple["dport"]] = te
	}
	n := 0
	for i := range exps {
		if want := map[string]uint8{"ipv4": unix.AF_INET, "ipv6": unix.AF_INET6}[family]; exps[i].Family != want {
			continue
		}
		n++
		te := tool[expectKey(&exps[i])]
		if te == nil {
			t.Errorf("expectation %s not in conntrack -o xml:\n%s", expectKey(&exps[i]), out)
			continue
		}
		compareExpect(t, &exps[i], te)
	}
	if n != len(tool) {
		t.Errorf("conntrack -o xml -f %s: %d expectations, ours %d", family, len(tool), n)
	}
}

// loadRuleset loads an nft ruleset into ns.
func loadRuleset(t *testing.T, ns *netnstest.NS, ruleset string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.nft")
	if err := os.WriteFile(file, []byte(ruleset), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.Run(t, "nft", "-f", file)
}

// expectSeeds dumps the expectations and returns each message's payload
// as the kernel sent it, named prefix+its position, for nltest.Seeds.
func expectSeeds(t *testing.T, c *Conn, prefix string) map[string][]any {
	t.Helper()
	var b nlmsg.Builder
	defer b.Release()
	return dumpSeeds(t, c, expMsgType(nlmsg.IPCTNLMsgExpGet), expectDumpPayload(&b, nil), prefix)
}

// TestIntegrationExpectListAgreesWithConntrackTool runs the FTP fixture
// over IPv4 (through the helper and source NAT) and over IPv6 (the helper
// alone) and checks each expectation the helper made against conntrack -L
// expect, field by field; what the tool does not print (NAT, function, id)
// against what the helper is known to write; and that ExpectFilter and
// GetExpect agree. conntrack -o extended prints expectations as the plain
// output does; -o xml prints the same fields, and is compared too.
func TestIntegrationExpectListAgreesWithConntrackTool(t *testing.T) {
	c, ns := dial(t)
	loadRuleset(t, ns, ftpRuleset)
	if seen := ftpSession(t, ns); seen != ftpPortSeen {
		t.Fatalf("the server read %q, want %q", seen, ftpPortSeen)
	}
	ftpSessionOn(t, ns, ftp6)
	exps := agreeExpectWithTool(t, c, ns)
	if len(exps) != 2 {
		t.Fatalf("%d expectations, want the IPv4 and the IPv6 data connection", len(exps))
	}
	agreeExpectWithXML(t, ns, "ipv4", exps)
	agreeExpectWithXML(t, ns, "ipv6", exps)
	flows, err := c.List(testCtx(t), nil)
	if err != nil || len(flows) != 2 {
		t.Fatalf("List = %d flows, %v; want the two control connections", len(flows), err)
	}
	for i := range exps {
		e := &exps[i]
		var master *Flow
		for j := range flows {
			if flows[j].Orig == e.Master {
				master = &flows[j]
			}
		}
		if master == nil {
			t.Errorf("expectation %s: master %+v is no entry's original tuple", expectKey(e), e.Master)
			continue
		}
		if e.Tuple.DstPort != ftpDataPort || e.Has&(ExpectFieldID|ExpectFieldTimeout|ExpectFieldMask|ExpectFieldMaster) !=
			ExpectFieldID|ExpectFieldTimeout|ExpectFieldMask|ExpectFieldMaster || e.Has&ExpectFieldZone != 0 {
			t.Errorf("expectation %s: Has %b", expectKey(e), e.Has)
		}
		// The tuple expected: from the server (the reply's source) to the
		// address the command named, after NAT.
		if e.Tuple.Src != master.Reply.Src || e.Tuple.Dst != master.Reply.Dst {
			t.Errorf("expectation %s: from %v to %v, want the master's reply %v -> %v", expectKey(e), e.Tuple.Src, e.Tuple.Dst, master.Reply.Src, master.Reply.Dst)
		}
		switch e.Family {
		case unix.AF_INET:
			// The NAT helper keeps the port the client named and follows
			// the master's NAT for the reply direction.
			if e.Has&(ExpectFieldNAT|ExpectFieldFn) != ExpectFieldNAT|ExpectFieldFn || e.Fn() != "nat-follow-master" ||
				e.NAT.Dir != 1 || e.NAT.Tuple.SrcPort != ftpDataPort || e.NAT.Tuple.Src != netip.IPv4Unspecified() {
				t.Errorf("IPv4 expectation: NAT %+v (sent %v), function %q; want the reply direction, port %d, nat-follow-master",
					e.NAT, e.Has&ExpectFieldNAT != 0, e.Fn(), ftpDataPort)
			}
		case unix.AF_INET6:
			if e.Has&(ExpectFieldNAT|ExpectFieldFn) != 0 {
				t.Errorf("IPv6 expectation without NAT: NAT %+v, function %q", e.NAT, e.Fn())
			}
		default:
			t.Errorf("family %d", e.Family)
		}
		var got Expect
		if err := c.GetExpect(testCtx(t), e.Tuple, 0, &got); err != nil || got.ID != e.ID || got.Master != e.Master || got.Mask != e.Mask {
			t.Errorf("GetExpect(%s) = %+v, %v", expectKey(e), got, err)
		}
		for _, flt := range []ExpectFilter{{Family: e.Family}, {Master: e.Master}, {Family: e.Family, Master: e.Master}} {
			l, err := c.ListExpect(testCtx(t), &flt)
			if err != nil || len(l) != 1 || l[0].ID != e.ID {
				t.Errorf("ListExpect(%+v) = %d expectations, %v; want %s only", flt, len(l), err, expectKey(e))
			}
		}
	}
	missing := ExpectFilter{Master: Tuple{Src: addr("10.9.9.9"), Dst: addr("10.9.9.8"), Proto: ProtoTCP, SrcPort: 1, DstPort: 21}}
	if _, err := c.ListExpect(testCtx(t), &missing); !errors.Is(err, unix.ENOENT) {
		t.Errorf("ListExpect of a master that does not exist: %v, want ENOENT", err)
	}
}

// TestIntegrationExpectCorpus decodes every expectation message of the
// FTP fixture (IPv4 with NAT, IPv6) and of one written with every optional
// part, as the kernel sent them, and keeps them as the FuzzExpectDecode
// corpus (see nltest.Seeds: -args -update-corpus writes them).
func TestIntegrationExpectCorpus(t *testing.T) {
	c, ns := dial(t)
	loadRuleset(t, ns, ftpRuleset)
	ftpSession(t, ns)
	ftpSessionOn(t, ns, ftp6)
	m := Flow{Orig: Tuple{Src: addr("10.5.0.1"), Dst: addr("10.5.0.2"), Proto: ProtoTCP, SrcPort: 3000, DstPort: 21}, Timeout: 60, TCP: TCPInfo{State: TCPEstablished}}
	createHelperMaster(t, c, &m, "ftp")
	e := Expect{Master: m.Orig, Tuple: Tuple{Src: m.Orig.Dst, Dst: m.Orig.Src, Proto: ProtoTCP, DstPort: 5000},
		Flags: ExpectPermanent | ExpectInactive, NAT: ExpectNAT{Dir: 1, Tuple: Tuple{Src: addr("10.5.0.9"), SrcPort: 7}}, Has: ExpectFieldNAT}
	if e.SetHelper("ftp") != nil || e.SetFn("nat-follow-master") != nil {
		t.Fatal("names")
	}
	if err := c.CreateExpect(testCtx(t), &e); err != nil {
		t.Fatal(err)
	}
	seeds := expectSeeds(t, c, "")
	if len(seeds) != 3 {
		t.Fatalf("%d expectations, want 3", len(seeds))
	}
	for name, s := range seeds {
		var e Expect
		if err := e.Decode(s[0].([]byte)); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
	nltest.Seeds(t, "FuzzExpectDecode", seeds)
}

// ftpZoneRuleset is ftpRuleset's helper without NAT, with every packet in
// conntrack zone 5.
const ftpZoneRuleset = `table inet nlengine_ftpzone {
	ct helper ftp-std { type "ftp" protocol tcp; }
	chain raw {
		type filter hook output priority -300; policy accept;
		ct zone set 5
	}
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 21 ct helper set "ftp-std"
	}
}
`

// TestIntegrationExpectInAZone runs the FTP fixture in conntrack zone 5:
// the kernel does not report the expectation's zone (neither Expect nor
// conntrack -L expect show one), finds it by tuple only in its master's
// zone, and deletes it there, as conntrack -L expect shows; CreateExpect
// finds the master only in the zone it is given.
func TestIntegrationExpectInAZone(t *testing.T) {
	c, ns := dial(t)
	loadRuleset(t, ns, ftpZoneRuleset)
	ftpSession(t, ns)
	exps := agreeExpectWithTool(t, c, ns)
	if len(exps) != 1 {
		t.Fatalf("%d expectations, want 1", len(exps))
	}
	e := exps[0]
	if flows, err := c.List(testCtx(t), nil); err != nil || len(flows) != 1 || flows[0].Zone != 5 || flows[0].Orig != e.Master {
		t.Fatalf("List = %+v, %v; want the master in zone 5", flows, err)
	}
	if e.Has&ExpectFieldZone != 0 {
		t.Errorf("the kernel sent a zone (%d); the test's claim that it does not is out of date", e.Zone)
	}
	var got Expect
	if err := c.GetExpect(testCtx(t), e.Tuple, 0, &got); !errors.Is(err, unix.ENOENT) {
		t.Errorf("GetExpect in zone 0: %v, want ENOENT", err)
	}
	if err := c.GetExpect(testCtx(t), e.Tuple, 5, &got); err != nil || got.ID != e.ID {
		t.Errorf("GetExpect in zone 5: %+v, %v", got, err)
	}
	if err := c.DeleteExpect(testCtx(t), &e); !errors.Is(err, unix.ENOENT) {
		t.Errorf("DeleteExpect in zone 0: %v, want ENOENT", err)
	}
	e.Zone = 5
	if err := c.DeleteExpect(testCtx(t), &e); err != nil {
		t.Fatalf("DeleteExpect in zone 5: %v", err)
	}
	if tool := expectTool(t, ns); len(tool) != 0 {
		t.Errorf("conntrack -L expect after DeleteExpect: %+v", tool)
	}
	// CreateExpect finds the master in e.Zone only.
	w := Expect{Master: e.Master, Tuple: e.Tuple}
	w.Tuple.DstPort++
	if err := c.CreateExpect(testCtx(t), &w); !errors.Is(err, unix.ENOENT) {
		t.Errorf("CreateExpect with the master in zone 0: %v, want ENOENT", err)
	}
	w.Zone = 5
	if err := c.CreateExpect(testCtx(t), &w); err != nil {
		t.Fatalf("CreateExpect with the master in zone 5: %v", err)
	}
	if err := c.GetExpect(testCtx(t), w.Tuple, 5, &got); err != nil || got.Master != e.Master {
		t.Errorf("GetExpect in zone 5 of what CreateExpect wrote: %+v, %v", got, err)
	}
	if tool := expectTool(t, ns); len(tool) != 1 || tool[expectKey(&w)] == nil {
		t.Errorf("conntrack -L expect after CreateExpect in zone 5: %+v", tool)
	}
}

// createHelperMaster creates the entry f with the kernel's helper named
// helper attached (CTA_HELP, which Create does not write), as a master
// that CreateExpect can give expectations.
func createHelperMaster(t *testing.T, c *Conn, f *Flow, helper string) {
	t.Helper()
	err := c.request(testCtx(t), nlmsg.IPCTNLMsgCTNew, nlmsg.Create|nlmsg.Excl, f.family(), nil, func(b *nlmsg.Builder) {
		appendFlowAttrs(b, f, createFieldsOf(f))
		n := b.BeginNest(nlmsg.CTAHelp)
		b.String(nlmsg.CTAHelpName, helper)
		b.EndNest(n)
	})
	if err != nil {
		t.Fatalf("creating master %+v with helper %s: %v", f.Orig, helper, err)
	}
}

// TestIntegrationExpectCreateUpdateDelete writes expectations on the FTP
// fixture's control connection and checks with conntrack -L expect what
// the kernel holds after each call, with GetExpect what conntrack -D
// expect left, and the kernel's refusals.
func TestIntegrationExpectCreateUpdateDelete(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, ftpRuleset)
	ftpSession(t, ns)
	exps, err := c.ListExpect(ctx, nil)
	if err != nil || len(exps) != 1 {
		t.Fatalf("ListExpect = %d, %v; want the helper's", len(exps), err)
	}
	master := exps[0].Master
	// NB: the FTP helper allows one expectation per master; a new one
	// evicts the oldest, so the helper's goes first, by tuple and id.
	if err := c.DeleteExpect(ctx, &exps[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteExpect(ctx, &exps[0]); !errors.Is(err, unix.ENOENT) {
		t.Errorf("second DeleteExpect: %v, want ENOENT", err)
	}
	if tool := expectTool(t, ns); len(tool) != 0 {
		t.Fatalf("conntrack -L expect after DeleteExpect: %+v", tool)
	}

	e := Expect{
		Master:  master,
		Tuple:   Tuple{Src: addr("127.0.0.1"), Dst: addr("127.0.0.55"), Proto: ProtoTCP, DstPort: 40000},
		Mask:    Tuple{Src: addr("255.255.255.0"), Dst: addr("255.255.255.255"), Proto: ProtoTCP, DstPort: 0xffff},
		Timeout: 77,
		Flags:   ExpectPermanent | ExpectInactive | ExpectUserspace,
		NAT:     ExpectNAT{Dir: 1, Tuple: Tuple{Src: addr("127.0.0.9"), SrcPort: 4321}},
		Has:     ExpectFieldNAT,
	}
	if e.SetHelper("ftp") != nil || e.SetFn("nat-follow-master") != nil {
		t.Fatal("names")
	}
	if err := c.CreateExpect(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateExpect(ctx, &e); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second CreateExpect: %v, want EEXIST", err)
	}
	got := agreeExpectWithTool(t, c, ns)
	if len(got) != 1 {
		t.Fatalf("%d expectations after CreateExpect, want 1", len(got))
	}
	agreeExpectWithXML(t, ns, "ipv4", got)
	// What was written, as the kernel keeps it: the flags but USERSPACE,
	// and not the timeout, which is the helper policy's (300 s for FTP).
	w := got[0]
	if w.Tuple != e.Tuple || w.Mask != e.Mask || w.Master != master || w.Flags != ExpectPermanent|ExpectInactive ||
		w.Helper() != "ftp" || w.Fn() != "nat-follow-master" || w.NAT.Dir != 1 ||
		w.NAT.Tuple.Src != e.NAT.Tuple.Src || w.NAT.Tuple.SrcPort != 4321 || w.Timeout < 295 {
		t.Errorf("expectation after CreateExpect: %+v", w)
	}
	e.Timeout = 1000
	if err := c.UpdateExpect(ctx, &e); err != nil {
		t.Fatal(err)
	}
	tool := expectTool(t, ns)
	if te := tool[expectKey(&e)]; te == nil || te.timeout < 995 || te.timeout > 1000 {
		t.Errorf("conntrack -L expect after UpdateExpect(1000 s): %+v", te)
	}
	if err := c.DeleteExpect(ctx, &w); err != nil {
		t.Fatal(err)
	}
	if tool := expectTool(t, ns); len(tool) != 0 {
		t.Errorf("conntrack -L expect after DeleteExpect: %+v", tool)
	}
	if err := c.UpdateExpect(ctx, &e); !errors.Is(err, unix.ENOENT) {
		t.Errorf("UpdateExpect of a deleted expectation: %v, want ENOENT", err)
	}
	// What conntrack -D expect deletes is gone for GetExpect too.
	if err := c.CreateExpect(ctx, &e); err != nil {
		t.Fatal(err)
	}
	// NB: conntrack 1.4.7 wants reply ports it does not use, and exits 1
	// after a delete it did ("0 expectations have been shown").
	ns.Output("conntrack", "-D", "expect", "-s", e.Tuple.Src.String(), "-d", e.Tuple.Dst.String(), "-p", "tcp",
		"--sport", "0", "--dport", strconv.Itoa(int(e.Tuple.DstPort)), "--reply-port-src", "0", "--reply-port-dst", "0")
	if err := c.GetExpect(ctx, e.Tuple, 0, &w); !errors.Is(err, unix.ENOENT) {
		t.Errorf("GetExpect after conntrack -D expect: %+v, %v; want ENOENT", w, err)
	}

	// The kernel's refusals.
	noMaster := e
	noMaster.Master.SrcPort++
	if err := c.CreateExpect(ctx, &noMaster); !errors.Is(err, unix.ENOENT) {
		t.Errorf("CreateExpect without a master entry: %v, want ENOENT", err)
	}
	plain := Flow{Orig: Tuple{Src: addr("10.1.0.1"), Dst: addr("10.1.0.2"), Proto: ProtoTCP, SrcPort: 1, DstPort: 21}, Timeout: 60, TCP: TCPInfo{State: TCPEstablished}}
	if err := c.Create(ctx, &plain); err != nil {
		t.Fatal(err)
	}
	noHelper := Expect{Master: plain.Orig, Tuple: plain.Orig.Reverse()}
	noHelper.Tuple.SrcPort = 0
	if err := c.CreateExpect(ctx, &noHelper); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("CreateExpect on a master without a helper: %v, want EOPNOTSUPP", err)
	}
	// NB: the kernel answers a dump of such a master's expectations with
	// an acknowledgement and no dump at all.
	if l, err := c.ListExpect(ctx, &ExpectFilter{Master: plain.Orig}); err != nil || len(l) != 0 {
		t.Errorf("ListExpect of a master without a helper: %d, %v; want none", len(l), err)
	}
	badClass := e
	badClass.Class = 1
	if err := c.CreateExpect(ctx, &badClass); !errors.Is(err, unix.EINVAL) {
		t.Errorf("CreateExpect with class 1 (FTP has class 0 only): %v, want EINVAL", err)
	}
	before := c.Engine().Stats()
	for _, bad := range []Expect{{Master: master}, {Tuple: e.Tuple}, {Tuple: e.Tuple, Master: Tuple{Src: addr("::1"), Dst: addr("::1")}}} {
		if err := c.CreateExpect(ctx, &bad); !errors.Is(err, ErrNoExpectTuple) {
			t.Errorf("CreateExpect(%+v) = %v, want ErrNoExpectTuple", bad, err)
		}
	}
	if err := c.DeleteExpect(ctx, &Expect{}); !errors.Is(err, ErrNoExpectTuple) {
		t.Errorf("DeleteExpect without a tuple: %v", err)
	}
	if err := c.GetExpect(ctx, Tuple{}, 0, &w); !errors.Is(err, ErrNoExpectTuple) {
		t.Errorf("GetExpect without a tuple: %v", err)
	}
	if after := c.Engine().Stats(); after.RequestsSent != before.RequestsSent {
		t.Errorf("the refused calls sent %d requests", after.RequestsSent-before.RequestsSent)
	}
}

// helperMasters creates n masters of each family with the ftp helper and
// one expectation on each (the FTP helper allows one per master).
func helperMasters(t *testing.T, c *Conn, n4, n6 int) {
	t.Helper()
	for i := range n4 + n6 {
		m := Flow{Orig: Tuple{Src: netip.AddrFrom4([4]byte{10, 3, byte(i >> 8), byte(i)}), Dst: addr("10.4.0.1"), Proto: ProtoTCP, SrcPort: 2000, DstPort: 21},
			Timeout: 600, TCP: TCPInfo{State: TCPEstablished}}
		if i >= n4 {
			m.Orig.Src = netip.AddrFrom16([16]byte{0x20, 0x01, 0xd, 0xb8, 14: byte(i >> 8), 15: byte(i)})
			m.Orig.Dst = addr("2001:db8:4::1")
		}
		createHelperMaster(t, c, &m, "ftp")
		e := Expect{Master: m.Orig, Tuple: Tuple{Src: m.Orig.Dst, Dst: m.Orig.Src, Proto: ProtoTCP, DstPort: uint16(30000 + i)}}
		if err := c.CreateExpect(testCtx(t), &e); err != nil {
			t.Fatalf("CreateExpect on master %d: %v", i, err)
		}
	}
}

// TestIntegrationExpectFlush fills the table with expectations of both
// families and empties it by family, by helper and whole, checking with
// conntrack -L expect after each, and checks ListExpect after conntrack -F
// expect.
func TestIntegrationExpectFlush(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, ftpRuleset) // registers the ftp helper
	helperMasters(t, c, 3, 2)
	count := func(family string) int {
		return len(parseExpectTool(ns.Run(t, "conntrack", "-L", "expect", "-f", family)))
	}
	if v4, v6 := count("ipv4"), count("ipv6"); v4 != 3 || v6 != 2 {
		t.Fatalf("conntrack -L expect: %d IPv4 and %d IPv6 expectations, want 3 and 2", v4, v6)
	}
	agreeExpectWithTool(t, c, ns)
	if err := c.FlushExpect(ctx, unix.AF_INET6); err != nil {
		t.Fatal(err)
	}
	if v4, v6 := count("ipv4"), count("ipv6"); v4 != 3 || v6 != 0 {
		t.Errorf("after FlushExpect(AF_INET6): %d IPv4 and %d IPv6, want 3 and 0", v4, v6)
	}
	if err := c.DeleteExpectHelper(ctx, "sip"); err != nil {
		t.Fatal(err)
	}
	if v4 := count("ipv4"); v4 != 3 {
		t.Errorf("after DeleteExpectHelper(sip): %d IPv4, want 3", v4)
	}
	if err := c.DeleteExpectHelper(ctx, "ftp"); err != nil {
		t.Fatal(err)
	}
	if v4 := count("ipv4"); v4 != 0 {
		t.Errorf("after DeleteExpectHelper(ftp): %d IPv4, want 0", v4)
	}
	if err := c.Flush(ctx, 0); err != nil {
		t.Fatal(err)
	}
	helperMasters(t, c, 2, 2)
	if err := c.FlushExpect(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if v4, v6 := count("ipv4"), count("ipv6"); v4 != 0 || v6 != 0 {
		t.Errorf("after FlushExpect(0): %d IPv4 and %d IPv6, want none", v4, v6)
	}
	// And what conntrack -F expect empties is empty for ListExpect.
	if err := c.Flush(ctx, 0); err != nil {
		t.Fatal(err)
	}
	helperMasters(t, c, 1, 1)
	ns.Run(t, "conntrack", "-F", "expect")
	if l, err := c.ListExpect(ctx, nil); err != nil || len(l) != 0 {
		t.Errorf("ListExpect after conntrack -F expect: %d, %v; want none", len(l), err)
	}
}

// TestIntegrationExpectDumpDoesNotAllocatePerExpectation dumps 20
// expectations and then 400 (several datagrams) and checks that
// DumpExpect allocates the same per call for both, within one.
func TestIntegrationExpectDumpDoesNotAllocatePerExpectation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, ftpRuleset)
	allocs := func(want int) float64 {
		return testing.AllocsPerRun(5, func() {
			n := 0
			for _, err := range c.DumpExpect(ctx, nil) {
				if err != nil {
					panic(err)
				}
				n++
			}
			if n != want {
				panic("expectations: " + strconv.Itoa(n))
			}
		})
	}
	helperMasters(t, c, 20, 0)
	small := allocs(20)
	if err := c.Flush(ctx, 0); err != nil { // the masters, and their expectations with them
		t.Fatal(err)
	}
	helperMasters(t, c, 300, 100)
	big := allocs(400)
	// NB: one allocation of slack. A fresh clone's CI run (go test ./...,
	// packages side by side) once saw 5 against 4, which no rerun here
	// repeats; an allocation per expectation would add hundreds.
	if big > small+1 {
		t.Fatalf("DumpExpect of 400 expectations: %v allocations, of 20: %v; want no growth with the expectations", big, small)
	}
}

// TestIntegrationExpectFlushFamilyInAZone runs the FTP fixture in zone 5
// and flushes the IPv4 expectations: the expectation is gone, as
// conntrack -L expect shows, though the kernel reports no zone for it
// and finds it by tuple only in its master's zone.
func TestIntegrationExpectFlushFamilyInAZone(t *testing.T) {
	c, ns := dial(t)
	loadRuleset(t, ns, ftpZoneRuleset)
	ftpSession(t, ns)
	if exps := agreeExpectWithTool(t, c, ns); len(exps) != 1 {
		t.Fatalf("%d expectations, want 1", len(exps))
	}
	if err := c.FlushExpect(testCtx(t), unix.AF_INET); err != nil {
		t.Fatal(err)
	}
	if tool := expectTool(t, ns); len(tool) != 0 {
		t.Errorf("conntrack -L expect after FlushExpect(AF_INET): %+v, want none", tool)
	}
}
