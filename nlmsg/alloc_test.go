package nlmsg

import (
	"testing"
)

// routeDatagram returns a ~32 KiB datagram of routeCount RTM_NEWROUTE
// messages, as one chunk of a kernel route dump, in a buffer of its own.
func routeDatagram(tb testing.TB) []byte {
	tb.Helper()
	var b Builder
	defer b.Release()
	buildRouteDump(&b, routeCount, 1)
	out := append([]byte(nil), b.Bytes()...)
	if len(out) < 31*1024 || len(out) > 32*1024 {
		tb.Fatalf("route datagram is %d bytes, want ~32 KiB", len(out))
	}
	return out
}

func TestAllocsScanRouteDatagram(t *testing.T) {
	dgram := routeDatagram(t)
	var r route
	n, err := decodeRoutes(dgram, &r)
	if err != nil || n != routeCount {
		t.Fatalf("decoded %d routes, err %v", n, err)
	}
	var sum uint64
	allocs := testing.AllocsPerRun(50, func() {
		n, err = decodeRoutes(dgram, &r)
		sum += uint64(r.oif) + uint64(r.priority)
	})
	if allocs != 0 {
		t.Errorf("scanning %d route messages and their attributes: %v allocations, want 0", routeCount, allocs)
	}
	if n != routeCount || err != nil || sum == 0 {
		t.Errorf("decoded %d routes, err %v", n, err)
	}
}

// TestAllocsAllGetters covers the getters the route decode does not use,
// the error/done decoders and the family decoders, all on the success path.
func TestAllocsAllGetters(t *testing.T) {
	var b Builder
	defer b.Release()
	b.Begin(RTMNewLink, 0, 1)
	AppendFamilyHeader(&b, IfInfoMsg{Index: 1})
	b.Uint8(1, 1)
	b.Uint16(2, 2)
	b.Uint64(3, 3)
	b.Uint16BE(4, 4)
	b.Uint32BE(5, 5)
	b.Uint64BE(6, 6)
	b.String(7, "lo")
	b.Flag(8)
	n := b.BeginNest(9)
	b.Uint32(1, 1)
	b.EndNest(n)
	b.Begin(Error, Capped|AckTLVs, 1)
	b.Append(u32(uint32(0xffffffea))) // -EINVAL
	b.Append(rawMsg(RTMNewLink, Request, 1, nil))
	b.String(ExtAckMsg, "bad")
	b.Uint32(ExtAckOffset, 20)
	b.Begin(Done, Multi|AckTLVs, 1)
	b.Append(u32(0))
	b.String(ExtAckMsg, "ok")
	dgram := append([]byte(nil), b.Bytes()...)

	var sink uint64
	must := func(err error) uint64 {
		if err != nil {
			panic(err)
		}
		return 0
	}
	run := func() {
		s := NewScanner(dgram)
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case RTMNewLink:
				h, attrs, _ := DecodeIfInfoMsg(v.Payload())
				sink += uint64(h.Index)
				as := NewAttrScanner(attrs)
				for as.Next() {
					// Each attribute through the getter that fits it: a
					// failing getter allocates its error.
					a := as.Attr()
					var x uint64
					switch a.Type() {
					case 1:
						v, err := a.Uint8()
						x = uint64(v) + must(err)
					case 2:
						v, err := a.Uint16()
						x = uint64(v) + must(err)
					case 3:
						v, err := a.Uint64()
						x = v + must(err)
					case 4:
						v, err := a.Uint16BE()
						x = uint64(v) + must(err)
					case 5:
						v, err := a.Uint32BE()
						x = uint64(v) + must(err)
					case 6:
						v, err := a.Uint64BE()
						x = v + must(err)
					case 7:
						x = uint64(len(a.StringBytes()))
					case 8:
						if a.Flag() {
							x = 1
						}
					case 9:
						ns := a.Attrs()
						for ns.Next() {
							v, err := ns.Attr().Int32()
							x += uint64(v) + must(err)
						}
					}
					sink += x
				}
			case Error:
				e, err := ParseError(v)
				if err != nil {
					panic(err)
				}
				sink += uint64(e.Errno) + uint64(len(e.Ext.Msg))
			case Done:
				d, err := ParseDone(v)
				if err != nil {
					panic(err)
				}
				sink += uint64(d.Errno) + uint64(len(d.Ext.Msg))
			}
		}
		for _, dec := range [...]func([]byte) error{
			func(p []byte) error { _, _, err := DecodeIfAddrMsg(p); return err },
			func(p []byte) error { _, _, err := DecodeRtMsg(p); return err },
			func(p []byte) error { _, _, err := DecodeNdMsg(p); return err },
			func(p []byte) error { _, _, err := DecodeRtGenMsg(p); return err },
			func(p []byte) error { _, _, err := DecodeGenlMsgHdr(p); return err },
		} {
			if dec(dgram[:16]) != nil {
				panic("decode failed")
			}
		}
	}
	run()
	if sink == 0 {
		t.Fatal("decoded nothing")
	}
	if allocs := testing.AllocsPerRun(50, run); allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}

func TestAllocsEncodeBatch(t *testing.T) {
	const batch = 64
	var b Builder
	defer b.Release()
	encode := func() {
		b.Reset()
		for i := 0; i < batch; i++ {
			appendRoute(&b, i, uint32(1000+i), Request|Ack|Create|Excl)
		}
		b.SetSeq(b.MessageOffset(), 7)
		_ = b.Bytes()
	}
	encode() // warm: the pooled buffer grows to the batch's size once
	if allocs := testing.AllocsPerRun(100, encode); allocs != 0 {
		t.Errorf("encoding a batch of %d routes into a warm Builder: %v allocations, want 0", batch, allocs)
	}
	// The batch is what it claims to be.
	s := NewScanner(b.Bytes())
	n := 0
	for s.Next() {
		want := uint32(1000 + n)
		if n == batch-1 {
			want = 7
		}
		if s.View().Seq() != want || s.View().Len() != 60 {
			t.Fatalf("message %d: seq %d len %d", n, s.View().Seq(), s.View().Len())
		}
		n++
	}
	if n != batch || s.Err() != nil {
		t.Errorf("batch has %d messages, err %v", n, s.Err())
	}
}

func TestAllocsBuilderFromPool(t *testing.T) {
	// A Builder that takes its buffer from the pool and gives it back each
	// time does not allocate once the pool holds a big enough buffer. A GC
	// during the runs may empty the pool and cost one refill; AllocsPerRun
	// rounds the average down, so that does not fail the test.
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	run := func() {
		var b Builder
		for i := 0; i < 8; i++ {
			appendRoute(&b, i, uint32(i), Request|Ack)
		}
		_ = b.Bytes()
		b.Release()
	}
	run()
	if allocs := testing.AllocsPerRun(100, run); allocs >= 1 {
		t.Errorf("%v allocations per pooled build, want 0", allocs)
	}
}
