package rtnl

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// pipedFloor is the raw floor split in two the way read-ahead splits a
// typed dump, with nothing else: the caller's goroutine sends the rawFloor
// request and reads the dump's chunks with bare recvfrom calls into a ring
// of four 64 KiB buffers, and hands each chunk over a channel (at most two
// wait) to a long-lived second goroutine that decodes every RTM_NEWROUTE
// into one Route, as the typed iterator does. It allocates nothing per
// dump. Whatever the engine adds (its driver token, pending, inbox and
// wake-ups) is what a pipelined typed dump costs over this one; what this
// one costs over the floor is the machine's price for the second
// goroutine's work beside the kernel's.
type pipedFloor struct {
	*rawFloor
	free    chan []byte // buffers the reader may fill
	work    chan []byte // chunks for the decoder; nil ends a dump
	decoded chan int    // routes decoded, once per dump
}

// newPipedFloor makes a pipedFloor of f, whose socket it then uses (not
// at the same time as f.dump), and starts its decoder, which stops at tb's
// cleanup.
func newPipedFloor(tb testing.TB, f *rawFloor) *pipedFloor {
	p := &pipedFloor{rawFloor: f, free: make(chan []byte, 4), work: make(chan []byte, 2), decoded: make(chan int)}
	for range cap(p.free) {
		p.free <- make([]byte, 64<<10)
	}
	go p.decode()
	tb.Cleanup(func() { close(p.work) })
	return p
}

// decode is the second goroutine: it decodes each chunk, gives its buffer
// back to the reader, and answers a nil chunk with the dump's count.
func (p *pipedFloor) decode() {
	var r Route
	n := 0
	for chunk := range p.work {
		if chunk == nil {
			p.decoded <- n
			n = 0
			continue
		}
		s := nlmsg.NewScanner(chunk)
		for s.Next() {
			if v := s.View(); v.Type() == nlmsg.RTMNewRoute && r.Decode(v.Payload()) == nil {
				n++
			}
		}
		p.free <- chunk[:cap(chunk)]
	}
}

// dump runs one RTM_GETROUTE dump with payload and returns how many routes
// the decoder decoded. A kernel error is its errno.
func (p *pipedFloor) dump(payload []byte) (int, error) {
	f := p.rawFloor
	if err := f.sendDump(nlmsg.RTMGetRoute, payload); err != nil {
		return 0, err
	}
	var err error
	for {
		buf := <-p.free
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
		if e != 0 {
			p.free <- buf
			err = e
			break
		}
		// The reader walks the headers for the end of the dump (NLMSG_DONE,
		// or NLMSG_ERROR for a refused request), as the engine's does.
		end := false
		s := nlmsg.NewScanner(buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done:
				end = true
			case nlmsg.Error:
				end = true
				if b := v.Payload(); len(b) >= 4 && int32(binary.NativeEndian.Uint32(b)) != 0 {
					errno := int32(binary.NativeEndian.Uint32(b))
					err = unix.Errno(-errno)
				}
			}
		}
		p.work <- buf[:n]
		if end {
			break
		}
	}
	p.work <- nil
	return <-p.decoded, err
}
