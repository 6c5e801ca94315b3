package bench

import (
	"testing"
	"time"

	ns "github.com/nlengine/nlengine/internal/netnstest"
)

// client is one library's connection, able to run the request workloads.
// Each library file implements it with the library's own calls; the raw
// level must not decode attributes, the decoded level must decode with the
// library's own decoder (or encode with its own encoder, for bulk).
type client interface {
	// routeDump dumps the IPv4 routes of every table and returns how many
	// route messages the library handed over. At the decoded level fn sees
	// each route.
	routeDump(lv level, fn func(route)) (int, error)
	// linkDump dumps all links, as routeDump does.
	linkDump(lv level, fn func(link)) (int, error)
	// getLink asks for one link by index (RTM_GETLINK). At the raw level
	// the returned link is zero.
	getLink(lv level, index int32) (link, error)
	// noop sends NLMSG_NOOP with NLM_F_ACK and waits for the ack.
	noop() error
	// bulk adds (add) or deletes every route, one acknowledged request each:
	// at the raw level from payloads (the same routes, encoded once), at
	// the decoded level from rs, encoded by the library.
	bulk(lv level, add bool, rs []route, payloads [][]byte) error
	close() error
}

// subscriber is one library's member of RTNLGRP_IPV4_ROUTE.
type subscriber interface {
	// run reads route notifications into st until the sentinel of st.gen
	// arrives, failing if that takes longer than subscriberTimeout.
	run(st *eventStats) error
	close() error
}

// subscriberTimeout bounds one Events op for a subscriber, so a
// broken run fails instead of hanging the benchmark.
const subscriberTimeout = 30 * time.Second

// workload names what a benchmark asks of a library, for unsupported.
type workload int

const (
	wRouteDump workload = iota
	wLinkDump
	wGetLink
	wNoop
	wParallel
	wBulk
	wEvents
)

// library describes one contender.
type library struct {
	name string
	// dial opens a client inside n; tb's cleanup closes it.
	dial func(tb testing.TB, n *ns.NS) client
	// subscribe opens a subscriber inside n that handles notifications at
	// level lv, with the given receive buffer (0: the library's default);
	// tb's cleanup closes it.
	subscribe func(tb testing.TB, n *ns.NS, lv level, rcvbuf int) subscriber
	// concurrent says that one client may be used by many goroutines at
	// once. Parallel guards the others with a mutex.
	concurrent bool
	// unsupported says why the library cannot run w at lv ("" if it can).
	unsupported func(w workload, lv level) string
}

// libraries are the contenders, the floor first: benchstat and the README
// compare every other row with it.
var libraries = []library{floorLib, nlengineLib, mdlayherLib, vishvanandaLib, jsimonettiLib}

var floorLib = library{
	name:        "floor",
	dial:        dialFloor,
	subscribe:   subscribeFloor,
	concurrent:  false, // a bare socket: Parallel puts a mutex around it
	unsupported: func(workload, level) string { return "" },
}

// eventStats counts what one Events op saw.
type eventStats struct {
	gen          int // which sentinel ends this op (see sentinelFor)
	received     int // route notifications of the main table
	enobufs      int // ENOBUFS errors the library reported
	overruns     int // losses the library itself reported (its own queue)
	resubscribes int // subscriptions the benchmark had to reopen
	sink         uint64
}

// sentinelFor is the table of the sentinel route of op gen: it cycles
// through 50 tables so that late notifications of an earlier op's sentinel
// are recognised and ignored.
func sentinelFor(gen int) uint8 { return uint8(sentinelTable + gen%50) }

// isSentinelTable reports whether a table belongs to any sentinel.
func isSentinelTable(t uint8) bool { return t >= sentinelTable && t < sentinelTable+50 }

// rawEvent counts one notification from its rtmsg header only and reports
// whether it was this op's sentinel.
func (st *eventStats) rawEvent(p []byte) bool {
	if len(p) < rtmsgLen {
		return false
	}
	return st.table(p[4])
}

// event counts one decoded notification and reports whether it was this
// op's sentinel.
func (st *eventStats) event(r route) bool {
	st.sink += uint64(r.OIF) + uint64(r.DstLen)
	return st.table(r.Table)
}

func (st *eventStats) table(t uint8) bool {
	if isSentinelTable(t) {
		return t == sentinelFor(st.gen)
	}
	st.received++
	return false
}
