package sockdiag_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// The seed corpora under testdata/fuzz are replies of the real kernel
// (Linux 6.18) for the test fixtures, written by
// TestIntegrationWriteFuzzCorpus with SOCKDIAG_WRITE_CORPUS=1.

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

// TestIntegrationWriteFuzzCorpus regenerates the seed corpora from the
// kernel's replies for the test fixtures (only with SOCKDIAG_WRITE_CORPUS=1).
func TestIntegrationWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("SOCKDIAG_WRITE_CORPUS") != "1" {
		t.Skip("set SOCKDIAG_WRITE_CORPUS=1 to rewrite testdata/fuzz from kernel replies")
	}
	ns := netnstest.New(t)
	inetFixture(t, ns)
	unixFixture(t, ns)
	c := dial(t, ns)
	write := func(fuzz, name string, args ...any) {
		dir := filepath.Join("testdata", "fuzz", fuzz)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n"
		for _, a := range args {
			switch v := a.(type) {
			case uint8:
				body += fmt.Sprintf("uint8(%d)\n", v)
			case []byte:
				body += fmt.Sprintf("[]byte(%q)\n", v)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := sockdiag.ExtInfo | sockdiag.ExtCong | sockdiag.ExtSkMemInfo | sockdiag.ExtMemInfo | sockdiag.ExtTOS | sockdiag.ExtTClass
	n := 0
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			h := nlmsg.InetDiagReqV2{Family: fam, Protocol: proto, Ext: uint8(all), States: uint32(sockdiag.AllStates)}
			for v, err := range c.Dump(context.Background(), nlmsg.SockDiagByFamily, h.AppendTo(nil), 0) {
				if err != nil {
					t.Fatal(err)
				}
				write("FuzzInetSocketDecode", fmt.Sprintf("kernel-%d", n), append([]byte(nil), v.Payload()...), proto)
				n++
			}
		}
	}
	h := nlmsg.UnixDiagReq{Family: unix.AF_UNIX, States: uint32(sockdiag.AllStates), Show: 0x7f}
	for v, err := range c.Dump(context.Background(), nlmsg.SockDiagByFamily, h.AppendTo(nil), 0) {
		if err != nil {
			t.Fatal(err)
		}
		write("FuzzUnixSocketDecode", fmt.Sprintf("kernel-%d", n), append([]byte(nil), v.Payload()...))
		n++
	}
	t.Logf("wrote %d seeds", n)
}
