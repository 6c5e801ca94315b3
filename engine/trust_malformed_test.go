//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: hostile and malformed input (datagrams the kernel never sends,
// fed into the real dispatch path with injectHeld) never panics, never
// reaches the wrong request, and leaves the Conn working.

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
		seqs = singleSeqs(c)
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
	notificationCannotAnswer(t, c, func(data []byte) { injectHeld(c, data, 0, uint32(1)<<(unix.RTNLGRP_LINK-1), 0) })
}

// notificationCannotAnswer holds an RTM_GETLINK for lo in flight on c, has
// inject (called with the driver token held) deliver a notification that
// carries its sequence number and c's port id, a link reply and an EPERM,
// and checks that the request gets the kernel's real reply while Receive
// gets both crafted messages.
func notificationCannotAnswer(t *testing.T, c *Conn, inject func(data []byte)) {
	t.Helper()
	ctx := context.Background()
	release := holdDriver(t, c)
	victim := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	var seq uint32
	flushHeld(t, c, "the request to be sent", func() bool { seq = seqWhere(c, isGetLink); return seq != 0 })
	fake := craftErr(seq, unix.EPERM, unix.RTM_GETLINK, nil)
	binary.NativeEndian.PutUint32(fake[12:], c.PortID())
	inject(cat(craftLink(seq, 0, 9), fake))
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
