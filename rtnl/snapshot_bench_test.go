package rtnl

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// The Snapshot benchmarks read issue 11's full state: 100 000 IPv4 and
// 20 000 IPv6 routes, 1 000 links, 2 000 addresses, 5 000 neighbours (and
// the default rules). The namespace is built once per test binary. Run:
//
//	go test -run '^$' -bench 'Snapshot' -count 6 ./rtnl/

const (
	snapRoutes4 = 100_000
	snapRoutes6 = 20_000
	snapLinks   = 1_000 // 500 veth pairs, down (no routes of their own)
	snapAddrs   = 2_000 // one IPv4 and one IPv6 address on each link
	snapNeighs  = 5_000 // permanent IPv4 entries, 5 per link
)

// keptTB is a TB whose cleanups run only once every test and benchmark
// has ended (netnstest.AfterRun): the namespace it makes lives as long as
// the test binary, for every benchmark and every -count round.
type keptTB struct{ testing.TB }

func (keptTB) Cleanup(fn func()) { netnstest.AfterRun(fn) }

var snapNS struct {
	sync.Mutex
	ns *netnstest.NS
}

// snapshotBenchNS returns the namespace with the full state, building it on
// first use with raw batches of RTM_NEWLINK, RTM_NEWADDR, RTM_NEWNEIGH and
// RTM_NEWROUTE.
func snapshotBenchNS(b *testing.B) *netnstest.NS {
	snapNS.Lock()
	defer snapNS.Unlock()
	if snapNS.ns != nil {
		return snapNS.ns
	}
	t0 := time.Now()
	ns := netnstest.New(keptTB{b})
	ec, err := engine.Connect(context.Background(), nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		b.Fatal(err)
	}
	defer ec.Close()
	batch := func(ops []engine.Op) {
		if err := ec.Batch(context.Background(), ops); err != nil {
			b.Fatal(err)
		}
	}
	ops := make([]engine.Op, 0, snapLinks/2)
	for i := range snapLinks / 2 {
		peer := nlmsg.IfInfoMsg{}.AppendTo(nil)
		peer = appendStringAttr(peer, nlmsg.IFLAIfName, fmt.Sprintf("sb%d", i))
		data := appendAttr(nil, nlmsg.VETHInfoPeer, peer)
		info := appendStringAttr(nil, nlmsg.IFLAInfoKind, "veth")
		info = appendAttr(info, nlmsg.IFLAInfoData, data)
		p := nlmsg.IfInfoMsg{}.AppendTo(nil)
		p = appendStringAttr(p, nlmsg.IFLAIfName, fmt.Sprintf("sa%d", i))
		p = appendAttr(p, nlmsg.IFLALinkInfo, info)
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewLink, Flags: nlmsg.Create | nlmsg.Excl, Payload: p})
	}
	batch(ops)
	var index []uint32
	for m, err := range ec.Dump(context.Background(), nlmsg.RTMGetLink, nlmsg.IfInfoMsg{}.AppendTo(nil), 0) {
		if err != nil {
			b.Fatal(err)
		}
		if i := int32(binary.NativeEndian.Uint32(m.Payload()[4:])); i != 1 {
			index = append(index, uint32(i))
		}
	}
	if len(index) != snapLinks {
		b.Fatalf("%d links made, want %d", len(index), snapLinks)
	}
	ops = ops[:0]
	for i, ix := range index {
		a4 := netip.AddrFrom4([4]byte{172, 16 + byte(i>>8), byte(i), 1})
		p := nlmsg.IfAddrMsg{Family: unix.AF_INET, PrefixLen: 24, Index: ix}.AppendTo(nil)
		p = appendAddrAttr(p, nlmsg.IFALocal, a4)
		p = appendAddrAttr(p, nlmsg.IFAAddress, a4)
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewAddr, Flags: nlmsg.Create | nlmsg.Excl, Payload: p})
		a6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, byte(i >> 8), byte(i), 15: 1})
		p = nlmsg.IfAddrMsg{Family: unix.AF_INET6, PrefixLen: 64, Index: ix}.AppendTo(nil)
		p = appendAddrAttr(p, nlmsg.IFAAddress, a6)
		p = appendU32Attr(p, nlmsg.IFAFlags, nlmsg.IFAFNoDAD)
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewAddr, Flags: nlmsg.Create | nlmsg.Excl, Payload: p})
	}
	batch(ops)
	ops = ops[:0]
	for i := range snapNeighs {
		p := nlmsg.NdMsg{Family: unix.AF_INET, Index: int32(index[i%snapLinks]), State: nlmsg.NUDPermanent}.AppendTo(nil)
		p = appendAddrAttr(p, nlmsg.NDADst, netip.AddrFrom4([4]byte{10, 250, byte(i >> 8), byte(i)}))
		p = appendAttr(p, nlmsg.NDALLAddr, []byte{2, 0, 0, 0, byte(i >> 8), byte(i)})
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewNeigh, Flags: nlmsg.Create | nlmsg.Excl, Payload: p})
	}
	batch(ops)
	batch(routeOps(snapRoutes4, snapRoutes6))
	b.Logf("full-state namespace built in %v", time.Since(t0).Round(time.Millisecond))
	snapNS.ns = ns
	return ns
}

// routeOps are the RTM_NEWROUTE ops of n4 IPv4 host routes and n6 IPv6 /64
// routes, all in main via lo.
func routeOps(n4, n6 int) []engine.Op {
	ops := make([]engine.Op, 0, n4+n6)
	buf := make([]byte, 0, 64*(n4+n6))
	for i := range n4 + n6 {
		r := hostRoute(i, 1, TableMain)
		if i >= n4 {
			j := i - n4
			r.Dst = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(j >> 16), byte(j >> 8), byte(j)}), 64)
			r.Scope = ScopeUniverse
		}
		n := len(buf)
		var err error
		if buf, err = appendRoute(buf, &r, false); err != nil {
			panic(err)
		}
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: buf[n:len(buf):len(buf)]})
	}
	return ops
}

// snapFloor is the Snapshot's floor: one blocking netlink socket with the
// options of a Dial'd Conn (NETLINK_EXT_ACK, NETLINK_CAP_ACK,
// NETLINK_GET_STRICT_CHK), driven by plain sendto and recvfrom syscalls
// (unix.Syscall6, no sockaddr allocated) into one reused 64 KiB buffer. It
// runs the Snapshot's seven dumps one after another, with the same requests
// and flags (REQUEST|ACK|DUMP), and decodes every message into one reused
// typed value (Route, Neigh, Addr, Link, Rule, NexthopObject: the same Decode), keeping
// none: it allocates nothing, and does less than Snapshot, which also
// copies each value into its slices.
type snapFloor struct {
	rawFloor
	each  func(nlmsg.View) error // f.decode, made once
	r     Route
	n     Neigh
	a     Addr
	l     Link
	u     Rule
	h     NexthopObject
	reqs  [numKinds]snapReq
	took  [numKinds]time.Duration // per dump, summed over the runs
	other *snapFloor              // a second socket, for the parallel floor
}

type snapReq struct {
	typ     nlmsg.Type
	payload []byte
}

func newSnapFloor(b *testing.B, ns *netnstest.NS) *snapFloor {
	f := newSnapFloorSocket(b, ns)
	f.other = newSnapFloorSocket(b, ns)
	return f
}

func newSnapFloorSocket(b *testing.B, ns *netnstest.NS) *snapFloor {
	f := &snapFloor{rawFloor: *newRawFloor(b, ns)}
	f.each = f.decode
	r4, r6 := RouteFilter{Family: FamilyIPv4}, RouteFilter{Family: FamilyIPv6}
	var lf LinkFilter
	f.reqs = [numKinds]snapReq{
		{nlmsg.RTMGetRoute, r4.dumpRequest(nil, true)},
		{nlmsg.RTMGetRoute, r6.dumpRequest(nil, true)},
		{nlmsg.RTMGetLink, lf.dumpRequest(true)},
		{nlmsg.RTMGetNeigh, nlmsg.NdMsg{}.AppendTo(nil)},
		{nlmsg.RTMGetAddr, nlmsg.IfAddrMsg{}.AppendTo(nil)},
		{nlmsg.RTMGetRule, nlmsg.FibRuleHdr{}.AppendTo(nil)},
		{nlmsg.RTMGetNexthop, nlmsg.NhMsg{}.AppendTo(nil)},
	}
	return f
}

// snapshot runs the seven dumps in turn and returns how many messages they
// decoded.
func (f *snapFloor) snapshot() (int, error) {
	total := 0
	for k, q := range f.reqs {
		t0 := time.Now()
		n, err := f.dumpDecode(q.typ, q.payload)
		f.took[k] += time.Since(t0)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// dumpDecodeOn runs dumpDecode on f's second socket (made on first use),
// for the parallel floor.
func (f *snapFloor) dumpDecodeOn(typ nlmsg.Type, payload []byte) (int, error) {
	return f.other.dumpDecode(typ, payload)
}

// dumpDecode is rawFloor.dump decoding each message into f's values.
func (f *snapFloor) dumpDecode(typ nlmsg.Type, payload []byte) (int, error) {
	return f.dump(typ, payload, f.each)
}

// decode decodes one message of any of the Snapshot's types.
func (f *snapFloor) decode(v nlmsg.View) error {
	switch v.Type() {
	case nlmsg.RTMNewRoute:
		return f.r.Decode(v.Payload())
	case nlmsg.RTMNewNeigh:
		return f.n.Decode(v.Payload())
	case nlmsg.RTMNewAddr:
		return f.a.Decode(v.Payload())
	case nlmsg.RTMNewLink:
		return f.l.Decode(v.Payload())
	case nlmsg.RTMNewRule:
		return f.u.Decode(v.Payload())
	case nlmsg.RTMNewNexthop:
		return f.h.Decode(v.Payload())
	}
	return nil
}

func snapshotSize(s *Snapshot) int {
	return len(s.Links) + len(s.Addrs) + len(s.Routes) + len(s.Neighs) + len(s.Rules) + len(s.Nexthops)
}

// BenchmarkSnapshot compares the floor (the seven dumps in turn on one raw
// socket, decoded in place) with Conn.Snapshot (the same dumps in
// parallel, decoded into a reused Snapshot), as sub-benchmarks for
// benchstat -col /impl.
func BenchmarkSnapshot(b *testing.B) {
	ns := snapshotBenchNS(b)
	ctx := context.Background()
	b.Run("impl=floor", func(b *testing.B) {
		fl := newSnapFloor(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			n, err := fl.snapshot()
			if err != nil {
				b.Fatal(err)
			}
			total += n
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/object")
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		s, err := c.Snapshot(ctx, SnapshotOptions{}) // sizes the Snapshot
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			if s, err = c.Snapshot(ctx, SnapshotOptions{Reuse: s}); err != nil {
				b.Fatal(err)
			}
			total += snapshotSize(s)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/object")
	})
}

// BenchmarkSnapshotInterleaved runs, in every iteration, each of these
// contenders once, in turn, and reports each one's wall and CPU time per
// snapshot, the median over the iterations of each iteration's ratios to
// the floor (floor/engine is the speed-up; the target is ≥ 1.3), and the
// floor's time per dump:
//
//   - floor: the seven raw dumps in turn on one socket (snapFloor);
//   - floorpar: the same on two raw sockets at once, the IPv4 routes on
//     one goroutine and the other dumps on another: how much parallelism
//     the machine gives right now;
//   - engine: Conn.Snapshot (reusing the Snapshot);
//   - serial: Conn.Snapshot with its dumps in turn (as with GOMAXPROCS 1);
//   - par2: Conn.Snapshot with two workers whatever GOMAXPROCS (what
//     GOMAXPROCS 1 would cost without the switch to serial);
//   - noahead: Conn.Snapshot on a Conn without the engine's read-ahead
//     (engine.WithDumpReadAhead(false)), which decodes its longest dump on
//     a goroutine of its own instead;
//   - pipe3: Conn.Snapshot with read-ahead and that decoding goroutine too.
func BenchmarkSnapshotInterleaved(b *testing.B) {
	ns := snapshotBenchNS(b)
	ctx := context.Background()
	fl, fl2 := newSnapFloor(b, ns), newSnapFloor(b, ns)
	fl2.other.reqs = fl2.reqs
	c := dialIn(b, ns)
	s, err := c.Snapshot(ctx, SnapshotOptions{})
	if err != nil {
		b.Fatal(err)
	}
	want := snapshotSize(s)
	off := dialAhead(b, ns, false)
	s2, err := off.Snapshot(ctx, SnapshotOptions{})
	if err != nil {
		b.Fatal(err)
	}
	noAhead := func() {
		if s2, err = off.Snapshot(ctx, SnapshotOptions{Reuse: s2}); err != nil {
			b.Fatal(err)
		}
	}
	floorTurns := func() {
		if n, err := fl.snapshot(); err != nil || n < want {
			b.Fatalf("floor: %d objects (snapshot %d), %v", n, want, err)
		}
	}
	floorPar := func() {
		var wg sync.WaitGroup
		var err1, err2 error
		wg.Go(func() { _, err1 = fl2.dumpDecode(fl2.reqs[0].typ, fl2.reqs[0].payload) })
		for _, q := range fl2.reqs[1:] {
			if _, err2 = fl2.dumpDecodeOn(q.typ, q.payload); err2 != nil {
				break
			}
		}
		wg.Wait()
		if err1 != nil || err2 != nil {
			b.Fatal(err1, err2)
		}
	}
	snap := func(workers int) func() {
		return func() {
			saved := snapshotWorkers
			if workers > 0 {
				snapshotWorkers = func() int { return workers }
			}
			s, err = c.Snapshot(ctx, SnapshotOptions{Reuse: s})
			snapshotWorkers = saved
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	pipe3 := func() {
		saved := snapshotPipeline
		snapshotPipeline = func(*Conn) bool { return true }
		snap(0)()
		snapshotPipeline = saved
	}
	names := []string{"floor", "floorpar", "engine", "serial", "par2", "noahead", "pipe3"}
	runs := []func(){floorTurns, floorPar, snap(0), snap(1), snap(2), noAhead, pipe3}
	wall := make([]time.Duration, len(runs))
	cpu := make([]time.Duration, len(runs))
	ratio := make([][]float64, len(runs))
	ratioCPU := make([][]float64, len(runs))
	b.ReportAllocs()
	for b.Loop() {
		w := make([]time.Duration, len(runs))
		u := make([]time.Duration, len(runs))
		for i, run := range runs {
			c0, t0 := cpuTime(), time.Now()
			run()
			w[i], u[i] = time.Since(t0), cpuTime()-c0
			wall[i] += w[i]
			cpu[i] += u[i]
		}
		for i := range runs {
			ratio[i] = append(ratio[i], float64(w[0])/float64(w[i]))
			ratioCPU[i] = append(ratioCPU[i], float64(u[0])/float64(u[i]))
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 / float64(b.N) }
	for i, n := range names {
		b.ReportMetric(ms(wall[i]), n+"-ms")
		b.ReportMetric(ms(cpu[i]), n+"-cpu-ms")
		if i > 0 {
			b.ReportMetric(median(ratio[i]), "floor/"+n)
			b.ReportMetric(median(ratioCPU[i]), "floor/"+n+"-cpu")
		}
	}
	for k, d := range fl.took {
		b.ReportMetric(float64(d.Nanoseconds())/1e6/float64(b.N), "floor-ms-"+snapshotKindNames[k])
	}
}
