package rtnl

import (
	"context"
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// Benchmarks compare rtnl with a raw x/sys/unix floor and with the
// engine's raw API in the same run and namespace. Run:
//
//	go test -run '^$' -bench 'RouteDump|RouteFiltered|RouteBatch' -count 6 ./rtnl/

const benchRoutes = 100_000

// hostRoute is 10.x.y.z/32 dev oif scope link in table.
func hostRoute(i, oif int, table Table) Route {
	return Route{
		Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
		OIF: oif, Table: table, Scope: ScopeLink, Protocol: ProtocolStatic,
	}
}

// benchNS is a namespace with benchRoutes routes in main and 1 000 in
// table 100, all via lo.
func benchNS(b *testing.B) *netnstest.NS {
	ns := netnstest.New(b)
	c := dialIn(b, ns)
	ch := make([]RouteChange, benchRoutes+1000)
	for i := range ch {
		ch[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, 1, TableMain)}
		if i >= benchRoutes {
			ch[i].Route = hostRoute(i, 1, 100)
			ch[i].Route.Dst = netip.PrefixFrom(netip.AddrFrom4([4]byte{11, 0, byte(i >> 8), byte(i)}), 32)
		}
	}
	if err := c.ApplyRoutes(context.Background(), ch); err != nil {
		b.Fatal(err)
	}
	return ns
}

// routeFloor is one blocking netlink socket with the options a Dial'd Conn
// has (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK), driven by
// plain sendto and recvfrom syscalls (unix.Syscall6, no sockaddr
// allocated) into one reused 64 KiB buffer, like the engine's. It sends the
// same request with the same flags (REQUEST|ACK|DUMP) and scans the
// messages with nlmsg.Scanner, decoding nothing. It allocates nothing.
type routeFloor struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
}

func newRouteFloor(b *testing.B, ns *netnstest.NS) *routeFloor {
	fd, err := ns.Socket(unix.NETLINK_ROUTE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	for _, o := range []int{unix.NETLINK_EXT_ACK, unix.NETLINK_CAP_ACK, unix.NETLINK_GET_STRICT_CHK} {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, o, 1); err != nil {
			b.Fatal(err)
		}
	}
	return &routeFloor{fd: fd, buf: make([]byte, 64<<10)}
}

// dump runs one dump of payload and returns its message count.
func (f *routeFloor) dump(typ nlmsg.Type, payload []byte) (int, error) {
	f.seq++
	f.req = nlmsg.Header{Len: uint32(nlmsg.HeaderLen + len(payload)), Type: typ, Flags: nlmsg.Request | nlmsg.Ack | nlmsg.Dump, Seq: f.seq}.AppendTo(f.req[:0])
	f.req = append(f.req, payload...)
	var sa unix.RawSockaddrNetlink
	sa.Family = unix.AF_NETLINK
	if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(&f.req[0])), uintptr(len(f.req)), 0, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa)); e != 0 {
		return 0, e
	}
	count := 0
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(f.fd), uintptr(unsafe.Pointer(&f.buf[0])), uintptr(len(f.buf)), 0, 0, 0)
		if e != 0 {
			return count, e
		}
		s := nlmsg.NewScanner(f.buf[:n])
		for s.Next() {
			v := s.View()
			switch v.Type() {
			case nlmsg.Done:
				return count, nil
			case nlmsg.Error:
				if e := int32(binary.NativeEndian.Uint32(v.Payload())); e != 0 {
					return count, syscall.Errno(-e)
				}
				return count, nil
			}
			count++
		}
	}
}

func perRoute(b *testing.B, routes int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(routes), "ns/route")
}

func BenchmarkRouteDump(b *testing.B) {
	ns := benchNS(b)
	ctx := context.Background()
	f := RouteFilter{Family: FamilyIPv4}
	req := f.dumpRequest(nil, true)
	b.Run("impl=floor", func(b *testing.B) {
		fl := newRouteFloor(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			n, err := fl.dump(nlmsg.RTMGetRoute, req)
			if err != nil {
				b.Fatal(err)
			}
			total += n
		}
		perRoute(b, total)
	})
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			for _, err := range c.Engine().Dump(ctx, nlmsg.RTMGetRoute, req, 0) {
				if err != nil {
					b.Fatal(err)
				}
				total++
			}
		}
		perRoute(b, total)
	})
	b.Run("impl=iter", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		var sink uint32
		for b.Loop() {
			for r, err := range c.Routes(ctx, f) {
				if err != nil {
					b.Fatal(err)
				}
				sink += uint32(r.OIF)
				total++
			}
		}
		perRoute(b, total)
		b.ReportMetric(float64(testing.AllocsPerRun(1, func() {
			for range c.Routes(ctx, f) {
			}
		}))/float64(total/b.N), "allocs/route")
	})
	b.Run("impl=list", func(b *testing.B) {
		c := dialIn(b, ns)
		b.ReportAllocs()
		total := 0
		for b.Loop() {
			rs, err := c.RouteList(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			total += len(rs)
		}
		perRoute(b, total)
		n := 0
		allocs := testing.AllocsPerRun(1, func() { rs, _ := c.RouteList(ctx, f); n = len(rs) })
		b.ReportMetric(allocs/float64(n), "allocs/route")
	})
}

// BenchmarkRouteFiltered dumps the 1 000 routes of table 100 among the
// 101 000: filtered by the kernel (a Dial'd Conn), in user space (a Conn
// without strict checking), and the unfiltered dump of every table.
func BenchmarkRouteFiltered(b *testing.B) {
	ns := benchNS(b)
	ctx := context.Background()
	run := func(b *testing.B, c *Conn, f RouteFilter, want int) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Routes(ctx, f) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n < want {
				b.Fatalf("%d routes, want %d", n, want)
			}
		}
	}
	b.Run("impl=kernel", func(b *testing.B) { run(b, dialIn(b, ns), RouteFilter{Family: FamilyIPv4, Table: 100}, 1000) })
	b.Run("impl=userspace", func(b *testing.B) {
		ec, err := engine.Connect(ctx, nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ec.Close() })
		c, _ := New(ec)
		run(b, c, RouteFilter{Family: FamilyIPv4, Table: 100}, 1000)
	})
	b.Run("impl=unfiltered", func(b *testing.B) { run(b, dialIn(b, ns), RouteFilter{Family: FamilyIPv4}, benchRoutes+1000) })
}

// BenchmarkRouteBatch adds 100 000 routes in one call: through the typed
// ApplyRoutes, and through engine.Batch with payloads encoded beforehand.
// The routes go via a veth made for each round and deleted (with all its
// routes, untimed) after it.
func BenchmarkRouteBatch(b *testing.B) {
	ns := netnstest.New(b)
	ctx := context.Background()
	const oif = 500
	mkLink := func(b *testing.B) {
		ns.Run(b, "ip", "link", "add", "bv0", "index", "500", "type", "veth", "peer", "name", "bv1")
		ns.Run(b, "ip", "link", "set", "bv0", "up")
	}
	changes := make([]RouteChange, benchRoutes)
	raw := make([]engine.Op, benchRoutes)
	for i := range changes {
		changes[i] = RouteChange{Op: ChangeAdd, Route: hostRoute(i, oif, TableMain)}
		p, _ := appendRoute(nil, &changes[i].Route, false)
		raw[i] = engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: p}
	}
	round := func(b *testing.B, apply func() error) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			mkLink(b)
			b.StartTimer()
			if err := apply(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			ns.Run(b, "ip", "link", "del", "bv0")
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRoutes), "ns/route")
	}
	b.Run("impl=engine", func(b *testing.B) {
		c := dialIn(b, ns)
		round(b, func() error { return c.Engine().Batch(ctx, raw) })
	})
	b.Run("impl=typed", func(b *testing.B) {
		c := dialIn(b, ns)
		round(b, func() error { return c.ApplyRoutes(ctx, changes) })
	})
}
