// Package sockdiag lists sockets the way `ss` does, over NETLINK_SOCK_DIAG:
// TCP, UDP, raw and SCTP sockets of AF_INET and AF_INET6 (DumpInet), unix
// sockets (DumpUnix), netlink sockets (DumpNetlink), packet sockets
// (DumpPacket), and closes TCP sockets (Destroy). Every Dump* iterator has
// a List* counterpart that returns owned values.
//
// Every call takes an *engine.Conn connected to nlmsg.FamilySockDiag and
// refuses any other Conn before sending anything:
//
//	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag)
//	...
//	req := sockdiag.InetRequest{
//		Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP,
//		States: sockdiag.StatesOf(sockdiag.StateEstablished),
//		Ext:    sockdiag.ExtInfo,
//		Filter: sockdiag.SrcPort(443), // evaluated by the kernel
//	}
//	for s, err := range sockdiag.DumpInet(ctx, c, req) {
//		if err != nil { ... }
//		fmt.Println(s.State, s.Local, s.Remote, s.TCPInfo.RTT())
//	}
//
// # Buffers and allocation
//
// The iterators decode each reply in place into one value they own and
// reuse, valid until the next step; the values hold no reference to the
// receive buffer (a copy is independent), except their slices
// (UnixSocket.Pending, NetlinkSocket.Groups, PacketSocket.Memberships and
// Filter), which the iterator reuses too. Decoding allocates nothing per
// socket: congestion control names are interned in a small bounded table,
// unix paths are kept as bytes (UnixSocket.PathBytes; Path allocates).
// ListInet, ListUnix, ListNetlink and ListPacket collect owned copies, each
// socket with slices of its own.
//
// # Concurrency
//
// The functions are safe for concurrent use, on one Conn or several (the
// engine runs a Conn's dumps one after the other). A decoded value is not:
// each Dump* call hands its caller a value of its own, and Decode must not
// run on one value from two goroutines.
//
// # Filters
//
// A Filter (ports, address prefixes, interface, mark; And, Or, Not) is compiled
// into the kernel's INET_DIAG_REQ_BYTECODE program, so that only matching
// sockets are sent; Filter.Match gives the same answer in user space and
// Filter.String writes the same condition in ss's syntax.
//
// # Errors
//
// A reply that cannot be decoded gives a *DecodeError naming the header or
// attribute; the engine's errors (*engine.OpError, so errors.Is(err,
// unix.ENOENT) works) pass through unchanged. Refused before anything is
// sent: a Conn of another family, with the engine's *engine.OpError that
// errors.Is ErrWrongFamily (engine.ErrWrongFamily; a *FamilyError for a nil
// Conn), and an invalid request, with a *FamilyError wrapping
// ErrBadRequest.
package sockdiag
