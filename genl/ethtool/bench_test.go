package ethtool

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// BenchmarkLinkModes reads a veth's link modes (ETHTOOL_MSG_LINKMODES_GET,
// compact bit sets) into a reused LinkModes. The floor sends the same
// request to the family id resolved beforehand and decodes with
// DecodeLinkModes.
func BenchmarkLinkModes(b *testing.B) {
	ns := netnstest.New(b)
	ns.AddVeth(b, "va", "vb")
	e, err := Dial(b.Context(), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	fam, err := e.Conn().Family(b.Context(), nlmsg.EthtoolGenlName)
	if err != nil {
		b.Fatal(err)
	}
	floor := nltest.NewFloor(b, ns, unix.NETLINK_GENERIC)
	ifc := Interface{Name: "va"}
	var lm LinkModes
	b.Run("impl=floor", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		var nb nlmsg.Builder
		defer nb.Release()
		for b.Loop() {
			nb.Reset()
			nlmsg.AppendFamilyHeader(&nb, nlmsg.GenlMsgHdr{Cmd: nlmsg.EthtoolMsgLinkModesGet, Version: uint8(fam.Version)})
			header(&nb, nlmsg.EthtoolALinkModesHeader, ifc, nlmsg.EthtoolFlagCompactBitsets)
			err := floor.RoundTrip(nlmsg.Type(fam.ID), 0, nb.Bytes(), func(v nlmsg.View) error {
				m, err := genl.ParseMessage(v, fam.HdrSize)
				if err != nil {
					return err
				}
				return DecodeLinkModes(m.Attrs, &lm)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// The engine's RequestFunc with the request prebuilt: what genl and
	// this package add is impl=engine minus this.
	b.Run("impl=engine-raw", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		ctx := b.Context()
		var nb nlmsg.Builder
		defer nb.Release()
		nlmsg.AppendFamilyHeader(&nb, nlmsg.GenlMsgHdr{Cmd: nlmsg.EthtoolMsgLinkModesGet, Version: uint8(fam.Version)})
		header(&nb, nlmsg.EthtoolALinkModesHeader, ifc, nlmsg.EthtoolFlagCompactBitsets)
		req := nb.Bytes()
		for b.Loop() {
			err := e.Conn().Engine().RequestFunc(ctx, nlmsg.Type(fam.ID), req, 0, func(v nlmsg.View) error {
				m, err := genl.ParseMessage(v, fam.HdrSize)
				if err != nil {
					return err
				}
				return DecodeLinkModes(m.Attrs, &lm)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=engine", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		ctx := b.Context()
		before := e.Conn().Engine().Stats()
		for b.Loop() {
			if err := e.LinkModesInto(ctx, ifc, &lm); err != nil {
				b.Fatal(err)
			}
		}
		after := e.Conn().Engine().Stats()
		b.ReportMetric(float64(after.ReceiveCalls-before.ReceiveCalls)/float64(b.N), "recvcalls/op")
	})
	if lm.Speed != 10000 {
		b.Fatalf("decoded %+v", lm)
	}
}
