package engine

// The seam between the tests and the driver's internals: tests that must
// read or steer the driver's state do it through these, so that a change
// inside the driver changes this file, not every test.

// testFDs returns the Conn's socket, epoll and eventfd descriptors.
func (c *Conn) testFDs() []int { return []int{c.fd, c.poll.epfd, c.poll.evfd} }
