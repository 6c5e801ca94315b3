package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// eventStormRun measures notification delivery under load: a listener on
// RTNLGRP_IPV4_ROUTE, with the receive buffer -listener-rcvbuf chooses
// (the engine's default for a listener unless told otherwise), counts
// events while a writer adds and deletes routes in batches as fast as it
// can. Every acknowledged add or delete is one event sent; the check holds
// only when the listener received every one. A loss fails it, and a loss
// with no ENOBUFS from the kernel or overrun of the Conn's own queue to
// show for it is also reported as unexplained.
func eventStormRun(ctx context.Context, e *env, m *meter, r *result) error {
	writer, err := e.tgt.connect(ctx)
	if err != nil {
		return err
	}
	defer writer.Close()
	adds, dels := writeRoutes(stormNet, e.cfg.batch)
	r.Batch = e.cfg.batch
	// Warm the writer up before anyone listens, so every event counts.
	if err := writer.Batch(ctx, adds); err != nil {
		return fmt.Errorf("adding routes: %w", err)
	}
	if err := writer.Batch(ctx, dels); err != nil {
		return fmt.Errorf("deleting routes: %w", err)
	}
	var opts []engine.Option
	switch e.cfg.rcvbufChoice {
	case "engine":
	case "system":
		// The writer joins no group, so its socket has what any socket
		// starts with; asking for half of it gives the listener exactly
		// that (the kernel doubles the size asked for).
		n, _ := writer.ReceiveBuffer()
		opts = append(opts, engine.WithReceiveBuffer(n/2))
	default:
		opts = append(opts, engine.WithReceiveBuffer(e.cfg.rcvbuf))
	}
	listener, err := e.tgt.connect(ctx, opts...)
	if err != nil {
		return err
	}
	defer listener.Close()
	// Joined explicitly rather than with engine.WithGroups: before its fix,
	// Connect joined before bind(2), which cleared groups 1..32 again.
	if err := listener.AddMembership(nlmsg.RTNLGrpIPv4Route); err != nil {
		return err
	}

	var ev events
	ev.BufferChoice = e.cfg.rcvbufChoice
	ev.ReceiveBuffer, ev.Forced = listener.ReceiveBuffer()
	lctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	listenErr := make(chan error, 1)
	m.begin()
	go func() {
		var err error
		defer func() { listenErr <- err }()
		defer recoverInto(&err)
		for v, lerr := range listener.Notifications(lctx) {
			switch {
			case lerr == nil:
				if isStormEvent(v) {
					ev.Received++
					m.add(0, 1)
				}
			case errors.Is(lerr, unix.ENOBUFS), errors.Is(lerr, engine.ErrOverrun):
				ev.LossReports++
			case lctx.Err() != nil:
				// The end: the iteration stops after this.
			default:
				err = lerr
				return
			}
		}
	}()

	var werr error
	for werr == nil {
		for _, ops := range [][]engine.Op{adds, dels} {
			werr = writer.Batch(ctx, ops)
			for _, op := range ops {
				if op.Err == nil {
					ev.Expected++ // one notification per applied change
				}
			}
			m.add(len(ops), 0)
			if werr != nil {
				break
			}
		}
		if m.done(time.Now()) {
			break
		}
	}
	if werr != nil {
		_ = writer.Batch(context.WithoutCancel(ctx), dels)
	}
	// Every event of the storm is now queued on the listener's socket or
	// lost. The ack of a NOOP queues behind them: once it is in, the rest
	// are in the Conn's queue, and cancelling lets the listener drain it.
	var nerr error
	for range 100 {
		if nerr = listener.Noop(ctx); !errors.Is(nerr, unix.ENOBUFS) {
			break // an ENOBUFS that overtook the ack fails it: ask again
		}
	}
	stopListening()
	lerr := <-listenErr
	m.end()
	st := listener.Stats()
	ev.ENOBUFS = int64(st.Overruns)
	ev.QueueDrops = int64(st.NotificationsLost)
	ev.Lost = ev.Expected - ev.Received
	r.Events = &ev
	switch {
	case werr != nil:
		return werr
	case lerr != nil:
		return fmt.Errorf("listener: %w", lerr)
	case nerr != nil:
		return fmt.Errorf("draining the listener: %w", nerr)
	}
	judgeStorm(r, &ev)
	return nil
}

// judgeStorm records the storm's verdict in r: it passes only when the
// listener received every event the writer caused.
func judgeStorm(r *result, ev *events) {
	switch {
	case ev.Received > ev.Expected:
		r.fail(fmt.Sprintf("received %d events, only %d changes were made", ev.Received, ev.Expected))
	case ev.Lost > 0:
		r.fail(lossText(ev))
	default:
		r.pass(fmt.Sprintf("all %d events received", ev.Expected))
	}
}

// lossText says how many events a storm lost and what reported the loss:
// "lost 1497 of 20000 (ENOBUFS ×2)".
func lossText(ev *events) string {
	var why []string
	if ev.ENOBUFS > 0 {
		why = append(why, fmt.Sprintf("ENOBUFS ×%d", ev.ENOBUFS))
	}
	if ev.QueueDrops > 0 {
		why = append(why, fmt.Sprintf("%d dropped from the Conn's full queue", ev.QueueDrops))
	}
	if len(why) == 0 {
		why = append(why, "unexplained: no ENOBUFS or queue overrun reported")
	}
	return fmt.Sprintf("lost %d of %d (%s)", ev.Lost, ev.Expected, strings.Join(why, ", "))
}

// isStormEvent reports whether v is the notification of a change the
// event storm's writer made: a route in stormNet. Other changes (possible in
// a -netns namespace that others use) are not counted.
func isStormEvent(v nlmsg.View) bool {
	if t := v.Type(); t != nlmsg.RTMNewRoute && t != nlmsg.RTMDelRoute {
		return false
	}
	h, attrs, err := nlmsg.DecodeRtMsg(v.Payload())
	if err != nil || h.Family != unix.AF_INET || h.DstLen != 32 {
		return false
	}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		if a := s.Attr(); a.Type() == nlmsg.RTADst {
			d := a.Data()
			return len(d) == 4 && d[0] == stormNet[0] && d[1] == stormNet[1]
		}
	}
	return false
}
