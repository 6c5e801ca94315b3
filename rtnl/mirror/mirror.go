// Package mirror keeps a local copy of one network namespace's links,
// addresses, IPv4 and IPv6 routes, neighbours and nexthop objects that
// converges to the kernel's tables, whatever the notifications lose.
//
// A Mirror subscribes to the rtnetlink groups first, then dumps every
// table, then applies the notifications that arrived since the
// subscription, merging by identity (RouteKey, LinkKey, AddrKey,
// NeighKey, NexthopKey): nothing seen during the dump is lost or resurrected. When
// notifications are lost (the kernel's ENOBUFS, the engine's queue
// overrun) or a dump is inconsistent (NLM_F_DUMP_INTR), it dumps again and
// corrects only what differs; absences are confirmed by a second dump
// before an object is removed, since a dump can skip entries without
// saying so. The kernel removes some objects without a notification (the
// routes of a link that goes down, is deleted or moves to another
// namespace, the routes using an address that is removed, a link's
// neighbours, the nexthop objects of a link that goes down or is deleted,
// the routes using a nexthop object that is deleted or a group that loses
// a member): those events make the mirror re-read the routes, neighbours
// and nexthop objects concerned, or remove the routes of a deleted
// nexthop object.
//
// Its neighbours are the ARP and NDP caches as rtnl.Snapshot reads them,
// less the entries of multicast destinations: neither proxy entries
// (which the kernel adds and removes without a notification, and which a
// cache dump leaves out) nor bridge FDB entries (family bridge, announced
// in the same group and ignored). Likewise bridge port notifications
// (links of family bridge) are ignored: a port leaving its bridge is the
// link's update, not its removal. A neighbour's cache times, probe count
// and references are not what it is: their change alone is no change,
// and the held copy keeps the times it was stored with. The kernel moves
// an entry that is used into DELAY without a notification: the mirror
// holds its earlier state (STALE, REACHABLE) until the PROBE or
// REACHABLE that follows is announced, or a verification reads it.
//
// Reads (View and the List methods) see a consistent state and are safe
// for many goroutines while updates apply. Every change is reported in
// order to Config.OnChange, with the old and new values.
package mirror

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/rtnl"
)

// Config configures a Mirror. The zero Config mirrors the caller's
// namespace with the engine's defaults.
type Config struct {
	// Options are passed to both of the mirror's Conns (the listener and
	// the one that dumps), for example engine.WithNetNSFD.
	Options []engine.Option
	// ReceiveBuffer is the listener's socket receive buffer; 0 leaves the
	// engine's choice for listeners (engine.ListenerReceiveBuffer).
	ReceiveBuffer int
	// NotificationQueue bounds the listener's queue of notifications in
	// bytes (engine.WithNotificationQueue); 0: the engine's default.
	NotificationQueue int
	// Verify, when positive, runs a full resync at this interval, counted
	// as ReasonVerify, even when nothing was lost.
	Verify time.Duration
	// RereadDelay is how long the mirror waits after a link change, a link
	// deletion, an address removal or a nexthop group's loss of a member
	// before re-reading what the kernel may have changed silently, so that
	// a burst of them costs one re-read. 0: 10 ms.
	RereadDelay time.Duration
	// OnChange, when set, is called for every change, in order, from the
	// mirror's goroutine (also during New, for the initial sync's Added
	// changes and its Resynced marker). It must not block for long:
	// notifications queue meanwhile. It may read the mirror.
	OnChange func(*Change)
}

// Mirror is a local copy of a namespace's links, addresses, routes,
// neighbours and nexthop objects. Its methods are safe for concurrent use.
type Mirror struct {
	cfg    Config
	events *rtnl.Conn // joined the groups
	dumps  *rtnl.Conn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// mu guards the tables, seq, gen and stats. The mirror's goroutine
	// takes it for writing around each change, never while calling
	// OnChange; readers take it for reading.
	mu     sync.RWMutex
	links  objTable[LinkKey, rtnl.Link]
	addrs  objTable[AddrKey, rtnl.Addr]
	neighs objTable[NeighKey, rtnl.Neigh]
	// nexthops are the nexthop objects (single next hops and groups).
	nexthops objTable[NexthopKey, rtnl.NexthopObject]
	routes   routeTable
	seq      uint64
	gen      uint32
	stats    Stats

	// Owned by the mirror's goroutine (and New before it starts).
	change     Change
	resync     Resync
	oldR, newR rtnl.Route
	pend       pending
	nextVerify time.Time
}

// trace, when set (by tests), is told what the mirror's goroutine does.
var trace func(format string, args ...any)

// groups are the rtnetlink groups a Mirror joins at connect time; it then
// joins rtnl.GroupNexthop, which kernels before 5.3 lack.
var groups = []uint32{rtnl.GroupLink, rtnl.GroupNeigh, rtnl.GroupIPv4Addr, rtnl.GroupIPv6Addr,
	rtnl.GroupIPv4Route, rtnl.GroupIPv6Route}

// New opens the mirror's Conns, subscribes, runs the initial sync and
// starts following the kernel. It returns once the copy is complete (its
// Added changes and a Resynced marker of ReasonInitial have been given to
// OnChange). The mirror runs until Close or until ctx ends.
func New(ctx context.Context, cfg Config) (*Mirror, error) {
	if cfg.RereadDelay <= 0 {
		cfg.RereadDelay = 10 * time.Millisecond
	}
	lopts := append(append([]engine.Option(nil), cfg.Options...), engine.WithGroups(groups...))
	if cfg.ReceiveBuffer > 0 {
		lopts = append(lopts, engine.WithReceiveBuffer(cfg.ReceiveBuffer))
	}
	if cfg.NotificationQueue > 0 {
		lopts = append(lopts, engine.WithNotificationQueue(cfg.NotificationQueue))
	}
	// NB: subscribe first, then dump: what changes during the dump is
	// then in the listener's queue, applied after it.
	ev, err := rtnl.Dial(ctx, lopts...)
	if err != nil {
		return nil, err
	}
	// NB: a kernel without nexthop objects refuses their group (EINVAL)
	// and answers their dump with EOPNOTSUPP: the mirror then holds none.
	if err := ev.Subscribe(rtnl.GroupNexthop); err != nil && !errors.Is(err, unix.EINVAL) {
		ev.Close()
		return nil, err
	}
	du, err := rtnl.Dial(ctx, cfg.Options...)
	if err != nil {
		ev.Close()
		return nil, err
	}
	m := &Mirror{cfg: cfg, events: ev, dumps: du, done: make(chan struct{}),
		links:    newObjTable(func(l *rtnl.Link) LinkKey { return l.Index }, sameLink, ownLink),
		addrs:    newObjTable(KeyOfAddr, sameAddr, ownAddr),
		neighs:   newObjTable(KeyOfNeigh, sameNeigh, ownNeigh),
		nexthops: newObjTable(func(n *rtnl.NexthopObject) NexthopKey { return n.ID }, sameNexthop, ownNexthop),
		routes:   newRouteTable(),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, m.cancel)
	if err := m.fullResync(ctx, ReasonInitial); err != nil {
		stop()
		m.cancel()
		ev.Close()
		du.Close()
		return nil, err
	}
	if cfg.Verify > 0 {
		m.nextVerify = time.Now().Add(cfg.Verify)
	}
	go m.run()
	return m, nil
}

// Close stops the mirror and closes its Conns. The copy stays readable.
func (m *Mirror) Close() error {
	m.cancel()
	<-m.done
	m.dumps.Close()
	return m.events.Close()
}

// Stats returns a copy of the mirror's counters.
func (m *Mirror) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.stats
}

// run follows the notifications until the mirror stops. It leaves the
// stream when a re-read or a verification falls due, and comes back.
func (m *Mirror) run() {
	defer close(m.done)
	for m.ctx.Err() == nil {
		ctx, cancel := m.ctx, context.CancelFunc(nil)
		deadline := m.deadline()
		if !deadline.IsZero() {
			ctx, cancel = context.WithDeadline(m.ctx, deadline)
		}
		var failed error
		for e, err := range m.events.Events(ctx) {
			if err != nil {
				var ae *rtnl.AttrError
				if errors.As(err, &ae) {
					// A notification that does not decode: what it said is
					// lost, so read everything again.
					m.mu.Lock()
					m.stats.DecodeErrors++
					m.mu.Unlock()
					m.pend.full(ReasonInterrupted, time.Now())
					continue
				}
				failed = err
				break
			}
			m.apply(e)
			if deadline.IsZero() && !m.deadline().IsZero() {
				break // come back with a deadline
			}
		}
		if cancel != nil {
			cancel()
		}
		if m.ctx.Err() != nil {
			return
		}
		if trace != nil {
			trace("left the stream: %v, deadline %v, pending %v", failed, deadline, m.pend.at)
		}
		if failed != nil && !errors.Is(failed, context.DeadlineExceeded) {
			time.Sleep(10 * time.Millisecond) // the Conn failed: do not spin
		}
		m.runDue()
	}
}

// deadline is when the next re-read or verification is due (zero: none).
func (m *Mirror) deadline() time.Time {
	d := m.pend.at
	if !m.nextVerify.IsZero() && (d.IsZero() || m.nextVerify.Before(d)) {
		d = m.nextVerify
	}
	return d
}

// runDue runs the re-reads and verification that are due.
func (m *Mirror) runDue() {
	now := time.Now()
	if !m.nextVerify.IsZero() && !now.Before(m.nextVerify) {
		m.nextVerify = now.Add(m.cfg.Verify)
		m.fullResync(m.ctx, ReasonVerify)
		return
	}
	if !m.pend.at.IsZero() && !now.Before(m.pend.at) {
		m.reread(m.ctx)
	}
}
