package engine

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// poller is where the driver sleeps: an epoll set holding the Conn's
// socket and an eventfd. wait returns when the socket is readable or when
// wake was called (by a submitter, Close, or a context that ended).
//
// The driver alone calls wait. wake may be called from any goroutine while
// the poller is open; the Conn guards it against close with fdMu (see
// doc.go), since a write to a closed, reused eventfd number would land in
// someone else's file.
type poller struct {
	epfd   int
	evfd   int
	sock   int32
	events [4]unix.EpollEvent
	evbuf  [8]byte
}

// open creates the epoll set and the eventfd and adds sock and the
// eventfd to it.
func (p *poller) open(sock int) error {
	var err error
	p.sock = int32(sock)
	if p.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if p.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		unix.Close(p.epfd)
		return err
	}
	for _, fd := range []int{sock, p.evfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			p.close()
			return err
		}
	}
	return nil
}

// wait sleeps in epoll_wait until the socket is readable or wake is
// called. It resets the eventfd only when it was written: a read per
// wake-up would cost a syscall each time the socket alone woke the driver.
func (p *poller) wait() {
	n, _ := unix.EpollWait(p.epfd, p.events[:], -1)
	for _, ev := range p.events[:max(n, 0)] {
		if ev.Fd == int32(p.evfd) {
			_, _ = unix.Read(p.evfd, p.evbuf[:])
		}
	}
}

// wake makes a wait in progress, or the next one, return.
func (p *poller) wake() { unix.Write(p.evfd, eventfdOne[:]) }

// close closes the epoll set and the eventfd (not the socket).
func (p *poller) close() {
	unix.Close(p.epfd)
	unix.Close(p.evfd)
}

// eventfdOne is the 8-byte counter increment written to wake the driver.
var eventfdOne = func() (b [8]byte) {
	binary.NativeEndian.PutUint64(b[:], 1)
	return b
}()
