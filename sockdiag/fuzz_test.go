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
		if err != nil {
			var de *sockdiag.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
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
		if err != nil {
			var de *sockdiag.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			return
		}
		h, _, herr := nlmsg.DecodeUnixDiagMsg(payload)
		if herr != nil || s.Inode != h.Inode || uint8(s.Type) != h.Type || len(s.PathBytes()) > 108 {
			t.Fatalf("decoded %+v from header %+v (%v)", s, h, herr)
		}
	})
}

// TestIntegrationCorpus captures the kernel's replies for the test
// fixtures as fuzz seeds (see nltest.Seeds): every TCP and UDP socket of
// both families with every extension, and every unix socket.
func TestIntegrationCorpus(t *testing.T) {
	ns := netnstest.New(t)
	inetFixture(t, ns)
	unixFixture(t, ns)
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
	nltest.Seeds(t, "FuzzInetSocketDecode", inet)
	nltest.Seeds(t, "FuzzUnixSocketDecode", unixSeeds)
}
