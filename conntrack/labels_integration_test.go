package conntrack

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"golang.org/x/sys/unix"
)

// labelsRuleset is an nftables ruleset whose only job is to use ct labels:
// loading a rule that sets a label makes the kernel allocate the labels
// extension for the namespace's entries (nf_connlabels_get), which it
// otherwise leaves out, dropping CTA_LABELS silently. No traffic flows in
// the tests, so the rule never runs.
const labelsRuleset = `table inet nlengine_labels {
	chain out {
		type filter hook output priority 0; policy accept;
		ct label set 127
	}
}
`

// dialLabels makes a namespace whose ruleset uses ct labels (nft, skipped
// or failed as netnstest.Run does when nft is missing) and a Conn in it.
func dialLabels(t *testing.T) (*Conn, *netnstest.NS) {
	t.Helper()
	c, ns := dial(t)
	file := filepath.Join(t.TempDir(), "labels.nft")
	if err := os.WriteFile(file, []byte(labelsRuleset), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.Run(t, "nft", "-f", file)
	return c, ns
}

// labelName is the name connlabel.conf gives bit i in these tests.
func labelName(i int) string { return "b" + strconv.Itoa(i) }

// labelNames renders l as conntrack -o labels prints it: the names of the
// set bits, lowest first, joined by commas; "" for none.
func labelNames(l Labels) string {
	var names []string
	for i := range 128 {
		if l.Has(i) {
			names = append(names, labelName(i))
		}
	}
	return strings.Join(names, ",")
}

// withLabelNames runs fn (on an NS.Do thread) in a private mount namespace
// where /etc/xtables/connlabel.conf names every bit i "b<i>", so that
// conntrack, which reads label names from that fixed path only (the library
// has no other search path), prints and parses labels. The file lives on a
// tmpfs under an overlay of /etc seen by this thread and the processes it
// starts only: the host's /etc is not touched.
func withLabelNames(dir string, fn func() error) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	// NB: private first, so that no mount below propagates to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("nlengine-labels", dir, "tmpfs", 0, "size=64k"); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	if err := os.MkdirAll(filepath.Join(upper, "xtables"), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(work, 0o755); err != nil {
		return err
	}
	var conf strings.Builder
	for i := range 128 {
		fmt.Fprintf(&conf, "%d %s\n", i, labelName(i))
	}
	if err := os.WriteFile(filepath.Join(upper, "xtables", "connlabel.conf"), []byte(conf.String()), 0o644); err != nil {
		return err
	}
	opts := "lowerdir=/etc,upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", "/etc", "overlay", 0, opts); err != nil {
		return fmt.Errorf("overlay /etc: %w", err)
	}
	return fn()
}

// conntrackCmd returns a command for the conntrack tool, skipping t (or
// failing it under NLTEST_REQUIRE_NETNS=1) when it is not installed.
func conntrackCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	path, err := exec.LookPath("conntrack")
	if err != nil {
		if netnstest.Require() {
			t.Fatalf("conntrack is not installed: %v (NLTEST_REQUIRE_NETNS=1 forbids skipping)", err)
		}
		t.Skipf("conntrack is not installed: %v", err)
	}
	return exec.Command(path, args...)
}

// runLabelTool runs conntrack with args inside ns, with label names, and
// returns its standard output.
func runLabelTool(t *testing.T, ns *netnstest.NS, args ...string) []byte {
	t.Helper()
	cmd := conntrackCmd(t, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := ns.Do(func() error { return withLabelNames(t.TempDir(), cmd.Run) }); err != nil {
		t.Fatalf("conntrack %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// labelFixtures are flows with labels at the awkward bits: the first and
// last, both sides of a 32- and a 64-bit word, all 128, none.
func labelFixtures() []Flow {
	all := Labels{}
	for i := range 128 {
		all = all.Set(i)
	}
	return []Flow{
		{Orig: Tuple{Src: addr("10.1.0.1"), Dst: addr("10.1.0.2"), Proto: ProtoTCP, SrcPort: 40000, DstPort: 443},
			Timeout: 300, TCP: TCPInfo{State: TCPEstablished}, Labels: Labels{}.Set(0)},
		{Orig: Tuple{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Proto: ProtoUDP, SrcPort: 53, DstPort: 5353},
			Timeout: 120, Mark: 7, Labels: Labels{}.Set(1).Set(127)},
		{Orig: Tuple{Src: addr("192.0.2.1"), Dst: addr("192.0.2.2"), Proto: ProtoICMP, ICMPID: 9, ICMPType: 8},
			Timeout: 30, Zone: 4, Labels: Labels{}.Set(31).Set(32).Set(63).Set(64)},
		{Orig: Tuple{Src: addr("fe80::1"), Dst: addr("ff02::1"), Proto: ProtoICMPv6, ICMPID: 7, ICMPType: 128},
			Timeout: 30, Labels: all},
		{Orig: Tuple{Src: addr("10.2.0.1"), Dst: addr("10.2.0.2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2},
			Timeout: 60},
	}
}

// agreeOnLabels checks that Get returns want's labels for each flow of want
// and that conntrack -L -o extended,labels,id agrees with List on every
// field, labels by name included; it returns how many flows carry labels.
func agreeOnLabels(t *testing.T, c *Conn, ns *netnstest.NS, want []Flow) int {
	t.Helper()
	for i := range want {
		var got Flow
		if err := c.Get(testCtx(t), want[i].Orig, want[i].Zone, &got); err != nil {
			t.Fatal(err)
		}
		if got.Labels != want[i].Labels || (got.Has&FieldLabels != 0) == want[i].Labels.IsZero() {
			t.Errorf("Get %v: labels %s (has %v), want %s", got.Orig, labelNames(got.Labels), got.Has&FieldLabels != 0, labelNames(want[i].Labels))
		}
	}
	out := runLabelTool(t, ns, "-L", "-o", "extended,labels,id")
	agreeWithTool(t, c, out)
	tool := parseExtended(t, out)
	flows, err := c.List(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	labelled := 0
	for i := range flows {
		id := strconv.FormatUint(uint64(flows[i].ID), 10)
		if tf := tool[id]; tf != nil && tf.kv["labels"] != labelNames(flows[i].Labels) {
			t.Errorf("id %s %v: labels %q, conntrack %q", id, flows[i].Orig, labelNames(flows[i].Labels), tf.kv["labels"])
		}
		if !flows[i].Labels.IsZero() {
			labelled++
		}
	}
	return labelled
}

// TestIntegrationLabelsAgreeWithConntrackTool writes labels with Create
// and Update (replacing a set, clearing one, labelling an unlabelled flow)
// and checks after each that Get decodes what was written and that
// conntrack -L -o extended,labels names the same bits for every flow.
func TestIntegrationLabelsAgreeWithConntrackTool(t *testing.T) {
	c, ns := dialLabels(t)
	flows := labelFixtures()
	for i := range flows {
		if err := c.Create(testCtx(t), &flows[i]); err != nil {
			t.Fatalf("Create %v: %v", flows[i].Orig, err)
		}
	}
	if n := agreeOnLabels(t, c, ns, flows); n != 4 {
		t.Errorf("after Create: %d labelled flows, want 4", n)
	}
	flows[1].Labels = Labels{}.Set(2)
	flows[3].Labels = Labels{}
	flows[4].Labels = Labels{}.Set(100)
	for _, i := range []int{1, 3, 4} {
		if err := c.Update(testCtx(t), &flows[i], FieldLabels); err != nil {
			t.Fatalf("Update %v: %v", flows[i].Orig, err)
		}
	}
	if n := agreeOnLabels(t, c, ns, flows); n != 4 {
		t.Errorf("after Update: %d labelled flows, want 4", n)
	}
	// A write the tool makes is what List decodes.
	runLabelTool(t, ns, "-U", "-s", "10.2.0.1", "--label-add", labelName(5))
	flows[4].Labels = flows[4].Labels.Set(5)
	agreeOnLabels(t, c, ns, flows)
}

// TestIntegrationLabelsNeedARuleset documents the kernel's rule that
// Create's doc states: without a ruleset that uses ct labels, CTA_LABELS is
// accepted and dropped.
func TestIntegrationLabelsNeedARuleset(t *testing.T) {
	c, _ := dial(t)
	f := labelFixtures()[1]
	if err := c.Create(testCtx(t), &f); err != nil {
		t.Fatal(err)
	}
	var got Flow
	if err := c.Get(testCtx(t), f.Orig, f.Zone, &got); err != nil {
		t.Fatal(err)
	}
	if got.Has&FieldLabels != 0 || !got.Labels.IsZero() {
		t.Errorf("Get without a ruleset: labels %s, want none", labelNames(got.Labels))
	}
}

// TestIntegrationLabelEventsAgreeWithConntrackE updates a flow's labels
// while Events and conntrack -E -o labels both listen, and checks that
// both report the same labels on the NEW and each UPDATE event (none once
// cleared).
func TestIntegrationLabelEventsAgreeWithConntrackE(t *testing.T) {
	c, ns := dialLabels(t)
	ctx := testCtx(t)
	l, err := Dial(ctx, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Subscribe(EventNew, EventUpdate); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd := conntrackCmd(t, "-E", "-e", "NEW,UPDATE", "-o", "labels")
	cmd.Stdout = &out
	if err := ns.Do(func() error { return withLabelNames(t.TempDir(), cmd.Start) }); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(200 * time.Millisecond) // let conntrack -E subscribe

	f := Flow{Orig: Tuple{Src: addr("2001:db8::5"), Dst: addr("2001:db8::6"), Proto: ProtoTCP, SrcPort: 5, DstPort: 6},
		Timeout: 60, TCP: TCPInfo{State: TCPSynSent}, Labels: Labels{}.Set(0).Set(64)}
	want := []string{labelNames(f.Labels)}
	if err := c.Create(ctx, &f); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Labels{Labels{}.Set(127), {}} {
		f.Labels = l
		if err := c.Update(ctx, &f, FieldLabels); err != nil {
			t.Fatal(err)
		}
		want = append(want, labelNames(l))
	}
	var got []string
	for ev, err := range l.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, labelNames(ev.Flow.Labels))
		if len(got) == len(want) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Events labels %q, want %q", got, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < len(want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var tool []string
	for _, line := range lines {
		names := ""
		for _, w := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(w, "labels="); ok {
				names = v
			}
		}
		tool = append(tool, names)
	}
	if !slices.Equal(tool, got) {
		t.Errorf("conntrack -E labels %q, Events %q:\n%s", tool, got, out.String())
	}
}
