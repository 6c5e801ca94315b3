//go:build linux

package netnstest

import (
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// route runs fn with a NETLINK_ROUTE connection inside the namespace.
func (ns *NS) route(fn func(c *rtconn) error) error {
	return ns.Do(func() error {
		c, err := dialRoute()
		if err != nil {
			return err
		}
		defer c.close()
		return fn(c)
	})
}

// AddVeth creates the veth pair name <-> peer inside the namespace, with both
// ends up, and fails tb if the kernel refuses. It returns once both ends are
// operationally up with their queues active, so traffic can flow at once. Both ends stay in ns and
// vanish with it. Safe for concurrent use (with distinct names).
func (ns *NS) AddVeth(tb testing.TB, name, peer string) {
	tb.Helper()
	if err := ns.route(func(c *rtconn) error { return c.addVeth(name, peer) }); err != nil {
		tb.Fatalf("%v", err)
	}
}

// LinkIndex returns the interface index of the named link inside the
// namespace, and fails tb if there is none. Safe for concurrent use.
func (ns *NS) LinkIndex(tb testing.TB, name string) int {
	tb.Helper()
	var li linkInfo
	err := ns.route(func(c *rtconn) error {
		var err error
		li, err = c.getLink(name)
		return err
	})
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return li.index
}

// AddAddr adds an IPv4 or IPv6 address in CIDR form ("10.0.0.1/24",
// "fd00::1/64") to the named link inside the namespace, and fails tb if the
// address does not parse or the kernel refuses it. IPv6 addresses skip
// duplicate address detection, and AddAddr returns only once the kernel
// routes the address locally (for IPv6 that happens after the add is acked),
// so the address can be bound and reached at once.
// Safe for concurrent use.
func (ns *NS) AddAddr(tb testing.TB, ifname string, cidr string) {
	tb.Helper()
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		tb.Fatalf("netnstest: AddAddr %s: %v", cidr, err)
	}
	family, addr := uint8(unix.AF_INET6), p.Addr().AsSlice()
	if p.Addr().Is4() {
		family = unix.AF_INET
	}
	err = ns.route(func(c *rtconn) error {
		li, err := c.getLink(ifname)
		if err != nil {
			return err
		}
		if err := c.addAddr(li.index, family, addr, p.Bits()); err != nil {
			return fmt.Errorf("netnstest: add %s to %s: %w", cidr, ifname, err)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("%v", err)
	}
}
