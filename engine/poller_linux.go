package engine

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

func (c *Conn) setupPoll() error {
	var err error
	if c.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if c.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		unix.Close(c.epfd)
		return err
	}
	for _, fd := range []int{c.fd, c.evfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err = unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(c.epfd)
			unix.Close(c.evfd)
			return err
		}
	}
	return nil
}

// eventfdOne is the 8-byte counter increment written to wake the driver.
var eventfdOne = func() (b [8]byte) {
	binary.NativeEndian.PutUint64(b[:], 1)
	return b
}()
