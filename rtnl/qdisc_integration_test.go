package rtnl

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// tcFixture fills a new namespace with qdiscs and classes of every kind
// this kernel has: on tca0 an htb tree (a root class, inner and leaf
// classes two levels down, one of 50gbit) with pfifo and bfifo leaves;
// on tcb0 a tbf of 40gbit with a peak rate; on tca1 an ingress qdisc, which
// sees what tca0 sends; on tcm0
// (four transmit queues) an mq with its pfifo_fast children. IPv6 is off,
// so that nothing but the test's own traffic moves the counters.
func tcFixture(t *testing.T) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t)
	if err := ns.Do(func() error {
		for _, k := range []string{"all", "default"} {
			if err := os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", k, "disable_ipv6"), []byte("1"), 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ns.AddVeth(t, "tca0", "tca1")
	ns.AddVeth(t, "tcb0", "tcb1")
	ipRun(t, ns, "link", "add", "name", "tcm0", "numtxqueues", "4", "numrxqueues", "4", "type", "veth", "peer", "name", "tcm1", "numtxqueues", "4", "numrxqueues", "4")
	ipRun(t, ns, "link", "set", "dev", "tcm0", "up")
	ipRun(t, ns, "link", "set", "dev", "tcm1", "up")
	for _, c := range tcFixtureCmds {
		ns.Run(t, "tc", strings.Fields(c)...)
	}
	return ns
}

var tcFixtureCmds = []string{
	"qdisc add dev tca0 root handle 1: htb default 10 r2q 5 direct_qlen 100",
	"class add dev tca0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit",
	"class add dev tca0 parent 1:1 classid 1:10 htb rate 40mbit ceil 100mbit prio 2 quantum 3000",
	"class add dev tca0 parent 1:1 classid 1:20 htb rate 50gbit burst 20k",
	"class add dev tca0 parent 1:1 classid 1:30 htb rate 1mbit ceil 2mbit burst 15k cburst 30k mpu 64 overhead 4",
	"class add dev tca0 parent 1:30 classid 1:31 htb rate 500kbit ceil 2mbit prio 1",
	"qdisc add dev tca0 parent 1:10 handle 10: pfifo limit 50",
	"qdisc add dev tca0 parent 1:20 handle 20: bfifo limit 10000",
	"qdisc add dev tcb0 root handle 5: tbf rate 40gbit burst 1mb latency 50ms peakrate 50gbit mtu 64k",
	"qdisc add dev tca1 ingress",
	"qdisc add dev tcm0 root handle 7: mq",
}

// tcTraffic sends n UDP datagrams of size bytes out of each of tca0, tcb0
// and tcm0, to an address each knows a permanent neighbour for, so that
// they go through the devices' qdiscs and arrive at the peers.
func tcTraffic(t *testing.T, ns *netnstest.NS, n, size int) {
	t.Helper()
	for i, dev := range []string{"tca0", "tcb0", "tcm0"} {
		ipRun(t, ns, "addr", "add", fmt.Sprintf("10.77.%d.1/24", i), "dev", dev)
		ipRun(t, ns, "neigh", "add", fmt.Sprintf("10.77.%d.99", i), "lladdr", "02:00:00:00:00:99", "dev", dev, "nud", "permanent")
	}
	err := ns.Do(func() error {
		for i := range 3 {
			c, err := net.Dial("udp4", fmt.Sprintf("10.77.%d.99:9", i))
			if err != nil {
				return err
			}
			for range n {
				if _, err := c.Write(make([]byte, size)); err != nil {
					c.Close()
					return err
				}
			}
			c.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tcJSON runs `tc -j args...` inside ns and decodes its array of objects.
func tcJSON(t *testing.T, ns *netnstest.NS, args ...string) []map[string]any {
	t.Helper()
	var v []map[string]any
	out := ns.Run(t, "tc", append([]string{"-j"}, args...)...)
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("tc -j %v: %v: %s", args, err, out)
	}
	return v
}

// tcSize prints a byte count as tc's sprint_size does: "1Mb", "15Kb",
// "1600b".
func tcSize(sz uint32) string {
	const kilo, mega = 1024, 1024 * 1024
	f := float64(sz)
	switch {
	case sz >= mega && math.Abs(mega*math.RoundToEven(f/mega)-f) < 1024:
		return fmt.Sprintf("%gMb", math.RoundToEven(f/mega))
	case sz >= kilo && math.Abs(kilo*math.RoundToEven(f/kilo)-f) < 16:
		return fmt.Sprintf("%gKb", math.RoundToEven(f/kilo))
	}
	return fmt.Sprintf("%db", sz)
}

// tcRate prints a rate in bytes/s as tc's print_rate does: "40Mbit".
func tcRate(r uint64) string {
	units := []string{"", "K", "M", "G", "T"}
	r <<= 3
	i := 0
	for ; i < len(units)-1; i++ {
		if r < 1000 || r%1000 != 0 && r < 1000*1000 {
			break
		}
		r /= 1000
	}
	return fmt.Sprintf("%d%sbit", r, units[i])
}

// qdiscView is a Qdisc as tc -j -s -d qdisc show prints it, so the two
// compare key by key: the options of the kinds Qdisc types, and for the
// others only whether tc printed any.
func qdiscView(q *Qdisc, names map[int]string) map[string]any {
	m := map[string]any{
		"kind": q.Kind, "handle": q.Handle.String(), "dev": names[q.LinkIndex],
		"bytes": float64(q.Stats.Bytes), "packets": float64(q.Stats.Packets), "drops": float64(q.Stats.Drops),
		"overlimits": float64(q.Stats.Overlimits), "requeues": float64(q.Stats.Requeues),
		"backlog": float64(q.Stats.Backlog), "qlen": float64(q.Stats.Qlen),
	}
	if q.Handle == HandleNone {
		m["handle"] = "0:"
	}
	if q.Parent == HandleRoot {
		m["root"] = true
	} else if q.Parent != HandleNone {
		m["parent"] = q.Parent.String()
	}
	if q.RefCount != 1 {
		m["refcnt"] = float64(q.RefCount)
	}
	if q.IngressBlock != 0 {
		m["ingress_block"] = float64(q.IngressBlock)
	}
	if q.EgressBlock != 0 {
		m["egress_block"] = float64(q.EgressBlock)
	}
	opts := map[string]any{}
	switch q.Kind {
	case "htb":
		o := q.HTB
		opts["r2q"], opts["default"], opts["direct_packets_stat"] = float64(o.Rate2Quantum), fmt.Sprintf("%#x", o.Default), float64(o.DirectPackets)
		opts["ver"] = fmt.Sprintf("%d.%d", o.Version>>16, o.Version&0xffff)
		if o.HasDirectQlen {
			opts["direct_qlen"] = float64(o.DirectQlen)
		}
	case "tbf":
		o := q.TBF
		opts["rate"], opts["burst"], opts["mpu"] = float64(o.Rate), tcSize(o.Burst)+"/1", float64(o.MPU)
		if o.PeakRate != 0 {
			opts["mtu"] = tcSize(o.MTU) + "/1"
		}
		opts["lat"], opts["linklayer"] = float64(o.Latency/time.Microsecond), "ethernet"
	case "pfifo", "bfifo":
		opts["limit"] = float64(q.FIFO.Limit)
	default:
		if len(q.Options) > 0 {
			opts["raw"] = true
		}
	}
	m["options"] = opts
	return m
}

// fromTcQdisc normalises what tc printed to qdiscView's form: of an
// untyped kind's options only whether there are any.
func fromTcQdisc(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	switch m["kind"] {
	case "htb", "tbf", "pfifo", "bfifo":
	default:
		if o, _ := m["options"].(map[string]any); len(o) > 0 {
			out["options"] = map[string]any{"raw": true}
		}
	}
	return out
}

// checkQdiscsAgainstTc compares qs with what tc -j -s -d qdisc show prints
// for args, in order and field by field; it returns the differences, so
// that a caller can read again when counters moved in between.
func checkQdiscsAgainstTc(t *testing.T, ns *netnstest.NS, qs []Qdisc, args ...string) []string {
	t.Helper()
	names := linkNames(t, ns)
	shown := tcJSON(t, ns, append([]string{"-s", "-d", "qdisc", "show"}, args...)...)
	if len(shown) != len(qs) {
		return []string{fmt.Sprintf("tc qdisc show %v: %d qdiscs, rtnl %d", args, len(shown), len(qs))}
	}
	var diffs []string
	for i := range qs {
		got, exp := qdiscView(&qs[i], names), fromTcQdisc(shown[i])
		if len(args) > 0 {
			delete(got, "dev") // tc leaves it out with a dev filter
		}
		if !reflect.DeepEqual(got, exp) {
			diffs = append(diffs, fmt.Sprintf("qdisc %d:\nrtnl %v\ntc   %v", i, got, exp))
		}
	}
	return diffs
}

// agreeSoon runs check until it reports no differences, up to five times
// (counters may move between two reads), and fails with the last ones.
func agreeSoon(t *testing.T, check func() []string) {
	t.Helper()
	var diffs []string
	for range 5 {
		if diffs = check(); len(diffs) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error(strings.Join(diffs, "\n"))
}

func TestIntegrationQdiscsAgreeWithTc(t *testing.T) {
	ns := tcFixture(t)
	c := dialIn(t, ns)
	tcTraffic(t, ns, 30, 300)
	var qs []Qdisc
	agreeSoon(t, func() []string {
		var err error
		if qs, err = c.QdiscList(bg, QdiscFilter{}); err != nil {
			t.Fatal(err)
		}
		return checkQdiscsAgainstTc(t, ns, qs)
	})
	kinds := map[string]int{}
	for _, q := range qs {
		kinds[q.Kind]++
	}
	for k, n := range map[string]int{"htb": 1, "pfifo": 1, "bfifo": 1, "tbf": 1, "ingress": 1, "mq": 1, "pfifo_fast": 4} {
		if kinds[k] != n {
			t.Errorf("%d %s qdiscs, the fixture has %d", kinds[k], k, n)
		}
	}
	byKind := func(k string) *Qdisc {
		for i := range qs {
			if qs[i].Kind == k {
				return &qs[i]
			}
		}
		t.Fatalf("no %s qdisc", k)
		return nil
	}
	if tbf := byKind("tbf"); tbf.TBF.Rate != 5000000000 || tbf.TBF.PeakRate != 6250000000 {
		t.Errorf("tbf rates %d and %d, want 40gbit and 50gbit (past 32 bits, from TCA_TBF_RATE64)", tbf.TBF.Rate, tbf.TBF.PeakRate)
	}
	// NB: an ingress qdisc counts only what its filters classify; with no
	// filter (this kernel has no classifiers) it stays at 0.
	for _, k := range []string{"htb", "pfifo", "tbf"} {
		if q := byKind(k); q.Stats.Packets < 30 {
			t.Errorf("%s: %d packets after 30 sent through it", k, q.Stats.Packets)
		}
	}
	if q := byKind("ingress"); q.Parent != HandleIngress || q.Handle != NewHandle(0xffff, 0) || q.Handle.String() != "ffff:" {
		t.Errorf("ingress at %v, handle %v", q.Parent, q.Handle)
	}
}

func TestIntegrationQdiscFiltersGiveTheSameQdiscsInTheKernelAndInUserSpace(t *testing.T) {
	ns := tcFixture(t)
	strict, plain := dialIn(t, ns), plainConn(t, ns)
	all, err := plain.QdiscList(bg, QdiscFilter{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, m := ns.LinkIndex(t, "tca0"), ns.LinkIndex(t, "tcb0"), ns.LinkIndex(t, "tcm0")
	for _, c := range []struct {
		f    QdiscFilter
		tc   []string
		want int
	}{
		{QdiscFilter{}, nil, 0},
		{QdiscFilter{LinkIndex: a}, []string{"dev", "tca0"}, 3},
		{QdiscFilter{LinkIndex: b}, []string{"dev", "tcb0"}, 1},
		{QdiscFilter{LinkIndex: m}, []string{"dev", "tcm0"}, 5},
		{QdiscFilter{LinkIndex: a, Parent: HandleRoot}, []string{"dev", "tca0", "root"}, 1},
		{QdiscFilter{LinkIndex: ns.LinkIndex(t, "tca1"), Parent: HandleIngress}, []string{"dev", "tca1", "ingress"}, 1},
		{QdiscFilter{LinkIndex: a, Handle: NewHandle(0x10, 0)}, []string{"dev", "tca0", "handle", "10:"}, 1},
		{QdiscFilter{Kind: "pfifo_fast"}, nil, 4},
		{QdiscFilter{Parent: NewHandle(1, 0x20)}, nil, 1},
		{QdiscFilter{LinkIndex: 9999}, nil, 0},
	} {
		k, err := strict.QdiscList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, strict Conn: %v", c.f, err)
		}
		u, err := plain.QdiscList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, plain Conn: %v", c.f, err)
		}
		var want []Qdisc
		for i := range all {
			if c.f.Match(&all[i]) {
				want = append(want, all[i])
			}
		}
		if c.want == 0 && c.f == (QdiscFilter{}) {
			c.want = len(all)
		}
		if len(k) != c.want || len(u) != c.want || len(want) != c.want {
			t.Errorf("%+v: strict %d qdiscs, plain %d, Match over all %d; want %d", c.f, len(k), len(u), len(want), c.want)
		}
		for i := range min(len(k), len(want)) {
			if k[i].LinkIndex != want[i].LinkIndex || k[i].Handle != want[i].Handle || k[i].Parent != want[i].Parent || k[i].Kind != want[i].Kind {
				t.Errorf("%+v: qdisc %d is %v %v %s, Match over all gives %v %v %s", c.f, i, k[i].Handle, k[i].Parent, k[i].Kind, want[i].Handle, want[i].Parent, want[i].Kind)
			}
		}
		if c.tc != nil {
			agreeSoon(t, func() []string {
				k, err := strict.QdiscList(bg, c.f)
				if err != nil {
					t.Fatal(err)
				}
				return checkQdiscsAgainstTc(t, ns, k, c.tc...)
			})
		}
	}
	// The kernel does not filter a qdisc dump by tcm_ifindex (Linux 6.18,
	// strict or not): it sends every device's qdiscs, and Match keeps
	// those of the device asked for.
	total := kernelCount(t, strict, nlmsg.RTMGetQdisc, (&QdiscFilter{}).dumpRequest(nil), nlmsg.RTMNewQdisc)
	onA := kernelCount(t, strict, nlmsg.RTMGetQdisc, (&QdiscFilter{LinkIndex: a}).dumpRequest(nil), nlmsg.RTMNewQdisc)
	onPlain := kernelCount(t, plain, nlmsg.RTMGetQdisc, (&QdiscFilter{LinkIndex: a}).dumpRequest(nil), nlmsg.RTMNewQdisc)
	if onA != total || onPlain != total || total != len(all) {
		t.Errorf("a dump for tca0: the kernel sent %d qdiscs (%d without strict checking); %d for all (want %d)", onA, onPlain, total, len(all))
	}
	t.Logf("tcm_ifindex in a qdisc dump: strict Conn %d of %d qdiscs sent, plain Conn %d", onA, total, onPlain)
}

// TestIntegrationTCCallsRefuseAConnOfAnotherFamily: every qdisc and class
// call on a NETLINK_GENERIC engine.Conn fails before sending anything.
func TestIntegrationTCCallsRefuseAConnOfAnotherFamily(t *testing.T) {
	c, ec := genericConn(t)
	q := Qdisc{LinkIndex: 1, Parent: HandleRoot, Kind: "pfifo"}
	cl := Class{LinkIndex: 1, Parent: NewHandle(1, 0), Handle: NewHandle(1, 1), Kind: "htb", HTB: HTBClass{Rate: 1000}}
	_, qErr := c.QdiscList(bg, QdiscFilter{})
	_, clErr := c.ClassList(bg, ClassFilter{})
	_, clOneErr := c.ClassList(bg, ClassFilter{LinkIndex: 1})
	for what, err := range map[string]error{
		"QdiscList": qErr, "ClassList": clErr, "ClassList of a link": clOneErr,
		"QdiscAdd": c.QdiscAdd(bg, &q), "QdiscReplace": c.QdiscReplace(bg, &q), "QdiscChange": c.QdiscChange(bg, &q), "QdiscDel": c.QdiscDel(bg, &q),
		"ClassAdd": c.ClassAdd(bg, &cl), "ClassReplace": c.ClassReplace(bg, &cl), "ClassChange": c.ClassChange(bg, &cl), "ClassDel": c.ClassDel(bg, &cl),
	} {
		if !errors.Is(err, engine.ErrWrongFamily) {
			t.Errorf("%s: %v, want engine.ErrWrongFamily", what, err)
		}
	}
	if s := ec.Stats(); s.RequestsSent != 0 {
		t.Errorf("%d requests sent before refusing", s.RequestsSent)
	}
}

// TestIntegrationWriteTCFuzzCorpus regenerates the checked-in seed corpora
// of FuzzQdiscDecode and FuzzClassDecode from the kernel's dumps of
// tcFixture after traffic. It runs only with RTNL_WRITE_CORPUS=1.
func TestIntegrationWriteTCFuzzCorpus(t *testing.T) {
	if os.Getenv("RTNL_WRITE_CORPUS") != "1" {
		t.Skip("set RTNL_WRITE_CORPUS=1 to regenerate testdata/fuzz")
	}
	ns := tcFixture(t)
	tcTraffic(t, ns, 10, 200)
	c := dialIn(t, ns)
	write := func(dir string, typ nlmsg.Type, reqs ...[]byte) {
		path := filepath.Join("testdata", "fuzz", dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, req := range reqs {
			for m, err := range c.ec.Dump(bg, typ, req, 0) {
				if err != nil {
					t.Fatal(err)
				}
				body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", m.Payload())
				if err := os.WriteFile(filepath.Join(path, fmt.Sprintf("kernel-%03d", n)), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		t.Logf("%s: %d seeds", dir, n)
	}
	write("FuzzQdiscDecode", nlmsg.RTMGetQdisc, (&QdiscFilter{}).dumpRequest(nil))
	var reqs [][]byte
	for _, dev := range []string{"tca0", "tcb0", "tcm0"} {
		reqs = append(reqs, (&ClassFilter{}).dumpRequest(nil, ns.LinkIndex(t, dev)))
	}
	write("FuzzClassDecode", nlmsg.RTMGetTClass, reqs...)
}

// TestIntegrationTCIteratorsAllocatePerDumpNotPerObject dumps a namespace
// with an htb qdisc of two classes and one with 40 more classes, each with
// a pfifo leaf: the iterators' allocations must not grow with the qdiscs
// and classes.
func TestIntegrationTCIteratorsAllocatePerDumpNotPerObject(t *testing.T) {
	if skipAllocs {
		t.Skip("allocation counts are not meaningful under -race")
	}
	small, big := netnstest.New(t), netnstest.New(t)
	for _, ns := range []*netnstest.NS{small, big} {
		ns.AddVeth(t, "tca0", "tca1")
		ns.Run(t, "tc", "qdisc", "add", "dev", "tca0", "root", "handle", "1:", "htb")
		ns.Run(t, "tc", "class", "add", "dev", "tca0", "parent", "1:", "classid", "1:1", "htb", "rate", "1gbit")
		ns.Run(t, "tc", "class", "add", "dev", "tca0", "parent", "1:1", "classid", "1:2", "htb", "rate", "1mbit")
	}
	cb := dialIn(t, big)
	a := ns0IndexOf(t, cb, "tca0")
	for i := range 40 {
		id := uint16(0x100 + i)
		if err := cb.ClassAdd(bg, &Class{LinkIndex: a, Parent: NewHandle(1, 1), Handle: NewHandle(1, id), Kind: "htb", HTB: HTBClass{Rate: mbitps}}); err != nil {
			t.Fatal(err)
		}
		if err := cb.QdiscAdd(bg, &Qdisc{LinkIndex: a, Parent: NewHandle(1, id), Handle: NewHandle(id, 0), Kind: "pfifo", FIFO: FIFOQdisc{Limit: 10}}); err != nil {
			t.Fatal(err)
		}
	}
	cs := dialIn(t, small)
	for _, k := range []struct {
		what string
		dump func(c *Conn) int
	}{
		{"qdiscs", func(c *Conn) int { return countAll(t, c.Qdiscs(bg, QdiscFilter{})) }},
		{"classes of a link", func(c *Conn) int { return countAll(t, c.Classes(bg, ClassFilter{LinkIndex: a})) }},
		{"classes of every link", func(c *Conn) int { return countAll(t, c.Classes(bg, ClassFilter{})) }},
	} {
		aSmall, nSmall := allocsPerDump(t, func() int { return k.dump(cs) })
		aBig, nBig := allocsPerDump(t, func() int { return k.dump(cb) })
		if nBig != nSmall+40 {
			t.Fatalf("%s: %d and %d: the fixture did not grow by 40", k.what, nSmall, nBig)
		}
		if aBig > aSmall {
			t.Errorf("%s: a dump of %d allocates %.0f times, a dump of %d %.0f times", k.what, nSmall, aSmall, nBig, aBig)
		}
		t.Logf("%s: %.0f allocations per dump of %d, %.0f per dump of %d", k.what, aSmall, nSmall, aBig, nBig)
	}
}

// ns0IndexOf returns the index of the link name as c's namespace has it.
func ns0IndexOf(t *testing.T, c *Conn, name string) int {
	l, err := c.LinkByName(bg, name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Index
}

// countAll runs seq to its end and counts what it yields; an error fails t.
func countAll[T any](t *testing.T, seq iter.Seq2[*T, error]) int {
	n := 0
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
