package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h), missing from x/sys/unix:
// inside IFLA_INFO_DATA, an ifinfomsg and the peer's attributes.
const vethInfoPeer = 1

// fillChunk is how many objects one Batch of the fill carries: large enough
// that the batch form runs at full speed, small enough for a moving progress line.
const fillChunk = 10_000

// target is the namespace the workloads run in: nlbench's own sandbox, or an
// existing namespace given with -netns.
type target struct {
	nsfd    int    // refers to the namespace; closed by close
	how     string // "unshare", "user namespace" or "-netns"
	path    string // the -netns path
	sandbox bool   // nlbench made and filled it

	ifindexes []int32 // every link, for the RTM_GETLINK workloads

	// What the dumps must return, in the sandbox; -1 when unknown.
	wantLinks, wantAddrs, wantRoutes int

	routesAdded, vethPairs, addrsAdded int
	fillTime                           time.Duration
}

// close releases the namespace fd. For the sandbox that removes it, with its
// links, addresses and routes, once the last socket in it is closed.
func (t *target) close() {
	if t.nsfd >= 0 {
		unix.Close(t.nsfd)
		t.nsfd = -1
	}
}

// connect opens an rtnetlink Conn inside the target.
func (t *target) connect(ctx context.Context, opts ...engine.Option) (*engine.Conn, error) {
	return engine.Connect(ctx, nlmsg.FamilyRoute, append([]engine.Option{engine.WithNetNSFD(t.nsfd)}, opts...)...)
}

// openExisting prepares the -netns target: it checks that a Conn can be
// opened there and lists its links. Nothing is changed in it. Its errors
// say what is wrong with the path and what a valid one looks like.
func openExisting(ctx context.Context, path string) (*target, error) {
	const valid = "give a network namespace: a file under /run/netns (ip netns add NAME), /proc/PID/ns/net, or an fd as /proc/self/fd/N"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("-netns %s: no such file; %s", path, valid)
	}
	if err != nil {
		return nil, fmt.Errorf("-netns %s: cannot open it: %w; %s", path, err, valid)
	}
	t := &target{nsfd: fd, how: "-netns", path: path, wantLinks: -1, wantAddrs: -1, wantRoutes: -1}
	c, err := t.connect(ctx)
	if err != nil {
		t.close()
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("-netns %s: %w (entering another user's namespace needs CAP_SYS_ADMIN over it)", path, err)
		}
		if errors.Is(err, unix.EINVAL) {
			return nil, fmt.Errorf("-netns %s: not a network namespace (%w); %s", path, err, valid)
		}
		return nil, fmt.Errorf("-netns %s: %w", path, err)
	}
	defer c.Close()
	if t.ifindexes, err = listLinks(ctx, c, nil); err != nil {
		t.close()
		return nil, fmt.Errorf("-netns %s: listing links: %w", path, err)
	}
	return t, nil
}

// fillSpec says what the sandbox is filled with.
type fillSpec struct {
	vethPairs    int
	addrsPerLink int // IPv4 addresses on each veth end
	routes       int
}

// fillSandbox brings lo up in the fresh namespace t.nsfd and creates the
// workloads' objects with the engine's batch form: veth pairs, IPv4
// addresses on every veth end, and routes 10.x.y.z/32 dev lo. It records
// what the dumps must return afterwards. status is called with the phase
// and progress, for the live line.
func fillSandbox(ctx context.Context, t *target, spec fillSpec, status func(string)) error {
	start := time.Now()
	c, err := t.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	status("bringing lo up")
	if _, err := c.Request(ctx, nlmsg.RTMNewLink, linkUpByIndex(1), 0); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	// A new namespace may hold more than lo (fallback tunnel devices of
	// loaded modules), so expectations start from what is there.
	baseLinks, err := countDump(ctx, c, nlmsg.RTMGetLink, nlmsg.IfInfoMsg{}.AppendTo(nil), nil)
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}

	names := make([]string, 0, 2*spec.vethPairs)
	if spec.vethPairs > 0 {
		status(fmt.Sprintf("creating %d veth pairs", spec.vethPairs))
		ops := make([]engine.Op, spec.vethPairs)
		for i := range ops {
			a, b := fmt.Sprintf("nlb%da", i), fmt.Sprintf("nlb%db", i)
			names = append(names, a, b)
			ops[i] = engine.Op{Type: nlmsg.RTMNewLink, Flags: nlmsg.Create | nlmsg.Excl, Payload: vethPayload(a, b)}
		}
		if err := batchInChunks(ctx, c, ops, nil); err != nil {
			return fmt.Errorf("creating veth pairs: %w", err)
		}
		// NB: both ends go up only now: the kernel opens a peer created up
		// before it is linked to its other end, which fails with ENOTCONN.
		ops = make([]engine.Op, len(names))
		for i, n := range names {
			ops[i] = engine.Op{Type: nlmsg.RTMNewLink, Payload: linkUpByName(n)}
		}
		if err := batchInChunks(ctx, c, ops, nil); err != nil {
			return fmt.Errorf("setting veths up: %w", err)
		}
	}
	byName := make(map[string]int32)
	if t.ifindexes, err = listLinks(ctx, c, byName); err != nil {
		return fmt.Errorf("listing links: %w", err)
	}

	baseAddrs, err := countDump(ctx, c, nlmsg.RTMGetAddr, ipv4AddrDumpReq(), isIPv4Addr)
	if err != nil {
		return fmt.Errorf("listing addresses: %w", err)
	}
	if spec.addrsPerLink > 0 && len(names) > 0 {
		status(fmt.Sprintf("adding %d addresses", spec.addrsPerLink*len(names)))
		ops := make([]engine.Op, 0, spec.addrsPerLink*len(names))
		for k, n := range names {
			idx, ok := byName[n]
			if !ok {
				return fmt.Errorf("veth %s missing from the link dump", n)
			}
			for j := range spec.addrsPerLink {
				ip := [4]byte{172, byte(16 + k>>8), byte(k), byte(1 + j)}
				ops = append(ops, engine.Op{Type: nlmsg.RTMNewAddr, Flags: nlmsg.Create | nlmsg.Excl, Payload: addrPayload(idx, ip, 24)})
			}
		}
		if err := batchInChunks(ctx, c, ops, nil); err != nil {
			return fmt.Errorf("adding addresses: %w", err)
		}
	}

	// Addresses bring their own routes (local, broadcast, prefix); count
	// them, then add ours.
	baseRoutes, err := countDump(ctx, c, nlmsg.RTMGetRoute, ipv4RouteDumpReq(), isRoute)
	if err != nil {
		return fmt.Errorf("listing routes: %w", err)
	}
	if spec.routes > 0 {
		arena := make([]byte, 0, spec.routes*routePayloadLen)
		for i := range spec.routes {
			arena = appendRoutePayload(arena, [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}, 1)
		}
		ops := make([]engine.Op, spec.routes)
		for i := range ops {
			ops[i] = engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: arena[i*routePayloadLen : (i+1)*routePayloadLen]}
		}
		err := batchInChunks(ctx, c, ops, func(done int) {
			status(fmt.Sprintf("adding routes %d/%d", done, spec.routes))
		})
		if err != nil {
			return fmt.Errorf("adding routes: %w", err)
		}
	}

	t.sandbox = true
	t.vethPairs, t.addrsAdded, t.routesAdded = spec.vethPairs, spec.addrsPerLink*len(names), spec.routes
	t.wantLinks = baseLinks + len(names)
	t.wantAddrs = baseAddrs + t.addrsAdded
	t.wantRoutes = baseRoutes + spec.routes
	t.fillTime = time.Since(start)
	return nil
}

// batchInChunks runs ops through Batch, fillChunk at a time, calling
// progress (if not nil) after each chunk with the number done.
func batchInChunks(ctx context.Context, c *engine.Conn, ops []engine.Op, progress func(done int)) error {
	for i := 0; i < len(ops); i += fillChunk {
		j := min(i+fillChunk, len(ops))
		if err := c.Batch(ctx, ops[i:j]); err != nil {
			return err
		}
		if progress != nil {
			progress(j)
		}
	}
	return nil
}

// countDump runs one dump and counts the messages match accepts (all when
// match is nil).
func countDump(ctx context.Context, c *engine.Conn, typ nlmsg.Type, req []byte, match func(nlmsg.View) bool) (int, error) {
	n := 0
	for v, err := range c.Dump(ctx, typ, req, 0) {
		if err != nil {
			return n, err
		}
		if match == nil || match(v) {
			n++
		}
	}
	return n, nil
}

// listLinks dumps the links and returns their indexes; when byName is not
// nil it is filled with name -> index.
func listLinks(ctx context.Context, c *engine.Conn, byName map[string]int32) ([]int32, error) {
	var idx []int32
	for v, err := range c.Dump(ctx, nlmsg.RTMGetLink, nlmsg.IfInfoMsg{}.AppendTo(nil), 0) {
		if err != nil {
			return nil, err
		}
		if v.Type() != nlmsg.RTMNewLink {
			continue
		}
		h, attrs, err := nlmsg.DecodeIfInfoMsg(v.Payload())
		if err != nil {
			return nil, err
		}
		idx = append(idx, h.Index)
		if byName == nil {
			continue
		}
		s := nlmsg.NewAttrScanner(attrs)
		for s.Next() {
			if a := s.Attr(); a.Type() == nlmsg.IFLAIfName {
				byName[a.String()] = h.Index
			}
		}
	}
	if len(idx) == 0 {
		return nil, errors.New("the namespace has no links")
	}
	return idx, nil
}

// linkUpByIndex is an RTM_NEWLINK payload that sets IFF_UP on a link.
func linkUpByIndex(index int32) []byte {
	return nlmsg.IfInfoMsg{Index: index, Flags: unix.IFF_UP, Change: unix.IFF_UP}.AppendTo(nil)
}

// linkUpByName is an RTM_NEWLINK payload that sets IFF_UP on the named link.
func linkUpByName(name string) []byte {
	var b nlmsg.Builder
	defer b.Release()
	nlmsg.AppendFamilyHeader(&b, nlmsg.IfInfoMsg{Flags: unix.IFF_UP, Change: unix.IFF_UP})
	b.String(nlmsg.IFLAIfName, name)
	return append([]byte(nil), b.Bytes()...)
}

// vethPayload is an RTM_NEWLINK payload that creates the veth pair name <-> peer.
func vethPayload(name, peer string) []byte {
	// The peer is an ifinfomsg followed by attributes, not a pure nest, so
	// it goes in as one opaque attribute without NLA_F_NESTED.
	var p nlmsg.Builder
	nlmsg.AppendFamilyHeader(&p, nlmsg.IfInfoMsg{})
	p.String(nlmsg.IFLAIfName, peer)
	peerAttrs := append([]byte(nil), p.Bytes()...)
	p.Release()

	var b nlmsg.Builder
	defer b.Release()
	nlmsg.AppendFamilyHeader(&b, nlmsg.IfInfoMsg{})
	b.String(nlmsg.IFLAIfName, name)
	info := b.BeginNest(unix.IFLA_LINKINFO)
	b.String(unix.IFLA_INFO_KIND, "veth")
	data := b.BeginNest(unix.IFLA_INFO_DATA)
	b.Attr(vethInfoPeer, peerAttrs)
	b.EndNest(data)
	b.EndNest(info)
	return append([]byte(nil), b.Bytes()...)
}

// addrPayload is an RTM_NEWADDR payload for ip/bits on link index.
func addrPayload(index int32, ip [4]byte, bits uint8) []byte {
	var b nlmsg.Builder
	defer b.Release()
	nlmsg.AppendFamilyHeader(&b, nlmsg.IfAddrMsg{Family: unix.AF_INET, PrefixLen: bits, Index: uint32(index)})
	b.Attr(nlmsg.IFALocal, ip[:])
	b.Attr(nlmsg.IFAAddress, ip[:])
	return append([]byte(nil), b.Bytes()...)
}

// routePayloadLen is the size of appendRoutePayload's output: rtmsg,
// RTA_DST with 4 bytes, RTA_OIF.
const routePayloadLen = nlmsg.RtMsgLen + 8 + 8

// appendRoutePayload appends an RTM_NEWROUTE/RTM_DELROUTE payload for
// dst/32 dev oif in the main table, like `ip route add dst dev lo`.
func appendRoutePayload(arena []byte, dst [4]byte, oif uint32) []byte {
	var b nlmsg.Builder
	defer b.Release()
	nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{
		Family: unix.AF_INET, DstLen: 32, Table: nlmsg.RTTableMain,
		Protocol: nlmsg.RTProtStatic, Scope: nlmsg.RTScopeLink, Type: nlmsg.RTNUnicast,
	})
	b.Attr(nlmsg.RTADst, dst[:])
	b.Uint32(nlmsg.RTAOIF, oif)
	return append(arena, b.Bytes()...)
}

// ipv4RouteDumpReq asks for every IPv4 route of every table.
func ipv4RouteDumpReq() []byte { return nlmsg.RtMsg{Family: unix.AF_INET}.AppendTo(nil) }

// ipv4AddrDumpReq asks for every IPv4 address.
func ipv4AddrDumpReq() []byte { return nlmsg.IfAddrMsg{Family: unix.AF_INET}.AppendTo(nil) }

func isRoute(v nlmsg.View) bool { return v.Type() == nlmsg.RTMNewRoute }
func isLink(v nlmsg.View) bool  { return v.Type() == nlmsg.RTMNewLink }

func isIPv4Addr(v nlmsg.View) bool {
	p := v.Payload()
	return v.Type() == nlmsg.RTMNewAddr && len(p) > 0 && p[0] == unix.AF_INET
}
