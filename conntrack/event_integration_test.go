package conntrack

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
)

// lockedBuffer is a bytes.Buffer safe for a writer process and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// toolLines waits up to 5 s for a listening tool to have printed n lines
// into out, and returns the lines it printed.
func toolLines(out *lockedBuffer, n int) []string {
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

// TestIntegrationEventsAgreeWithConntrackE creates, updates and deletes
// flows while Events and conntrack -E both listen, and checks that both
// saw the same events, in the same order, with the same tuples.
func TestIntegrationEventsAgreeWithConntrackE(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	l, err := Dial(ctx, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Subscribe(); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd := conntrackCmd(t, "-E", "-o", "id")
	cmd.Stdout = &out
	if err := ns.Do(cmd.Start); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(200 * time.Millisecond) // let conntrack -E subscribe

	flows := []Flow{
		{Orig: Tuple{Src: addr("10.3.0.1"), Dst: addr("10.3.0.2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 60},
		{Orig: Tuple{Src: addr("2001:db8::3"), Dst: addr("2001:db8::4"), Proto: ProtoTCP, SrcPort: 3, DstPort: 4}, Timeout: 60, TCP: TCPInfo{State: TCPSynSent}},
	}
	for i := range flows {
		if err := c.Create(ctx, &flows[i]); err != nil {
			t.Fatal(err)
		}
	}
	flows[0].Mark = 9
	if err := c.Update(ctx, &flows[0], FieldMark); err != nil {
		t.Fatal(err)
	}
	for i := range flows {
		if err := c.Delete(ctx, &flows[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		typ EventType
		src string
	}{{EventNew, "10.3.0.1"}, {EventNew, "2001:db8::3"}, {EventUpdate, "10.3.0.1"}, {EventDestroy, "10.3.0.1"}, {EventDestroy, "2001:db8::3"}}
	var got []string
	i := 0
	for ev, err := range l.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != want[i].typ || ev.Flow.Orig.Src.String() != want[i].src {
			t.Errorf("event %d: %v %v, want %v %s", i, ev.Type, ev.Flow.Orig.Src, want[i].typ, want[i].src)
		}
		if i == 2 && ev.Flow.Mark != 9 {
			t.Errorf("update event: mark %d, want 9", ev.Flow.Mark)
		}
		got = append(got, "["+ev.Type.String()+"] src="+ev.Flow.Orig.Src.String())
		if i++; i == len(want) {
			break
		}
	}
	lines := toolLines(&out, len(want))
	if len(lines) != len(want) {
		t.Fatalf("conntrack -E printed %d events, Events %d:\n%s", len(lines), len(got), out.String())
	}
	for i, line := range lines {
		fields := strings.Fields(line)
		if fields[0] != "["+want[i].typ.String()+"]" || !strings.Contains(line, " src="+want[i].src+" ") {
			t.Errorf("conntrack -E event %d: %q; Events saw %q", i, line, got[i])
		}
	}
}

// TestIntegrationStatsAgreeWithConntrackS compares StatsCPU with
// conntrack -S and Stats with conntrack -C.
func TestIntegrationStatsAgreeWithConntrackS(t *testing.T) {
	c, ns := dial(t)
	mixedTable(t, c, 3)
	cpus, err := c.StatsCPU(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(string(ns.Run(t, "conntrack", "-S")))
	lines := strings.Split(out, "\n")
	if len(lines) != len(cpus) {
		t.Fatalf("conntrack -S: %d CPUs, StatsCPU %d", len(lines), len(cpus))
	}
	insert := 0
	for i, line := range lines {
		st := cpus[i]
		insert += int(st.Insert)
		for _, kv := range []string{"cpu=" + itoa(int(st.CPU)), "found=" + itoa(int(st.Found)), "invalid=" + itoa(int(st.Invalid)),
			"insert=" + itoa(int(st.Insert)), "insert_failed=" + itoa(int(st.InsertFailed)), "drop=" + itoa(int(st.Drop)), "early_drop=" + itoa(int(st.EarlyDrop)),
			"error=" + itoa(int(st.Error)), "search_restart=" + itoa(int(st.SearchRestart)), "clash_resolve=" + itoa(int(st.ClashResolve)), "chaintoolong=" + itoa(int(st.ChainTooLong))} {
			if !strings.Contains(" "+strings.ReplaceAll(line, "\t", " ")+" ", " "+kv+" ") {
				t.Errorf("conntrack -S line %q lacks %s", line, kv)
			}
		}
	}
	if insert != 6 {
		t.Errorf("inserts over all CPUs: %d, want 6", insert)
	}
	g, err := c.Stats(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if count := strings.TrimSpace(string(ns.Run(t, "conntrack", "-C"))); count != itoa(int(g.Entries)) || g.Entries != 6 || g.MaxEntries == 0 {
		t.Errorf("Stats = %+v, conntrack -C %s, want 6 entries", g, count)
	}
}

// TestIntegrationEventsReportOverrunAndGoOn lets a listener with a tiny
// receive buffer fall behind a burst of creates: Events yields an
// EventOverrun whose Err is ENOBUFS, with no Flow, and goes on to yield the
// NEW event of an entry created after it.
func TestIntegrationEventsReportOverrunAndGoOn(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	l, err := Dial(ctx, engine.WithNetNSFD(ns.FD()), engine.WithReceiveBuffer(16<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Subscribe(EventNew); err != nil {
		t.Fatal(err)
	}
	flows := make([]Flow, 2000)
	for i := range flows {
		flows[i] = Flow{Orig: Tuple{Src: netip.AddrFrom4([4]byte{10, 8, byte(i >> 8), byte(i)}), Dst: addr("10.9.0.1"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 60}
	}
	if _, err := c.CreateFlows(ctx, flows); err != nil {
		t.Fatal(err)
	}
	last := Flow{Orig: Tuple{Src: addr("10.9.9.9"), Dst: addr("10.9.0.1"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 60}
	overruns, before := 0, 0
	for ev, err := range l.Events(ctx) {
		if err != nil {
			t.Fatalf("after %d events and %d overruns: %v", before, overruns, err)
		}
		if ev.Type == EventOverrun {
			if !errors.Is(ev.Err, unix.ENOBUFS) || ev.Flow.Orig.Src.IsValid() {
				t.Errorf("overrun event: Err %v, Flow %+v; want ENOBUFS and no flow", ev.Err, ev.Flow.Orig)
			}
			if overruns++; overruns == 1 {
				if err := c.Create(ctx, &last); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		if ev.Type == EventNew && ev.Flow.Orig == last.Orig {
			break
		}
		before++
	}
	if overruns == 0 || before >= len(flows) {
		t.Errorf("%d overruns, %d of %d events before; want a loss reported", overruns, before, len(flows))
	}
}

// TestIntegrationSubscribeRefusesOverrun checks that only the three entry
// event types and the two expectation ones can be subscribed to, and a bad
// one in the list is refused whole.
func TestIntegrationSubscribeRefusesOverrun(t *testing.T) {
	c, _ := dial(t)
	for _, types := range [][]EventType{{EventOverrun}, {EventNew, EventOverrun}, {EventType(0)}, {EventExpectNew, EventType(7)}} {
		if err := c.Subscribe(types...); !errors.Is(err, ErrBadEventType) {
			t.Errorf("Subscribe(%v) = %v, want ErrBadEventType", types, err)
		}
	}
	if err := c.Subscribe(EventNew, EventDestroy); err != nil {
		t.Fatalf("Subscribe(NEW, DESTROY) = %v", err)
	}
	if err := c.Subscribe(EventExpectNew, EventExpectDestroy); err != nil {
		t.Fatalf("Subscribe(EXPECT_NEW, EXPECT_DESTROY) = %v", err)
	}
}

// TestIntegrationExpectEventsAgreeWithConntrackE runs the FTP fixture over
// IPv4 and IPv6, creates an expectation and deletes them all while Events
// (subscribed to the expectation types only) and conntrack -E expect both
// listen, and checks that both saw the same events, in the same order,
// with the same fields; entry events do not reach the listener.
func TestIntegrationExpectEventsAgreeWithConntrackE(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, ftpRuleset)
	l, err := Dial(ctx, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Subscribe(EventExpectNew, EventExpectDestroy); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd := conntrackCmd(t, "-E", "expect")
	cmd.Stdout = &out
	if err := ns.Do(cmd.Start); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(200 * time.Millisecond) // let conntrack -E subscribe

	ftpSession(t, ns)
	ftpSessionOn(t, ns, ftp6)
	m := Flow{Orig: Tuple{Src: addr("10.5.0.1"), Dst: addr("10.5.0.2"), Proto: ProtoTCP, SrcPort: 3000, DstPort: 21}, Timeout: 60, TCP: TCPInfo{State: TCPEstablished}}
	createHelperMaster(t, c, &m, "ftp")
	e := Expect{Master: m.Orig, Tuple: Tuple{Src: m.Orig.Dst, Dst: m.Orig.Src, Proto: ProtoTCP, DstPort: 5000}}
	if err := c.CreateExpect(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if err := c.FlushExpect(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Each expectation's NEW precedes its DESTROY; all three are gone at
	// the end. (The IPv6 session's helper may replace its expectation by
	// an identical one, a DESTROY and a NEW more.)
	type seen struct {
		typ EventType
		e   Expect
	}
	var got []seen
	live := map[string]bool{}
	for ev, err := range l.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !ev.Type.IsExpect() {
			t.Fatalf("event %v of an entry on a listener of expectations", ev.Type)
		}
		got = append(got, seen{ev.Type, ev.Expect})
		k := expectKey(&ev.Expect)
		if ev.Type == EventExpectNew {
			live[k] = true
		} else if !live[k] {
			t.Fatalf("DESTROY of %s before its NEW", k)
		} else {
			delete(live, k)
		}
		if len(live) == 0 && len(got) >= 6 {
			break
		}
	}
	lines := toolLines(&out, len(got))
	if len(lines) != len(got) {
		t.Fatalf("conntrack -E expect printed %d events, Events %d:\n%s", len(lines), len(got), out.String())
	}
	for i, line := range lines {
		te := parseExpectLine(line)
		if te == nil || te.event != got[i].typ.String() {
			t.Errorf("event %d: conntrack %q, Events %v", i, line, got[i].typ)
			continue
		}
		compareExpect(t, &got[i].e, te)
	}
}
