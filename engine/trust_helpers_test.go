//go:build linux

package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// The helper kit of the trust tests (trust_*_test.go), one file per
// guarantee: hostile and malformed input, spoofed senders, cancellation in
// every phase, Close under load, kernel overruns and interrupted dumps. They
// run against the real kernel in a private namespace; where input must be
// something the kernel never sends, the test plays the kernel's part by
// feeding crafted datagrams into the real dispatch path (injectHeld).
//
// How a request is kept in flight at a moment the test chooses: the test
// takes the Conn's driver token (holdDriver). Owners then submit and wait,
// but nobody touches the socket; the test sends their requests itself with
// flushHeld (so they really reach the kernel, whose replies wait in the socket
// buffer), reads the sequence numbers they were given (singleSeqs), feeds
// crafted datagrams ahead of the real replies, and gives the token back. The
// owners then drive the socket as usual and meet the real replies too.

// ---------------------------------------------------------------------------
// Playing the kernel's part.

// craftMsg encodes one message with a true nlmsg_len, padded to 4 bytes.
func craftMsg(typ nlmsg.Type, flags nlmsg.Flags, seq uint32, payload []byte) []byte {
	h := nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: flags, Seq: seq}
	b := append(h.AppendTo(nil), payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// setLen overwrites the nlmsg_len of the message at the start of m.
func setLen(m []byte, n uint32) []byte {
	binary.NativeEndian.PutUint32(m, n)
	return m
}

// craftErr encodes an NLMSG_ERROR (an ack when errno is 0) answering seq,
// echoing only the request header (NLM_F_CAPPED), followed by tlvs.
func craftErr(seq uint32, errno syscall.Errno, reqType nlmsg.Type, tlvs []byte) []byte {
	body := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	body = nlmsg.Header{Len: nlmsg.HeaderLen, Type: reqType, Flags: nlmsg.Request | nlmsg.Ack, Seq: seq}.AppendTo(body)
	flags := nlmsg.Capped
	if tlvs != nil {
		flags |= nlmsg.AckTLVs
	}
	return craftMsg(nlmsg.Error, flags, seq, append(body, tlvs...))
}

// craftLink encodes an RTM_NEWLINK reply for ifindex idx.
func craftLink(seq uint32, flags nlmsg.Flags, idx int32) []byte {
	return craftMsg(unix.RTM_NEWLINK, flags, seq, ifinfoPayload(idx))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// ---------------------------------------------------------------------------
// Owners running in the background.

type callResult struct {
	msgs []nlmsg.Message
	err  error
}

func goRequest(ctx context.Context, c *Conn, typ nlmsg.Type, payload []byte, flags nlmsg.Flags) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		m, err := c.Request(ctx, typ, payload, flags)
		ch <- callResult{m, err}
	}()
	return ch
}

// goDump runs c.Dump, copying each message, and reports the count of
// messages seen so far in *seen.
func goDump(ctx context.Context, c *Conn, typ nlmsg.Type, payload []byte, seen *atomic.Int64) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		var r callResult
		for v, err := range c.Dump(ctx, typ, payload, 0) {
			if err != nil {
				r.err = err
				break
			}
			r.msgs = append(r.msgs, v.Message())
			if seen != nil {
				seen.Add(1)
			}
		}
		ch <- r
	}()
	return ch
}

// wait returns the result of a background call, failing tb if there is
// none within 10 s: the call hung.
func wait(tb testing.TB, ch <-chan callResult, what string) callResult {
	tb.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s hung", what)
		return callResult{}
	}
}

// waitFor polls cond (a guard against hangs, not a timing assertion).
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// ---------------------------------------------------------------------------
// What "the Conn is fine" means.

// isLoReply reports whether msgs is the kernel's answer to RTM_GETLINK for
// ifindex 1: one RTM_NEWLINK for lo.
func isLoReply(msgs []nlmsg.Message) bool {
	if len(msgs) != 1 || msgs[0].Type != unix.RTM_NEWLINK {
		return false
	}
	h, _, err := nlmsg.DecodeIfInfoMsg(msgs[0].Payload)
	return err == nil && h.Index == 1
}

// checkQuiet fails tb unless c is idle and consistent: nothing in flight in
// the driver's books, every pending back in its pool, and every receive
// buffer either held by c or back in its pool. Call it when no goroutine
// uses c.
func checkQuiet(tb testing.TB, c *Conn) {
	tb.Helper()
	var books string
	var pendings, bufs, held int64
	underDriver(c, func() {
		books = driverBooks(c)
		pendings, bufs = pooled(c)
		held = heldBufs(c)
	})
	if books != "" {
		tb.Errorf("driver books not empty: %s", books)
	}
	if pendings != 0 {
		tb.Errorf("%d pendings not returned to the pool", pendings)
	}
	if bufs != held {
		tb.Errorf("%d receive buffers out of the pool, %d of them held by the Conn: %d leaked", bufs, held, bufs-held)
	}
}

// checkWorks proves c still works: a request, a dump and a no-op succeed
// with the kernel's real answers, and afterwards nothing is left over.
func checkWorks(tb testing.TB, c *Conn) {
	tb.Helper()
	ctx := context.Background()
	if err := c.Noop(ctx); err != nil {
		tb.Fatalf("Noop afterwards: %v", err)
	}
	msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || !isLoReply(msgs) {
		tb.Fatalf("RTM_GETLINK lo afterwards: %d messages, %v", len(msgs), err)
	}
	n := 0
	for v, err := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
		if err != nil {
			tb.Fatalf("link dump afterwards: %v", err)
		}
		if v.Type() != unix.RTM_NEWLINK {
			tb.Fatalf("link dump afterwards: message type %v", v.Type())
		}
		n++
	}
	if n == 0 {
		tb.Fatalf("link dump afterwards: no links")
	}
	checkQuiet(tb, c)
}

func isFormatErr(reason error) func(error) bool {
	return func(err error) bool {
		var oe *OpError
		var fe *nlmsg.FormatError
		return errors.As(err, &oe) && errors.As(err, &fe) && errors.Is(err, reason)
	}
}

// toldOfOverrun reads every notification c has queued, without waiting,
// and reports whether an overrun (ENOBUFS) was among them; any other error
// fails the test.
func toldOfOverrun(tb testing.TB, c *Conn) bool {
	tb.Helper()
	drain, stop := context.WithCancel(context.Background())
	stop()
	saw := false
	for {
		_, err := c.Receive(drain)
		switch {
		case errors.Is(err, context.Canceled):
			return saw
		case errors.Is(err, unix.ENOBUFS):
			saw = true
		case err != nil:
			tb.Fatalf("Receive: %v", err)
		}
	}
}

// forgeFromSocket sends forgery(seq) to c's port from another netlink
// socket of ns, in this process, and returns what the send returned.
func forgeFromSocket(tb testing.TB, ns *netnstest.NS, c *Conn, seq uint32) error {
	tb.Helper()
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		tb.Fatal(err)
	}
	defer unix.Close(fd)
	return sendForgery(fd, c.PortID(), seq)
}

// insideADump runs fn inside the loop of a dump of c's links, at its first
// message: a dump that fn starts on c then runs on an extra socket, since
// the outer dump holds the Conn's own until its loop ends.
func insideADump(t *testing.T, c *Conn, fn func()) {
	t.Helper()
	outer := 0
	for _, err := range c.Dump(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(0), 0) {
		if err != nil {
			t.Fatalf("outer dump: %v", err)
		}
		if outer++; outer == 1 {
			fn()
		}
	}
	if outer == 0 {
		t.Fatal("outer dump: no links")
	}
}
