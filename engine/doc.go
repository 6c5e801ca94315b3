// Package engine speaks netlink to the Linux kernel: it owns the sockets,
// the event loop and the sequence table, and offers connect, request, dump,
// batch, receive and membership calls the Go way, with context.Context,
// errors that errors.Is a syscall.Errno, and defer c.Close(). Off Linux the
// package builds, and Connect returns ErrNotSupported.
//
// # How it works
//
// A Conn owns one non-blocking AF_NETLINK socket and a poller (a poll(2)
// of it and an eventfd). There is no background goroutine: whichever
// caller needs the socket to move takes the driver role (a one-token
// channel), and the driver sends every queued request in one sendmmsg
// (a lone request: one sendto), reads every queued datagram in one recvmmsg
// (one expected datagram: one recvfrom), and hands each datagram to
// the request whose sequence number it carries (the sequence table), waking
// its owner. A lone caller therefore does its own syscalls with no thread
// hand-off; callers that arrive while a driver works are served by it in
// the same batch. A single request whose caller finds the socket idle goes
// further (lone.go): it is sent and read on the caller's goroutine without
// the queue, the sequence table or a pending, and its plain ack is read in
// the receive slot; anything unexpected hands it to the driver. When
// nothing is readable the driver sleeps in the poller; new submissions,
// Close and the driver's own cancellation wake it through the eventfd.
//
// The one exception is a long dump with more than one processor: Dump
// starts a reader goroutine, which drives the socket one chunk ahead of the
// loop body (read-ahead, readahead.go) so that the kernel builds the next
// chunk while the loop body works on this one; it gives the driver token
// back while it waits for room, and Dump stops it before returning.
//
// A datagram answering a request lands in a pooled receive buffer that is
// handed, not copied, to that request; RequestFunc and Dump show its
// messages in place as nlmsg.Views, and Request copies them once, into one
// block. Notifications are copied once, into pooled chunks of the Conn's
// notification queue, so that the receive buffers go straight back to the
// socket; Notifications shows them in place in those chunks.
//
// The files follow the path of a request: conn.go (the Conn and Connect),
// socket_linux.go (socket set-up), poller_linux.go (poll and eventfd),
// lone.go (the lone round trip), reply.go (reading an answer's messages),
// drive.go (submission and the driver loop), seq.go (the sequence table),
// send.go (the send path and batch windows), receive.go (recvmmsg),
// dispatch.go (routing datagrams, truncation and overruns), complete.go
// (finishing requests), pending.go (a request in flight and its ownership),
// close.go, then the calls: request.go, notify.go, dumpsockets.go,
// readahead.go.
//
// # Ownership and lock order
//
// The protocol, stated once here and relied on across the files:
//
//   - The driver token (Conn.drive, a channel of capacity 1) is the driver
//     role. Whoever holds it owns the fields of Conn marked driver-owned:
//     the sequence table, the send and dump queues, the reply budget, the
//     receive slots and their buffers. Take it with c.drive <- struct{}{},
//     give it back with <-c.drive. Close takes it and gives it back only
//     after the fds are closed, so a later driver sees closed and leaves.
//   - A pending has two holders, its owner (the calling goroutine) and the
//     driver, each with one reference. Fields the owner set before submit
//     are read-only afterwards; seq, sent and done are the driver's; the
//     rest is guarded by pending.mu. Each holder lets go once (owner:
//     release or abandon; driver: when it makes the pending final or drops
//     it unsent) and unref frees the pending at the last reference: the one
//     place a pending returns to its pool.
//   - A receive buffer has one owner at a time: the driver's receive slot,
//     then the inbox of the pending it answers, then that pending's owner,
//     who gives it back with putBuf. Notification chunks belong to the queue
//     until a reader pops one into rcvCur, which it owns under rcvMu.
//
// Locks are taken in this order, never the reverse:
//
//  1. rcvMu, which serialises Receive and Notifications: a reader holding
//     it may take the driver token to wait for notifications.
//  2. the driver token.
//  3. fdMu, a read lock around every use of the fds from outside the driver
//     (wake, setsockopt), write-locked by Close, holding the token, to
//     close them; and pending.mu or notifyQueue.mu, each held briefly and
//     never two at once.
//
// Close's exception to rule 1: Close holds the driver token and must not
// wait for rcvMu (a Notifications loop body may be what calls Close, and a
// reader holding rcvMu may be waiting for the token), so it only tries
// rcvMu; a reader that still holds it frees its chunk itself when it next
// sees the Conn closed.
//
// dumpMu, which guards the extra dump and request sockets, is taken alone:
// never with another lock of the Conn or the driver token held, and
// nothing else is taken while holding it (an extra socket is opened under
// it, and closed outside it), except that the reaper tries an idle extra
// request socket's own driver token under it, without ever waiting for it.
//
// A lone round trip (lone.go) holds the driver token across its send and
// its reads only, never while the caller's function runs; it takes a
// pending's mu only when it hands the request to the driver. AddMembership
// waits for such a trip by trying the token, holding nothing.
//
// # Guarantees
//
//   - A reply is accepted only from the kernel. The socket is connected to
//     the kernel, which therefore refuses unicast to it from any other
//     socket (ECONNREFUSED to that sender); a datagram from another sender
//     that still arrives (a multicast to a group the Conn joined) is
//     dropped and counted in Stats.
//   - A reply goes only to the request with its sequence number; replies for
//     unknown or abandoned sequence numbers are dropped and counted.
//   - Multicast notifications (sender groups non-zero, or sequence 0) go to
//     Receive/Notifications, never to a request, even when they carry a
//     request's port id and sequence number.
//   - One dump per socket runs at a time in the kernel; a dump that finds
//     the Conn's socket busy runs on an extra socket (WithDumpSockets), and
//     dumps beyond the limit wait their turn instead of failing with EBUSY.
//   - A caller whose context ends returns promptly with ctx.Err(); what the
//     kernel still sends for its request is drained and dropped, so the Conn
//     stays usable.
//   - Close wakes every waiter with an error that errors.Is net.ErrClosed and
//     leaves no goroutine behind.
//   - Every error of a Conn call is an *OpError, except context errors and
//     the errors of the caller's own callbacks (see OpError).
package engine
