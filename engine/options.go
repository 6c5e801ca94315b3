package engine

import (
	"errors"
	"fmt"
)

// ErrNetNSConflict is the cause of Connect's error when both WithNetNS and
// WithNetNSFD were given: they name two namespaces, and neither is taken
// over the other.
var ErrNetNSConflict = errors.New("both WithNetNS and WithNetNSFD given: choose one namespace")

// Option configures Connect.
type Option func(*options)

type options struct {
	netnsPath string
	netnsFD   int
	rcvbuf    int
	// rcvbufForced records, after Connect, whether SO_RCVBUFFORCE set the
	// receive buffer.
	rcvbufForced bool
	// groupInfo records, after Connect, that a group above 32 turned
	// NETLINK_PKTINFO on (see groupinfo.go).
	groupInfo   bool
	sndbuf      int
	extAck      bool
	capAck      bool
	strictCheck bool
	noENOBUFS   bool
	groups      []uint32
	bufSize     int
	notifyLimit int
	dumpSockets int
	// requestSockets: 0 until Connect resolves the default
	requestSockets int
	noReadAhead    bool // WithDumpReadAhead(false)
	// unconnected leaves the socket unconnected, so that other sockets
	// can reach it: for tests of the sender check alone.
	unconnected bool
}

func defaultOptions() options {
	return options{
		netnsFD:     -1,
		extAck:      true,
		capAck:      true,
		bufSize:     64 << 10,
		notifyLimit: 8 << 20,
		dumpSockets: 4,
	}
}

// WithNetNS opens the socket inside the network namespace at path (for
// example /var/run/netns/blue or /proc/PID/ns/net). The caller's own
// namespace and threads are not changed. Connect fails with
// ErrNetNSConflict when WithNetNSFD is given too.
func WithNetNS(path string) Option { return func(o *options) { o.netnsPath = path } }

// WithNetNSFD opens the socket inside the network namespace referred to by
// fd. The fd is only used during Connect; the caller keeps ownership.
// Connect fails with ErrNetNSConflict when WithNetNS is given too.
func WithNetNSFD(fd int) Option { return func(o *options) { o.netnsFD = fd } }

// WithReceiveBuffer sets the socket's receive buffer to n bytes, with
// SO_RCVBUFFORCE when the process may exceed net.core.rmem_max, SO_RCVBUF
// (capped by the kernel) otherwise. A larger buffer lets a listener survive
// longer event bursts without ENOBUFS and lets more requests be in flight.
//
// Without SO_RCVBUFFORCE (no CAP_NET_ADMIN) the kernel caps the size at
// net.core.rmem_max instead of failing: ReceiveBuffer tells the size the
// socket got and whether it was forced. Without WithReceiveBuffer, a Conn
// that joins multicast groups (WithGroups, AddMembership) asks for
// ListenerReceiveBuffer, since the default (about 208 KiB) loses events in
// a storm of a few thousand; other Conns keep the system's default.
func WithReceiveBuffer(n int) Option { return func(o *options) { o.rcvbuf = n } }

// ListenerReceiveBuffer is the receive buffer a Conn that joins multicast
// groups asks for when the caller chose none: 8 MiB, in which a watcher
// followed a storm of 100 000 route events without losing one.
const ListenerReceiveBuffer = 8 << 20

// WithSendBuffer sets the socket's send buffer to n bytes (SO_SNDBUFFORCE
// when permitted). A datagram may be at most the send buffer less 32 bytes.
func WithSendBuffer(n int) Option { return func(o *options) { o.sndbuf = n } }

// WithExtAck turns NETLINK_EXT_ACK on or off (default on): errors then carry
// the kernel's text and the offset of the offending attribute.
func WithExtAck(on bool) Option { return func(o *options) { o.extAck = on } }

// WithCapAck turns NETLINK_CAP_ACK on or off (default on): error acks then
// echo only the request's header, not the whole request.
func WithCapAck(on bool) Option { return func(o *options) { o.capAck = on } }

// WithStrictCheck turns NETLINK_GET_STRICT_CHK on (default off): rtnetlink
// then validates dump requests strictly and honours their filters.
func WithStrictCheck(on bool) Option { return func(o *options) { o.strictCheck = on } }

// WithNoENOBUFS turns NETLINK_NO_ENOBUFS on (default off): the kernel then
// drops notifications silently instead of reporting ENOBUFS. It also drops
// acks silently when the buffer is full of notifications, so on a Conn that
// both listens and sends requests, bound each request with a context
// deadline.
func WithNoENOBUFS(on bool) Option { return func(o *options) { o.noENOBUFS = on } }

// WithGroups joins the given multicast groups at connect time
// (NETLINK_ADD_MEMBERSHIP, so groups above 32 work).
func WithGroups(groups ...uint32) Option {
	return func(o *options) { o.groups = append(o.groups, groups...) }
}

// WithReadBufferSize sets the size of each of the engine's own read
// buffers, the memory recvmmsg writes datagrams into (default 64 KiB). It is
// not the socket's receive buffer in the kernel (WithReceiveBuffer). The
// kernel sizes dump chunks to at most about 32 KiB whatever the buffer; a
// larger size only helps single messages above 64 KiB. Below 32 KiB the
// kernel builds smaller dump chunks and, measured on Linux 6.18, may leave
// out of a link dump an object that does not fit one: use small sizes for
// tests only. A datagram larger than the read buffer is lost with
// ErrDatagramTruncated, and the Conn's read buffers grow to fit the next
// one. Connect refuses sizes below MinReadBufferSize.
func WithReadBufferSize(n int) Option { return func(o *options) { o.bufSize = n } }

// WithBufferSize is the old name of WithReadBufferSize.
//
// Deprecated: use WithReadBufferSize; WithReceiveBuffer is the socket's.
func WithBufferSize(n int) Option { return WithReadBufferSize(n) }

// MinReadBufferSize is the smallest read buffer WithReadBufferSize accepts:
// one page, the size of the kernel's smallest dump chunk.
const MinReadBufferSize = 4096

// MinBufferSize is the old name of MinReadBufferSize.
//
// Deprecated: use MinReadBufferSize.
const MinBufferSize = MinReadBufferSize

// WithNotificationQueue bounds, in bytes, the notifications the Conn keeps
// for Receive when the caller reads slower than they arrive (default 8 MiB).
// Past it, notifications are dropped and Receive reports ErrOverrun.
func WithNotificationQueue(bytes int) Option { return func(o *options) { o.notifyLimit = bytes } }

// WithDumpSockets sets how many sockets of the Conn may carry dumps at once,
// the Conn's own included (default 4). A dump that finds every one busy
// waits for one, bounded by its context. The extra sockets are opened in the
// Conn's namespace when needed and closed after a second unused; they never
// join multicast groups. With 1, dumps queue on the Conn's own socket, and a
// Dump started inside another Dump's loop reads the outer dump into memory
// before it starts.
func WithDumpSockets(n int) Option { return func(o *options) { o.dumpSockets = n } }

// WithRequestSockets sets how many sockets of the Conn may carry requests
// that are not dumps at once, the Conn's own included (default: GOMAXPROCS
// at Connect, at most 4). A request from a goroutine that finds the Conn's
// socket busy with other goroutines' requests goes to an extra socket, so
// that the kernel answers them in parallel on different processors. The
// extra sockets are opened in the Conn's namespace when needed, shared by
// the goroutines that pick them, and closed after a second unused; they
// never join multicast groups. Batches always use the Conn's own socket.
// With 1, every request queues on the Conn's own socket.
func WithRequestSockets(n int) Option {
	return func(o *options) {
		o.requestSockets = n
		if n == 0 {
			o.requestSockets = -1 // refused by Connect, not taken for the default
		}
	}
}

func checkDumpSockets(n int) error {
	if n < 1 {
		return fmt.Errorf("dump sockets %d: at least 1 (the Conn's own)", n)
	}
	return nil
}

// WithDumpReadAhead turns Dump's read-ahead on or off (default on). With it,
// and more than one processor (GOMAXPROCS > 1), a dump longer than two
// chunks is read ahead of the loop body by a second goroutine, so that the
// kernel builds the next chunk while the loop body works on this one: a dump
// whose loop body decodes takes about the time of the longer of the two
// instead of their sum. It costs two more receive buffers per dump (the
// chunks read ahead), a hand-off between goroutines per chunk, and processor
// time: a loop body that is faster than the kernel spins briefly (at most
// 100 µs a chunk, less once the reader is late) instead of sleeping until
// the next chunk, so the dump may take up to twice the processor time for
// less wall time. One dump per two processors reads ahead at a time,
// process-wide; the others read as with read-ahead off: on the caller's
// goroutine, each chunk when the loop body asks for it.
func WithDumpReadAhead(on bool) Option { return func(o *options) { o.noReadAhead = !on } }
