package conntrack

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestIntegrationCreateGetUpdateDelete writes one flow through each call
// and checks with Get and with conntrack -G what the kernel holds.
func TestIntegrationCreateGetUpdateDelete(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	f := Flow{Orig: Tuple{Src: addr("10.5.0.1"), Dst: addr("10.5.0.2"), Proto: ProtoTCP, SrcPort: 1234, DstPort: 80},
		Timeout: 100, TCP: TCPInfo{State: TCPSynSent}, Mark: 5, Zone: 9, Labels: Labels{}.Set(3)}
	if err := c.Create(ctx, &f); err != nil {
		t.Fatal(err)
	}
	// NB: the kernel keeps labels only in a namespace whose ruleset uses ct
	// labels (it then allocates the extension); this one has no ruleset, so
	// CTA_LABELS is accepted and dropped.
	if err := c.Create(ctx, &f); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second Create: %v, want EEXIST", err)
	}
	var got Flow
	if err := c.Get(ctx, f.Orig, f.Zone, &got); err != nil {
		t.Fatal(err)
	}
	if got.Orig != f.Orig || got.Reply != f.Orig.Reverse() || got.Mark != 5 || got.Zone != 9 || got.TCP.State != TCPSynSent {
		t.Fatalf("Get = %+v", got)
	}
	f.Mark, f.Timeout, f.TCP.State, f.Status = 77, 500, TCPEstablished, StatusAssured|StatusSeenReply
	if err := c.Update(ctx, &f, FieldMark|FieldTimeout|FieldTCP|FieldStatus); err != nil {
		t.Fatal(err)
	}
	out := string(ns.Run(t, "conntrack", "-L", "-s", "10.5.0.1", "-d", "10.5.0.2", "-p", "tcp", "--sport", "1234", "--dport", "80"))
	for _, want := range []string{"ESTABLISHED", "mark=77", "zone=9", "[ASSURED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("conntrack -L after Update: %q lacks %q", out, want)
		}
	}
	if err := c.Delete(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, &f); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("second Delete: %v, want ENOENT", err)
	}
	if err := c.Get(ctx, f.Orig, f.Zone, &got); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("Get after Delete: %v, want ENOENT", err)
	}
	if err := c.Create(ctx, &Flow{Timeout: 1}); !errors.Is(err, ErrNoTuple) {
		t.Fatalf("Create without a tuple: %v, want ErrNoTuple", err)
	}
}

// TestIntegrationCreateWithOriginalDirectionZone creates a flow whose zone
// applies to its original direction only, with no reply tuple given: the
// reply is the original reversed, without the zone, as conntrack -I
// --orig-zone writes it, and conntrack -L shows the zone on that side alone.
func TestIntegrationCreateWithOriginalDirectionZone(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	ns.Run(t, "conntrack", "-I", "-s", "10.3.0.1", "-d", "10.3.0.2", "-p", "udp", "--sport", "1", "--dport", "2",
		"-t", "100", "--orig-zone", "5")
	tool, err := c.List(ctx, nil)
	if err != nil || len(tool) != 1 {
		t.Fatalf("List = %d flows, %v; want the one conntrack -I wrote", len(tool), err)
	}
	if r := tool[0].Orig.Reverse(); r != tool[0].Reply {
		t.Errorf("Orig.Reverse() = %+v, the kernel's reply tuple %+v", r, tool[0].Reply)
	}

	f := Flow{Orig: Tuple{Src: addr("10.4.0.1"), Dst: addr("10.4.0.2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2, Zone: 9, HasZone: true},
		Timeout: 100}
	if err := c.Create(ctx, &f); err != nil {
		t.Fatalf("Create with an original-direction zone and no reply tuple: %v", err)
	}
	out := string(ns.Run(t, "conntrack", "-L", "-o", "extended", "-s", "10.4.0.1"))
	if !strings.Contains(out, "zone-orig=9") || strings.Contains(out, "zone-reply") {
		t.Errorf("conntrack -L after Create: %q, want zone-orig=9 and no reply zone", out)
	}
}

// TestIntegrationBulkDeleteOutcomes deletes by filter through Batch and
// checks the per-flow outcomes: every UDP flow to one service address goes,
// the rest stays (as conntrack -L shows), and deleting flows already gone
// reports ENOENT for each.
func TestIntegrationBulkDeleteOutcomes(t *testing.T) {
	c, ns := dial(t)
	mixedTable(t, c, 30)
	flt := &Filter{Proto: ProtoUDP, OrigDst: addr("10.200.0.1")}
	var outcomes []DeleteOutcome
	n, err := c.DeleteFiltered(testCtx(t), flt, func(o DeleteOutcome) { outcomes = append(outcomes, o) })
	if err != nil || n != 10 || len(outcomes) != 10 {
		t.Fatalf("DeleteFiltered = %d, %v, %d outcomes; want 10 deleted", n, err, len(outcomes))
	}
	for _, o := range outcomes {
		if o.Err != nil || o.Orig.Proto != ProtoUDP || o.Orig.Dst != addr("10.200.0.1") {
			t.Errorf("outcome %+v", o)
		}
	}
	left := strings.Count(string(ns.Run(t, "conntrack", "-L")), "\n")
	if left != 50 {
		t.Errorf("conntrack -L shows %d flows after the bulk delete, want 50", left)
	}
	gone := []Flow{{Orig: outcomes[0].Orig, Zone: outcomes[0].Zone}, {Orig: outcomes[1].Orig, Zone: outcomes[1].Zone}}
	rest, err := c.List(testCtx(t), &Filter{Family: unix.AF_INET6, Proto: ProtoTCP})
	if err != nil || len(rest) != 10 {
		t.Fatalf("List: %d, %v", len(rest), err)
	}
	res, err := c.DeleteFlows(testCtx(t), append(gone, rest...))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res {
		if i < 2 && !errors.Is(e, unix.ENOENT) || i >= 2 && e != nil {
			t.Errorf("outcome %d: %v", i, e)
		}
	}
	// CreateFlows puts two back and reports the one that exists.
	again := []Flow{{Orig: outcomes[0].Orig, Zone: outcomes[0].Zone, Timeout: 60}, {Orig: outcomes[1].Orig, Zone: outcomes[1].Zone, Timeout: 60}, rest[0]}
	again[2].Timeout = 60
	if _, err := c.CreateFlows(testCtx(t), again[2:]); err != nil {
		t.Fatal(err)
	}
	res, err = c.CreateFlows(testCtx(t), again)
	if err != nil || res[0] != nil || res[1] != nil || !errors.Is(res[2], unix.EEXIST) {
		t.Fatalf("CreateFlows = %v, %v; want nil, nil, EEXIST", res, err)
	}
	if res, err := c.DeleteFlows(testCtx(t), again); err != nil || res[0] != nil || res[2] != nil {
		t.Fatalf("DeleteFlows = %v, %v", res, err)
	}
	if err := c.Flush(testCtx(t), unix.AF_INET6); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.List(testCtx(t), nil); len(all) != 20 {
		t.Errorf("after Flush(AF_INET6): %d flows, want the 20 IPv4 ones", len(all))
	}
	if err := c.Flush(testCtx(t), 0); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.List(testCtx(t), nil); len(all) != 0 {
		t.Errorf("after Flush(0): %d flows", len(all))
	}
}

// TestIntegrationBulkWritesCheckEveryTupleFirst gives CreateFlows and
// DeleteFlows more than one Batch of flows with a bad one last: both
// refuse with ErrNoTuple and send nothing, not even the first Batch.
func TestIntegrationBulkWritesCheckEveryTupleFirst(t *testing.T) {
	c, _ := dial(t)
	ctx := testCtx(t)
	flows := make([]Flow, batchChunk+1)
	for i := range batchChunk {
		flows[i] = Flow{Orig: Tuple{Src: netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), Dst: addr("10.9.255.1"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 60}
	}
	flows[batchChunk] = Flow{Orig: Tuple{Src: addr("10.9.255.2"), Dst: addr("2001:db8::1")}, Timeout: 60} // mixed families
	before := c.Engine().Stats()
	if _, err := c.CreateFlows(ctx, flows); !errors.Is(err, ErrNoTuple) {
		t.Errorf("CreateFlows with a bad last flow: %v, want ErrNoTuple", err)
	}
	if _, err := c.DeleteFlows(ctx, flows); !errors.Is(err, ErrNoTuple) {
		t.Errorf("DeleteFlows with a bad last flow: %v, want ErrNoTuple", err)
	}
	if after := c.Engine().Stats(); after.RequestsSent != before.RequestsSent {
		t.Fatalf("the refused calls sent %d requests", after.RequestsSent-before.RequestsSent)
	}
	if st, err := c.Stats(ctx); err != nil || st.Entries != 0 {
		t.Fatalf("table has %d entries (%v) after the refused CreateFlows, want 0", st.Entries, err)
	}
}

// TestIntegrationDeleteFilteredSparesAReplacedEntry replaces a selected
// entry between DeleteFiltered's dump and its deletes by a new one with the
// same tuple that the filter does not select: the new entry stays (as
// conntrack -L shows), its outcome is ENOENT, and the other selected entry
// goes.
func TestIntegrationDeleteFilteredSparesAReplacedEntry(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	old := Flow{Orig: Tuple{Src: addr("10.7.0.1"), Dst: addr("10.7.0.2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 60, Mark: 1}
	other := old
	other.Orig.SrcPort = 3
	for _, f := range []*Flow{&old, &other} {
		if err := c.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	flt := &Filter{Mark: 1, MarkMask: 0xff}
	keys, err := c.deleteKeys(ctx, flt)
	if err != nil || len(keys) != 2 {
		t.Fatalf("deleteKeys = %d keys, %v; want 2", len(keys), err)
	}
	var was Flow
	if err := c.Get(ctx, old.Orig, 0, &was); err != nil {
		t.Fatal(err)
	}
	// The replacement: same tuple, a mark the filter does not select, and
	// another id (a freed entry's memory may come back with its id, so the
	// first tries fill it with other entries).
	repl := old
	repl.Mark = 2
	var now Flow
	for try := 0; ; try++ {
		if err := c.Delete(ctx, &old); err != nil {
			t.Fatal(err)
		}
		filler := Flow{Orig: Tuple{Src: addr("10.7.1.1"), Dst: addr("10.7.1.2"), Proto: ProtoUDP, SrcPort: uint16(try), DstPort: 9}, Timeout: 60}
		if err := c.Create(ctx, &filler); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, &repl); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, old.Orig, 0, &now); err != nil {
			t.Fatal(err)
		}
		if now.ID != was.ID {
			break
		}
		if try == 10 {
			t.Fatalf("the replacement kept the id %d in 10 tries", was.ID)
		}
	}
	got := map[uint16]error{}
	n, err := c.deleteByKeys(ctx, keys, func(o DeleteOutcome) { got[o.Orig.SrcPort] = o.Err })
	if err != nil || n != 1 || !errors.Is(got[1], unix.ENOENT) || got[3] != nil {
		t.Errorf("deletes = %d, %v, outcomes %v; want 1 deleted, ENOENT for the replaced entry", n, err, got)
	}
	out := string(ns.Run(t, "conntrack", "-L", "-s", "10.7.0.1"))
	if !strings.Contains(out, "sport=1 ") || !strings.Contains(out, "mark=2") || strings.Contains(out, "sport=3 ") {
		t.Errorf("conntrack -L after the deletes:\n%s\nwant the replacement (mark=2) only", out)
	}
}
