package conntrack

import (
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// floorConn is the baseline of the dump benchmarks: one blocking
// NETLINK_NETFILTER socket driven with raw sendto/recvfrom syscalls
// (unix.Syscall6, no sockaddr allocated per call) into a reused 64 KiB
// buffer, the engine's buffer size. It sends the same dump request
// (NLM_F_REQUEST|NLM_F_ACK|NLM_F_DUMP, same payload), and does the same
// decoding: every entry into one reused Flow with Flow.Decode. It
// allocates nothing per dump.
type floorConn struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
	sa  unix.RawSockaddrNetlink
}

func newFloor(tb testing.TB, ns *netnstest.NS) *floorConn {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_NETFILTER)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	tb.Cleanup(func() { unix.Close(fd) })
	return &floorConn{fd: fd, buf: make([]byte, 64<<10), sa: unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}}
}

func (f *floorConn) send(typ nlmsg.Type, flags nlmsg.Flags, payload []byte) error {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags | nlmsg.Request | nlmsg.Ack, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0,
		uintptr(unsafe.Pointer(&f.sa)), unsafe.Sizeof(f.sa))
	if e != 0 {
		return e
	}
	return nil
}

// dump runs one ctnetlink dump, decoding every entry into fl and calling
// fn (if non-nil) with it; it returns the number of entries.
func (f *floorConn) dump(payload []byte, fl *Flow, fn func(*Flow)) (int, error) {
	if err := f.send(msgType(nlmsg.IPCTNLMsgCTGet), nlmsg.Dump, payload); err != nil {
		return 0, err
	}
	count := 0
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e != 0 {
			return count, e
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done:
				return count, nil
			case nlmsg.Error:
				if e := int32(binary.NativeEndian.Uint32(v.Payload())); e != 0 {
					return count, syscall.Errno(-e)
				}
				continue
			}
			if err := fl.Decode(v.Payload()); err != nil {
				return count, err
			}
			count++
			if fn != nil {
				fn(fl)
			}
		}
	}
}
