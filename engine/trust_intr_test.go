//go:build linux

package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Guarantee: a dump whose data changed while it ran (NLM_F_DUMP_INTR,
// provoked for real) ends with ErrDumpInterrupted after its messages.

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
