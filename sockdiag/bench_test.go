package sockdiag_test

import (
	"context"
	"encoding/binary"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// benchPairs TCP connections over loopback, both ends open, plus one
// listener per helper process: 100 006 sockets.
const benchPairs = 50_000

// floorDiag is the baseline: one blocking NETLINK_SOCK_DIAG socket in the
// namespace with the engine's options (extended and capped acks), driven
// by raw sendto/recvfrom system calls (unix.Syscall6, no sockaddr
// allocated per call) into one reused 64 KiB buffer. Its dump sends what
// the engine sends (NLM_F_REQUEST|NLM_F_DUMP|NLM_F_ACK and the same
// payload), walks each datagram with nlmsg.Scanner and decodes every
// socket with InetSocket.Decode into one reused value, as DumpInet does.
// It allocates nothing.
type floorDiag struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
	sa  unix.RawSockaddrNetlink
}

func newFloorDiag(b *testing.B, ns *netnstest.NS) *floorDiag {
	fd, err := ns.Socket(unix.NETLINK_SOCK_DIAG)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		b.Fatal(err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	return &floorDiag{fd: fd, buf: make([]byte, 64<<10), req: make([]byte, 0, 512), sa: unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}}
}

// dump sends one SOCK_DIAG_BY_FAMILY dump request with payload and calls fn
// with each reply's payload; it returns how many there were.
func (f *floorDiag) dump(payload []byte, fn func(p []byte) error) (int, error) {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: nlmsg.SockDiagByFamily,
		Flags: nlmsg.Request | nlmsg.Dump | nlmsg.Ack, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0,
		uintptr(unsafe.Pointer(&f.sa)), unsafe.Sizeof(f.sa)); e != 0 {
		return 0, e
	}
	count := 0
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return count, e
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done, nlmsg.Error:
				if p := v.Payload(); len(p) >= 4 && binary.NativeEndian.Uint32(p) != 0 {
					return count, syscall.Errno(-int32(binary.NativeEndian.Uint32(p)))
				}
				return count, nil
			}
			count++
			if err := fn(v.Payload()); err != nil {
				return count, err
			}
		}
		if err := s.Err(); err != nil {
			return count, err
		}
	}
}

// benchFilter selects 100 of the sockets openConnections makes: the client
// ends from 127.0.0.2 with source ports 20000..20099.
var benchFilter = sockdiag.And(
	sockdiag.SrcPrefix(netip.MustParsePrefix("127.0.0.2/32")),
	sockdiag.SrcPortAtLeast(20000), sockdiag.SrcPortAtMost(20099),
)

// BenchmarkDumpTCP dumps 100 006 TCP sockets (50 000 established pairs
// over loopback and 6 listeners) in a namespace, each decoded into an
// InetSocket: with the raw floor, DumpInet (impl=iter) and ListInet
// (impl=list); with ext=info the kernel adds tcp_info and the congestion
// control name to each. filter=100 sends a program that selects 100 of
// them, against the same dump unfiltered.
func BenchmarkDumpTCP(b *testing.B) {
	ns := netnstest.New(b)
	total := openConnections(b, ns, benchPairs)
	runtime.GC()
	c := dial(b, ns)
	floor := newFloorDiag(b, ns)
	ctx := context.Background()

	type variant struct {
		name string
		req  sockdiag.InetRequest
		want int
	}
	variants := []variant{
		{"ext=none", sockdiag.InetRequest{Family: unix.AF_INET}, total},
		{"ext=info", sockdiag.InetRequest{Family: unix.AF_INET, Ext: sockdiag.ExtInfo | sockdiag.ExtCong}, total},
		{"filter=100", sockdiag.InetRequest{Family: unix.AF_INET, Filter: benchFilter}, 100},
	}
	for _, v := range variants {
		payload, err := requestPayload(v.req)
		if err != nil {
			b.Fatal(err)
		}
		perSocket := func(b *testing.B, cpu0 time.Duration, n int) {
			if n != v.want {
				b.Fatalf("dumped %d sockets, want %d", n, v.want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/socket")
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/socket")
		}
		b.Run(v.name+"/impl=floor", func(b *testing.B) {
			b.ReportAllocs()
			var s sockdiag.InetSocket
			n := 0
			cpu0 := processCPU()
			for b.Loop() {
				var err error
				n, err = floor.dump(payload, func(p []byte) error { return s.Decode(p, unix.IPPROTO_TCP) })
				if err != nil {
					b.Fatal(err)
				}
			}
			perSocket(b, cpu0, n)
		})
		b.Run(v.name+"/impl=iter", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			st0 := c.Stats()
			defer func() { reportEngineCalls(b, st0, c.Stats()) }()
			cpu0 := processCPU()
			for b.Loop() {
				n = 0
				for s, err := range sockdiag.DumpInet(ctx, c, v.req) {
					if err != nil {
						b.Fatal(err)
					}
					_ = s
					n++
				}
			}
			perSocket(b, cpu0, n)
		})
		b.Run(v.name+"/impl=list", func(b *testing.B) {
			b.ReportAllocs()
			var list []sockdiag.InetSocket
			cpu0 := processCPU()
			for b.Loop() {
				var err error
				// A fresh list each time, as a caller keeping the result would.
				if list, err = sockdiag.ListInet(ctx, c, v.req, nil); err != nil {
					b.Fatal(err)
				}
			}
			perSocket(b, cpu0, len(list))
		})
	}
}

// reportEngineCalls reports the receive calls and datagrams per dump: a
// receive call that found nothing means the Conn waited in epoll_wait.
func reportEngineCalls(b *testing.B, before, after engine.Stats) {
	b.ReportMetric(float64(after.ReceiveCalls-before.ReceiveCalls)/float64(b.N), "recv-calls/op")
	b.ReportMetric(float64(after.DatagramsReceived-before.DatagramsReceived)/float64(b.N), "dgrams/op")
}

// processCPU is the user and system time this process has used, on every
// thread: what a dump costs in CPU, whatever else runs on the machine
// (wall time on a loaded machine mostly measures waiting for a CPU).
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// requestPayload is the payload DumpInet sends for req, built by the
// public pieces: the header and the filter's program in an attribute.
func requestPayload(req sockdiag.InetRequest) ([]byte, error) {
	h := nlmsg.InetDiagReqV2{Family: req.Family, Protocol: unix.IPPROTO_TCP, Ext: uint8(req.Ext), States: uint32(sockdiag.AllStates)}
	h.ID.Cookie = [2]uint32{nlmsg.InetDiagNoCookie, nlmsg.InetDiagNoCookie}
	p := h.AppendTo(nil)
	prog, err := req.Filter.Bytecode(nil)
	if err != nil || len(prog) == 0 {
		return p, err
	}
	p = binary.NativeEndian.AppendUint16(p, uint16(4+len(prog)))
	p = binary.NativeEndian.AppendUint16(p, nlmsg.InetDiagReqBytecode)
	return append(p, prog...), nil
}
