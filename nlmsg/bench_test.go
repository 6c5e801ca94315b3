package nlmsg

import (
	"testing"
)

// The benchmarks measure the work of one ~32 KiB dump datagram (routeCount
// RTM_NEWROUTE messages, as the kernel packs them) and of one 64-message
// request batch. b.SetBytes makes MB/s comparable across them; ns/op per
// datagram divided by routeCount gives the cost per route message.

func BenchmarkScanHeaders(b *testing.B) {
	dgram := routeDatagram(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(dgram)))
	var seqs uint32
	for b.Loop() {
		s := NewScanner(dgram)
		for s.Next() {
			seqs += s.View().Seq()
		}
		if s.Err() != nil {
			b.Fatal(s.Err())
		}
	}
	_ = seqs
}

func BenchmarkScanRoutes(b *testing.B) {
	dgram := routeDatagram(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(dgram)))
	var r route
	for b.Loop() {
		n, err := decodeRoutes(dgram, &r)
		if err != nil || n != routeCount {
			b.Fatalf("decoded %d routes, err %v", n, err)
		}
	}
}

func BenchmarkParseError(b *testing.B) {
	req := rawMsg(RTMNewLink, Request|Ack|Create|Excl, 7, nil)
	msg := rawMsg(Error, Capped|AckTLVs, 7, cat(
		u32(uint32(0xffffffea)), // -EINVAL
		req[:HeaderLen],
		padded(rawAttr(ExtAckMsg, []byte("Attribute failed policy validation\x00"))),
		rawAttr(ExtAckOffset, u32(36)),
		rawAttr(ExtAckMissType, u32(3)),
	))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		v, err := ViewOf(msg)
		if err != nil {
			b.Fatal(err)
		}
		body, err := ParseError(v)
		if err != nil || body.Errno != 22 || !body.Ext.HasOffset {
			b.Fatalf("%+v, %v", body, err)
		}
	}
}

func BenchmarkEncodeRouteBatch(b *testing.B) {
	const batch = 64
	var bld Builder
	defer bld.Release()
	encode := func() {
		bld.Reset()
		for i := 0; i < batch; i++ {
			appendRoute(&bld, i, uint32(i), Request|Ack|Create|Excl)
		}
		_ = bld.Bytes()
	}
	encode()
	b.ReportAllocs()
	b.SetBytes(int64(bld.Len()))
	for b.Loop() {
		encode()
	}
}
