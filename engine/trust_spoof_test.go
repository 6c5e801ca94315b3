//go:build linux

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: only the kernel may answer. The Conn's socket is connected to
// the kernel, so the kernel refuses what another socket sends to its port;
// behind that, datagrams from another sender that do arrive (on an
// unconnected socket, or to a multicast group the Conn joined), forged with
// its sequence numbers, are dropped and counted, and a forged notification
// is never taken for a reply.

// spoofChildEnv marks the re-executed test binary that plays the spoofer.
const spoofChildEnv = "NLENGINE_SPOOF_CHILD"

// forgery is what the spoofer sends: a fake reply and a fake EPERM for seq,
// both claiming in their headers to come from the kernel (nlmsg_pid 0).
func forgery(seq uint32) []byte {
	return cat(craftLink(seq, 0, 66), craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil))
}

// sendForgery sends forgery(seq) from netlink socket fd to port.
func sendForgery(fd int, port, seq uint32) error {
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Sendto(fd, forgery(seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
		return fmt.Errorf("sendto port %d: %w", port, err)
	}
	return nil
}

// TestSpoofHelperProcess is the second process of TestSpoofForeignError,
// not a test of its own: it joins the namespace passed as fd 3, opens a
// NETLINK_ROUTE socket and sends the forgery to the port and sequence number
// given in its environment.
func TestSpoofHelperProcess(t *testing.T) {
	if os.Getenv(spoofChildEnv) != "1" {
		t.Skip("helper process of TestSpoofForeignError; runs only when that test re-executes the binary")
	}
	port, err1 := strconv.ParseUint(os.Getenv("NLENGINE_SPOOF_PORT"), 10, 32)
	seq, err2 := strconv.ParseUint(os.Getenv("NLENGINE_SPOOF_SEQ"), 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	// NB: never unlocked: the thread changes namespace and dies with the process.
	runtime.LockOSThread()
	if err := unix.Setns(3, unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns: %v", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := sendForgery(fd, uint32(port), uint32(seq)); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("spoof sent by pid %d\n", os.Getpid())
}

// TestSpoofForeignError: another netlink socket sends the Conn's port a
// forged NLMSG_ERROR (and a forged reply) with the right sequence number,
// before the kernel's real answer. The forgery must be ignored because its
// sender port is not the kernel's, whatever its header claims, and the real
// reply completes the request. Sending unicast to another socket's port on
// NETLINK_ROUTE needs CAP_NET_ADMIN, which the test has in its namespace:
// this is the strongest spoofer the kernel allows.
func TestSpoofForeignError(t *testing.T) {
	for _, how := range []string{"other process", "same process"} {
		t.Run(how, func(t *testing.T) {
			c, ns := newTestConn(t, nlmsg.FamilyRoute, withUnconnected())
			before := c.Stats()
			release := holdDriver(t, c)
			victim := goRequest(context.Background(), c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			waitFor(t, "the request to be submitted", func() bool { return submitted(c) == 1 })
			// With the token held no one else allocates: the next flush
			// gives the request the next free number.
			seq, ok := predictSeq(c)
			if !ok {
				t.Fatalf("cannot predict the sequence number (next %d)", seq)
			}
			if how == "other process" {
				spoofFromChild(t, ns, c.PortID(), seq)
			} else if err := forgeFromSocket(t, ns, c, seq); err != nil {
				t.Fatal(err)
			}
			// The forgery now waits in the socket ahead of the real answer.
			flushHeld(t, c, "the request to be sent", func() bool { return seqWhere(c, isGetLink) != 0 })
			if got := seqWhere(c, isGetLink); got != seq {
				t.Fatalf("the request got seq %d, predicted %d", got, seq)
			}
			release()
			r := wait(t, victim, "request")
			if r.err != nil || !isLoReply(r.msgs) {
				t.Fatalf("request: %d messages, %v; want the kernel's reply for lo", len(r.msgs), r.err)
			}
			if d := c.Stats().DroppedForeign - before.DroppedForeign; d != 1 {
				t.Fatalf("DroppedForeign moved by %d, want 1 (the forgery)", d)
			}
			checkWorks(t, c)
		})
	}
}

// TestSpoofForgeryAheadOfALoneRoundTrip: the forgery waits in an unconnected
// socket before a request from a lone goroutine, which sends and reads it
// itself (lone.go). The forgery is dropped as foreign there too, and the
// kernel's answer completes the request.
func TestSpoofForgeryAheadOfALoneRoundTrip(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute, withUnconnected())
	checkWorks(t, c) // the extra sockets' first use is out of the way
	before := c.Stats()
	seq, ok := predictSeq(c) // nothing else runs on c: the next number is the request's
	if !ok {
		t.Fatalf("cannot predict the sequence number (next %d)", seq)
	}
	if err := forgeFromSocket(t, ns, c, seq); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || !isLoReply(msgs) {
		t.Fatalf("request: %d messages, %v; want the kernel's reply for lo", len(msgs), err)
	}
	after := c.Stats()
	if d := after.DroppedForeign - before.DroppedForeign; d != 1 {
		t.Fatalf("DroppedForeign moved by %d, want 1 (the forgery)", d)
	}
	if d := after.RequestsSent - before.RequestsSent; d != 1 {
		t.Fatalf("RequestsSent moved by %d, want 1", d)
	}
}

// TestSpoofRefusedByTheKernel: on a Conn as Connect makes it, another
// socket cannot even reach the port: its datagram is refused with
// ECONNREFUSED, nothing arrives, and requests go on.
func TestSpoofRefusedByTheKernel(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	before := c.Stats()
	seq, _ := predictSeq(c)
	if err := forgeFromSocket(t, ns, c, seq); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("forgery sent to the Conn's port: %v; want ECONNREFUSED", err)
	}
	msgs, err := c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || !isLoReply(msgs) {
		t.Fatalf("request: %d messages, %v; want the kernel's reply for lo", len(msgs), err)
	}
	if d := c.Stats().DroppedForeign - before.DroppedForeign; d != 0 {
		t.Fatalf("DroppedForeign moved by %d, want 0: nothing foreign arrived", d)
	}
}

// spoofFromChild re-executes the test binary as TestSpoofHelperProcess in
// the namespace of ns and waits for it to send the forgery.
func spoofFromChild(t *testing.T, ns *netnstest.NS, port, seq uint32) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	nsfd, err := unix.FcntlInt(uintptr(ns.FD()), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	nsFile := os.NewFile(uintptr(nsfd), "netns")
	defer nsFile.Close()
	cmd := exec.Command(exe, "-test.run=^TestSpoofHelperProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), spoofChildEnv+"=1",
		"NLENGINE_SPOOF_PORT="+strconv.FormatUint(uint64(port), 10),
		"NLENGINE_SPOOF_SEQ="+strconv.FormatUint(uint64(seq), 10))
	cmd.ExtraFiles = []*os.File{nsFile} // fd 3 in the child
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "spoof sent by pid") {
		t.Fatalf("spoofer process: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "spoof sent by pid") {
			t.Logf("%s; the Conn is in pid %d", line, os.Getpid())
		}
	}
}

// TestSpoofMulticast: another socket sends a forged notification to a
// multicast group the Conn listens to. It is dropped as foreign; the real
// notifications that follow are delivered.
func TestSpoofMulticast(t *testing.T) {
	ns := netnstest.New(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithGroups(unix.RTNLGRP_LINK))
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	group := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (unix.RTNLGRP_LINK - 1)}
	if err := unix.Sendto(fd, craftLink(0, 0, 66), 0, group); err != nil {
		t.Fatalf("sendto group: %v", err)
	}
	ns.AddVeth(t, "spoof0", "spoof1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h, _, _ := nlmsg.DecodeIfInfoMsg(m.Payload); m.Type != unix.RTM_NEWLINK || h.Index == 66 {
		t.Fatalf("first notification: %v for ifindex %d; want a real RTM_NEWLINK", m.Type, h.Index)
	}
	if n := c.Stats().DroppedForeign; n != 1 {
		t.Fatalf("DroppedForeign = %d, want 1 (the forgery)", n)
	}
}

// TestSpoofForgeryOnExtraSockets: the sockets a Conn adds, for a request
// that finds its own busy and for a dump inside another dump's loop, check
// the sender as its own does. On an unconnected Conn a forgery waiting in
// an extra socket ahead of the kernel's answer is dropped, counted in the
// Conn's Stats, and the answer is the kernel's; on a Conn as Connect makes
// it, the kernel refuses the forgery at the extra sockets' ports too.
func TestSpoofForgeryOnExtraSockets(t *testing.T) {
	setDumpSocketIdle(t, time.Hour) // the extra sockets the test opens stay open
	t.Run("request socket", func(t *testing.T) {
		c, ns := newTestConn(t, nlmsg.FamilyRoute, withUnconnected(), WithRequestSockets(2))
		x := openRequestSocket(t, c, 0)
		seq, ok := predictSeq(x) // nothing runs on x: the next number is the request's
		if !ok {
			t.Fatalf("cannot predict the extra socket's sequence number (next %d)", seq)
		}
		if err := forgeFromSocket(t, ns, x, seq); err != nil {
			t.Fatal(err)
		}
		before, sentThere := c.Stats(), x.ownStats().RequestsSent
		release := busyDriver(t, c)
		msgs, err := c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0)
		release()
		if err != nil || !isLoReply(msgs) {
			t.Fatalf("request: %d messages, %v; want the kernel's reply for lo", len(msgs), err)
		}
		if d := x.ownStats().RequestsSent - sentThere; d != 1 {
			t.Fatalf("%d requests went out on the extra socket, want 1: the test did not reach it", d)
		}
		if d := c.Stats().DroppedForeign - before.DroppedForeign; d != 1 {
			t.Fatalf("DroppedForeign moved by %d, want 1 (the forgery)", d)
		}
		checkWorks(t, c)
	})
	t.Run("dump socket", func(t *testing.T) {
		c, ns := newTestConn(t, nlmsg.FamilyRoute, withUnconnected())
		nestedLinkDump(t, c) // opens the extra socket, kept idle afterwards
		x := spareDumpSocket(t, c)
		seq, ok := predictSeq(x)
		if !ok {
			t.Fatalf("cannot predict the extra socket's sequence number (next %d)", seq)
		}
		if err := forgeFromSocket(t, ns, x, seq); err != nil {
			t.Fatal(err)
		}
		before := c.Stats()
		if got := nestedLinkDump(t, c); !slices.Equal(got, []int32{1}) {
			t.Fatalf("the inner dump saw ifindexes %v, want [1] (lo alone, not the forged 66)", got)
		}
		if spareDumpSocket(t, c) != x {
			t.Fatal("the inner dump did not run on the extra socket the forgery went to")
		}
		if d := c.Stats().DroppedForeign - before.DroppedForeign; d != 1 {
			t.Fatalf("DroppedForeign moved by %d, want 1 (the forgery)", d)
		}
		checkWorks(t, c)
	})
	t.Run("connected", func(t *testing.T) {
		c, ns := newTestConn(t, nlmsg.FamilyRoute, WithRequestSockets(2))
		nestedLinkDump(t, c)
		extras := map[string]*Conn{"request": openRequestSocket(t, c, 0), "dump": spareDumpSocket(t, c)}
		for kind, x := range extras {
			seq, _ := predictSeq(x)
			if err := forgeFromSocket(t, ns, x, seq); !errors.Is(err, unix.ECONNREFUSED) {
				t.Fatalf("forgery sent to the extra %s socket's port: %v; want ECONNREFUSED", kind, err)
			}
		}
		checkWorks(t, c)
		if n := c.Stats().DroppedForeign; n != 0 {
			t.Fatalf("DroppedForeign = %d, want 0: nothing foreign arrived", n)
		}
	})
}

// nestedLinkDump dumps c's links inside the loop of another dump of c's
// links (insideADump), so that it runs on an extra socket, and returns the
// interface indexes it saw.
func nestedLinkDump(t *testing.T, c *Conn) []int32 {
	t.Helper()
	var inner []int32
	insideADump(t, c, func() {
		for v, err := range c.Dump(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(0), 0) {
			if err != nil {
				t.Fatalf("inner dump: %v", err)
			}
			h, _, err := nlmsg.DecodeIfInfoMsg(v.Payload())
			if err != nil {
				t.Fatalf("inner dump: %v", err)
			}
			inner = append(inner, h.Index)
		}
	})
	return inner
}
