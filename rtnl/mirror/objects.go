package mirror

import (
	"net/netip"
	"slices"

	"github.com/nlengine/nlengine/rtnl"
)

// LinkKey is a link's identity: its index (names change, indexes do not).
type LinkKey = int

// AddrKey is an address's identity: family, link, local address with its
// prefix length, and the peer of a point-to-point address (IPv4 lets one
// link hold 10.0.0.1/24 and 10.0.0.1/16, or one local address with two
// peers).
type AddrKey struct {
	Family    rtnl.Family
	LinkIndex int
	Prefix    netip.Prefix
	Peer      netip.Addr
}

// KeyOfAddr returns a's identity.
func KeyOfAddr(a *rtnl.Addr) AddrKey {
	return AddrKey{Family: a.Family, LinkIndex: a.LinkIndex, Prefix: a.Prefix, Peer: a.Peer}
}

// NeighKey is a neighbour's identity: family, link and destination.
type NeighKey struct {
	Family    rtnl.Family
	LinkIndex int
	Dst       netip.Addr
}

// KeyOfNeigh returns n's identity.
func KeyOfNeigh(n *rtnl.Neigh) NeighKey {
	return NeighKey{Family: n.Family, LinkIndex: n.LinkIndex, Dst: n.Dst}
}

// ownLink is an owned copy of l: its byte fields copied. Attrs is kept
// (raw access), except the statistics notifications carry, which dumps do
// not: they are what the kernel sends, not part of the link's identity.
func ownLink(l *rtnl.Link) rtnl.Link {
	o := *l
	o.HardwareAddr = slices.Clone(l.HardwareAddr)
	o.Broadcast = slices.Clone(l.Broadcast)
	o.Veth.PeerHardwareAddr = slices.Clone(l.Veth.PeerHardwareAddr)
	o.Attrs = slices.Clone(l.Attrs)
	return o
}

// sameLink compares what a link is (not its raw attributes, which carry
// counters).
func sameLink(a, b *rtnl.Link) bool {
	return a.Family == b.Family && a.Index == b.Index && a.Name == b.Name && a.Kind == b.Kind && a.PortKind == b.PortKind &&
		a.Type == b.Type && a.Flags == b.Flags && a.MTU == b.MTU && a.MinMTU == b.MinMTU && a.MaxMTU == b.MaxMTU &&
		a.OperState == b.OperState && string(a.HardwareAddr) == string(b.HardwareAddr) &&
		string(a.Broadcast) == string(b.Broadcast) && a.MasterIndex == b.MasterIndex &&
		a.ParentIndex == b.ParentIndex && a.TxQLen == b.TxQLen && a.Alias == b.Alias &&
		a.NetNSID == b.NetNSID && a.Group == b.Group && a.Bridge == b.Bridge && a.VXLAN == b.VXLAN &&
		a.MACVLAN == b.MACVLAN && a.Tun == b.Tun && a.Promiscuity == b.Promiscuity && a.AllMulti == b.AllMulti &&
		a.NumTxQueues == b.NumTxQueues && a.NumRxQueues == b.NumRxQueues && a.GSOMaxSize == b.GSOMaxSize &&
		a.GSOMaxSegs == b.GSOMaxSegs && a.GROMaxSize == b.GROMaxSize && a.TSOMaxSize == b.TSOMaxSize &&
		a.TSOMaxSegs == b.TSOMaxSegs && a.NewNetNSID == b.NewNetNSID && a.NewIndex == b.NewIndex &&
		sameAltNames(a, b)
}

// sameAltNames compares the alternative names of two links.
func sameAltNames(a, b *rtnl.Link) bool {
	var x, y [4]string
	return slices.Equal(a.AppendAltNames(x[:0]), b.AppendAltNames(y[:0]))
}

// ownAddr is an owned copy of a, without its raw attributes.
func ownAddr(a *rtnl.Addr) rtnl.Addr {
	o := *a
	o.Attrs = nil
	return o
}

// sameAddr compares what an address is; its lifetimes count down, they do
// not make another address.
func sameAddr(a, b *rtnl.Addr) bool {
	return a.Family == b.Family && a.Prefix == b.Prefix && a.Peer == b.Peer && a.LinkIndex == b.LinkIndex &&
		a.Scope == b.Scope && a.Flags == b.Flags && a.Label == b.Label && a.Broadcast == b.Broadcast &&
		a.Metric == b.Metric && a.Protocol == b.Protocol
}

// ownNeigh is an owned copy of n, without its raw attributes.
func ownNeigh(n *rtnl.Neigh) rtnl.Neigh {
	o := *n
	o.LLAddr = slices.Clone(n.LLAddr)
	o.Attrs = nil
	return o
}

// sameNeigh compares what a neighbour is; the probe count and the cache
// times and references are not.
func sameNeigh(a, b *rtnl.Neigh) bool {
	return a.Family == b.Family && a.LinkIndex == b.LinkIndex && a.State == b.State && a.Flags == b.Flags &&
		a.Type == b.Type && a.Dst == b.Dst && string(a.LLAddr) == string(b.LLAddr) && a.VLAN == b.VLAN &&
		a.MasterIndex == b.MasterIndex && a.FlagsExt == b.FlagsExt && a.Protocol == b.Protocol &&
		a.Port == b.Port && a.VNI == b.VNI && a.SrcVNI == b.SrcVNI && a.ViaIndex == b.ViaIndex && a.NHID == b.NHID
}

// linkEntry, addrEntry and neighEntry are the held objects with the pass
// of the resync that last saw them.
type linkEntry struct {
	l   rtnl.Link
	gen uint32
}

type addrEntry struct {
	a   rtnl.Addr
	gen uint32
}

type neighEntry struct {
	n   rtnl.Neigh
	gen uint32
}

// mirrored reports whether the mirror holds objects of family f (IPv4 and
// IPv6; not bridge FDB entries, MPLS or multicast routing).
func mirrored(f rtnl.Family) bool { return f == rtnl.FamilyIPv4 || f == rtnl.FamilyIPv6 }

// mirrorsNeigh reports whether the mirror holds n: IPv4 and IPv6
// neighbours, not proxy entries (a dump of them is another request), and
// not entries of multicast destinations, which the kernel creates for its
// own sends without a notification (ip neigh hides them too: NOARP).
func mirrorsNeigh(n *rtnl.Neigh) bool {
	return mirrored(n.Family) && n.Flags&rtnl.NeighProxy == 0 && !n.Dst.IsMulticast()
}
