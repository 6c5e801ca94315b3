package engine

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller is where the driver sleeps: a poll(2) on the Conn's socket and an
// eventfd. wait returns when the socket is readable or when wake was called
// (by a submitter, Close, or a context that ended).
//
// NB: poll, not an epoll set: a socket held in an epoll set runs the epoll
// callback for every datagram queued on it (measured: 5% of a round trip's
// CPU time), while poll hooks onto the socket only while the driver sleeps,
// and a lone caller's driver never sleeps.
//
// The driver alone calls wait. wake may be called from any goroutine while
// the poller is open; the Conn guards it against close with fdMu (see
// doc.go), since a write to a closed, reused eventfd number would land in
// someone else's file.
type poller struct {
	evfd  int
	fds   [2]unix.PollFd // the socket, the eventfd
	evbuf [8]byte
}

// open creates the eventfd and sets up the poll of sock and the eventfd.
func (p *poller) open(sock int) error {
	var err error
	if p.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return err
	}
	p.fds[0] = unix.PollFd{Fd: int32(sock), Events: unix.POLLIN}
	p.fds[1] = unix.PollFd{Fd: int32(p.evfd), Events: unix.POLLIN}
	return nil
}

// wait sleeps in poll until the socket is readable or wake is called. It
// resets the eventfd only when it was written: a read per wake-up would
// cost a syscall each time the socket alone woke the driver.
func (p *poller) wait() {
	p.fds[0].Revents, p.fds[1].Revents = 0, 0
	_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&p.fds[0])), 2, 0, 0, 0, 0)
	if e == 0 && p.fds[1].Revents&unix.POLLIN != 0 {
		_, _ = unix.Read(p.evfd, p.evbuf[:])
	}
}

// wake makes a wait in progress, or the next one, return.
func (p *poller) wake() { unix.Write(p.evfd, eventfdOne[:]) }

// close closes the eventfd (not the socket).
func (p *poller) close() { unix.Close(p.evfd) }

// eventfdOne is the 8-byte counter increment written to wake the driver.
var eventfdOne = func() (b [8]byte) {
	binary.NativeEndian.PutUint64(b[:], 1)
	return b
}()
