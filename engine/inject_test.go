package engine

// injectDatagram feeds data to c's receive path as if recvmmsg had just read
// it from a sender with port pid and multicast groups (pid 0, groups 0 is a
// unicast from the kernel). truncLen > len(data) simulates MSG_TRUNC with the
// datagram's real length. It takes the driver role, so it is safe to call
// while other goroutines use c. It is how tests play the kernel's part with
// input the real kernel never sends; injectHeld (trust_test.go) is the same
// for a caller that already holds the driver token.
func injectDatagram(c *Conn, data []byte, pid, groups uint32, truncLen int) {
	c.drive <- struct{}{}
	defer func() { <-c.drive }()
	if c.closed.Load() {
		return
	}
	injectHeld(c, data, pid, groups, truncLen)
}
