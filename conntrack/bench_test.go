package conntrack

import (
	"context"
	"net/netip"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Benchmarks run in a namespace holding a full table: nf_conntrack_max
// entries (262 144 on this project's machines; the limit is global and not
// ours to raise). Run:
//
//	go test -run '^$' -bench . -benchtime 3x -count 6 ./conntrack/

const (
	fullTable   = 262_144
	markedCount = 1_000
	deleteCount = 100_000
	benchMark   = 0x5a5a
	deleteMark  = 0xd0d0
)

// benchFlow returns entry i of the benchmark table: UDP from a distinct
// source to one service address, mark m.
func benchFlow(i int, m uint32) Flow {
	return Flow{
		Orig:    Tuple{Src: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Dst: netip.AddrFrom4([4]byte{10, 96, 0, 10}), Proto: ProtoUDP, SrcPort: uint16(1024 + i%60000), DstPort: 53},
		Timeout: 3600,
		Mark:    m,
	}
}

// createRange creates entries from, from+step, ... below to, with marks
// from markOf, in engine.Batch calls of a few thousand.
func createRange(tb testing.TB, c *Conn, from, to, step int, markOf func(int) uint32) {
	tb.Helper()
	var bld nlmsg.Builder
	defer bld.Release()
	var buf []byte
	var lens []int
	ops := make([]engine.Op, 0, batchChunk)
	for i := from; i < to; i += batchChunk * step {
		end := min(i+batchChunk*step, to)
		buf, lens, ops = buf[:0], lens[:0], ops[:0]
		for j := i; j < end; j += step {
			f := benchFlow(j, markOf(j))
			bld.Reset()
			beginPayload(&bld, f.family())
			appendFlowAttrs(&bld, &f, FieldReply|FieldTimeout|FieldMark)
			buf = append(buf, bld.Bytes()...)
			lens = append(lens, bld.Len())
		}
		off := 0
		for _, l := range lens {
			ops = append(ops, engine.Op{Type: msgType(nlmsg.IPCTNLMsgCTNew), Flags: nlmsg.Create | nlmsg.Excl, Payload: buf[off : off+l]})
			off += l
		}
		if err := c.c.Batch(context.Background(), ops); err != nil {
			tb.Fatalf("creating entries %d..%d: %v", i, end, err)
		}
	}
}

// markOfFull marks every 262nd entry (1 000 of the full table) benchMark
// and the first deleteCount others deleteMark.
func markOfFull(i int) uint32 {
	if i%262 == 0 && i/262 < markedCount {
		return benchMark
	}
	if i < deleteCount*2 && i%2 == 1 {
		return deleteMark
	}
	return 0
}

// fullNS returns a namespace with a full table and a Conn in it.
func fullNS(b *testing.B) (*netnstest.NS, *Conn) {
	b.Helper()
	c, ns := dial(b)
	createRange(b, c, 0, fullTable, 1, markOfFull)
	st, err := c.Stats(context.Background())
	if err != nil || st.Entries != fullTable {
		b.Fatalf("table holds %d entries (%v), want %d", st.Entries, err, fullTable)
	}
	return ns, c
}

// heapMetric reports the bytes allocated per op (an upper bound of the
// heap growth a run can cause) in MiB.
func heapMetric(b *testing.B, before runtime.MemStats) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
}

func BenchmarkDumpFullTable(b *testing.B) {
	ns, c := fullNS(b)
	perEntry := func(b *testing.B, total int, before runtime.MemStats) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/entry")
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(total), "allocs/entry")
		heapMetric(b, before)
	}
	// The floor sends the engine's dump request (NLM_F_REQUEST|NLM_F_ACK|
	// NLM_F_DUMP, same payload) on a raw socket and decodes every entry
	// into one reused Flow with Flow.Decode, as Dump does.
	b.Run("impl=floor", func(b *testing.B) {
		f := nltest.NewFloor(b, ns, unix.NETLINK_NETFILTER)
		var bld nlmsg.Builder
		payload := append([]byte(nil), dumpPayload(&bld, nil, kernelAll)...)
		bld.Release()
		var fl Flow
		n := 0
		decode := func(v nlmsg.View) error { n++; return fl.Decode(v.Payload()) }
		b.ReportAllocs()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		total := 0
		for b.Loop() {
			n = 0
			err := f.RoundTrip(msgType(nlmsg.IPCTNLMsgCTGet), nlmsg.Dump, payload, decode)
			if err != nil || n != fullTable {
				b.Fatalf("floor dump: %d entries, %v", n, err)
			}
			total += n
		}
		perEntry(b, total, ms)
	})
	b.Run("impl=iter", func(b *testing.B) {
		b.ReportAllocs()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		total := 0
		for b.Loop() {
			n := 0
			for _, err := range c.Dump(context.Background(), nil) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != fullTable {
				b.Fatalf("Dump: %d entries", n)
			}
			total += n
		}
		perEntry(b, total, ms)
	})
	b.Run("impl=list", func(b *testing.B) {
		b.ReportAllocs()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		total := 0
		for b.Loop() {
			l, err := c.List(context.Background(), nil)
			if err != nil || len(l) != fullTable {
				b.Fatalf("List: %d, %v", len(l), err)
			}
			total += len(l)
		}
		perEntry(b, total, ms)
	})
}

// BenchmarkDumpMarked selects the 1 000 entries of one mark in the full
// table: the kernel filtering (CTA_MARK) against the whole dump filtered
// here.
func BenchmarkDumpMarked(b *testing.B) {
	_, c := fullNS(b)
	flt := &Filter{Mark: benchMark, MarkMask: 0xffffffff}
	run := func(b *testing.B, dump func() int) {
		b.ReportAllocs()
		for b.Loop() {
			if n := dump(); n != markedCount {
				b.Fatalf("%d marked entries, want %d", n, markedCount)
			}
		}
	}
	b.Run("filter=kernel", func(b *testing.B) {
		run(b, func() int {
			n := 0
			for _, err := range c.Dump(context.Background(), flt) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			return n
		})
	})
	b.Run("filter=userspace", func(b *testing.B) {
		run(b, func() int {
			n := 0
			for f, err := range c.Dump(context.Background(), nil) {
				if err != nil {
					b.Fatal(err)
				}
				if flt.Match(f) {
					n++
				}
			}
			return n
		})
	})
}

// BenchmarkBulkDelete deletes the 100 000 entries of one mark from a full
// table with DeleteFiltered (a kernel-filtered dump, then engine.Batch);
// they are created again, off the clock, before each iteration.
func BenchmarkBulkDelete(b *testing.B) {
	_, c := fullNS(b)
	b.ReportAllocs()
	b.ResetTimer() // the fill is not part of the op
	flt := &Filter{Mark: deleteMark, MarkMask: 0xffffffff}
	for i := 0; i < b.N; i++ {
		if i > 0 {
			b.StopTimer()
			createRange(b, c, 1, deleteCount*2, 2, markOfFull)
			b.StartTimer()
		}
		n, err := c.DeleteFiltered(context.Background(), flt, nil)
		if err != nil || n != deleteCount {
			b.Fatalf("DeleteFiltered: %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*deleteCount), "ns/entry")
}
