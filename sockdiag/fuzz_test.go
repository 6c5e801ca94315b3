package sockdiag_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// The seed corpora under testdata/fuzz are replies of the real kernel
// (Linux 6.18) for the test fixtures, written by TestIntegrationCorpus:
//
//	go test -run Corpus ./sockdiag/ -args -update-corpus

// FuzzInetSocketDecode: any payload decodes or fails with a *DecodeError,
// never panics; a decoded socket has the header's fields.
func FuzzInetSocketDecode(f *testing.F) {
	f.Add(inetMessage(unix.AF_INET, attr(nlmsg.InetDiagInfo, kernelTCPInfo())), uint8(unix.IPPROTO_TCP))
	f.Fuzz(func(t *testing.T, payload []byte, proto uint8) {
		var s sockdiag.InetSocket
		err := s.Decode(payload, proto)
		if !decoded(t, err) {
			return
		}
		h, _, herr := nlmsg.DecodeInetDiagMsg(payload)
		if herr != nil || uint8(s.State) != h.State || s.Inode != h.Inode || s.Local.Port() != h.ID.SPort || s.Family != h.Family {
			t.Fatalf("decoded %+v from header %+v (%v)", s, h, herr)
		}
		if s.Has(nlmsg.InetDiagCong) && len(s.Congestion) > 16 {
			t.Fatalf("congestion name of %d bytes", len(s.Congestion))
		}
	})
}

// FuzzUnixSocketDecode: the same for unix replies.
func FuzzUnixSocketDecode(f *testing.F) {
	f.Add(unixMessage(attr(nlmsg.UnixDiagName, []byte("/run/x.sock\x00")), attr(nlmsg.UnixDiagIcons, u32s(7, 8, 9))))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var s sockdiag.UnixSocket
		err := s.Decode(payload)
		if !decoded(t, err) {
			return
		}
		h, _, herr := nlmsg.DecodeUnixDiagMsg(payload)
		if herr != nil || s.Inode != h.Inode || uint8(s.Type) != h.Type || len(s.PathBytes()) > 108 {
			t.Fatalf("decoded %+v from header %+v (%v)", s, h, herr)
		}
	})
}

// FuzzNetlinkSocketDecode: the same for netlink replies; a decoded socket
// never reports a group beyond its bitmap.
func FuzzNetlinkSocketDecode(f *testing.F) {
	f.Add(netlinkMessage(attr(nlmsg.NetlinkDiagGroups, groupWords(0x11, 1)), attr(nlmsg.NetlinkDiagFlags, u32s(2))))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var s sockdiag.NetlinkSocket
		err := s.Decode(payload)
		if !decoded(t, err) {
			return
		}
		var h nlmsg.NetlinkDiagMsg
		if _, herr := h.Decode(payload); herr != nil || s.Inode != h.Inode || s.PortID != h.PortID || uint8(s.Protocol) != h.Protocol {
			t.Fatalf("decoded %+v from header %+v (%v)", s, h, herr)
		}
		if s.InGroup(uint32(len(s.Groups))*8 + 1) {
			t.Fatalf("group beyond a bitmap of %d bytes", len(s.Groups))
		}
	})
}

// FuzzPacketSocketDecode: the same for packet replies.
func FuzzPacketSocketDecode(f *testing.F) {
	f.Add(packetMessage(attr(nlmsg.PacketDiagMCList, mclist(3, 1, 0, 1, 2, 3)), attr(nlmsg.PacketDiagFilter, sockFilters(packetProgram...))))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var s sockdiag.PacketSocket
		err := s.Decode(payload)
		if !decoded(t, err) {
			return
		}
		var h nlmsg.PacketDiagMsg
		if _, herr := h.Decode(payload); herr != nil || s.Inode != h.Inode || uint16(s.Protocol) != h.Num || uint8(s.Type) != h.Type {
			t.Fatalf("decoded %+v from header %+v (%v)", s, h, herr)
		}
		for i := range s.Memberships {
			if len(s.Memberships[i].Addr()) > nlmsg.PacketMCAddrLen {
				t.Fatalf("membership address of %d bytes", len(s.Memberships[i].Addr()))
			}
		}
	})
}

// decoded reports whether a fuzzed Decode succeeded, and fails t unless
// its error is a *DecodeError.
func decoded(t *testing.T, err error) bool {
	t.Helper()
	var de *sockdiag.DecodeError
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *DecodeError", err, err)
	}
	return err == nil
}

// TestIntegrationCorpus captures the kernel's replies for the test
// fixtures as fuzz seeds (see nltest.Seeds): every TCP and UDP socket of
// both families with every extension, and every unix, netlink and packet
// socket with every attribute.
func TestIntegrationCorpus(t *testing.T) {
	ns := netnstest.New(t)
	inetFixture(t, ns)
	unixFixture(t, ns)
	netlinkFixture(t, ns)
	packetFixture(t, ns)
	c := dial(t, ns)
	inet, unixSeeds := map[string][]any{}, map[string][]any{}
	all := sockdiag.ExtInfo | sockdiag.ExtCong | sockdiag.ExtCCInfo | sockdiag.ExtSkMemInfo | sockdiag.ExtMemInfo | sockdiag.ExtTOS | sockdiag.ExtTClass
	n := 0
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			h := nlmsg.InetDiagReqV2{Family: fam, Protocol: proto, Ext: uint8(all), States: uint32(sockdiag.AllStates)}
			for v, err := range c.Dump(context.Background(), nlmsg.SockDiagByFamily, h.AppendTo(nil), 0) {
				if err != nil {
					t.Fatal(err)
				}
				inet[fmt.Sprint(n)] = []any{append([]byte(nil), v.Payload()...), proto}
				n++
			}
		}
	}
	h := nlmsg.UnixDiagReq{Family: unix.AF_UNIX, States: uint32(sockdiag.AllStates), Show: 0x7f}
	for v, err := range c.Dump(context.Background(), nlmsg.SockDiagByFamily, h.AppendTo(nil), 0) {
		if err != nil {
			t.Fatal(err)
		}
		unixSeeds[fmt.Sprint(n)] = []any{append([]byte(nil), v.Payload()...)}
		n++
	}
	netlinkSeeds, packetSeeds := map[string][]any{}, map[string][]any{}
	for _, q := range []struct {
		seeds map[string][]any
		req   []byte
	}{
		{netlinkSeeds, nlmsg.NetlinkDiagReq{Family: unix.AF_NETLINK, Protocol: nlmsg.NetlinkDiagProtoAll, Show: 0xf}.AppendTo(nil)},
		{packetSeeds, nlmsg.PacketDiagReq{Family: unix.AF_PACKET, Show: sockdiag.DefaultPacketShow}.AppendTo(nil)},
	} {
		for v, err := range c.Dump(context.Background(), nlmsg.SockDiagByFamily, q.req, 0) {
			if err != nil {
				t.Fatal(err)
			}
			q.seeds[fmt.Sprint(n)] = []any{append([]byte(nil), v.Payload()...)}
			n++
		}
	}
	nltest.Seeds(t, "FuzzNetlinkSocketDecode", netlinkSeeds)
	nltest.Seeds(t, "FuzzPacketSocketDecode", packetSeeds)
	nltest.Seeds(t, "FuzzInetSocketDecode", inet)
	nltest.Seeds(t, "FuzzUnixSocketDecode", unixSeeds)
}
