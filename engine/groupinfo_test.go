//go:build linux

package engine

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// pktinfoOn reports whether c's socket has NETLINK_PKTINFO on.
func pktinfoOn(t *testing.T, c *Conn) bool {
	t.Helper()
	v, err := unix.GetsockoptInt(c.fd, unix.SOL_NETLINK, unix.NETLINK_PKTINFO)
	if err != nil {
		t.Fatalf("getsockopt NETLINK_PKTINFO: %v", err)
	}
	return v != 0
}

// A Conn turns NETLINK_PKTINFO on when it joins a group above 32, at
// Connect or later, and not for the groups its address can name.
func TestIntegrationGroupsAbove32TurnOnGroupInfo(t *testing.T) {
	low, ns := newTestConn(t, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK, unix.RTNLGRP_NEXTHOP))
	if pktinfoOn(t, low) {
		t.Errorf("groups 1 and 32: NETLINK_PKTINFO is on")
	}
	high := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV6_MCADDR))
	if !pktinfoOn(t, high) {
		t.Errorf("WithGroups(%d): NETLINK_PKTINFO is off", unix.RTNLGRP_IPV6_MCADDR)
	}
	if err := low.AddMembership(unix.RTNLGRP_BRVLAN); err != nil {
		t.Fatal(err)
	}
	if !pktinfoOn(t, low) {
		t.Errorf("AddMembership(%d): NETLINK_PKTINFO is off", unix.RTNLGRP_BRVLAN)
	}
	checkWorks(t, low)
	checkWorks(t, high)
}

// The kernel's own notifications on a group above 32 (RTNLGRP_IPV6_MCADDR:
// the multicast groups a link joins when it comes up) reach Receive, while
// the same Conn's requests get their replies.
func TestIntegrationNotificationsOfAGroupAbove32(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_IPV6_MCADDR))
	ns.AddVeth(t, "ga", "gb")
	ns.Run(t, "ip", "link", "set", "ga", "up")
	ns.Run(t, "ip", "link", "set", "gb", "up")
	checkWorks(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v; want an RTM_NEWMULTICAST from the links coming up", err)
	}
	if m.Type != unix.RTM_NEWMULTICAST {
		t.Errorf("Receive: %v, want RTM_NEWMULTICAST", m.Type)
	}

	// The driver's own read of one such notification finds the group in
	// the control message the kernel wrote.
	release := holdDriver(t, c)
	defer release()
	ns.AddVeth(t, "gc", "gd")
	ns.Run(t, "ip", "link", "set", "gc", "up")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.armSlots(1, true)
		n, err := c.readSlots(1, true)
		if err == nil && n == 1 {
			if g := c.slotGroup(0); g != unix.RTNLGRP_IPV6_MCADDR {
				t.Errorf("a notification read by the driver: group %d in its control message, want %d", g, unix.RTNLGRP_IPV6_MCADDR)
			}
			return
		}
		if err != unix.EAGAIN || time.Now().After(deadline) {
			t.Fatalf("reading the next notification: %d, %v", n, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestTrustGroupAbove32CannotAnswer: a notification on a group above 32,
// whose address says no group, that carries an in-flight request's
// sequence number and the Conn's port id (as ethtool's and other families'
// can) is a notification, told by its NETLINK_PKTINFO control message,
// never that request's answer.
func TestTrustGroupAbove32CannotAnswer(t *testing.T) {
	const group = unix.RTNLGRP_IPV6_ACADDR // 39
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithGroups(group))
	notificationCannotAnswer(t, c, func(data []byte) { injectHeldInGroup(c, data, group) })
}
