// Package genl speaks generic netlink (NETLINK_GENERIC): it resolves
// families by name through the kernel's controller ("nlctrl"), lists them
// with their operations and multicast groups, dumps their attribute
// policies, and sends commands to a family by name with the genlmsghdr
// encoded for the caller.
//
// A Conn wraps an engine.Conn of nlmsg.FamilyGeneric:
//
//	c, err := genl.Dial(ctx)
//	...
//	err = c.Execute(ctx, "ethtool", nlmsg.EthtoolMsgLinkInfoGet, 0,
//		func(b *nlmsg.Builder) {
//			n := b.BeginNest(nlmsg.EthtoolALinkInfoHeader)
//			b.String(nlmsg.EthtoolAHeaderDevName, "eth0")
//			b.EndNest(n)
//		},
//		func(m genl.Message) error {
//			as := m.AttrScanner()
//			for as.Next() { ... }
//			return as.Err()
//		})
//
// The family's id is resolved on first use and cached for the life of the
// Conn. Replies are handed over in place: a Message's Header and Attrs point
// into a pooled receive buffer and are valid only until the callback (or
// loop body) returns.
//
// Decoding: DecodeFamily and DecodePolicy fill caller-owned values, reusing
// their slices' capacity, and do not allocate once warm (names are interned
// in a small bounded table).
//
// # Errors
//
// Engine and kernel errors (*engine.OpError, errors.Is a syscall.Errno)
// pass through unchanged: a family the kernel does not know is the
// controller's ENOENT. A malformed message or attribute gives a
// *DecodeError naming it, from this package's decoders and from those of
// family packages built on it (NewDecodeError). Refused before anything
// is sent: New with an engine.Conn that is not NETLINK_GENERIC (an
// *engine.OpError that errors.Is ErrWrongFamily, which is
// engine.ErrWrongFamily), and JoinGroup or LeaveGroup with a group the
// family does not have (wrapping ErrUnknownGroup and unix.ENOENT).
//
// The subpackage ethtool is a complete family built on this package.
package genl
