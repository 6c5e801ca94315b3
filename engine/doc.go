// Package engine speaks netlink to the Linux kernel: it owns the sockets, the
// event loop and the sequence table, and implements the API of
// netlink-api.txt (connect, request, receive, noop, add_membership) the Go
// way, with context.Context, errors that errors.Is a syscall.Errno, and
// defer c.Close().
//
// # How it works
//
// A Conn owns one non-blocking AF_NETLINK socket and an epoll set holding it
// and an eventfd. There is no background goroutine: whichever caller needs
// the socket to move takes the driver role (a one-token channel), and the
// driver sends every queued request in one sendmmsg, reads every queued
// datagram in one recvmmsg, and hands each datagram to the request whose
// sequence number it carries (the sequence table), waking its owner. A lone
// caller therefore does its own syscalls with no thread hand-off; callers
// that arrive while a driver works are served by it in the same batch. When
// nothing is readable the driver sleeps in epoll_wait; new submissions, Close
// and the driver's own cancellation wake it through the eventfd.
//
// Received datagrams land in pooled buffers that are handed, not copied, to
// the request they answer; the streaming forms (RequestFunc, Dump,
// Notifications) show the messages in place as nlmsg.Views.
//
// # Guarantees
//
//   - A reply is accepted only from the kernel (sender port 0); a datagram
//     from any other socket is dropped and counted in Stats.
//   - A reply goes only to the request with its sequence number; replies for
//     unknown or abandoned sequence numbers are dropped and counted.
//   - Multicast notifications (sender groups non-zero, or sequence 0) go to
//     Receive/Notifications, never to a request, even when they carry a
//     request's port id and sequence number.
//   - One dump per socket runs at a time in the kernel; the Conn queues
//     further dumps instead of failing them with EBUSY.
//   - A caller whose context ends returns promptly with ctx.Err(); what the
//     kernel still sends for its request is drained and dropped, so the Conn
//     stays usable.
//   - Close wakes every waiter with an error that errors.Is net.ErrClosed and
//     leaves no goroutine behind.
package engine
