package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Trust tests: hostile and malformed input, spoofed senders, cancellation in
// every phase, Close under load, kernel overruns and interrupted dumps. They
// run against the real kernel in a private namespace; where input must be
// something the kernel never sends, the test plays the kernel's part by
// feeding crafted datagrams into the real dispatch path (injectHeld).
//
// How a request is kept in flight at a moment the test chooses: the test
// takes the Conn's driver token (holdDriver). Owners then submit and wait,
// but nobody touches the socket; the test sends their requests itself with
// c.flush (so they really reach the kernel, whose replies wait in the socket
// buffer), reads the sequence numbers they were given from c.table, feeds
// crafted datagrams ahead of the real replies, and gives the token back. The
// owners then drive the socket as usual and meet the real replies too.

// ---------------------------------------------------------------------------
// Playing the kernel's part.

// holdDriver takes c's driver token and returns the function that gives it
// back. The token is also given back by tb's cleanup (before the Conn's own
// cleanup closes it, which needs the token), so a failing test cannot hang.
func holdDriver(tb testing.TB, c *Conn) (release func()) {
	tb.Helper()
	c.drive <- struct{}{}
	var once sync.Once
	release = func() { once.Do(func() { <-c.drive }) }
	tb.Cleanup(release)
	return release
}

// flushHeld sends what owners have submitted, as the driver would, until
// cond holds. The caller holds the driver token. It fails tb after 10 s: a
// guard against hangs, not a timing assertion.
func flushHeld(tb testing.TB, c *Conn, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.flush()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// injectHeld is injectDatagram for a caller that already holds the driver
// token: data enters c's dispatch as if recvmmsg had read it from sender
// port pid with multicast groups (pid 0, groups 0: a kernel unicast).
// truncLen > len(data) reports MSG_TRUNC with that real length.
func injectHeld(c *Conn, data []byte, pid, groups uint32, truncLen int) {
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

// seqWhere returns the sequence number of the single request in c.table
// that match accepts, or 0. The caller holds the driver token.
func seqWhere(c *Conn, match func(p *pending) bool) uint32 {
	for s, p := range c.table {
		if match(p) {
			return s
		}
	}
	return 0
}

func isGetLink(p *pending) bool { return p.typ == unix.RTM_GETLINK && p.kind != kindDump }
func isNoop(p *pending) bool    { return p.typ == nlmsg.Noop }
func isDumpOf(t nlmsg.Type) func(*pending) bool {
	return func(p *pending) bool { return p.typ == t && p.kind == kindDump }
}

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

// heldBufs counts the receive buffers c itself holds: its receive slots,
// the notification queue and the reader's current chunk. The caller holds
// the driver token.
func heldBufs(c *Conn) int64 {
	var n int64
	for _, b := range c.rxBufs {
		if b != nil {
			n++
		}
	}
	c.nq.mu.Lock()
	for _, b := range c.nq.chunks {
		if b.b != nil {
			n++
		}
	}
	c.nq.mu.Unlock()
	c.rcvMu.Lock()
	if c.rcvCur != nil {
		n++
	}
	c.rcvMu.Unlock()
	return n
}

// checkQuiet fails tb unless c is idle and consistent: nothing in flight in
// the driver's books, every pending back in its pool, and every receive
// buffer either held by c or back in its pool. Call it when no goroutine
// uses c.
func checkQuiet(tb testing.TB, c *Conn) {
	tb.Helper()
	c.drive <- struct{}{}
	defer func() { <-c.drive }()
	if len(c.table) != 0 || c.inflight != 0 || len(c.batches) != 0 || c.dumpActive != nil ||
		len(c.dumpQ) != 0 || len(c.sendQ) != 0 || c.subq.Len() != 0 {
		tb.Errorf("driver books not empty: table %d, inflight %d, batches %d, dump active %v, dumps queued %d, sends queued %d, submissions %d",
			len(c.table), c.inflight, len(c.batches), c.dumpActive != nil, len(c.dumpQ), len(c.sendQ), c.subq.Len())
	}
	if n := c.stats.livePendings.Load(); n != 0 {
		tb.Errorf("%d pendings not returned to the pool", n)
	}
	if n, held := c.stats.liveBufs.Load(), heldBufs(c); n != held {
		tb.Errorf("%d receive buffers out of the pool, %d of them held by the Conn: %d leaked", n, held, n-held)
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

// ---------------------------------------------------------------------------
// Hostile and malformed input.

// craftedDgram is one datagram a test feeds to the Conn.
type craftedDgram struct {
	data     []byte
	pid      uint32 // sender port: 0 is the kernel
	groups   uint32 // multicast groups it was delivered to
	truncLen int    // > len(data): reported as truncated with this length
}

func kernel(data []byte) craftedDgram { return craftedDgram{data: data} }

// TestTrustMalformedInput feeds crafted datagrams to a Conn while a request
// (RTM_GETLINK for lo, the victim) and a Noop (a bystander) are in flight
// and their real answers wait in the socket. Each datagram must end the
// victim with a typed error, or be dropped and counted with the victim
// getting the kernel's real answer; the bystander is never disturbed,
// nothing panics, and the Conn works afterwards.
func TestTrustMalformedInput(t *testing.T) {
	type counts struct{ malformed, unknown, foreign, truncated, notifications uint64 }
	cases := []struct {
		name   string
		dgrams func(seq uint32) []craftedDgram
		// wantErr, when set, must accept the victim's error; otherwise the
		// victim must succeed with the kernel's real answer.
		wantErr func(error) bool
		want    counts
	}{
		{
			name: "control: a well-formed kernel error is believed",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil))}
			},
			wantErr: func(err error) bool { var oe *OpError; return errors.As(err, &oe) && errors.Is(err, unix.EPERM) },
		},
		{
			name: "length below the header size",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(setLen(craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), 8))}
			},
			want: counts{malformed: 1},
		},
		{
			name: "length zero",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(setLen(craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), 0))}
			},
			want: counts{malformed: 1},
		},
		{
			name: "length beyond the datagram",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(setLen(craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), 4096))}
			},
			want: counts{malformed: 1},
		},
		{
			name: "length 0xffffffff",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(setLen(craftLink(seq, 0, 7), 0xffffffff))}
			},
			want: counts{malformed: 1},
		},
		{
			name: "unaligned length shifts the next header",
			dgrams: func(seq uint32) []craftedDgram {
				// A 21-byte message with no padding, then an ack: the
				// scanner looks for the ack at offset 24 and finds garbage.
				first := craftMsg(unix.RTM_NEWLINK, nlmsg.Multi, seq, []byte{1, 2, 3, 4, 5})[:21]
				return []craftedDgram{kernel(cat(first, craftErr(seq, 0, unix.RTM_GETLINK, nil)))}
			},
			wantErr: isFormatErr(nlmsg.ErrLongLength),
			want:    counts{malformed: 1},
		},
		{
			name: "unaligned length on the last message is accepted",
			dgrams: func(seq uint32) []craftedDgram {
				// The kernel may omit the last message's padding.
				return []craftedDgram{kernel(craftErr(seq, unix.ENOENT, unix.RTM_GETLINK, []byte{5, 0, 1, 0, 'x'}))}
			},
			wantErr: func(err error) bool {
				var oe *OpError
				return errors.As(err, &oe) && errors.Is(err, unix.ENOENT) && oe.Message == "x"
			},
		},
		{
			name: "header cut short",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil)[:10])}
			},
			want: counts{malformed: 1},
		},
		{
			name: "header cut short after a message",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(cat(craftLink(seq, nlmsg.Multi, 7), craftErr(seq, 0, unix.RTM_GETLINK, nil)[:7]))}
			},
			wantErr: isFormatErr(nlmsg.ErrTrailingData),
			want:    counts{malformed: 1},
		},
		{
			name: "empty datagram",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(nil), {groups: 1}}
			},
			want: counts{malformed: 2},
		},
		{
			name: "NLMSG_ERROR with a truncated body",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftMsg(nlmsg.Error, 0, seq, []byte{0xff, 0xff, 0xff, 0xff, 1, 2}))}
			},
			wantErr: isFormatErr(nlmsg.ErrBadSize),
		},
		{
			name: "NLMSG_ERROR with no body",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftMsg(nlmsg.Error, 0, seq, nil))}
			},
			wantErr: isFormatErr(nlmsg.ErrBadSize),
		},
		{
			name: "NLMSG_ERROR echoing a request longer than itself",
			dgrams: func(seq uint32) []craftedDgram {
				// Not capped: the whole request is echoed, and its header
				// claims 1000 bytes where 24 follow.
				einval := -int32(unix.EINVAL)
				body := binary.NativeEndian.AppendUint32(nil, uint32(einval))
				body = nlmsg.Header{Len: 1000, Type: unix.RTM_GETLINK, Seq: seq}.AppendTo(body)
				body = append(body, make([]byte, 8)...)
				return []craftedDgram{kernel(craftMsg(nlmsg.Error, 0, seq, body))}
			},
			wantErr: isFormatErr(nlmsg.ErrLongLength),
		},
		{
			name: "ext-ack TLV overruns the message",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftErr(seq, unix.EINVAL, unix.RTM_GETLINK, []byte{64, 0, 1, 0, 'b', 'a', 'd', 0}))}
			},
			wantErr: isFormatErr(nlmsg.ErrLongLength),
		},
		{
			name: "ext-ack TLV shorter than its header",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftErr(seq, unix.EINVAL, unix.RTM_GETLINK, []byte{2, 0, 2, 0, 0, 0, 0, 0}))}
			},
			wantErr: isFormatErr(nlmsg.ErrShortLength),
		},
		{
			name: "ext-ack offset of the wrong size",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftErr(seq, unix.EINVAL, unix.RTM_GETLINK, []byte{6, 0, 2, 0, 1, 0, 0, 0}))}
			},
			wantErr: isFormatErr(nlmsg.ErrBadSize),
		},
		{
			name: "reply with a sequence number nobody asked for",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(cat(craftLink(seq+1000, 0, 7), craftErr(seq+1000, unix.EPERM, unix.RTM_GETLINK, nil)))}
			},
			want: counts{unknown: 2},
		},
		{
			name: "NLMSG_DONE with no request",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{kernel(craftMsg(nlmsg.Done, nlmsg.Multi, seq+1000, []byte{0, 0, 0, 0}))}
			},
			want: counts{unknown: 1},
		},
		{
			name: "NLMSG_DONE answering a request that is not a dump",
			dgrams: func(seq uint32) []craftedDgram {
				// Delivered to the victim, which ignores it: only its ack ends it.
				return []craftedDgram{kernel(craftMsg(nlmsg.Done, nlmsg.Multi, seq, []byte{0xfe, 0xff, 0xff, 0xff}))}
			},
		},
		{
			name: "sender is another socket",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{{data: craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), pid: 4242}}
			},
			want: counts{foreign: 1},
		},
		{
			name: "sender is another socket claiming multicast",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{{data: craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), pid: 4242, groups: 1}}
			},
			want: counts{foreign: 1},
		},
		{
			name: "multicast copy of a reply goes to notifications",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{{data: craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil), groups: 1}}
			},
			want: counts{notifications: 1},
		},
		{
			name: "malformed multicast",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{{data: setLen(craftLink(0, 0, 7), 99), groups: 1}}
			},
			want: counts{malformed: 1},
		},
		{
			name: "datagram larger than the receive buffer",
			dgrams: func(seq uint32) []craftedDgram {
				return []craftedDgram{{data: craftLink(seq, 0, 7), truncLen: 100_000}}
			},
			wantErr: func(err error) bool {
				var oe *OpError
				return errors.As(err, &oe) && errors.Is(err, ErrDatagramTruncated)
			},
			want: counts{truncated: 1},
		},
	}

	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Stats()
			release := holdDriver(t, c)
			victim := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			bystander := make(chan error, 1)
			go func() { bystander <- c.Noop(ctx) }()
			var seq uint32
			flushHeld(t, c, "the victim and the bystander to be sent", func() bool {
				seq = seqWhere(c, isGetLink)
				return seq != 0 && seqWhere(c, isNoop) != 0
			})
			for _, d := range tc.dgrams(seq) {
				injectHeld(c, d.data, d.pid, d.groups, d.truncLen)
			}
			release()

			r := wait(t, victim, "victim")
			want := tc.want
			switch {
			case tc.wantErr != nil:
				if r.err == nil || !tc.wantErr(r.err) {
					t.Errorf("victim: %d messages, error %v (%T); want a different typed error", len(r.msgs), r.err, r.err)
				}
				// The kernel's real reply and ack, now for no one.
				want.unknown += 2
			case r.err != nil || !isLoReply(r.msgs):
				t.Errorf("victim: %d messages, %v; want the kernel's reply for lo", len(r.msgs), r.err)
			}
			select {
			case err := <-bystander:
				if err != nil {
					t.Errorf("bystander Noop: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("bystander Noop hung")
			}
			// The kernel answers in order: once this Noop's ack is read,
			// every real reply sent before it has been read and dispatched.
			if err := c.Noop(ctx); err != nil {
				t.Fatal(err)
			}

			after := c.Stats()
			got := counts{
				malformed:     after.DroppedMalformed - before.DroppedMalformed,
				unknown:       after.DroppedUnknownSeq - before.DroppedUnknownSeq,
				foreign:       after.DroppedForeign - before.DroppedForeign,
				truncated:     after.Truncated - before.Truncated,
				notifications: after.Notifications - before.Notifications,
			}
			if got != want {
				t.Errorf("counters moved by %+v, want %+v", got, want)
			}
			if want.notifications > 0 {
				// What went to the notification queue is the multicast
				// copy, whole, and not an answer to anyone.
				nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				m, err := c.Receive(nctx)
				cancel()
				if err != nil || m.Type != nlmsg.Error || m.Seq != seq {
					t.Errorf("Receive: %+v, %v; want the multicast NLMSG_ERROR with seq %d", m, err, seq)
				}
			}
			checkWorks(t, c)
		})
	}
}

// TestTrustTwoRequestsInOneDatagram feeds one datagram carrying answers for
// two different requests: each request gets exactly its own part.
func TestTrustTwoRequestsInOneDatagram(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := context.Background()
	before := c.Stats()
	release := holdDriver(t, c)
	a := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	b := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	var seqs []uint32
	flushHeld(t, c, "both requests to be sent", func() bool {
		seqs = seqs[:0]
		for s := range c.table {
			seqs = append(seqs, s)
		}
		return len(seqs) == 2
	})
	slices.Sort(seqs)
	injectHeld(c, cat(
		craftLink(seqs[0], 0, 77),
		craftErr(seqs[1], unix.ENODEV, unix.RTM_GETLINK, nil),
		craftErr(seqs[0], 0, unix.RTM_GETLINK, nil),
	), 0, 0, 0)
	release()

	ra, rb := wait(t, a, "request A"), wait(t, b, "request B")
	// Which goroutine got which seq is up to the scheduler; sort them out by
	// outcome: one must have exactly the crafted link 77, the other ENODEV.
	if ra.err != nil {
		ra, rb = rb, ra
	}
	if ra.err != nil || len(ra.msgs) != 1 || ra.msgs[0].Seq != seqs[0] {
		t.Fatalf("first request: %d messages, %v; want only the crafted link", len(ra.msgs), ra.err)
	}
	if h, _, _ := nlmsg.DecodeIfInfoMsg(ra.msgs[0].Payload); h.Index != 77 {
		t.Errorf("first request got ifindex %d, want the crafted 77", h.Index)
	}
	var oe *OpError
	if !errors.As(rb.err, &oe) || !errors.Is(rb.err, unix.ENODEV) || oe.Seq != seqs[1] {
		t.Errorf("second request: %d messages, %v; want ENODEV for seq %d", len(rb.msgs), rb.err, seqs[1])
	}
	if err := c.Noop(ctx); err != nil { // its ack comes after every earlier reply
		t.Fatal(err)
	}
	// The kernel's real answers (a reply and an ack each) are now for no one.
	if d := c.Stats().DroppedUnknownSeq - before.DroppedUnknownSeq; d != 4 {
		t.Errorf("DroppedUnknownSeq moved by %d, want the 4 real replies", d)
	}
	checkWorks(t, c)
}

// TestTrustEndlessMultipart feeds NLM_F_MULTI parts that never end (no
// NLMSG_DONE, no ack): the request's context bounds the wait, and once the
// kernel's real answer arrives the Conn serves requests and dumps again.
func TestTrustEndlessMultipart(t *testing.T) {
	for _, dump := range []bool{true, false} {
		name := "request"
		if dump {
			name = "dump"
		}
		t.Run(name, func(t *testing.T) {
			c, _ := newTestConn(t, nlmsg.FamilyRoute)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			release := holdDriver(t, c)
			var seen atomic.Int64
			var res <-chan callResult
			match := isGetLink
			if dump {
				res = goDump(ctx, c, unix.RTM_GETLINK, ifinfoPayload(0), &seen)
				match = isDumpOf(unix.RTM_GETLINK)
			} else {
				res = goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			}
			var seq uint32
			flushHeld(t, c, "the request to be sent", func() bool { seq = seqWhere(c, match); return seq != 0 })
			for i := range 3 {
				injectHeld(c, cat(craftLink(seq, nlmsg.Multi, int32(100+2*i)), craftLink(seq, nlmsg.Multi, int32(101+2*i))), 0, 0, 0)
			}
			if dump {
				// The parts reach the consumer as they come.
				waitFor(t, "the dump to yield the crafted parts", func() bool { return seen.Load() == 6 })
			}
			// No end will come while the test holds the socket: only the
			// context can end the wait.
			cancel()
			r := wait(t, res, name)
			if !errors.Is(r.err, context.Canceled) {
				t.Fatalf("%s: %d messages, %v; want context.Canceled", name, len(r.msgs), r.err)
			}
			release()
			checkWorks(t, c)
		})
	}
}

// TestTrustMulticastCannotAnswer: a notification that carries an in-flight
// request's sequence number and the Conn's port id (as some families' do)
// is a notification, never that request's answer.
func TestTrustMulticastCannotAnswer(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := context.Background()
	release := holdDriver(t, c)
	victim := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	var seq uint32
	flushHeld(t, c, "the request to be sent", func() bool { seq = seqWhere(c, isGetLink); return seq != 0 })
	fake := craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil)
	binary.NativeEndian.PutUint32(fake[12:], c.PortID())
	injectHeld(c, cat(craftLink(seq, 0, 9), fake), 0, uint32(1)<<(unix.RTNLGRP_LINK-1), 0)
	release()
	if r := wait(t, victim, "request"); r.err != nil || !isLoReply(r.msgs) {
		t.Fatalf("request: %d messages, %v; want the kernel's reply for lo", len(r.msgs), r.err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, want := range []nlmsg.Type{unix.RTM_NEWLINK, nlmsg.Error} {
		m, err := c.Receive(rctx)
		if err != nil || m.Type != want || m.Seq != seq {
			t.Fatalf("Receive: %v seq %d, %v; want %v seq %d", m.Type, m.Seq, err, want, seq)
		}
	}
	checkWorks(t, c)
}

// ---------------------------------------------------------------------------
// Spoofing.

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
			c, ns := newTestConn(t, nlmsg.FamilyRoute)
			before := c.Stats()
			release := holdDriver(t, c)
			victim := goRequest(context.Background(), c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
			waitFor(t, "the request to be submitted", func() bool { return c.subq.Len() == 1 })
			// With the token held no one else allocates: the next flush
			// gives the request c.nextSeq.
			seq := c.nextSeq
			if seq == 0 || c.table[seq] != nil {
				t.Fatalf("cannot predict the sequence number (next %d)", seq)
			}
			if how == "other process" {
				spoofFromChild(t, ns, c.PortID(), seq)
			} else {
				fd, err := ns.Socket(unix.NETLINK_ROUTE)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(fd)
				if err := sendForgery(fd, c.PortID(), seq); err != nil {
					t.Fatal(err)
				}
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

// ---------------------------------------------------------------------------
// Cancellation in every phase.

// routeDsts returns the IPv4 destinations of the 10.0.0.0/8 routes in the
// main table, as routePayload indexes, sorted.
func routeDsts(tb testing.TB, c *Conn) []int {
	tb.Helper()
	var out []int
	for v, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			tb.Fatalf("route dump: %v", err)
		}
		r, err := decodeRoute(v)
		if err != nil {
			tb.Fatal(err)
		}
		if r.dstLen == 32 && r.dst[0] == 10 {
			out = append(out, int(r.dst[1])<<16|int(r.dst[2])<<8|int(r.dst[3]))
		}
	}
	slices.Sort(out)
	return out
}

func routeOps(typ nlmsg.Type, flags nlmsg.Flags, from, to int) []Op {
	ops := make([]Op, 0, to-from)
	for i := from; i < to; i++ {
		ops = append(ops, Op{Type: typ, Flags: flags, Payload: routePayload(i, 1)})
	}
	return ops
}

func goBatch(ctx context.Context, c *Conn, ops []Op) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() { ch <- callResult{err: c.Batch(ctx, ops)} }()
	return ch
}

// TestCancelBeforeSend: a context that ended before the call, or that ends
// while the request waits in the submission queue, returns ctx.Err(); the
// request never reaches the kernel, and the Conn keeps working.
func TestCancelBeforeSend(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	before := c.Stats()
	if _, err := c.Request(done, unix.RTM_GETLINK, ifinfoPayload(1), 0); err != context.Canceled {
		t.Errorf("Request: %v", err)
	}
	if err := c.RequestFunc(done, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil }); err != context.Canceled {
		t.Errorf("RequestFunc: %v", err)
	}
	if err := c.Noop(done); err != context.Canceled {
		t.Errorf("Noop: %v", err)
	}
	for _, err := range c.Dump(done, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
		if err != context.Canceled {
			t.Errorf("Dump: %v", err)
		}
	}
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 3)
	if err := c.Batch(done, ops); err != context.Canceled {
		t.Errorf("Batch: %v", err)
	}
	if _, err := c.Receive(done); err != context.Canceled {
		t.Errorf("Receive: %v", err)
	}
	if d := c.Stats().RequestsSent - before.RequestsSent; d != 0 {
		t.Errorf("%d requests sent under a cancelled context", d)
	}

	// Cancelled while queued: the test holds the socket, so nothing is sent.
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	req := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	dump := goDump(ctx, c, unix.RTM_GETLINK, ifinfoPayload(0), nil)
	batch := goBatch(ctx, c, ops)
	waitFor(t, "three submissions", func() bool { return c.subq.Len() == 3 })
	cancel()
	for _, ch := range []<-chan callResult{req, dump, batch} {
		if r := wait(t, ch, "call"); r.err != context.Canceled {
			t.Errorf("cancelled while queued: %v", r.err)
		}
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Errorf("op %d: %v, want context.Canceled (outcome unknown)", i, op.Err)
		}
	}
	release()
	sent := c.Stats().RequestsSent
	checkWorks(t, c) // a Noop, a request and a dump
	if d := c.Stats().RequestsSent - sent; d != 3 {
		t.Errorf("%d requests sent, want only checkWorks' 3", d)
	}
	if got := routeDsts(t, c); len(got) != 0 {
		t.Errorf("routes %v exist: a batch cancelled before sending was applied", got)
	}
}

// TestCancelAfterSend: the context ends after the request reached the
// kernel and before its answer is read. The caller returns ctx.Err() at
// once; the answer is drained and dropped later; the Conn keeps working.
// The kernel did apply what was sent, which is why Op.Err says "unknown"
// (ctx.Err()) rather than failure.
func TestCancelAfterSend(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 3)
	req := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	batch := goBatch(ctx, c, ops)
	flushHeld(t, c, "the request and the batch to be sent", func() bool {
		return seqWhere(c, isGetLink) != 0 && len(c.batches) == 1 && c.batches[0].sent == 3
	})
	cancel()
	for _, ch := range []<-chan callResult{req, batch} {
		if r := wait(t, ch, "call"); r.err != context.Canceled {
			t.Errorf("cancelled after send: %v", r.err)
		}
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Errorf("op %d: %v, want context.Canceled", i, op.Err)
		}
	}
	release()
	checkWorks(t, c)
	if got := routeDsts(t, c); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("routes %v, want the 3 the kernel received", got)
	}
}

// TestCancelMidDump: the context ends in the middle of a dump of thousands
// of routes. The iteration ends with ctx.Err(), the rest of the dump is
// drained, and the next dump is complete.
func TestCancelMidDump(t *testing.T) {
	const routes = 5000
	// Small buffers make the kernel cut the dump into many chunks.
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithReadBufferSize(8192))
	addRoutes(t, c, routes)
	for _, how := range []string{"cancel", "break"} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		var last error
		for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
			if err != nil {
				last = err
				break
			}
			n++
			if n == 1 {
				if how == "break" {
					break
				}
				cancel()
			}
		}
		cancel()
		if how == "cancel" && last != context.Canceled {
			t.Errorf("cancelled dump ended with %v after %d messages", last, n)
		}
		if n >= routes {
			t.Errorf("%s: the dump went on to %d messages", how, n)
		}
		if got := routeDsts(t, c); len(got) != routes {
			t.Errorf("after a %s: a full dump has %d routes, want %d", how, len(got), routes)
		}
		checkWorks(t, c)
	}
}

// TestCancelDuringBatch: the context ends after the first window of a large
// batch was sent and before any ack was read. Batch returns ctx.Err() at
// once, with every op's outcome unknown; nothing more is sent; the kernel
// applied exactly the window that was sent, in order (a prefix); the Conn
// keeps working.
func TestCancelDuringBatch(t *testing.T) {
	const n = 2000
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx, cancel := context.WithCancel(context.Background())
	release := holdDriver(t, c)
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, n)
	batch := goBatch(ctx, c, ops)
	flushHeld(t, c, "the batch to start", func() bool { return len(c.batches) == 1 && c.batches[0].sent > 0 })
	sent := c.batches[0].sent
	if sent >= n {
		t.Fatalf("the whole batch (%d) went out in one window; the test needs a partial one", sent)
	}
	cancel()
	if r := wait(t, batch, "batch"); r.err != context.Canceled {
		t.Fatalf("batch: %v", r.err)
	}
	for i, op := range ops {
		if op.Err != context.Canceled {
			t.Fatalf("op %d: %v, want context.Canceled (outcome unknown)", i, op.Err)
		}
	}
	release()
	checkWorks(t, c)
	got := routeDsts(t, c)
	if len(got) != sent || (sent > 0 && got[len(got)-1] != sent-1) {
		t.Fatalf("kernel has %d routes (last %v), want the first %d", len(got), got[len(got)-1:], sent)
	}
	// The rest was never sent: adding it exclusively succeeds.
	if err := c.Batch(context.Background(), routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, sent, n)); err != nil {
		t.Fatalf("adding the unsent rest: %v", err)
	}
	checkQuiet(t, c)
}

// ---------------------------------------------------------------------------
// Close.

func countFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(ents)
}

// checkNoLeaks fails tb unless the goroutine and fd counts come back to
// their baselines (polling: goroutines take a moment to exit) and every
// pooled object of c is back in its pool.
func checkNoLeaks(tb testing.TB, c *Conn, goroutines, fds int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		tb.Errorf("%d goroutines, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
	if n := countFDs(tb); n != fds {
		tb.Errorf("%d open fds, %d before", n, fds)
	}
	if n := c.stats.livePendings.Load(); n != 0 {
		tb.Errorf("%d pendings never returned to the pool", n)
	}
	if n := c.stats.liveBufs.Load(); n != 0 {
		tb.Errorf("%d receive buffers never returned to the pool", n)
	}
}

// closeWithin is how fast every waiter must return once Close is called
// (the bound; it is a liveness bound with a wide margin: waiters
// are woken by a closed channel, not by the driver).
const closeWithin = 100 * time.Millisecond

// TestCloseInFlight: Close while 100 requests and a dump are in flight (sent
// to the kernel, answers not yet read). Every caller returns an error that
// errors.Is net.ErrClosed within 100 ms, even though the test still holds
// the socket (so waiters need no driver to leave); afterwards no goroutine,
// fd, pending or receive buffer is left over.
func TestCloseInFlight(t *testing.T) {
	ns := netnstest.New(t)
	setup := connectIn(t, ns, nlmsg.FamilyRoute)
	addRoutes(t, setup, 3000)
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	// A receive buffer with room for all 101 answers, so that the reply
	// budget lets every request go to the kernel at once.
	c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()), WithReceiveBuffer(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release := holdDriver(t, c)
	results := make([]<-chan callResult, 0, 101)
	for range 100 {
		results = append(results, goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0))
	}
	results = append(results, goDump(ctx, c, unix.RTM_GETROUTE, rtmsgIPv4(), nil))
	flushHeld(t, c, "100 requests and a dump to be sent", func() bool { return len(c.table) == 101 })

	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	var slowest time.Duration
	for i, ch := range results {
		r := wait(t, ch, "call")
		if !errors.Is(r.err, net.ErrClosed) {
			t.Errorf("call %d: %v, want net.ErrClosed", i, r.err)
		}
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("all 101 callers returned %v after Close was called", slowest)
	if slowest > closeWithin {
		t.Errorf("callers took %v to return after Close, want under %v", slowest, closeWithin)
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after Close: %v", err)
	}
	checkNoLeaks(t, c, goroutines, fds)
}

// TestCloseUnderLoad: Close while 100 goroutines send requests in a loop
// and another runs dumps with a slow consumer. Every goroutine's last call
// fails with net.ErrClosed within 100 ms, none fails otherwise before, and
// nothing is left over.
func TestCloseUnderLoad(t *testing.T) {
	ns := netnstest.New(t)
	setup := connectIn(t, ns, nlmsg.FamilyRoute)
	addRoutes(t, setup, 3000)
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	c, err := Connect(context.Background(), nlmsg.FamilyRoute, WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var calls atomic.Int64
	var closedAt atomic.Int64
	var wg sync.WaitGroup
	lastErrs := make([]error, 101)
	latency := make([]time.Duration, 101)
	finish := func(i int, err error) {
		lastErrs[i] = err
		if at := closedAt.Load(); at != 0 {
			latency[i] = time.Duration(time.Now().UnixNano() - at)
		}
	}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var err error
				if i%2 == 0 {
					err = c.Noop(ctx)
				} else {
					var msgs []nlmsg.Message
					msgs, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
					if err == nil && !isLoReply(msgs) {
						err = fmt.Errorf("wrong reply: %d messages", len(msgs))
					}
				}
				calls.Add(1)
				if err != nil {
					finish(i, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var last error
			for _, err := range c.Dump(ctx, unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
				if err != nil {
					last = err
					break
				}
				runtime.Gosched() // a slow consumer keeps the dump in flight
			}
			calls.Add(1)
			if last != nil {
				finish(100, last)
				return
			}
		}
	}()
	waitFor(t, "a few hundred calls", func() bool { return calls.Load() > 500 })
	closedAt.Store(time.Now().UnixNano())
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitDone := make(chan struct{})
	go func() { wg.Wait(); close(waitDone) }()
	select {
	case <-waitDone:
	case <-time.After(10 * time.Second):
		t.Fatal("callers hung after Close")
	}
	slowest := slices.Max(latency)
	t.Logf("%d calls; every caller returned within %v of Close", calls.Load(), slowest)
	for i, err := range lastErrs {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("goroutine %d stopped on %v, want net.ErrClosed", i, err)
		}
	}
	if slowest > closeWithin {
		t.Errorf("callers took %v to return after Close, want under %v", slowest, closeWithin)
	}
	checkNoLeaks(t, c, goroutines, fds)
}

// ---------------------------------------------------------------------------
// Kernel overruns (ENOBUFS).

// routeKey identifies an IPv4 route in a routing-table mirror.
func routeKey(tb testing.TB, payload []byte) string {
	tb.Helper()
	h, attrs, err := nlmsg.DecodeRtMsg(payload)
	if err != nil {
		tb.Fatalf("route message: %v", err)
	}
	table := uint32(h.Table)
	var dst []byte
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		switch a := s.Attr(); a.Type() {
		case unix.RTA_DST:
			dst = a.Data()
		case unix.RTA_TABLE:
			table, _ = a.Uint32()
		}
	}
	return fmt.Sprintf("table %d type %d %v/%d", table, h.Type, net.IP(dst), h.DstLen)
}

// routeMirror is what a listener keeps: the kernel's IPv4 routes as it
// learns them from a dump and from notifications.
type routeMirror map[string]bool

func dumpMirror(tb testing.TB, c *Conn) routeMirror {
	tb.Helper()
	m := routeMirror{}
	for v, err := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
		if err != nil {
			tb.Fatalf("route dump: %v", err)
		}
		m[routeKey(tb, v.Payload())] = true
	}
	return m
}

func (m routeMirror) apply(tb testing.TB, msg nlmsg.Message) {
	switch msg.Type {
	case unix.RTM_NEWROUTE:
		m[routeKey(tb, msg.Payload)] = true
	case unix.RTM_DELROUTE:
		delete(m, routeKey(tb, msg.Payload))
	}
}

func (m routeMirror) diff(other routeMirror) []string {
	var d []string
	for k := range m {
		if !other[k] {
			d = append(d, "only in mirror: "+k)
		}
	}
	for k := range other {
		if !m[k] {
			d = append(d, "only in kernel: "+k)
		}
	}
	slices.Sort(d)
	return d
}

// TestOverrunResync: a listener with a small receive buffer mirrors the
// routing table from route notifications while a writer adds 400 routes and
// deletes 200 of them without the listener reading. The kernel overruns the
// listener's socket; the listener must report the overrun (ENOBUFS) in order,
// after the notifications that were queued before it, keep receiving, and a
// resync (a fresh dump) at that point must leave a mirror that agrees with
// the kernel once the events that follow are applied.
func TestOverrunResync(t *testing.T) {
	ns := netnstest.New(t)
	w := connectIn(t, ns, nlmsg.FamilyRoute)
	l := connectIn(t, ns, nlmsg.FamilyRoute, WithReceiveBuffer(4096), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	mirror := dumpMirror(t, l)
	if err := w.Batch(ctx, routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 400)); err != nil {
		t.Fatal(err)
	}
	if err := w.Batch(ctx, routeOps(unix.RTM_DELROUTE, 0, 0, 200)); err != nil {
		t.Fatal(err)
	}

	// Read what was queued, up to and including the overrun report.
	before, losses := 0, 0
	for losses == 0 {
		m, err := l.Receive(ctx)
		switch {
		case errors.Is(err, unix.ENOBUFS):
			var oe *OpError
			if !errors.As(err, &oe) {
				t.Fatalf("overrun reported as %T, want *OpError", err)
			}
			losses++
			mirror = dumpMirror(t, l) // the resync
		case err != nil:
			t.Fatalf("Receive: %v (after %d notifications)", err, before)
		default:
			mirror.apply(t, m)
			before++
		}
	}
	if l.Stats().Overruns == 0 {
		t.Fatal("the listener reported ENOBUFS but counted no overrun")
	}
	// The socket held notifications when the kernel overran it: they came
	// before the loss, so they must be read before its report. Reported
	// after it, they would be applied on top of the resync and bring back
	// routes deleted since.
	t.Logf("%d notifications read before the overrun report", before)
	if before == 0 {
		t.Error("the overrun was reported ahead of the notifications queued before it")
	}

	// The listener keeps receiving: the next changes arrive as events.
	final := routePayload(399, 1)
	if err := w.Batch(ctx, []Op{
		{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(5000, 1)},
		{Type: unix.RTM_DELROUTE, Payload: final},
	}); err != nil {
		t.Fatal(err)
	}
	after := 0
	for {
		m, err := l.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive after the resync: %v (after %d notifications)", err, after)
		}
		mirror.apply(t, m)
		after++
		if m.Type == unix.RTM_DELROUTE && routeKey(t, m.Payload) == routeKey(t, final) {
			break
		}
	}
	if after != 2 {
		t.Errorf("%d notifications after the resync, want only the 2 changes made since", after)
	}
	if d := mirror.diff(dumpMirror(t, w)); len(d) > 0 {
		t.Fatalf("after the resync the mirror disagrees with the kernel (%d differences):\n%s", len(d), strings.Join(d[:min(len(d), 10)], "\n"))
	}
	checkWorks(t, l)
}

// TestOverrunSelfInflicted: a Conn that listens to IPv4 route events adds
// 1000 routes in one Batch. Each route costs an ack and a notification, more
// than the receive buffer holds, so the kernel overruns the socket; and from
// then until the socket is read empty it drops every reply to it silently
// (ENOBUFS is reported once). The Batch must end (no hang), each op either
// acknowledged, in which case the route exists, or failed with an error that
// errors.Is ENOBUFS; the listener reports the loss and the Conn works after.
func TestOverrunSelfInflicted(t *testing.T) {
	ns := netnstest.New(t)
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithReceiveBuffer(64<<10), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ops := routeOps(unix.RTM_NEWROUTE, nlmsg.Create|nlmsg.Excl, 0, 1000)
	r := wait(t, goBatch(context.Background(), c, ops), "batch")
	var be *BatchError
	if !errors.As(r.err, &be) || !errors.Is(r.err, unix.ENOBUFS) {
		t.Fatalf("batch: %v; want a *BatchError for ENOBUFS (did the socket not overrun?)", r.err)
	}
	exists := map[int]bool{}
	for _, i := range routeDsts(t, connectIn(t, ns, nlmsg.FamilyRoute)) {
		exists[i] = true
	}
	failed := 0
	for i, op := range ops {
		switch {
		case op.Err == nil:
			if !exists[i] {
				t.Errorf("op %d was acknowledged but route %d does not exist", i, i)
			}
		case errors.Is(op.Err, unix.ENOBUFS):
			failed++ // outcome unknown: the kernel applied it, its ack was lost
		default:
			t.Errorf("op %d: %v", i, op.Err)
		}
	}
	t.Logf("%d of %d acks lost to %d overruns", failed, len(ops), c.Stats().Overruns)
	if failed != be.Failed {
		t.Errorf("BatchError counts %d failures, ops show %d", be.Failed, failed)
	}
	// The loss is reported to the listener, after what came before it.
	drain, stop := context.WithCancel(context.Background())
	stop()
	sawLoss := false
	for {
		_, err := c.Receive(drain)
		if errors.Is(err, context.Canceled) {
			break
		}
		if errors.Is(err, unix.ENOBUFS) {
			sawLoss = true
		} else if err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
	if !sawLoss {
		t.Error("the listener was not told about the overrun")
	}
	checkWorks(t, c)
}

// TestOverrunUnderLoad: 8 goroutines run batches, dumps and requests for 2 s
// on a Conn that listens to the route events its batches cause, with a
// small receive buffer, so that the kernel overruns it again and again.
// Every call must return, with success or an error that errors.Is ENOBUFS;
// afterwards nothing is left in flight or out of the pools.
func TestOverrunUnderLoad(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute, WithReceiveBuffer(64<<10), WithGroups(unix.RTNLGRP_IPV4_ROUTE))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { // a listener that keeps up
		for {
			if _, err := c.Receive(ctx); errors.Is(err, context.Canceled) {
				return
			}
		}
	})
	var calls, lost atomic.Int64
	errs := make(chan error, 8)
	deadline := time.Now().Add(2 * time.Second)
	var workers sync.WaitGroup
	for w := range 8 {
		workers.Go(func() {
			for r := 0; time.Now().Before(deadline); r++ {
				var err error
				switch r % 3 {
				case 0:
					first := 10_000 + w*1000
					flags := nlmsg.Create | nlmsg.Excl
					typ := nlmsg.Type(unix.RTM_NEWROUTE)
					if r%2 == 1 {
						typ, flags = unix.RTM_DELROUTE, 0
					}
					err = c.Batch(context.Background(), routeOps(typ, flags, first, first+300))
					if err != nil && !errors.Is(err, unix.ENOBUFS) {
						// Adds and deletes alternate; after a lost ack the
						// next one may meet EEXIST or ESRCH: not a loss.
						var be *BatchError
						if errors.As(err, &be) && (errors.Is(be.First, unix.EEXIST) || errors.Is(be.First, unix.ESRCH)) {
							err = nil
						}
					}
				case 1:
					for _, e := range c.Dump(context.Background(), unix.RTM_GETROUTE, rtmsgIPv4(), 0) {
						if e != nil {
							err = e
						}
					}
				case 2:
					var msgs []nlmsg.Message
					msgs, err = c.Request(context.Background(), unix.RTM_GETLINK, ifinfoPayload(1), 0)
					if err == nil && !isLoReply(msgs) {
						err = fmt.Errorf("wrong reply to RTM_GETLINK lo: %d messages", len(msgs))
					}
				}
				calls.Add(1)
				if errors.Is(err, unix.ENOBUFS) {
					lost.Add(1)
				} else if err != nil {
					select {
					case errs <- fmt.Errorf("worker %d: %w", w, err):
					default:
					}
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("calls hung under overruns:\n%s", buf[:runtime.Stack(buf, true)])
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := c.Stats()
	t.Logf("%d calls, %d lost replies to ENOBUFS; %d overruns", calls.Load(), lost.Load(), st.Overruns)
	if st.Overruns == 0 {
		t.Error("the kernel never overran the socket: the test proved nothing")
	}
	checkWorks(t, c)
}

// ---------------------------------------------------------------------------
// Interrupted dumps (NLM_F_DUMP_INTR), provoked for real.

func ifaddrPayload(idx uint32, a [4]byte) []byte {
	var b nlmsg.Builder
	defer b.Release()
	hdr := make([]byte, 8)
	hdr[0], hdr[1] = unix.AF_INET, 32
	binary.NativeEndian.PutUint32(hdr[4:], idx)
	b.Append(hdr)
	b.Attr(unix.IFA_LOCAL, a[:])
	b.Attr(unix.IFA_ADDRESS, a[:])
	return append([]byte(nil), b.Bytes()...)
}

// TestIntrDumpAddresses dumps 400 IPv4 addresses with a slow consumer while
// another goroutine adds and removes an address in a loop, until the kernel
// marks a dump NLM_F_DUMP_INTR. The error must errors.Is ErrDumpInterrupted
// and come with the dump's messages: from Request (messages and error
// together), from RequestFunc and from Dump (error yielded last).
func TestIntrDumpAddresses(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "intr0", "intr1")
	idx := uint32(ns.LinkIndex(t, "intr0"))
	setup := connectIn(t, ns, nlmsg.FamilyRoute)
	const addrs = 400
	ops := make([]Op, addrs)
	for i := range ops {
		ops[i] = Op{Type: unix.RTM_NEWADDR, Flags: nlmsg.Create | nlmsg.Excl, Payload: ifaddrPayload(idx, [4]byte{10, 1, byte(i >> 8), byte(i)})}
	}
	if err := setup.Batch(context.Background(), ops); err != nil {
		t.Fatal(err)
	}

	// The mutator churns the address table until the test is over.
	stop := make(chan struct{})
	var churned atomic.Int64
	mutErr := make(chan error, 1)
	go func() {
		mut := connectIn(t, ns, nlmsg.FamilyRoute)
		p := ifaddrPayload(idx, [4]byte{10, 2, 0, 1})
		for {
			select {
			case <-stop:
				mutErr <- nil
				return
			default:
			}
			if _, err := mut.Request(context.Background(), unix.RTM_NEWADDR, p, nlmsg.Create|nlmsg.Excl); err != nil {
				mutErr <- err
				return
			}
			if _, err := mut.Request(context.Background(), unix.RTM_DELADDR, p, 0); err != nil {
				mutErr <- err
				return
			}
			churned.Add(1)
		}
	}()
	defer func() {
		close(stop)
		if err := <-mutErr; err != nil {
			t.Errorf("mutator: %v", err)
		}
	}()

	// Small receive buffers make the kernel cut the dump into many chunks:
	// each boundary is a chance for the change to land mid-dump.
	c := connectIn(t, ns, nlmsg.FamilyRoute, WithReadBufferSize(4096))
	ctx := context.Background()
	req := ifaddrPayload(0, [4]byte{})[:8]
	deadline := time.Now().Add(30 * time.Second)
	tries := func(what string, try func() (bool, error)) {
		t.Helper()
		for n := 1; ; n++ {
			got, err := try()
			if err != nil {
				t.Fatalf("%s, attempt %d: %v", what, n, err)
			}
			if got {
				t.Logf("%s: NLM_F_DUMP_INTR after %d attempts (%d mutations so far)", what, n, churned.Load())
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no NLM_F_DUMP_INTR in %d attempts", what, n)
			}
		}
	}

	tries("RequestFunc, slow consumer", func() (bool, error) {
		n, flagged := 0, 0
		err := c.RequestFunc(ctx, unix.RTM_GETADDR, req, nlmsg.Dump, func(v nlmsg.View) error {
			n++
			if v.Flags()&nlmsg.DumpIntr != 0 {
				flagged++
			}
			time.Sleep(20 * time.Microsecond)
			return nil
		})
		return intrOutcome(err, n, flagged)
	})
	tries("Dump, slow consumer", func() (bool, error) {
		n, flagged := 0, 0
		var last error
		for v, err := range c.Dump(ctx, unix.RTM_GETADDR, req, 0) {
			if err != nil {
				last = err
				if v.Len() != 0 {
					return false, fmt.Errorf("error yielded with a message")
				}
				continue
			}
			if last != nil {
				return false, fmt.Errorf("message yielded after the error %v", last)
			}
			n++
			if v.Flags()&nlmsg.DumpIntr != 0 {
				flagged++
			}
			time.Sleep(20 * time.Microsecond)
		}
		return intrOutcome(last, n, flagged)
	})
	tries("Request", func() (bool, error) {
		msgs, err := c.Request(ctx, unix.RTM_GETADDR, req, nlmsg.Dump)
		flagged := 0
		for _, m := range msgs {
			if m.Flags&nlmsg.DumpIntr != 0 {
				flagged++
			}
		}
		return intrOutcome(err, len(msgs), flagged)
	})
	checkWorks(t, c)
}

// intrOutcome checks one dump's outcome: a clean one says false; an
// interrupted one must have its messages and the marked ones among them.
func intrOutcome(err error, n, flagged int) (bool, error) {
	switch {
	case err == nil:
		if flagged != 0 {
			return false, fmt.Errorf("%d messages carry NLM_F_DUMP_INTR but no error was reported", flagged)
		}
		if n < 400 {
			return false, fmt.Errorf("a clean dump returned %d addresses, want at least 400", n)
		}
		return false, nil
	case errors.Is(err, ErrDumpInterrupted):
		var oe *OpError
		if !errors.As(err, &oe) {
			return false, fmt.Errorf("interrupted dump error is %T, want *OpError", err)
		}
		if n < 400 || flagged == 0 {
			return false, fmt.Errorf("interrupted dump came with %d messages, %d marked; want all of them, some marked", n, flagged)
		}
		return true, nil
	}
	return false, err
}
