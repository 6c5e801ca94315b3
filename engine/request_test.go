//go:build linux

package engine

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

func TestIntegrationRequestGetLinkOfLoopback(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	msgs, err := c.Request(testCtx(t), unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil {
		t.Fatalf("RTM_GETLINK lo: %v", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d replies, want one RTM_NEWLINK (the ack is not returned)", len(msgs))
	}
	m := msgs[0]
	if m.Type != unix.RTM_NEWLINK {
		t.Fatalf("reply type %v, want RTM_NEWLINK", m.Type)
	}
	if m.Seq == 0 || m.PortID != c.PortID() {
		t.Fatalf("reply seq %d port %d: want the request's seq and our port %d", m.Seq, m.PortID, c.PortID())
	}
	if idx, name := decodeLink(t, m.Payload); idx != 1 || name != "lo" {
		t.Fatalf("got link %d %q, want 1 \"lo\"", idx, name)
	}
}

// The pooled receive buffer must never be shared with a returned Message
// (mdlayher/netlink#283: later receives overwrote earlier Message.Data).
func TestIntegrationRequestOwnedCopiesOutliveLaterRequests(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	ns.AddVeth(t, "nlt-own0", "nlt-own1")
	veth := int32(ns.LinkIndex(t, "nlt-own0"))
	ctx := testCtx(t)

	lo, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || len(lo) != 1 {
		t.Fatalf("RTM_GETLINK lo: %d replies, %v", len(lo), err)
	}
	links, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(0), nlmsg.Dump)
	if err != nil || len(links) != 3 {
		t.Fatalf("link dump: %d links, %v; want lo and the veth pair", len(links), err)
	}
	snapshot := func(msgs []nlmsg.Message) [][]byte {
		var out [][]byte
		for _, m := range msgs {
			out = append(out, bytes.Clone(m.Payload))
		}
		return out
	}
	loWas, linksWere := snapshot(lo), snapshot(links)

	for i := range 200 {
		var err error
		switch i % 4 {
		case 0:
			_, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(veth), 0)
		case 1:
			_, err = c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(0), nlmsg.Dump)
		case 2:
			err = c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(veth), 0, func(v nlmsg.View) error {
				// Scribbling on the view must not reach the copies either.
				clear(v.Payload())
				return nil
			})
		case 3:
			for _, e := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
				err = errors.Join(err, e)
			}
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	for i, m := range lo {
		if !bytes.Equal(m.Payload, loWas[i]) {
			t.Fatal("the payload of an earlier RTM_GETLINK reply changed under later requests")
		}
	}
	for i, m := range links {
		if !bytes.Equal(m.Payload, linksWere[i]) {
			t.Fatalf("the payload of dump message %d changed under later requests", i)
		}
	}
	if idx, name := decodeLink(t, lo[0].Payload); idx != 1 || name != "lo" {
		t.Fatalf("the kept reply now says link %d %q", idx, name)
	}
}

func TestIntegrationRequestKernelErrorsAreErrnos(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	if _, err := c.Request(ctx, unix.RTM_NEWROUTE, routePayload(7, 1), nlmsg.Create|nlmsg.Excl); err != nil {
		t.Fatalf("adding a route: %v", err)
	}
	tests := []struct {
		name  string
		typ   nlmsg.Type
		flags nlmsg.Flags
		i     int
		want  error
	}{
		{"adding an existing route", unix.RTM_NEWROUTE, nlmsg.Create | nlmsg.Excl, 7, unix.EEXIST},
		{"deleting a missing route", unix.RTM_DELROUTE, 0, 8, unix.ESRCH},
	}
	for _, tt := range tests {
		msgs, err := c.Request(ctx, tt.typ, routePayload(tt.i, 1), tt.flags)
		if !errors.Is(err, tt.want) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if msgs != nil {
			t.Errorf("%s: %d messages returned with the error", tt.name, len(msgs))
		}
		var oe *OpError
		if !errors.As(err, &oe) {
			t.Fatalf("%s: %T is not an *OpError", tt.name, err)
		}
		if oe.Op != "request" || oe.Type != tt.typ || oe.Seq == 0 || oe.Err != tt.want {
			t.Errorf("%s: OpError{Op: %q, Type: %v, Seq: %d, Err: %v}, want Op request, Type %v, a sequence number, Err %v",
				tt.name, oe.Op, oe.Type, oe.Seq, oe.Err, tt.typ, tt.want)
		}
	}
	// The failed requests left nothing behind that confuses the next one
	// (mdlayher/netlink#167: a leftover ack answered the next request).
	msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("RTM_GETLINK after errors: %d replies, %v", len(msgs), err)
	}
}

func TestIntegrationRequestExtendedAckCarriesMessageAndOffset(t *testing.T) {
	ns := netnstest.New(t)
	// An IFLA_IFNAME longer than IFNAMSIZ fails rtnetlink's attribute
	// policy; the kernel names the attribute by its offset in the request
	// (after the 16-byte nlmsghdr and the 16-byte ifinfomsg), which the
	// OpError counts from the payload the caller wrote: after the ifinfomsg.
	tooLong := linkByNamePayload(strings.Repeat("n", 20))
	const offset = nlmsg.IfInfoMsgLen // counted from the payload the caller wrote

	c := connectIn(t, ns, nlmsg.FamilyRoute)
	_, err := c.Request(testCtx(t), unix.RTM_GETLINK, tooLong, 0)
	if !errors.Is(err, unix.ERANGE) {
		t.Fatalf("RTM_GETLINK with a 20-byte name: %v, want ERANGE", err)
	}
	var oe *OpError
	if !errors.As(err, &oe) {
		t.Fatalf("%T is not an *OpError", err)
	}
	if !strings.Contains(oe.Message, "policy validation") || oe.Offset != offset {
		t.Fatalf("extended ack: Message %q Offset %d, want the policy failure at offset %d", oe.Message, oe.Offset, offset)
	}
	if oe.MissType != -1 {
		t.Errorf("MissType %d without NLMSGERR_ATTR_MISS_TYPE", oe.MissType)
	}
	if s := err.Error(); !strings.Contains(s, oe.Message) || !strings.Contains(s, fmt.Sprint(offset)) {
		t.Errorf("Error() %q omits the kernel's message or offset", s)
	}

	// A message without an offset.
	badPrefix := []byte{unix.AF_INET, 33, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_STATIC, unix.RT_SCOPE_LINK, unix.RTN_UNICAST, 0, 0, 0, 0}
	_, err = c.Request(testCtx(t), unix.RTM_NEWROUTE, badPrefix, nlmsg.Create)
	if !errors.As(err, &oe) || oe.Err != unix.EINVAL || oe.Message == "" || oe.Offset != -1 {
		t.Fatalf("RTM_NEWROUTE of a /33: %#v, want EINVAL with a message and no offset", err)
	}

	// Without NETLINK_EXT_ACK the kernel sends the errno alone.
	plain := connectIn(t, ns, nlmsg.FamilyRoute, WithExtAck(false))
	_, err = plain.Request(testCtx(t), unix.RTM_GETLINK, tooLong, 0)
	if !errors.As(err, &oe) || oe.Err != unix.ERANGE || oe.Message != "" || oe.Offset != -1 {
		t.Fatalf("without extended acks: %#v, want bare ERANGE", err)
	}
}

func TestIntegrationNoop(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	for i := range 3 {
		if err := c.Noop(testCtx(t)); err != nil {
			t.Fatalf("Noop %d: %v", i, err)
		}
	}
	if s := c.Stats(); s.RequestsSent != 3 || s.DatagramsReceived != 3 {
		t.Fatalf("after 3 Noops: %+v, want 3 requests sent and 3 acks received", s)
	}
}

func TestIntegrationRequestFuncSeesRepliesInPlace(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	for i := range 3 {
		ns.AddVeth(t, fmt.Sprintf("nlt-rf%d", 2*i), fmt.Sprintf("nlt-rf%d", 2*i+1))
	}
	ctx := testCtx(t)

	calls := 0
	err := c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(v nlmsg.View) error {
		calls++
		if v.Type() != unix.RTM_NEWLINK {
			return fmt.Errorf("type %v", v.Type())
		}
		if idx, name := decodeLink(t, v.Payload()); idx != 1 || name != "lo" {
			return fmt.Errorf("link %d %q", idx, name)
		}
		return nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("RequestFunc RTM_GETLINK lo: %d calls, %v; want one RTM_NEWLINK of lo", calls, err)
	}

	var names []string
	err = c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(0), nlmsg.Dump, func(v nlmsg.View) error {
		_, name := decodeLink(t, v.Payload())
		names = append(names, name)
		return nil
	})
	if err != nil || len(names) != 7 {
		t.Fatalf("RequestFunc link dump: %v, %v; want lo and 6 veths", names, err)
	}

	// fn's error ends the request at once; the rest of the dump is drained
	// so the next request gets its own answer.
	stop := errors.New("enough")
	calls = 0
	err = c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(0), nlmsg.Dump, func(nlmsg.View) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("RequestFunc whose fn fails: %d calls, %v; want one call and fn's error", calls, err)
	}
	for range 3 {
		msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("RTM_GETLINK after a stopped dump: %d replies, %v", len(msgs), err)
		}
		if idx, _ := decodeLink(t, msgs[0].Payload); idx != 1 {
			t.Fatalf("RTM_GETLINK lo after a stopped dump answered with link %d", idx)
		}
	}
}

func TestIntegrationRequestAllocations(t *testing.T) {
	if raceDetectorOn {
		t.Skip("sync.Pool drops pooled objects at random under the race detector; allocation counts mean nothing")
	}
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	lo := ifinfoPayload(1)
	var idx int32
	fn := func(v nlmsg.View) error {
		ifi, _, err := nlmsg.DecodeIfInfoMsg(v.Payload())
		idx = ifi.Index
		return err
	}
	tests := []struct {
		name string
		max  float64
		run  func() error
	}{
		{"Noop", 0, func() error { return c.Noop(ctx) }},
		{"RequestFunc RTM_GETLINK", 0, func() error { return c.RequestFunc(ctx, unix.RTM_GETLINK, lo, 0, fn) }},
		{"Request RTM_GETLINK", 4, func() error {
			msgs, err := c.Request(ctx, unix.RTM_GETLINK, lo, 0)
			if err == nil && len(msgs) != 1 {
				err = fmt.Errorf("%d replies", len(msgs))
			}
			return err
		}},
	}
	for _, tt := range tests {
		var err error
		for range 100 { // warm the pools
			err = errors.Join(err, tt.run())
		}
		allocs := testing.AllocsPerRun(500, func() { err = errors.Join(err, tt.run()) })
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if allocs > tt.max {
			t.Errorf("%s: %.2f allocations per call, want at most %v", tt.name, allocs, tt.max)
		}
	}
	if idx != 1 {
		t.Fatalf("RequestFunc saw link %d", idx)
	}
}

func TestIntegrationConcurrentRequestsGetTheirOwnAnswers(t *testing.T) {
	c, ns := newTestConn(t, nlmsg.FamilyRoute)
	const workers = 8
	for i := 0; i < workers; i += 2 {
		ns.AddVeth(t, fmt.Sprintf("nlt-cc%d", i), fmt.Sprintf("nlt-cc%d", i+1))
	}
	index := make([]int32, workers)
	for w := range index {
		index[w] = int32(ns.LinkIndex(t, fmt.Sprintf("nlt-cc%d", w)))
	}
	// Start close to the end of the sequence space so the run crosses the
	// wrap-around too.
	setNextSeq(c, 1<<32-500)

	ctx := testCtx(t)
	const rounds = 120
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			name := fmt.Sprintf("nlt-cc%d", w)
			fail := func(format string, args ...any) {
				errs <- fmt.Errorf("worker %d: "+format, append([]any{w}, args...)...)
			}
			for r := range rounds {
				switch r % 5 {
				case 0: // by index, owned copies
					msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(index[w]), 0)
					if err != nil || len(msgs) != 1 {
						fail("GETLINK %d: %d replies, %v", index[w], len(msgs), err)
						return
					}
					if idx, got, err := linkOf(msgs[0].Payload); err != nil || idx != index[w] || got != name {
						fail("asked for %d %s, got %d %s (%v)", index[w], name, idx, got, err)
						return
					}
				case 1: // by name, in place
					var idx int32
					err := c.RequestFunc(ctx, unix.RTM_GETLINK, linkByNamePayload(name), 0, func(v nlmsg.View) error {
						var err error
						idx, _, err = linkOf(v.Payload())
						return err
					})
					if err != nil || idx != index[w] {
						fail("GETLINK %s: got index %d, %v; want %d", name, idx, err, index[w])
						return
					}
				case 2:
					if err := c.Noop(ctx); err != nil {
						fail("Noop: %v", err)
						return
					}
				case 3: // a route of its own, added and deleted
					if _, err := c.Request(ctx, unix.RTM_NEWROUTE, routePayload(w, uint32(index[w])), nlmsg.Create|nlmsg.Excl); err != nil {
						fail("adding route %d: %v", w, err)
						return
					}
					if _, err := c.Request(ctx, unix.RTM_DELROUTE, routePayload(w, uint32(index[w])), 0); err != nil {
						fail("deleting route %d: %v", w, err)
						return
					}
				case 4:
					n := 0
					for _, err := range c.Dump(ctx, unix.RTM_GETLINK, ifinfoPayload(0), 0) {
						if err != nil {
							fail("link dump: %v", err)
							return
						}
						n++
					}
					if n != workers+1 {
						fail("link dump: %d links, want %d", n, workers+1)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := c.Stats(); s.DroppedUnknownSeq != 0 || s.DroppedForeign != 0 || s.DroppedMalformed != 0 {
		t.Errorf("replies were dropped: %+v", s)
	}
}

// A lone goroutine does its own syscalls, with no hand-off to another
// thread: one sendto, and one read per datagram of the answer (for a
// RTM_GETLINK, the reply and its ack), none that finds nothing; a Noop is
// one sendto and one read.
func TestIntegrationLoneRequestCostsOneSendAndOneReadPerDatagram(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	const n = 100
	for i := range n {
		if err := c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil }); err != nil {
			t.Fatalf("GETLINK %d: %v", i, err)
		}
	}
	s := c.Stats()
	if s.RequestsSent != n || s.SendCalls != n || s.ReceiveCalls != 2*n || s.DatagramsReceived != 2*n {
		t.Fatalf("after %d GETLINKs: %d requests in %d send calls, %d datagrams in %d receive calls; want %d, %d, %d, %d",
			n, s.RequestsSent, s.SendCalls, s.DatagramsReceived, s.ReceiveCalls, n, n, 2*n, 2*n)
	}
	for i := range n {
		if err := c.Noop(ctx); err != nil {
			t.Fatalf("Noop %d: %v", i, err)
		}
	}
	s2 := c.Stats()
	if d := s2.SendCalls - s.SendCalls; d != n || s2.ReceiveCalls-s.ReceiveCalls != n {
		t.Fatalf("%d Noops took %d send and %d receive calls, want %d and %d", n, d, s2.ReceiveCalls-s.ReceiveCalls, n, n)
	}
}

// Requests queued while another goroutine drives the socket share its
// syscalls: the next driver sends them all in one datagram and reads their
// replies in as few reads as its receive slots allow.
func TestIntegrationQueuedRequestsShareSyscalls(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	const workers = 8
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	// Hold the driver role, as a goroutine busy in a syscall would, while
	// the workers queue their requests.
	release := holdDriver(t, c)
	for range workers {
		wg.Go(func() {
			errs <- c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(nlmsg.View) error { return nil })
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for submitted(c) < workers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	queued := submitted(c)
	release()
	if queued < workers {
		t.Fatalf("after 10 s only %d of %d requests were queued", queued, workers)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := c.Stats()
	maxReads := uint64((2*workers + minSlots - 1) / minSlots) // a reply and an ack each
	if s.RequestsSent != workers || s.SendCalls != 1 || s.DatagramsSent != 1 || s.DatagramsReceived != 2*workers || s.ReceiveCalls > maxReads {
		t.Fatalf("%d queued GETLINKs: %d sent in %d datagrams by %d send calls, %d datagrams back in %d receive calls; want %d in 1 datagram by 1 call, %d back in at most %d calls",
			workers, s.RequestsSent, s.DatagramsSent, s.SendCalls, s.DatagramsReceived, s.ReceiveCalls, workers, 2*workers, maxReads)
	}
}

func TestIntegrationSequenceNumbersSkipZeroAcrossWrap(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	const nearEnd = 1<<32 - 16

	setNextSeq(c, nearEnd)
	seen := make(map[uint32]bool)
	for i := range 40 {
		var seq uint32
		err := c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(v nlmsg.View) error {
			seq = v.Seq()
			return nil
		})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if seq == 0 || seen[seq] {
			t.Fatalf("request %d was sent with sequence number %d (0 or used before)", i, seq)
		}
		seen[seq] = true
	}
	if !seen[1<<32-1] || !seen[1] {
		t.Fatalf("the requests did not cross the wrap-around: %v", seen)
	}

	// A batch needs consecutive numbers: one that would contain 0 restarts
	// after it. Failing ops report the sequence number they were sent with.
	ops := make([]Op, 40)
	for i := range ops {
		ops[i] = Op{Type: unix.RTM_NEWROUTE, Flags: nlmsg.Create | nlmsg.Excl, Payload: routePayload(i, 1)}
	}
	setNextSeq(c, nearEnd)
	if err := c.Batch(ctx, ops); err != nil {
		t.Fatalf("batch across the wrap-around: %v", err)
	}
	setNextSeq(c, nearEnd)
	err := c.Batch(ctx, ops)
	var be *BatchError
	if !errors.As(err, &be) || be.Failed != len(ops) {
		t.Fatalf("repeating the batch: %v, want a BatchError with %d failures", err, len(ops))
	}
	for i, op := range ops {
		var oe *OpError
		if !errors.As(op.Err, &oe) || oe.Err != unix.EEXIST {
			t.Fatalf("op %d: %v, want EEXIST", i, op.Err)
		}
		if oe.Seq == 0 || oe.Seq != ops[0].Err.(*OpError).Seq+uint32(i) {
			t.Fatalf("op %d was sent with sequence number %d; the batch starts at %d", i, oe.Seq, ops[0].Err.(*OpError).Seq)
		}
	}
}

func TestIntegrationSequenceNumbersNotReusedWhileInFlight(t *testing.T) {
	c, _ := newTestConn(t, nlmsg.FamilyRoute)
	ctx := testCtx(t)
	// Three requests that are never answered hold 1000..1002.
	const held = 1000
	t.Cleanup(occupySeqs(c, held, held+1, held+2))
	setNextSeq(c, held)

	var seq uint32
	err := c.RequestFunc(ctx, unix.RTM_GETLINK, ifinfoPayload(1), 0, func(v nlmsg.View) error {
		seq = v.Seq()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seq >= held && seq < held+3 {
		t.Fatalf("a request was sent with sequence number %d, held by a request in flight", seq)
	}

	// A batch's range must not overlap them either.
	ops := make([]Op, 5)
	for i := range ops {
		ops[i] = Op{Type: unix.RTM_DELROUTE, Payload: routePayload(i, 1)} // none exist: every op reports its seq
	}
	setNextSeq(c, held-2)
	if err := c.Batch(ctx, ops); err == nil {
		t.Fatal("deleting routes that do not exist succeeded")
	}
	for i, op := range ops {
		var oe *OpError
		if !errors.As(op.Err, &oe) || oe.Err != unix.ESRCH {
			t.Fatalf("op %d: %v, want ESRCH", i, op.Err)
		}
		if oe.Seq >= held && oe.Seq < held+3 {
			t.Fatalf("batch op %d was sent with sequence number %d, held by a request in flight", i, oe.Seq)
		}
	}
}

func TestIntegrationTruncatedReplyFailsThenRetrySucceeds(t *testing.T) {
	ns := netnstest.New(t)
	big := bigLink(t, ns, "nlt-big0", "nlt-big1")

	c := connectIn(t, ns, nlmsg.FamilyRoute, WithReadBufferSize(4096))
	ctx := testCtx(t)
	_, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(big), 0)
	if !errors.Is(err, ErrDatagramTruncated) {
		t.Fatalf("RTM_GETLINK of a link larger than the buffer: %v, want ErrDatagramTruncated", err)
	}
	if s := c.Stats(); s.Truncated == 0 {
		t.Fatalf("Stats().Truncated = 0 after a truncation: %+v", s)
	}
	msgs, err := c.Request(ctx, unix.RTM_GETLINK, ifinfoPayload(big), 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("retry: %d replies, %v; want the link now that the buffers grew", len(msgs), err)
	}
	if idx, name := decodeLink(t, msgs[0].Payload); idx != big || name != "nlt-big0" {
		t.Fatalf("retry returned link %d %q", idx, name)
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after the retry: %v", err)
	}
}

// bigLink makes a veth pair in ns and gives its first end alternative names
// until its RTM_NEWLINK is well over 4 KiB, and returns its index.
func bigLink(tb testing.TB, ns *netnstest.NS, name, peer string) int32 {
	tb.Helper()
	ns.AddVeth(tb, name, peer)
	idx := int32(ns.LinkIndex(tb, name))
	var b nlmsg.Builder
	defer b.Release()
	b.Append(ifinfoPayload(idx))
	nest := b.BeginNest(unix.IFLA_PROP_LIST)
	for i := range 48 {
		b.String(unix.IFLA_ALT_IFNAME, fmt.Sprintf("%s-alt%02d-%s", name, i, strings.Repeat("x", 90)))
	}
	b.EndNest(nest)
	c := connectIn(tb, ns, nlmsg.FamilyRoute)
	if _, err := c.Request(testCtx(tb), unix.RTM_NEWLINKPROP, b.Bytes(), 0); err != nil {
		tb.Fatalf("adding alternative names to %s: %v", name, err)
	}
	msgs, err := c.Request(testCtx(tb), unix.RTM_GETLINK, ifinfoPayload(idx), 0)
	if err != nil || len(msgs) != 1 || len(msgs[0].Payload) < 6000 {
		tb.Fatalf("RTM_GETLINK %s: %v; want one reply over 6000 bytes", name, err)
	}
	return idx
}
