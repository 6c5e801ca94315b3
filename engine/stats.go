package engine

import (
	"sync/atomic"
)

type counters struct {
	requestsSent      atomic.Uint64
	datagramsSent     atomic.Uint64
	datagramsReceived atomic.Uint64
	sendCalls         atomic.Uint64
	receiveCalls      atomic.Uint64
	messagesDelivered atomic.Uint64
	notifications     atomic.Uint64
	notificationsLost atomic.Uint64
	droppedForeign    atomic.Uint64
	droppedUnknownSeq atomic.Uint64
	droppedMalformed  atomic.Uint64
	overruns          atomic.Uint64
	truncated         atomic.Uint64

	// A lone round trip (lone.go) counts itself in two adds rather than
	// six: loneTrips is one send call of one datagram and request and its
	// first receive call; loneReplies one datagram received and delivered.
	loneTrips   atomic.Uint64
	loneReplies atomic.Uint64

	// Pool accounting for leak checks, not part of Stats: receive buffers
	// and pendings taken from their pools and not yet given back. Both are
	// zero after Close once every caller has returned.
	liveBufs     atomic.Int64
	livePendings atomic.Int64
}

// Stats counts what a Conn did and, above all, what it refused or lost.
// Counters only grow.
type Stats struct {
	RequestsSent      uint64 // netlink messages the socket accepted (a batch counts each; a failed send counts none)
	DatagramsSent     uint64
	DatagramsReceived uint64
	SendCalls         uint64 // sendmsg/sendmmsg calls: RequestsSent/SendCalls is the batching achieved
	ReceiveCalls      uint64 // recvmsg/recvmmsg calls, including those that found nothing
	Deliveries        uint64 // datagrams or messages handed to a waiting request
	Notifications     uint64 // notification datagrams queued for Receive
	NotificationsLost uint64 // dropped because the Conn's notification queue was full
	DroppedForeign    uint64 // datagrams from a sender other than the kernel
	DroppedUnknownSeq uint64 // replies for a sequence number no one waits for
	DroppedMalformed  uint64 // datagrams that do not parse
	Overruns          uint64 // ENOBUFS reported by the kernel
	Truncated         uint64 // datagrams larger than the receive buffer
}

// add adds o's counters to s.
func (s *Stats) add(o Stats) {
	s.RequestsSent += o.RequestsSent
	s.DatagramsSent += o.DatagramsSent
	s.DatagramsReceived += o.DatagramsReceived
	s.SendCalls += o.SendCalls
	s.ReceiveCalls += o.ReceiveCalls
	s.Deliveries += o.Deliveries
	s.Notifications += o.Notifications
	s.NotificationsLost += o.NotificationsLost
	s.DroppedForeign += o.DroppedForeign
	s.DroppedUnknownSeq += o.DroppedUnknownSeq
	s.DroppedMalformed += o.DroppedMalformed
	s.Overruns += o.Overruns
	s.Truncated += o.Truncated
}
