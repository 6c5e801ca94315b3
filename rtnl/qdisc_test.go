package rtnl

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// sampleQdiscs are qdiscs of every shape this package encodes.
func sampleQdiscs() []Qdisc {
	return []Qdisc{
		{LinkIndex: 2, Parent: HandleRoot, Handle: NewHandle(1, 0), Kind: "htb", HTB: HTBQdisc{Default: 0x10, Rate2Quantum: 5, DirectQlen: 100, HasDirectQlen: true}},
		{LinkIndex: 2, Parent: NewHandle(1, 0x10), Handle: NewHandle(0x10, 0), Kind: "pfifo", FIFO: FIFOQdisc{Limit: 50}},
		{LinkIndex: 2, Parent: NewHandle(1, 0x20), Handle: NewHandle(0x20, 0), Kind: "bfifo", FIFO: FIFOQdisc{Limit: 10000}},
		{LinkIndex: 3, Parent: HandleRoot, Handle: NewHandle(5, 0), Kind: "tbf", TBF: TBFQdisc{Rate: 5000000000, Burst: 1 << 20, Latency: 50 * time.Millisecond, PeakRate: 6250000000, MTU: 65536}},
		{LinkIndex: 3, Parent: HandleRoot, Handle: NewHandle(6, 0), Kind: "tbf", TBF: TBFQdisc{Rate: 1000000, Burst: 32768, Limit: 30000, MPU: 64}},
		{LinkIndex: 3, Parent: HandleIngress, Handle: NewHandle(0xffff, 0), Kind: "ingress", IngressBlock: 7},
		{LinkIndex: 4, Parent: HandleRoot, Handle: NewHandle(7, 0), Kind: "pfifo_fast", Options: []byte{3, 0, 0, 0, 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}},
	}
}

// appendStats2 appends a TCA_STATS2 as the kernel sends it, with
// TCA_STATS_PKT64 when pkt64 is set.
func appendStats2(b []byte, s TCStats, pkt64 bool) []byte {
	ne := binary.NativeEndian
	b, off := beginNest(b, nlmsg.TCAStats2, true)
	var basic [16]byte
	ne.PutUint64(basic[0:], s.Bytes)
	ne.PutUint32(basic[8:], uint32(s.Packets))
	b = appendAttr(b, nlmsg.TCAStatsBasic, basic[:])
	if pkt64 {
		b = appendU64Attr(b, nlmsg.TCAStatsPkt64, s.Packets)
	}
	var q [20]byte
	for i, v := range []uint32{s.Qlen, s.Backlog, s.Drops, s.Requeues, s.Overlimits} {
		ne.PutUint32(q[4*i:], v)
	}
	b = appendAttr(b, nlmsg.TCAStatsQueue, q[:])
	endNest(b, off)
	return b
}

// readBack is q as Decode reads it from its encoding: the bursts and the
// latency come back through the scheduler's ticks, as tc prints them.
func readBack(q Qdisc) Qdisc {
	clk := schedClock()
	if q.Kind == "tbf" {
		o := &q.TBF
		if o.Limit == 0 {
			us := float64(o.Latency / time.Microsecond)
			o.Limit = uint32(min(float64(o.Rate)*us/1e6+float64(o.Burst), float64(o.PeakRate)*us/1e6+float64(o.MTU)))
		}
		rs := clk.rateSpec(o.Rate, o.MTU, 0, 0, new([256]uint32))
		buf := clk.xmitTicks(uint64(rs.Rate), uint64(o.Burst))
		o.Burst = clk.xmitSize(o.Rate, buf)
		var mtu uint32
		if o.PeakRate != 0 {
			ps := clk.rateSpec(o.PeakRate, o.MTU, 0, 0, new([256]uint32))
			mtu = clk.xmitTicks(uint64(ps.Rate), uint64(o.MTU))
			o.MTU = clk.xmitSize(o.PeakRate, mtu)
		}
		lat := 1e6*(float64(o.Limit)/float64(o.Rate)) - clk.tickTime(buf)
		if o.PeakRate != 0 {
			lat = max(lat, 1e6*(float64(o.Limit)/float64(o.PeakRate))-clk.tickTime(mtu))
		}
		o.Latency = 0
		if lat >= 0 {
			o.Latency = time.Duration(uint64(lat)) * time.Microsecond
		}
	}
	if q.Kind == "htb" {
		q.HTB.Version = nlmsg.TCHTBProtoVer
	}
	return q
}

func TestQdiscDecodeReadsBackWhatEncodingWrote(t *testing.T) {
	var got Qdisc // reused, as the iterator reuses it
	st := TCStats{Bytes: 1 << 40, Packets: 1<<32 + 5, Drops: 3, Overlimits: 4, Requeues: 5, Backlog: 600, Qlen: 7}
	for i, q := range sampleQdiscs() {
		p, err := appendQdisc(nil, &q, false)
		if err != nil {
			t.Fatal(err)
		}
		p = appendStats2(p, st, true)
		binary.NativeEndian.PutUint32(p[16:20], 2) // tcm_info: the refcount
		if err := got.Decode(p); err != nil {
			t.Fatalf("%d %s: %v", i, q.Kind, err)
		}
		want := readBack(q)
		want.RefCount, want.Stats = 2, st
		c := got.Clone()
		if len(c.Options) == 0 && q.Kind != "ingress" || len(c.Attrs) == 0 {
			t.Errorf("%s: Options %d bytes, Attrs %d", q.Kind, len(c.Options), len(c.Attrs))
		}
		if q.Kind == "pfifo_fast" && string(c.Options) != string(q.Options) {
			t.Errorf("raw options % x, written % x", c.Options, q.Options)
		}
		c.Attrs, c.Options, want.Options = nil, nil, nil
		if !reflect.DeepEqual(c, want) {
			t.Errorf("%d decoded\n%+v\nwant\n%+v", i, c, want)
		}
	}
	// Without TCA_STATS_PKT64 the packets are the basic counter's 32 bits.
	p, _ := appendQdisc(nil, &sampleQdiscs()[1], false)
	if err := got.Decode(appendStats2(p, TCStats{Packets: 9}, false)); err != nil || got.Stats.Packets != 9 {
		t.Errorf("packets %d, %v", got.Stats.Packets, err)
	}
	if skipAllocs {
		return
	}
	p, _ = appendQdisc(nil, &sampleQdiscs()[3], false)
	p = appendStats2(p, st, true)
	_ = got.Decode(p)
	if n := testing.AllocsPerRun(100, func() { _ = got.Decode(p) }); n != 0 {
		t.Errorf("decoding a tbf qdisc allocates %.1f times once warm", n)
	}
}

func TestClassDecodeReadsBackWhatEncodingWrote(t *testing.T) {
	clk := schedClock()
	var got Class
	for _, w := range []Class{
		{LinkIndex: 2, Parent: HandleRoot, Handle: NewHandle(1, 1), Kind: "htb", HTB: HTBClass{Rate: 12500000, Ceil: 12500000}},
		{LinkIndex: 2, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x10), Kind: "htb", HTB: HTBClass{Rate: 5000000, Ceil: 12500000, Prio: 2, Quantum: 3000, Burst: 20000, CBurst: 30000, MPU: 64, Overhead: 4}},
		{LinkIndex: 2, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x20), Kind: "htb", HTB: HTBClass{Rate: 6250000000, Ceil: 7000000000}},
		{LinkIndex: 3, Parent: NewHandle(5, 0), Handle: NewHandle(5, 1), Kind: "tbf"},
	} {
		p, err := appendClass(nil, &w, false)
		if err != nil {
			t.Fatal(err)
		}
		binary.NativeEndian.PutUint32(p[16:20], uint32(NewHandle(0x10, 0))) // tcm_info: the leaf
		if err := got.Decode(p); err != nil {
			t.Fatalf("%v: %v", w.Handle, err)
		}
		want := w
		want.Leaf = NewHandle(0x10, 0)
		if w.Kind == "htb" {
			o := &want.HTB
			burst, cburst := uint64(o.Burst), uint64(o.CBurst)
			if burst == 0 {
				burst = uint64(float64(o.Rate)/clk.hz) + htbMTU
			}
			if cburst == 0 {
				cburst = uint64(float64(o.Ceil)/clk.hz) + htbMTU
			}
			o.Burst, o.CBurst = clk.xmitSize(o.Rate, clk.xmitTicks(o.Rate, burst)), clk.xmitSize(o.Ceil, clk.xmitTicks(o.Ceil, cburst))
		}
		c := got.Clone()
		c.Attrs, c.Options = nil, nil
		if !reflect.DeepEqual(c, want) {
			t.Errorf("decoded\n%+v\nwant\n%+v", c, want)
		}
	}
}

func TestTCDecodeNamesTheMalformedAttribute(t *testing.T) {
	hdr := nlmsg.TcMsg{IfIndex: 2, Handle: 0x10000, Parent: nlmsg.TCHRoot}.AppendTo(nil)
	kind := func(k string) []byte { return appendStringAttr(append([]byte(nil), hdr...), nlmsg.TCAKind, k) }
	opts := func(k string, inner []byte) []byte { return appendAttr(kind(k), nlmsg.TCAOptions, inner) }
	stats := func(inner []byte) []byte { return appendAttr(kind("pfifo"), nlmsg.TCAStats2|nlmsg.AttrNested, inner) }
	for _, c := range []struct {
		object  string
		payload []byte
		attr    string
	}{
		{"qdisc", hdr[:19], "tcmsg"},
		{"qdisc", appendAttr(kind("x"), nlmsg.TCAHWOffload, []byte{1, 2}), "TCA_HW_OFFLOAD"},
		{"qdisc", appendAttr(kind("x"), nlmsg.TCAIngressBlock, []byte{1}), "TCA_INGRESS_BLOCK"},
		{"qdisc", stats(appendAttr(nil, nlmsg.TCAStatsBasic, make([]byte, 8))), "TCA_STATS2"},
		{"qdisc", stats(appendAttr(nil, nlmsg.TCAStatsQueue, make([]byte, 16))), "TCA_STATS2"},
		{"qdisc", stats(appendAttr(nil, nlmsg.TCAStatsPkt64, make([]byte, 4))), "TCA_STATS2"},
		{"qdisc", stats([]byte{9, 0, 1, 0}), "TCA_STATS2"},
		{"qdisc", opts("pfifo", []byte{1, 2}), "tc_fifo_qopt"},
		{"qdisc", opts("htb", appendAttr(nil, nlmsg.TCAHTBInit, make([]byte, 12))), "TCA_HTB_INIT"},
		{"qdisc", opts("htb", appendAttr(nil, nlmsg.TCAHTBDirectQlen, make([]byte, 2))), "TCA_HTB_DIRECT_QLEN"},
		{"qdisc", opts("htb", []byte{8, 0, 2, 0}), "TCA_OPTIONS"},
		{"qdisc", opts("tbf", appendAttr(nil, nlmsg.TCATBFParms, make([]byte, 20))), "TCA_TBF_PARMS"},
		{"qdisc", opts("tbf", appendAttr(nil, nlmsg.TCATBFRate64, make([]byte, 4))), "TCA_TBF_RATE64"},
		{"qdisc", append(kind("x"), 9, 0, 1, 0), "rtattr"},
		{"class", opts("htb", appendAttr(nil, nlmsg.TCAHTBParms, make([]byte, 40))), "TCA_HTB_PARMS"},
		{"class", opts("htb", appendAttr(nil, nlmsg.TCAHTBCeil64, make([]byte, 7))), "TCA_HTB_CEIL64"},
	} {
		var err error
		if c.object == "qdisc" {
			var q Qdisc
			err = q.Decode(c.payload)
		} else {
			var cl Class
			err = cl.Decode(c.payload)
		}
		var ae *AttrError
		if !errors.As(err, &ae) || ae.Object != c.object || ae.Attr != c.attr || ae.Offset < 0 || ae.Offset > len(c.payload) {
			t.Errorf("% x: %v, want an AttrError for %s", c.payload, err, c.attr)
		}
	}
}

func TestTCEncodeRefusesWhatTcRefuses(t *testing.T) {
	for _, q := range []Qdisc{
		{Parent: HandleRoot, Kind: "pfifo"},
		{LinkIndex: 1, Parent: HandleRoot},
		{LinkIndex: 1, Kind: "tbf", TBF: TBFQdisc{Burst: 1000, Limit: 1000}},
		{LinkIndex: 1, Kind: "tbf", TBF: TBFQdisc{Rate: 1000, Limit: 1000}},
		{LinkIndex: 1, Kind: "tbf", TBF: TBFQdisc{Rate: 1000, Burst: 1000}},
		{LinkIndex: 1, Kind: "tbf", TBF: TBFQdisc{Rate: 1000, Burst: 1000, Limit: 5, Latency: time.Second}},
		{LinkIndex: 1, Kind: "tbf", TBF: TBFQdisc{Rate: 1000, Burst: 1000, Limit: 5, PeakRate: 2000}},
		{LinkIndex: 1, Kind: "sfq", Options: make([]byte, 70000)},
	} {
		b, err := appendQdisc([]byte{1, 2, 3}, &q, false)
		if !errors.Is(err, ErrInvalidTC) || !errors.Is(err, ErrInvalid) || len(b) != 3 {
			t.Errorf("%+v: %v, %d bytes left; want ErrInvalidTC and the buffer as it was", q, err, len(b))
		}
	}
	for _, c := range []Class{
		{Handle: 1, Kind: "htb", HTB: HTBClass{Rate: 1}},
		{LinkIndex: 1, Handle: 1, Kind: "htb"},
		{LinkIndex: 1, Handle: 1},
		{LinkIndex: 1, Handle: 1, Kind: "htb", HTB: HTBClass{Rate: 1 << 62, Burst: 0}},
	} {
		b, err := appendClass([]byte{1, 2, 3}, &c, false)
		if !errors.Is(err, ErrInvalidTC) || len(b) != 3 {
			t.Errorf("%+v: %v, %d bytes left; want ErrInvalidTC and the buffer as it was", c, err, len(b))
		}
	}
	// A delete needs no kind and sends no options; an ingress qdisc gets
	// tc's handle ffff:.
	if b, err := appendQdisc(nil, &Qdisc{LinkIndex: 1, Parent: HandleIngress, Kind: "ingress"}, true); err != nil || len(b) != nlmsg.TcMsgLen+12 || binary.NativeEndian.Uint32(b[8:12]) != 0xffff0000 {
		t.Errorf("ingress delete: % x, %v", b, err)
	}
	if b, err := appendClass(nil, &Class{LinkIndex: 1, Handle: NewHandle(1, 1), HTB: HTBClass{Rate: 5}}, true); err != nil || len(b) != nlmsg.TcMsgLen {
		t.Errorf("class delete: % x, %v", b, err)
	}
}

func TestClassHTBStatsReadXStats(t *testing.T) {
	x := make([]byte, 20)
	for i, v := range []uint32{3, 4, 5, uint32(0xffffffff), 7} {
		binary.NativeEndian.PutUint32(x[4*i:], v)
	}
	c := Class{Kind: "htb", XStats: x}
	if s, ok := c.HTBStats(); !ok || s != (HTBClassStats{Lends: 3, Borrows: 4, Giants: 5, Tokens: -1, CTokens: 7}) {
		t.Errorf("%+v, %v", s, ok)
	}
	for _, c := range []Class{{Kind: "htb", XStats: x[:19]}, {Kind: "mq", XStats: x}} {
		if _, ok := c.HTBStats(); ok {
			t.Errorf("%s with %d bytes of xstats: ok", c.Kind, len(c.XStats))
		}
	}
}
