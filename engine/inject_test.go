package engine

import "golang.org/x/sys/unix"

// injectDatagram feeds data to c's receive path as if recvmmsg had just read
// it from a sender with port pid and multicast groups (pid 0, groups 0 is a
// unicast from the kernel). truncLen > len(data) simulates MSG_TRUNC with the
// datagram's real length. It takes the driver role, so it is safe to call
// while other goroutines use c. It is how tests play the kernel's part with
// input the real kernel never sends.
func injectDatagram(c *Conn, data []byte, pid, groups uint32, truncLen int) {
	c.drive <- struct{}{}
	defer func() { <-c.drive }()
	if c.closed.Load() {
		return
	}
	b := c.rxBufs[0]
	if b == nil {
		b = c.getBuf()
		c.rxBufs[0] = b
		c.rxIov[0] = unix.Iovec{Base: &b.b[0], Len: uint64(len(b.b))}
	}
	n := copy(b.b, data)
	c.rxAddr[0] = unix.RawSockaddrNetlink{Family: unix.AF_NETLINK, Pid: pid, Groups: groups}
	c.rxMsgs[0].Len = uint32(n)
	c.rxMsgs[0].Hdr.Flags = 0
	if truncLen > n {
		c.rxMsgs[0].Len = uint32(truncLen)
		c.rxMsgs[0].Hdr.Flags = unix.MSG_TRUNC
	}
	c.dispatch(0)
	c.rxMsgs[0].Len, c.rxMsgs[0].Hdr.Flags = 0, 0
}
