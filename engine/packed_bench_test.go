//go:build linux

package engine

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// getLinkPacked sends k RTM_GETLINK requests with NLM_F_REQUEST|NLM_F_ACK
// (the engine's flags) packed into one datagram with one sendto, and reads
// the 2k answers (a reply and an ack each) with non-blocking recvmmsg
// calls into buffers made once: the kernel answers a request inside the
// sendto, so they are all queued when it returns. Like roundTrip it checks
// each ack's errno, and it refuses a truncated answer; it decodes nothing
// else and allocates nothing per call.
func (f *floorConn) getLinkPacked(k int, payload []byte) error {
	const answerSize = 8192 // an RTM_NEWLINK of lo is about 1.5 KiB
	if f.ackMsgs == nil || len(f.ackBufs[0]) < answerSize {
		f.ackBufs, f.ackMsgs = mmsgBuffers(64, answerSize)
	}
	dg := f.dg[:0]
	for range k {
		f.seq++
		dg = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: unix.RTM_GETLINK, Flags: nlmsg.Request | nlmsg.Ack, Seq: f.seq}.AppendTo(dg)
		dg = append(dg, payload...)
		for len(dg)%4 != 0 {
			dg = append(dg, 0)
		}
	}
	f.dg = dg
	if err := f.sendRaw(dg); err != nil {
		return err
	}
	for want := 2 * k; want > 0; {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(f.fd), uintptr(unsafe.Pointer(&f.ackMsgs[0])), uintptr(min(want, len(f.ackMsgs))), unix.MSG_DONTWAIT, 0, 0)
		if e != 0 {
			return e
		}
		for i := range int(n) {
			m := &f.ackMsgs[i]
			if m.Hdr.Flags&unix.MSG_TRUNC != 0 || m.Len < nlmsg.HeaderLen+4 {
				return fmt.Errorf("answer %d: %d bytes, truncated or short", i, m.Len)
			}
			b := f.ackBufs[i]
			if nlmsg.Type(binary.NativeEndian.Uint16(b[4:])) == nlmsg.Error {
				if e := int32(binary.NativeEndian.Uint32(b[nlmsg.HeaderLen:])); e != 0 {
					return syscall.Errno(-e)
				}
			}
		}
		want -= int(n)
	}
	return nil
}

// BenchmarkGetLinkPackedCeiling measures what packing would give the
// 8-goroutine RTM_GETLINK figure of BenchmarkGetLinkParallelInterleaved:
// in turn inside every iteration, 512 requests on one floor socket one at
// a time (the reference), 512 packed 8 to a datagram on that socket, 512
// one at a time on two floor sockets driven by a goroutine each, and 512
// packed on the two. It reports each one's throughput over the reference.
// The kernel answers RTM_GETLINK holding RTNL, so the two sockets overlap
// only the work outside that lock. Run:
//
//	go test -run '^$' -bench GetLinkPackedCeiling -count 6 ./engine/
func BenchmarkGetLinkPackedCeiling(b *testing.B) {
	const block, per = 512, 8
	ns := netnstest.New(b)
	f := newFloor(b, ns)
	pair := [2]*floorConn{newFloor(b, ns), newFloor(b, ns)}
	req := ifinfoPayload(1)
	var tOne, tPacked, tPair, tPairPacked time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range block {
			mustNoErr(b, f.roundTrip(unix.RTM_GETLINK, 0, req, nil), "getlink")
		}
		t1 := time.Now()
		for range block / per {
			mustNoErr(b, f.getLinkPacked(per, req), "packed getlink")
		}
		t2 := time.Now()
		shareRequests(b, len(pair), block, 1, func(i int) error { return pair[i].roundTrip(unix.RTM_GETLINK, 0, req, nil) })
		t3 := time.Now()
		shareRequests(b, len(pair), block, per, func(i int) error { return pair[i].getLinkPacked(per, req) })
		t4 := time.Now()
		tOne, tPacked, tPair, tPairPacked = tOne+t1.Sub(t0), tPacked+t2.Sub(t1), tPair+t3.Sub(t2), tPairPacked+t4.Sub(t3)
	}
	calls := float64(block * b.N)
	b.ReportMetric(float64(tOne.Nanoseconds())/calls, "floor-ns/req")
	b.ReportMetric(float64(tOne)/float64(tPacked), "packed-x-floor")
	b.ReportMetric(float64(tOne)/float64(tPair), "floor2-x-floor")
	b.ReportMetric(float64(tOne)/float64(tPairPacked), "packed2-x-floor")
}
