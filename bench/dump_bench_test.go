package bench

import (
	"testing"
)

// reportPerMsg adds ns/msg and msgs/s for a benchmark whose every op
// handled msgs messages.
func reportPerMsg(b *testing.B, msgs int) {
	total := float64(b.N) * float64(msgs)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/msg")
	b.ReportMetric(total/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRouteDump dumps 100 000 IPv4 routes (plus lo's local-table
// routes) per op. The namespace is filled once and shared by every library:
// dumps do not change it.
func BenchmarkRouteDump(b *testing.B) {
	nsp, msgs := filledRouteNS(b, dumpRoutes)
	for _, lib := range libraries {
		for _, lv := range levels {
			b.Run("lib="+lib.name+"/level="+lv.String(), func(b *testing.B) {
				skipUnsupported(b, lib, wRouteDump, lv)
				c := lib.dial(b, nsp)
				good := 0 // decoded routes that look like bench routes
				fn := func(r route) {
					if r.DstLen == 32 && r.OIF == 1 && r.Dst.Is4() {
						good++
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					n, err := c.routeDump(lv, fn)
					must(b, err, "route dump")
					if n != msgs {
						b.Fatalf("route dump returned %d messages, want %d", n, msgs)
					}
				}
				reportPerMsg(b, msgs)
				// lo's local 127.0.0.1/32 looks like a bench route too.
				if lv == decoded && good < b.N*dumpRoutes {
					b.Fatalf("only %d of %d decoded routes were 10.x.y.z/32 dev lo", good, b.N*dumpRoutes)
				}
			})
		}
	}
}

// BenchmarkLinkDump dumps every link of a namespace holding 500 veth pairs
// and lo (1 001 links) per op.
func BenchmarkLinkDump(b *testing.B) {
	nsp, msgs := filledLinkNS(b, vethPairs)
	for _, lib := range libraries {
		for _, lv := range levels {
			b.Run("lib="+lib.name+"/level="+lv.String(), func(b *testing.B) {
				skipUnsupported(b, lib, wLinkDump, lv)
				c := lib.dial(b, nsp)
				named := 0
				fn := func(l link) {
					if l.Name != "" && l.MTU != 0 {
						named++
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					n, err := c.linkDump(lv, fn)
					must(b, err, "link dump")
					if n != msgs {
						b.Fatalf("link dump returned %d links, want %d", n, msgs)
					}
				}
				reportPerMsg(b, msgs)
				if lv == decoded && named != b.N*msgs {
					b.Fatalf("%d of %d decoded links had a name and an MTU", named, b.N*msgs)
				}
			})
		}
	}
}
