//go:build linux

package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/ring"
)

const (
	submitQueueLen = 4096
	minSlots       = 8
	maxSlots       = 64
	maxIovPerDgram = 64

	// The reply budget is counted in units of 1 KiB of receive buffer, for
	// what the kernel queues before the driver reads it (measured on the
	// default 208 KiB buffer: 256 acks fill it, ~800 bytes each; 67
	// RTM_GETLINK replies with their acks, ~3.1 KB each). A batch message is
	// answered by an ack; a single request may return data; a dump chunk
	// holds up to 32 KiB of messages. Replies larger than this can still
	// overrun the buffer when many are in flight: that fails them with
	// ENOBUFS, never silently.
	unitsAck    = 1
	unitsSingle = 4
	unitsChunk  = 40
)

// Conn is a netlink connection to the kernel: one socket, its sequence table
// and its event loop. All methods are safe for concurrent use by many
// goroutines; requests from different goroutines are in flight together and
// are sent and received in shared batches.
type Conn struct {
	family nlmsg.Family
	fd     int
	poll   poller
	portID uint32
	opts   options

	drive   chan struct{} // cap 1: holding its token makes a goroutine the driver (see doc.go)
	closing chan struct{} // closed by Close
	closed  atomic.Bool

	fdMu      sync.RWMutex // read-held around uses of the fds outside the driver; Close write-locks it to close them
	fdsClosed bool

	sleeping  atomic.Bool // the driver is (about to be) in poll
	nqWaiting atomic.Bool // a reader waits for notifications
	// listenerSized: AddMembership grew the receive buffer; rcvbufForced:
	// the receive buffer was set with SO_RCVBUFFORCE.
	listenerSized atomic.Bool
	rcvbufForced  atomic.Bool
	// groupInfo: the socket has (or is about to have) NETLINK_PKTINFO, and
	// the driver reads every datagram with its control message; readEpoch
	// is odd while the driver arms and makes a read (see groupinfo.go).
	groupInfo atomic.Bool
	readEpoch atomic.Uint32
	// groupInfoMu serialises enableGroupInfo; pktinfoOn (under it) records
	// that NETLINK_PKTINFO is on.
	groupInfoMu sync.Mutex
	pktinfoOn   bool
	wakeFn      func()
	subq        *ring.Queue[*pending]

	bufSize atomic.Int64

	nq notifyQueue

	// rcvMu serialises Receive/Notifications consumers; rcvCur is the chunk
	// they are reading. rcvMu is taken before the driver token (doc.go).
	rcvMu  sync.Mutex
	rcvCur *rxBuf

	stats counters

	// Extra dump sockets (see dumpsockets.go). dumpSem holds a token per
	// socket carrying a dump, nil when extra sockets are off; nsfd is the
	// namespace they are opened in.
	dumpSem     chan struct{}
	primaryDump atomic.Bool
	nsfd        int
	extrasOn    bool       // extra sockets may be opened (set by Connect)
	dumpMu      sync.Mutex // guards the fields below; taken alone (doc.go)
	extras      []*Conn    // every open extra socket
	spare       []idleConn // the idle ones among them
	reaper      *time.Timer
	reaperArmed bool  // reaper will run: it comes back while spares remain
	retired     Stats // counters of the extra sockets already closed

	// reqs are the extra request sockets, none when requests may not use
	// one (see requestsockets.go).
	reqs requestSlots
	// pinRequests keeps every request on the primary: set by tests that
	// hold the driver token to play the kernel's part.
	pinRequests atomic.Bool
	// listening is set once the Conn joined a multicast group: its requests
	// then stay on its own socket (see requestsockets.go).
	listening atomic.Bool

	// Everything below is owned by the driver: read or written only by the
	// goroutine holding the drive token.
	seqTable   // the sequence numbers in flight and their requests
	dumpActive *pending
	dumpQ      []*pending
	sendQ      []*pending
	drained    []*pending
	completed  int  // owners woken with a final result since the last flush
	inflight   int  // replies (acks, DONEs) expected from the kernel
	expect     int  // datagrams expected for the singles and batch messages in flight
	units      int  // reply budget held by what is in flight (see unitsAck)
	budget     int  // units that may be in flight at once without overrunning rcvbuf
	congested  bool // ENOBUFS seen and the socket not yet read empty: send nothing
	maxDgram   int

	loneTx  []byte     // a lone round trip's request (see lone.go)
	loneIov unix.Iovec // and its iovec, kept here so that it does not escape per call
	txMsgs  []unix.Mmsghdr
	txIov   []unix.Iovec
	txParts []txDgram
	txSent  []*pending

	slots     int
	rxMsgs    []unix.Mmsghdr
	rxIov     []unix.Iovec
	rxAddr    []unix.RawSockaddrNetlink
	rxAddrLen uint32                 // recvfrom's address length, kept here so that it does not escape per call
	rxCtl     [][groupInfoSpace]byte // the slots' control buffers, armed while groupInfo holds
	rxBufs    []*rxBuf
	// The context whose end wakes sleep, while registered (see sleep).
	wakeDone <-chan struct{}
	wakeStop func() bool
}

// Connect opens, configures and binds a netlink socket of the given family
// and returns the Conn that owns it; close it with Close when done (defer
// c.Close()). The context bounds only the setup. Every failure is an
// *OpError for "connect".
func Connect(ctx context.Context, family nlmsg.Family, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return connect(ctx, family, o)
}

func connect(ctx context.Context, family nlmsg.Family, o options) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkDumpSockets(o.dumpSockets); err != nil {
		return nil, setupErr(family, err)
	}
	if o.requestSockets == 0 {
		o.requestSockets = defaultRequestSockets()
	}
	if o.requestSockets < 1 {
		return nil, setupErr(family, fmt.Errorf("request sockets %d: at least 1 (the Conn's own)", o.requestSockets))
	}
	if o.bufSize < MinReadBufferSize {
		return nil, setupErr(family, fmt.Errorf("read buffer size %d is below the minimum of %d bytes", o.bufSize, MinReadBufferSize))
	}
	if o.netnsPath != "" && o.netnsFD >= 0 {
		return nil, setupErr(family, ErrNetNSConflict)
	}
	fd, port, err := openSocket(int(family), &o)
	if err != nil {
		return nil, setupErr(family, err)
	}
	c := &Conn{
		family:   family,
		fd:       fd,
		portID:   port,
		opts:     o,
		drive:    make(chan struct{}, 1),
		closing:  make(chan struct{}),
		subq:     ring.New[*pending](submitQueueLen),
		seqTable: newSeqTable(),
	}
	c.wakeFn = c.wake
	c.rcvbufForced.Store(o.rcvbufForced)
	c.groupInfo.Store(o.groupInfo)
	c.pktinfoOn = o.groupInfo
	c.listening.Store(len(o.groups) > 0)
	c.keepNamespace()
	c.bufSize.Store(int64(o.bufSize))
	c.nq.init(o.notifyLimit)
	if err := c.poll.open(fd); err != nil {
		unix.Close(fd)
		if c.nsfd >= 0 {
			unix.Close(c.nsfd)
		}
		return nil, setupErr(family, err)
	}
	rcv, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	snd, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	// Budget units are 1 KiB of receive buffer (see unitsAck): keep the
	// expected replies inside it so the kernel never drops one.
	c.budget = max(8, rcv/1024)
	c.maxDgram = max(4096, snd-32)
	c.growSlots(minSlots)
	return c, nil
}

// PortID returns the port id the kernel assigned to the socket (nl_pid).
func (c *Conn) PortID() uint32 { return c.portID }

// Family returns the netlink family the Conn speaks.
func (c *Conn) Family() nlmsg.Family { return c.family }

// AddMembership joins multicast group g (NETLINK_ADD_MEMBERSHIP). Groups
// above 32 work. Notifications arrive through Receive and Notifications.
// The first join of a Conn opened without WithReceiveBuffer or WithGroups
// also grows its receive buffer to ListenerReceiveBuffer (see
// WithReceiveBuffer). The first join may wait for the system calls a
// driver of the Conn is in.
func (c *Conn) AddMembership(g uint32) error {
	// NB: listening before the join, and no lone round trip still running
	// that read it false: such a trip reads without the sender's address,
	// which only a Conn in no group may (see lone.go).
	if !c.listening.Swap(true) && !c.opts.unconnected {
		c.awaitLoneTrip()
	}
	if highGroup(g) {
		if err := c.enableGroupInfo(); err != nil {
			return err
		}
	}
	if err := c.sockopt("add membership", unix.NETLINK_ADD_MEMBERSHIP, int(g)); err != nil {
		return err
	}
	if c.opts.rcvbuf == 0 && len(c.opts.groups) == 0 && c.listenerSized.CompareAndSwap(false, true) {
		c.fdMu.RLock()
		defer c.fdMu.RUnlock()
		if c.fdsClosed {
			return c.opErr("add membership", 0, 0, net.ErrClosed)
		}
		forced, err := setBuf(c.fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, ListenerReceiveBuffer)
		if err != nil {
			return c.opErr("add membership", 0, 0, err) // setBuf names its syscall
		}
		c.rcvbufForced.Store(forced)
	}
	return nil
}

// ReceiveBuffer returns the socket's receive buffer size as the kernel
// reports it (SO_RCVBUF: twice what was asked, for its bookkeeping) and
// whether SO_RCVBUFFORCE set it; false means the size asked for was capped
// at net.core.rmem_max or never asked for. Safe for concurrent use.
func (c *Conn) ReceiveBuffer() (bytes int, forced bool) {
	c.fdMu.RLock()
	defer c.fdMu.RUnlock()
	if c.fdsClosed {
		return 0, false
	}
	n, _ := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	return n, c.rcvbufForced.Load()
}

// DropMembership leaves multicast group g.
func (c *Conn) DropMembership(g uint32) error {
	return c.sockopt("drop membership", unix.NETLINK_DROP_MEMBERSHIP, int(g))
}

func (c *Conn) sockopt(op string, opt, v int) error {
	c.fdMu.RLock()
	defer c.fdMu.RUnlock()
	if c.fdsClosed {
		return c.opErr(op, 0, 0, net.ErrClosed)
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_NETLINK, opt, v); err != nil {
		return c.opErr(op, 0, 0, os.NewSyscallError("setsockopt", err))
	}
	return nil
}

// ownStats counts the Conn's own socket only.
func (c *Conn) ownStats() Stats {
	s := &c.stats
	trips, replies := s.loneTrips.Load(), s.loneReplies.Load()
	return Stats{
		RequestsSent:      s.requestsSent.Load() + trips,
		DatagramsSent:     s.datagramsSent.Load() + trips,
		DatagramsReceived: s.datagramsReceived.Load() + replies,
		SendCalls:         s.sendCalls.Load() + trips,
		ReceiveCalls:      s.receiveCalls.Load() + trips,
		Deliveries:        s.messagesDelivered.Load() + replies,
		Notifications:     s.notifications.Load(),
		NotificationsLost: s.notificationsLost.Load(),
		DroppedForeign:    s.droppedForeign.Load(),
		DroppedUnknownSeq: s.droppedUnknownSeq.Load(),
		DroppedMalformed:  s.droppedMalformed.Load(),
		Overruns:          s.overruns.Load(),
		Truncated:         s.truncated.Load(),
	}
}
