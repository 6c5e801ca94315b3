package genl

import (
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// genlFloor is the baseline of the benchmarks: one blocking
// NETLINK_GENERIC socket with extended and capped acks (as an engine.Conn
// has by default), driven with raw sendto/recvfrom syscalls (no sockaddr
// allocated) into a reused 64 KiB buffer. It sends the same requests with
// the same flags (NLM_F_REQUEST|NLM_F_ACK, plus NLM_F_DUMP for a dump),
// reads until the ack or NLMSG_DONE and decodes with the same decoders. It
// allocates nothing.
type genlFloor struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
}

func newGenlFloor(tb testing.TB, ns *netnstest.NS) *genlFloor {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_GENERIC)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	return &genlFloor{fd: fd, buf: make([]byte, 64<<10), req: make([]byte, 0, 256)}
}

// roundTrip sends one message of type typ with payload and calls fn for
// every reply message until the ack (or NLMSG_DONE for a dump).
func (f *genlFloor) roundTrip(typ nlmsg.Type, flags nlmsg.Flags, payload []byte, fn func(nlmsg.View) error) error {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags | nlmsg.Request | nlmsg.Ack, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0, 0, 0); e != 0 {
		return e
	}
	dump := flags&nlmsg.Dump == nlmsg.Dump
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e != 0 {
			return e
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Error:
				if errno := int32(binary.NativeEndian.Uint32(v.Payload())); errno != 0 {
					return syscall.Errno(-errno)
				}
				return nil
			case nlmsg.Done:
				if dump {
					// The ack of a dump is NLMSG_DONE.
					return nil
				}
			default:
				if err := fn(v); err != nil {
					return err
				}
			}
		}
	}
}

// cpuTime returns the process's user+system CPU time in nanoseconds. On a
// shared, loaded machine wall time per op swings with the neighbours;
// CPU time per op (reported as cpu-ns/op) is what the code itself costs.
func cpuTime() int64 {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU reports the CPU time per op since start.
func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
