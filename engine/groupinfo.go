//go:build linux

package engine

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Multicast groups above 32 and the sender's address.
//
// The kernel tells a datagram's multicast group in the sender's address
// only for groups 1 to 32 (nl_groups is a 32-bit mask): a notification
// on group 33 or above arrives with nl_groups 0, like a unicast reply. Most
// carry sequence 0 and are routed as notifications anyway, but some do not
// (ethtool's carry a running broadcast counter, a family may echo the
// sequence of the request that caused them), and such a notification would
// be dropped as an unknown reply, or handed to a request that happens to
// use that sequence number. So once the Conn joins a group above 32 its
// socket gets NETLINK_PKTINFO, which puts every datagram's group (0 for a
// unicast) in a control message, and the driver reads one with every
// datagram and routes by it.
//
// NB: the flag that arms the control buffers is set before NETLINK_PKTINFO
// and the join, and enableGroupInfo waits out a read armed without them
// (readEpoch is odd from just before the driver loads the flag until its
// read returns): every datagram of the new group is read with its control
// message.

// groupInfoSpace is the control buffer of one receive slot: room for one
// cmsghdr and its struct nl_pktinfo on every architecture.
const groupInfoSpace = 32

// highGroup reports whether group g is one the sender's address cannot name.
func highGroup(g uint32) bool { return g > 32 }

// enableGroupInfo turns NETLINK_PKTINFO on for the Conn's socket, if it is
// not on yet, before the Conn joins a group above 32. It returns once it is
// on; a concurrent call waits for the first (groupInfoMu).
func (c *Conn) enableGroupInfo() error {
	c.groupInfoMu.Lock()
	defer c.groupInfoMu.Unlock()
	if c.pktinfoOn {
		return nil
	}
	// NB: a failed setsockopt leaves the flag set: the driver then arms
	// control buffers that stay empty, which costs nothing.
	c.groupInfo.Store(true)
	if e := c.readEpoch.Load(); e&1 != 0 {
		for c.readEpoch.Load() == e { // one non-blocking read: microseconds
			runtime.Gosched()
		}
	}
	if err := c.sockopt("add membership", unix.NETLINK_PKTINFO, 1); err != nil {
		return err
	}
	c.pktinfoOn = true
	return nil
}

// slotGroup returns the multicast group that the control message of
// receive slot i names, or 0: a unicast, or a read without control buffers.
// The driver calls it.
func (c *Conn) slotGroup(i int) uint32 {
	h := &c.rxMsgs[i].Hdr
	n := int(h.Controllen)
	if n < unix.CmsgLen(4) || h.Control == nil {
		return 0
	}
	ctl := c.rxCtl[i][:min(n, groupInfoSpace)]
	for len(ctl) >= unix.SizeofCmsghdr {
		m := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
		l := int(m.Len)
		if l < unix.SizeofCmsghdr || l > len(ctl) {
			return 0
		}
		if m.Level == unix.SOL_NETLINK && m.Type == unix.NETLINK_PKTINFO && l >= unix.CmsgLen(4) {
			return binary.NativeEndian.Uint32(ctl[unix.CmsgLen(0):])
		}
		ctl = ctl[min(len(ctl), unix.CmsgSpace(l-unix.CmsgLen(0))):]
	}
	return 0
}
