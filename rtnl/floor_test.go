package rtnl

import (
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// rawFloor is the floor every rtnl dump benchmark is measured against: one
// blocking NETLINK_ROUTE socket in the namespace with the options a Dial'd
// Conn has (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK), the
// same request (NLM_F_REQUEST|NLM_F_ACK|NLM_F_DUMP and the same payload),
// sendto and recvfrom as bare unix.Syscall6 calls (no sockaddr allocated)
// into one reused 64 KiB buffer (the engine's buffer size), each reply
// message scanned with nlmsg.Scanner and handed to the benchmark's decoder,
// if any. It allocates nothing.
type rawFloor struct {
	fd  int
	seq uint32
	req []byte
	buf []byte
}

func newRawFloor(tb testing.TB, ns *netnstest.NS) *rawFloor {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	for _, o := range []int{unix.NETLINK_EXT_ACK, unix.NETLINK_CAP_ACK, unix.NETLINK_GET_STRICT_CHK} {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, o, 1); err != nil {
			tb.Fatal(err)
		}
	}
	return &rawFloor{fd: fd, buf: make([]byte, 64<<10)}
}

// sendDump sends one dump request of typ with payload, with
// NLM_F_REQUEST|NLM_F_ACK|NLM_F_DUMP and the next sequence number, by one
// bare sendto.
func (f *rawFloor) sendDump(typ nlmsg.Type, payload []byte) error {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: nlmsg.Request | nlmsg.Ack | nlmsg.Dump, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0, 0, 0); e != 0 {
		return e
	}
	return nil
}

// dump sends one dump request of typ with payload and hands every reply
// message to each (nil: decode nothing), until NLMSG_DONE. It returns how
// many messages there were before it. A kernel error is its errno.
func (f *rawFloor) dump(typ nlmsg.Type, payload []byte, each func(nlmsg.View) error) (int, error) {
	if err := f.sendDump(typ, payload); err != nil {
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
				return count, nil
			}
			if each != nil {
				if err := each(v); err != nil {
					return count, err
				}
			}
			count++
		}
	}
}

// decodeEach is a rawFloor.dump callback that decodes the payload of every
// message of type want with decode. Make it once, outside the timed loop.
func decodeEach(want nlmsg.Type, decode func([]byte) error) func(nlmsg.View) error {
	return func(v nlmsg.View) error {
		if v.Type() != want {
			return nil
		}
		return decode(v.Payload())
	}
}
