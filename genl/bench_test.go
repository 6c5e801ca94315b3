package genl

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
)

// benchConns returns an engine-backed Conn and a floor in one fresh
// namespace.
func benchConns(b *testing.B) (*Conn, *nltest.Floor) {
	ns := netnstest.New(b)
	c, err := Dial(b.Context(), engine.WithNetNSFD(ns.FD()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, nltest.NewFloor(b, ns, unix.NETLINK_GENERIC)
}

// BenchmarkFamilyList lists every family (CTRL_CMD_GETFAMILY dump, as
// `genl ctrl list` does) into a reused []Family.
func BenchmarkFamilyList(b *testing.B) {
	c, floor := benchConns(b)
	var fams []Family
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fams)), "ns/family")
	}
	b.Run("impl=floor", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		for b.Loop() {
			fams = fams[:0]
			err := floor.RoundTrip(nlmsg.GenlIDCtrl, nlmsg.Dump, getFamilyDump, func(v nlmsg.View) error {
				if len(fams) < cap(fams) {
					fams = fams[:len(fams)+1]
				} else {
					fams = append(fams, Family{})
				}
				return decodeFamilyView(v, &fams[len(fams)-1])
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("impl=engine", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		ctx := b.Context()
		var err error
		for b.Loop() {
			if fams, err = c.AppendFamilies(ctx, fams); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}

// BenchmarkCommand is one command round trip to a family by name: nlctrl's
// CTRL_CMD_GETFAMILY for "ethtool", the reply decoded into a reused
// Family. The engine side resolves "nlctrl" from its cache; the floor
// addresses GENL_ID_CTRL directly.
func BenchmarkCommand(b *testing.B) {
	c, floor := benchConns(b)
	var f Family
	decode := func(m Message) error { return DecodeFamily(m.Attrs, &f) }
	b.Run("impl=floor", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		var nb nlmsg.Builder
		defer nb.Release()
		for b.Loop() {
			nb.Reset()
			nlmsg.AppendFamilyHeader(&nb, nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetFamily, Version: ctrlVersion})
			nb.String(nlmsg.CtrlAttrFamilyName, "ethtool")
			err := floor.RoundTrip(nlmsg.GenlIDCtrl, 0, nb.Bytes(), func(v nlmsg.View) error {
				m, err := ParseMessage(v, 0)
				if err != nil {
					return err
				}
				return decode(m)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// The engine's RequestFunc with the request prebuilt: what the genl
	// layer adds is impl=engine minus this.
	b.Run("impl=engine-raw", func(b *testing.B) {
		b.ReportAllocs()
		defer nltest.ReportCPU(b, nltest.CPUTime())
		ctx := b.Context()
		var nb nlmsg.Builder
		defer nb.Release()
		nlmsg.AppendFamilyHeader(&nb, nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetFamily, Version: ctrlVersion})
		nb.String(nlmsg.CtrlAttrFamilyName, "ethtool")
		req := nb.Bytes()
		for b.Loop() {
			err := c.Engine().RequestFunc(ctx, nlmsg.GenlIDCtrl, req, 0, func(v nlmsg.View) error {
				m, err := ParseMessage(v, 0)
				if err != nil {
					return err
				}
				return decode(m)
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
		build := func(nb *nlmsg.Builder) { nb.String(nlmsg.CtrlAttrFamilyName, "ethtool") }
		for b.Loop() {
			if err := c.Execute(ctx, "nlctrl", nlmsg.CtrlCmdGetFamily, 0, build, decode); err != nil {
				b.Fatal(err)
			}
		}
	})
	if f.Name != "ethtool" {
		b.Fatalf("decoded %+v", f)
	}
}
