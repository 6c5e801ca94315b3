//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// FuzzReceivePath feeds crafted datagrams into a real Conn's receive path
// (dispatch, the sequence table, batches, the notification queue, owners
// consuming their replies) while four calls are in flight whose real answers
// wait in the socket: a request, a dump, a Noop and a two-message batch.
//
// The input is a list of records, each one datagram:
//
//	ctl byte, length uint16 (little endian), then up to length bytes of data
//
// ctl bits 0-1 choose the sender (0 kernel unicast, 1 kernel multicast, 2
// another socket, 3 another socket to a group), bit 2 reports the datagram
// as truncated (MSG_TRUNC, real length len+1+(ctl>>4)*4096), bit 3 rewrites
// every header's sequence number 1..5 to that of the request, the dump, the
// Noop, or the batch's first or second message, so the fuzzer reaches the
// owners without guessing sequence numbers.
//
// Invariants: nothing panics or hangs; every call returns nil or the
// package's typed errors; a real Noop then succeeds; the driver's books are
// empty and every pooled pending and buffer is accounted for; foreign and
// truncated datagrams are counted exactly.
//
// Run: go test -run='^$' -fuzz='^FuzzReceivePath$' -fuzztime=180s ./engine/
func FuzzReceivePath(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	c, _ := newTestConn(f, nlmsg.FamilyRoute)
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzOnce(t, c, in)
	})
}

const (
	fuzzKernel    = 0
	fuzzMulticast = 1
	fuzzForeign   = 2
	fuzzTrunc     = 1 << 2
	fuzzPatchSeq  = 1 << 3
	fuzzMaxRecs   = 16
)

type fuzzRecord struct {
	ctl  byte
	data []byte
}

func parseFuzzInput(in []byte) []fuzzRecord {
	var recs []fuzzRecord
	for len(in) >= 3 && len(recs) < fuzzMaxRecs {
		ctl, n := in[0], int(binary.LittleEndian.Uint16(in[1:3]))
		in = in[3:]
		n = min(n, len(in))
		recs = append(recs, fuzzRecord{ctl: ctl, data: in[:n:n]})
		in = in[n:]
	}
	return recs
}

// patchSeqs rewrites sequence numbers 1..len(seqs) in every header it can
// find stepping through data as the scanner would, in a copy.
func patchSeqs(data []byte, seqs []uint32) []byte {
	out := append([]byte(nil), data...)
	for off := 0; off+nlmsg.HeaderLen <= len(out); {
		if s := binary.NativeEndian.Uint32(out[off+8:]); s >= 1 && int(s) <= len(seqs) {
			binary.NativeEndian.PutUint32(out[off+8:], seqs[s-1])
		}
		n := int(binary.NativeEndian.Uint32(out[off:]))
		if n < nlmsg.HeaderLen {
			break
		}
		off += nlmsg.Align(n)
	}
	return out
}

// typedErr reports whether err is one of the errors the engine documents:
// an *OpError, a *BatchError of them, or a context error.
func typedErr(err error) bool {
	var oe *OpError
	var be *BatchError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &be):
		return errors.As(be.First, &oe)
	}
	return errors.As(err, &oe)
}

func fuzzOnce(t *testing.T, c *Conn, in []byte) {
	recs := parseFuzzInput(in)
	// A hang guard only: every call must end well before it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := c.Stats()

	release := holdDriver(t, c)
	req := goRequest(ctx, c, unix.RTM_GETLINK, ifinfoPayload(1), 0)
	dump := goDump(ctx, c, unix.RTM_GETLINK, ifinfoPayload(0), nil)
	noop := make(chan error, 1)
	go func() { noop <- c.Noop(ctx) }()
	ops := []Op{{Type: nlmsg.Noop}, {Type: nlmsg.Noop}}
	batch := goBatch(ctx, c, ops)
	var seqs []uint32
	flushHeld(t, c, "the four calls to be sent", func() bool {
		if !slices.Equal(batchesSent(c), []int{2}) {
			return false
		}
		b := batchSeqs(c)[0]
		seqs = []uint32{seqWhere(c, isGetLink), seqWhere(c, isDumpOf(unix.RTM_GETLINK)), seqWhere(c, isNoop), b, b + 1}
		return seqs[0] != 0 && seqs[1] != 0 && seqs[2] != 0
	})

	var foreign, truncated uint64
	for _, r := range recs {
		data := r.data
		if r.ctl&fuzzPatchSeq != 0 {
			data = patchSeqs(data, seqs)
		}
		var pid, groups uint32
		if r.ctl&fuzzForeign != 0 {
			pid = 4242
		}
		if r.ctl&fuzzMulticast != 0 {
			groups = 1 << (unix.RTNLGRP_LINK - 1)
		}
		truncLen := 0
		if r.ctl&fuzzTrunc != 0 {
			truncLen = len(data) + 1 + int(r.ctl>>4)*4096
		}
		switch {
		case pid != 0:
			foreign++
		case truncLen > 0:
			truncated++
		}
		injectHeld(c, data, pid, groups, truncLen)
	}
	release()

	for _, ch := range []<-chan callResult{req, dump, batch} {
		r := wait(t, ch, "a call")
		if !typedErr(r.err) || errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("call returned %v (%T)", r.err, r.err)
		}
	}
	for i, op := range ops {
		if !typedErr(op.Err) {
			t.Fatalf("batch op %d: %v (%T)", i, op.Err, op.Err)
		}
	}
	select {
	case err := <-noop:
		if !typedErr(err) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Noop returned %v (%T)", err, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Noop hung")
	}

	// The Conn still works, and the kernel's real answers have all been
	// read: a Noop's ack comes after them.
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after the input: %v", err)
	}
	// Empty the notification queue: everything in it must scan cleanly.
	drained, stop := context.WithCancel(ctx)
	stop()
	for {
		_, err := c.Receive(drained)
		if errors.Is(err, context.Canceled) {
			break
		}
		var oe *OpError
		if err != nil && !errors.As(err, &oe) {
			t.Fatalf("Receive: %v (%T)", err, err)
		}
	}
	checkQuiet(t, c)

	after := c.Stats()
	if d := after.DroppedForeign - before.DroppedForeign; d != foreign {
		t.Fatalf("DroppedForeign moved by %d for %d foreign datagrams", d, foreign)
	}
	if d := after.Truncated - before.Truncated; d != truncated {
		t.Fatalf("Truncated moved by %d for %d truncated datagrams", d, truncated)
	}
}

// fuzzRec encodes one record of FuzzReceivePath's input.
func fuzzRec(ctl byte, data []byte) []byte {
	return append(binary.LittleEndian.AppendUint16([]byte{ctl}, uint16(len(data))), data...)
}

// fuzzSeeds are the hostile cases of TestTrustMalformedInput and the
// everyday shapes of replies, as FuzzReceivePath input. Sequence numbers 1-5
// are rewritten to the live ones (ctl bit 3).
func fuzzSeeds() [][]byte {
	const (
		get, dmp, noop, b0, b1 = 1, 2, 3, 4, 5
		p                      = fuzzPatchSeq
	)
	errBody := func(errno int32) []byte { // an NLMSG_ERROR payload, header echoed
		b := binary.NativeEndian.AppendUint32(nil, uint32(errno))
		return nlmsg.Header{Len: nlmsg.HeaderLen, Type: unix.RTM_GETLINK}.AppendTo(b)
	}
	return [][]byte{
		// Everyday replies.
		fuzzRec(p, craftErr(get, 0, unix.RTM_GETLINK, nil)),
		fuzzRec(p, cat(craftLink(get, 0, 7), craftErr(get, 0, unix.RTM_GETLINK, nil))),
		fuzzRec(p, cat(craftLink(dmp, nlmsg.Multi, 1), craftLink(dmp, nlmsg.Multi, 2), craftMsg(nlmsg.Done, nlmsg.Multi, dmp, []byte{0, 0, 0, 0}))),
		cat(fuzzRec(p, craftLink(dmp, nlmsg.Multi|nlmsg.DumpIntr, 1)), fuzzRec(p, craftMsg(nlmsg.Done, nlmsg.Multi, dmp, []byte{0, 0, 0, 0}))),
		fuzzRec(p, cat(craftErr(b0, unix.EEXIST, unix.RTM_NEWROUTE, nil), craftErr(b1, 0, unix.RTM_NEWROUTE, nil))),
		fuzzRec(p, craftErr(noop, unix.EPERM, nlmsg.Noop, []byte{8, 0, 1, 0, 'n', 'o', '!', 0, 8, 0, 2, 0, 16, 0, 0, 0})),
		// Two owners in one datagram; a reply nobody asked for; DONE alone.
		fuzzRec(p, cat(craftLink(get, 0, 77), craftErr(noop, unix.ENODEV, nlmsg.Noop, nil), craftErr(get, 0, unix.RTM_GETLINK, nil))),
		fuzzRec(p, craftErr(999, unix.EPERM, unix.RTM_GETLINK, nil)),
		fuzzRec(p, craftMsg(nlmsg.Done, nlmsg.Multi, get, []byte{0xfe, 0xff, 0xff, 0xff})),
		// Bad lengths, cut headers, bad bodies, overrunning TLVs.
		fuzzRec(p, setLen(craftErr(get, 0, unix.RTM_GETLINK, nil), 8)),
		fuzzRec(p, setLen(craftErr(get, 0, unix.RTM_GETLINK, nil), 0)),
		fuzzRec(p, setLen(craftLink(get, 0, 7), 0xffffffff)),
		fuzzRec(p, cat(craftMsg(unix.RTM_NEWLINK, nlmsg.Multi, dmp, []byte{1, 2, 3, 4, 5})[:21], craftErr(dmp, 0, unix.RTM_GETLINK, nil))),
		fuzzRec(p, craftErr(get, 0, unix.RTM_GETLINK, nil)[:10]),
		fuzzRec(p, cat(craftLink(get, nlmsg.Multi, 7), craftErr(get, 0, unix.RTM_GETLINK, nil)[:7])),
		fuzzRec(p, craftMsg(nlmsg.Error, 0, get, []byte{0xff, 0xff, 0xff, 0xff, 1, 2})),
		fuzzRec(p, craftMsg(nlmsg.Error, 0, b0, append(errBody(-22), make([]byte, 8)...))),
		fuzzRec(p, craftErr(b1, unix.EINVAL, unix.RTM_NEWROUTE, []byte{64, 0, 1, 0, 'b', 'a', 'd', 0})),
		fuzzRec(p, craftMsg(nlmsg.Done, nlmsg.Multi|nlmsg.AckTLVs, dmp, []byte{0xea, 0xff, 0xff, 0xff, 2, 0, 2, 0})),
		fuzzRec(p, nil),
		// Senders and groups, truncation.
		fuzzRec(p|fuzzForeign, craftErr(get, unix.EPERM, unix.RTM_GETLINK, nil)),
		fuzzRec(p|fuzzForeign|fuzzMulticast, craftLink(0, 0, 66)),
		fuzzRec(p|fuzzMulticast, cat(craftLink(get, 0, 9), craftErr(get, unix.EPERM, unix.RTM_GETLINK, nil))),
		fuzzRec(fuzzMulticast, setLen(craftLink(0, 0, 7), 99)),
		fuzzRec(fuzzKernel, craftLink(0, 0, 5)),
		fuzzRec(p|fuzzTrunc, craftLink(get, 0, 7)),
		fuzzRec(p|fuzzTrunc|0x30, craftLink(dmp, nlmsg.Multi, 7)),
		fuzzRec(p|fuzzTrunc|fuzzMulticast, craftLink(0, 0, 7)),
		fuzzRec(p|fuzzTrunc, craftErr(b0, 0, unix.RTM_NEWROUTE, nil)),
	}
}
