package conntrack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// mixedTable creates n flows of each family: UDP, TCP and ICMP in turn,
// marks i%4, zones i%3; the TCP flows of odd i are SEEN_REPLY|ASSURED.
func mixedTable(t *testing.T, c *Conn, n int) {
	t.Helper()
	ctx := testCtx(t)
	for i := range n {
		for _, v6 := range []bool{false, true} {
			src, dst := fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), "10.200.0.1"
			if v6 {
				src, dst = fmt.Sprintf("2001:db8::%x", i+1), "2001:db8:ffff::1"
			}
			f := Flow{Orig: Tuple{Src: addr(src), Dst: addr(dst)}, Timeout: 600, Mark: uint32(i % 4), Zone: uint16(i % 3)}
			switch i % 3 {
			case 0:
				f.Orig.Proto, f.Orig.SrcPort, f.Orig.DstPort = ProtoUDP, uint16(1000+i), 53
			case 1:
				f.Orig.Proto, f.Orig.SrcPort, f.Orig.DstPort = ProtoTCP, uint16(1000+i), 80
				f.TCP.State = TCPEstablished
				if i%2 == 1 {
					f.Status = StatusSeenReply | StatusAssured
				}
			case 2:
				f.Orig.Proto, f.Orig.ICMPID, f.Orig.ICMPType = ProtoICMP, uint16(i), 8
				if v6 {
					f.Orig.Proto, f.Orig.ICMPType = ProtoICMPv6, 128
				}
			}
			if err := c.Create(ctx, &f); err != nil {
				t.Fatalf("Create %v: %v", f.Orig, err)
			}
		}
	}
}

// ids returns the sorted ids of the flows of a dump with flt, and fails t
// on an error.
func dumpIDs(t *testing.T, c *Conn, flt *Filter) []uint32 {
	t.Helper()
	var ids []uint32
	for f, err := range c.Dump(testCtx(t), flt) {
		if err != nil {
			t.Fatalf("Dump(%+v): %v", flt, err)
		}
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestIntegrationFiltersKernelAndUserSpaceAgree runs each filter twice:
// with the kernel filtering (as far as it can) and with the kernel told
// nothing and every entry checked in user space. Both must select exactly
// the entries that Match selects from a full dump, and the kernel must
// send fewer entries when it filters by mark.
func TestIntegrationFiltersKernelAndUserSpaceAgree(t *testing.T) {
	c, _ := dial(t)
	mixedTable(t, c, 30)
	all, err := c.List(testCtx(t), nil)
	if err != nil || len(all) != 60 {
		t.Fatalf("List: %d flows, %v; want 60", len(all), err)
	}
	filters := []Filter{
		{Family: unix.AF_INET},
		{Family: unix.AF_INET6},
		{Mark: 2, MarkMask: 0xff},
		{Mark: 1, MarkMask: 1, Family: unix.AF_INET6},
		{HasZone: true, Zone: 2},
		{HasZone: true, Zone: 0},
		{Proto: ProtoUDP, Family: unix.AF_INET},
		{Proto: ProtoICMP, Family: unix.AF_INET},
		{Proto: ProtoICMPv6, Family: unix.AF_INET6},
		{Proto: ProtoTCP, OrigDstPort: 80, Family: unix.AF_INET6},
		{Proto: ProtoUDP, OrigDst: addr("10.200.0.1"), Family: unix.AF_INET},
		{OrigSrc: addr("10.0.0.5")},
		{Family: unix.AF_INET6, OrigSrc: addr("2001:db8::5")},
		{Family: unix.AF_INET6, Proto: ProtoUDP, OrigDst: addr("2001:db8:ffff::1")},
		{Status: StatusSeenReply, StatusMask: StatusSeenReply},
		{ReplySrc: addr("2001:db8:ffff::1")},
	}
	for _, flt := range filters {
		var want []uint32
		for i := range all {
			if flt.Match(&all[i]) {
				want = append(want, all[i].ID)
			}
		}
		slices.Sort(want)
		if len(want) == 0 || len(want) == len(all) {
			// Such a filter could not tell a filtering dump from one that
			// ignores it.
			t.Errorf("filter %+v selects %d of the %d flows; the fixture must give it some, not all", flt, len(want), len(all))
		}
		if got := dumpIDs(t, c, &flt); !slices.Equal(got, want) {
			t.Errorf("kernel filter %+v: %d ids, want %d", flt, len(got), len(want))
		}
		// User space alone: a request with only the family.
		var user []uint32
		var b nlmsg.Builder
		for v, err := range c.c.Dump(testCtx(t), msgType(nlmsg.IPCTNLMsgCTGet), dumpPayload(&b, &Filter{}, kernelNone), 0) {
			if err != nil {
				t.Fatal(err)
			}
			var f Flow
			if err := f.Decode(v.Payload()); err != nil {
				t.Fatal(err)
			}
			if flt.Match(&f) {
				user = append(user, f.ID)
			}
		}
		b.Release()
		slices.Sort(user)
		if !slices.Equal(user, want) {
			t.Errorf("user-space filter %+v: %d ids, want %d", flt, len(user), len(want))
		}
	}
	// The kernel applies these filters itself: it sends only the matches
	// (the raw dump is not re-checked here).
	for _, k := range []struct {
		flt  Filter
		want int
	}{
		{Filter{Mark: 3, MarkMask: 3}, 14},                             // i%4 == 3: 7 of 30 per family
		{Filter{HasZone: true, Zone: 2}, 20},                           // i%3 == 2
		{Filter{Family: unix.AF_INET, Proto: ProtoUDP}, 10},            // CTA_FILTER: i%3 == 0, IPv4
		{Filter{Family: unix.AF_INET, OrigSrc: addr("10.0.0.5")}, 1},   // CTA_FILTER by address
		{Filter{Status: StatusAssured, StatusMask: StatusAssured}, 10}, // CTA_STATUS: TCP, odd i
	} {
		var b nlmsg.Builder
		sent := 0
		for _, err := range c.c.Dump(testCtx(t), msgType(nlmsg.IPCTNLMsgCTGet), dumpPayload(&b, &k.flt, kernelAll), 0) {
			if err != nil {
				t.Fatalf("kernel filter %+v: %v", k.flt, err)
			}
			sent++
		}
		b.Release()
		if sent != k.want {
			t.Errorf("kernel filter %+v: the kernel sent %d entries, want %d", k.flt, sent, k.want)
		}
	}
}

// TestIntegrationListMatchesDump checks that List's owned copies equal the
// values Dump yields in place, entry by entry.
func TestIntegrationListMatchesDump(t *testing.T) {
	c, _ := dial(t)
	mixedTable(t, c, 5)
	list, err := c.List(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for f, err := range c.Dump(testCtx(t), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(list) || list[i].ID != f.ID || list[i].Orig != f.Orig {
			t.Fatalf("entry %d: Dump %+v, List %+v", i, f.Orig, list[min(i, len(list)-1)].Orig)
		}
		i++
	}
	if i != len(list) || i != 10 {
		t.Fatalf("Dump yielded %d, List %d, want 10", i, len(list))
	}
}

// TestIntegrationWrongFamilyRefused checks that New refuses a Conn of
// another family; nothing can be sent through it.
func TestIntegrationWrongFamilyRefused(t *testing.T) {
	ns := dialNS(t)
	rt, err := engine.Connect(testCtx(t), nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = New(rt)
	var oe *engine.OpError
	var wf *engine.WrongFamilyError
	if !errors.Is(err, ErrWrongFamily) || !errors.Is(err, engine.ErrWrongFamily) || !errors.As(err, &oe) ||
		!errors.As(err, &wf) || wf.Want != nlmsg.FamilyNetfilter || wf.Have != nlmsg.FamilyRoute {
		t.Fatalf("New(route Conn) = %v, want the engine's *OpError for ErrWrongFamily", err)
	}
	if _, err := New(nil); !errors.Is(err, engine.ErrWrongFamily) {
		t.Fatalf("New(nil) = %v, want ErrWrongFamily", err)
	}
	if st := rt.Stats(); st.RequestsSent != 0 {
		t.Fatalf("%d messages were sent on the refused Conn", st.RequestsSent)
	}
}

// entrySeeds dumps c's table unfiltered and returns each entry message's
// payload as the kernel sent it, named prefix+its position, for
// nltest.Seeds.
func entrySeeds(t *testing.T, c *Conn, prefix string) map[string][]any {
	t.Helper()
	var b nlmsg.Builder
	defer b.Release()
	return dumpSeeds(t, c, msgType(nlmsg.IPCTNLMsgCTGet), dumpPayload(&b, nil, kernelNone), prefix)
}

// dumpSeeds runs the dump request typ with payload and returns each
// message's payload as the kernel sent it, named prefix+its position.
func dumpSeeds(t *testing.T, c *Conn, typ nlmsg.Type, payload []byte, prefix string) map[string][]any {
	t.Helper()
	seeds := map[string][]any{}
	for v, err := range c.c.Dump(testCtx(t), typ, payload, 0) {
		if err != nil {
			t.Fatal(err)
		}
		seeds[prefix+strconv.Itoa(len(seeds))] = []any{append([]byte(nil), v.Payload()...)}
	}
	return seeds
}

// TestIntegrationCorpus decodes every entry message of a mixed table as
// the kernel sent it, and keeps them as the FuzzFlowDecode corpus (see
// nltest.Seeds: -args -update-corpus writes them).
func TestIntegrationCorpus(t *testing.T) {
	c, _ := dial(t)
	mixedTable(t, c, 3)
	for _, f := range fixtures() {
		if err := c.Create(testCtx(t), &f); err != nil {
			t.Fatal(err)
		}
	}
	seeds := entrySeeds(t, c, "")
	for name, seed := range seeds {
		var f Flow
		if err := f.Decode(seed[0].([]byte)); err != nil {
			t.Fatalf("entry %s: %v", name, err)
		}
	}
	if want := 6 + len(fixtures()); len(seeds) != want {
		t.Fatalf("%d entries, want %d", len(seeds), want)
	}
	nltest.Seeds(t, "FuzzFlowDecode", seeds)
}

// TestIntegrationDumpDoesNotAllocatePerEntry dumps a table of 20 entries
// and one of 2 000 (several datagrams) and checks that Dump allocates the
// same per call for both: nothing per entry.
func TestIntegrationDumpDoesNotAllocatePerEntry(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, _ := dial(t)
	ctx := testCtx(t)
	allocs := func() float64 {
		return testing.AllocsPerRun(5, func() {
			for _, err := range c.Dump(ctx, nil) {
				if err != nil {
					panic(err)
				}
			}
		})
	}
	flows := make([]Flow, 2000)
	for i := range flows {
		flows[i] = Flow{Orig: Tuple{Src: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), Dst: addr("10.2.0.1"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: 600}
	}
	if _, err := c.CreateFlows(ctx, flows[:20]); err != nil {
		t.Fatal(err)
	}
	small := allocs()
	if _, err := c.CreateFlows(ctx, flows[20:]); err != nil {
		t.Fatal(err)
	}
	big := allocs()
	if big > small {
		t.Fatalf("Dump of 2 000 entries: %v allocations, of 20: %v; want no growth with the entries", big, small)
	}
}

// trackRuleset is a ruleset whose only job is to use conntrack, which
// makes the kernel track the namespace's packets (it registers its hooks
// in a namespace only when something there needs them).
const trackRuleset = `table inet nlengine_track {
	chain out {
		type filter hook output priority 0; policy accept;
		ct state new accept
	}
}
`

// udpTraffic sends, inside ns, n datagrams from each of ports to an echo
// server on 127.0.0.1:port and reads each echo, so that each client's
// entry counts n packets each way. The sockets are closed on return.
func udpTraffic(t *testing.T, ns *netnstest.NS, server int, ports []int, n int) {
	t.Helper()
	err := ns.Do(func() error {
		srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server})
		if err != nil {
			return err
		}
		defer srv.Close()
		buf := make([]byte, 64)
		for _, p := range ports {
			cl, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}, srv.LocalAddr().(*net.UDPAddr))
			if err != nil {
				return err
			}
			for i := range n {
				if _, err := cl.Write([]byte("ping " + strconv.Itoa(i))); err != nil {
					cl.Close()
					return err
				}
				m, from, err := srv.ReadFromUDP(buf)
				if err != nil {
					cl.Close()
					return err
				}
				if _, err := srv.WriteToUDP(buf[:m], from); err != nil {
					cl.Close()
					return err
				}
				if _, err := cl.Read(buf); err != nil {
					cl.Close()
					return err
				}
			}
			cl.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("UDP traffic: %v", err)
	}
}

// TestIntegrationZeroCountersAgreesWithConntrackTool counts UDP traffic
// with accounting on, then lists with ZeroCounters: the counters returned
// are those conntrack -L -o extended,id showed just before, and afterwards
// the tool shows zero for the entries listed and the old counts for the
// others (a filtered zeroing zeroes what the filter selects, no more);
// and what conntrack -L -z reads and zeroes is what List read before and
// zero after. Filters the kernel cannot apply whole are refused before
// anything is sent.
func TestIntegrationZeroCountersAgreesWithConntrackTool(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, trackRuleset)
	ns.Run(t, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1")
	udpTraffic(t, ns, 7000, []int{7001, 7002, 7003}, 3)
	flows, err := c.List(ctx, nil)
	if err != nil || len(flows) != 3 {
		t.Fatalf("List = %d flows, %v; want 3", len(flows), err)
	}
	for i := range flows[:2] {
		flows[i].Mark = 1
		if err := c.Update(ctx, &flows[i], FieldMark); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(out []byte) map[string][4]string {
		m := map[string][4]string{}
		for id, tf := range parseExtended(t, out) {
			m[id] = [4]string{tf.kv["packets-orig"], tf.kv["bytes-orig"], tf.kv["packets-reply"], tf.kv["bytes-reply"]}
		}
		return m
	}
	ours := func(f *Flow) [4]string {
		u := func(v uint64) string { return strconv.FormatUint(v, 10) }
		return [4]string{u(f.CountersOrig.Packets), u(f.CountersOrig.Bytes), u(f.CountersReply.Packets), u(f.CountersReply.Bytes)}
	}
	zero := [4]string{"0", "0", "0", "0"}
	before := counts(ns.Run(t, "conntrack", "-L", "-o", "extended,id"))

	marked, err := c.List(ctx, &Filter{Mark: 1, MarkMask: 0xff}, ZeroCounters)
	if err != nil || len(marked) != 2 {
		t.Fatalf("zeroing List of mark 1 = %d flows, %v; want 2", len(marked), err)
	}
	zeroed := map[string]bool{}
	for i := range marked {
		id := strconv.FormatUint(uint64(marked[i].ID), 10)
		zeroed[id] = true
		if got := ours(&marked[i]); got != before[id] || got[0] != "3" || got[2] != "3" {
			t.Errorf("id %s: the zeroing dump read %v, conntrack showed %v before; want 3 packets each way", id, got, before[id])
		}
	}
	after := counts(ns.Run(t, "conntrack", "-L", "-o", "extended,id"))
	for id, was := range before {
		want := was
		if zeroed[id] {
			want = zero
		}
		if after[id] != want {
			t.Errorf("id %s: conntrack shows %v after the zeroing dump of mark 1, want %v", id, after[id], want)
		}
	}

	all, err := c.List(ctx, nil, ZeroCounters)
	if err != nil || len(all) != 3 {
		t.Fatalf("zeroing List = %d flows, %v; want 3", len(all), err)
	}
	for i := range all {
		id := strconv.FormatUint(uint64(all[i].ID), 10)
		if got := ours(&all[i]); got != after[id] {
			t.Errorf("id %s: the second zeroing dump read %v, conntrack showed %v", id, got, after[id])
		}
	}
	for id, now := range counts(ns.Run(t, "conntrack", "-L", "-o", "extended,id")) {
		if now != zero {
			t.Errorf("id %s: conntrack shows %v after the zeroing dump of all, want zero", id, now)
		}
	}

	// The other way round: what conntrack -L -z reads is what List read
	// just before, and List reads zero after it.
	udpTraffic(t, ns, 7000, []int{7001, 7002, 7003}, 2)
	read, err := c.List(ctx, nil)
	if err != nil || len(read) != 3 {
		t.Fatalf("List = %d flows, %v; want 3", len(read), err)
	}
	tool := counts(ns.Run(t, "conntrack", "-L", "-z", "-o", "extended,id"))
	for i := range read {
		id := strconv.FormatUint(uint64(read[i].ID), 10)
		if got := ours(&read[i]); got != tool[id] || got[0] != "2" {
			t.Errorf("id %s: List read %v, then conntrack -L -z %v; want 2 packets each way in both", id, got, tool[id])
		}
	}
	if read, err = c.List(ctx, nil); err != nil || len(read) != 3 {
		t.Fatalf("List = %d flows, %v; want 3", len(read), err)
	}
	for i := range read {
		if got := ours(&read[i]); got != zero {
			t.Errorf("id %d: List reads %v after conntrack -L -z, want zero", read[i].ID, got)
		}
	}

	sent := c.Engine().Stats().RequestsSent
	for _, flt := range []Filter{{ReplySrc: addr("127.0.0.1")}, {Family: unix.AF_INET6, OrigSrc: addr("::1")}, {HasZone: true}, {Proto: ProtoUDP, OrigDstPort: 7000}} {
		if _, err := c.List(ctx, &flt, ZeroCounters); !errors.Is(err, ErrZeroFilter) {
			t.Errorf("zeroing List(%+v) = %v, want ErrZeroFilter", flt, err)
		}
	}
	if now := c.Engine().Stats().RequestsSent; now != sent {
		t.Errorf("the refused zeroing dumps sent %d requests", now-sent)
	}
}

// zoneRuleset puts the UDP clients of port 7001 in zone 5 both ways and
// those of port 7002 in zone 5 in their original direction only.
const zoneRuleset = `table inet nlengine_zone {
	chain out {
		type filter hook output priority raw; policy accept;
		udp sport 7001 ct zone set 5
		udp sport 7002 ct original zone set 5
	}
}
`

// TestIntegrationZeroCountersZoneSparesDirectionalZones counts traffic of
// an entry in zone 5, one whose original direction alone is in zone 5 and
// one in no zone, then lists zone 5 with ZeroCounters: the list is what
// conntrack -L -w 5 lists (the entry in zone 5 both ways), and afterwards
// conntrack shows the others' counters unchanged, whatever the kernel's
// zone filter (which compares the zone's id in any direction) would have
// sent.
func TestIntegrationZeroCountersZoneSparesDirectionalZones(t *testing.T) {
	c, ns := dial(t)
	ctx := testCtx(t)
	loadRuleset(t, ns, trackRuleset)
	loadRuleset(t, ns, zoneRuleset)
	ns.Run(t, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1")
	udpTraffic(t, ns, 7000, []int{7001, 7002, 7003}, 3)
	tool := parseExtended(t, ns.Run(t, "conntrack", "-L", "-w", "5", "-o", "extended,id"))
	if len(tool) != 1 {
		t.Fatalf("conntrack -L -w 5 lists %d entries, want 1", len(tool))
	}
	flt := &Filter{HasZone: true, Zone: 5}
	plain, err := c.List(ctx, flt)
	if err != nil || len(plain) != 1 || tool[strconv.FormatUint(uint64(plain[0].ID), 10)] == nil {
		t.Fatalf("List of zone 5 = %d flows, %v; want conntrack -L -w 5's one", len(plain), err)
	}
	before := parseExtended(t, ns.Run(t, "conntrack", "-L", "-o", "extended,id"))
	zeroed, err := c.List(ctx, flt, ZeroCounters)
	if err == nil && (len(zeroed) != 1 || zeroed[0].ID != plain[0].ID) {
		t.Errorf("zeroing List of zone 5 = %d flows; want conntrack -L -w 5's one", len(zeroed))
	} else if err != nil && !errors.Is(err, ErrZeroFilter) {
		t.Fatalf("zeroing List of zone 5: %v", err)
	}
	for id, tf := range parseExtended(t, ns.Run(t, "conntrack", "-L", "-o", "extended,id")) {
		if id == strconv.FormatUint(uint64(plain[0].ID), 10) {
			continue
		}
		if was, now := before[id].kv["packets-orig"], tf.kv["packets-orig"]; was != now || now == "0" {
			t.Errorf("id %s: packets-orig %s after the zeroing dump of zone 5, %s before; it is not in zone 5", id, now, was)
		}
	}
}
