package rtnl

import (
	"context"
	"errors"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// snapshotNexthops runs the nexthop dump into s.Nexthops, as dumpOwned runs
// the others: each object is decoded from its copy in m. Its members are
// decoded into s.group, one scratch slice, then copied into s.members, so
// that the groups of a Snapshot share a few chunks of memory and no
// object's Group can be appended into another's. A kernel without nexthop
// objects refuses the dump with EOPNOTSUPP: it has none.
func (c *Conn) snapshotNexthops(ctx context.Context, s *Snapshot, m *arena, pipelined bool) error {
	s.members.reset()
	decode := func(n *NexthopObject, p []byte) error {
		n.Group = s.group
		err := n.Decode(p)
		g := n.Group
		s.group, n.Group = g[:0], nil
		if len(g) > 0 {
			n.Group = s.members.copy(g)
		}
		return err
	}
	var f NexthopFilter
	var req [nlmsg.NhMsgLen]byte
	err := dumpOwned(ctx, c, nlmsg.RTMGetNexthop, f.dumpRequest(req[:0]), nlmsg.RTMNewNexthop, &s.Nexthops, m, decode, f.Match, pipelined)
	if errors.Is(err, unix.EOPNOTSUPP) {
		s.Nexthops = s.Nexthops[:0]
		return nil
	}
	return err
}
