package sockdiag_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

var (
	lo4  = netip.MustParseAddr("127.0.0.1")
	lo4b = netip.MustParseAddr("127.0.0.2")
	lo6  = netip.MustParseAddr("::1")
	any6 = netip.IPv6Unspecified()
)

// inetFixture opens, inside ns, TCP listeners and connections over IPv4,
// IPv6 and IPv4-mapped IPv6, a listener bound to lo, and UDP sockets bound
// and connected.
func inetFixture(t testing.TB, ns *netnstest.NS) {
	t.Helper()
	openIn(t, ns, func(o opener) error {
		l4, err := o.listen(netip.AddrPortFrom(lo4, 8080))
		if err != nil {
			return err
		}
		for range 2 {
			if _, _, err := o.connect(l4, netip.AddrPortFrom(lo4, 8080)); err != nil {
				return err
			}
		}
		l6, err := o.listen(netip.AddrPortFrom(lo6, 8443))
		if err != nil {
			return err
		}
		if _, _, err := o.connect(l6, netip.AddrPortFrom(lo6, 8443)); err != nil {
			return err
		}
		// A dual-stack listener: an IPv4 client makes an IPv6 socket
		// with IPv4-mapped addresses on the server side.
		dual, err := o.bound(unix.SOCK_STREAM, netip.AddrPortFrom(any6, 9000))
		if err != nil {
			return err
		}
		if err := unix.Listen(dual, 16); err != nil {
			return err
		}
		if _, _, err := o.connect(dual, netip.AddrPortFrom(lo4, 9000)); err != nil {
			return err
		}
		// A listener bound to lo: the Interface field, "%lo" in ss.
		dev, err := o.socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.BindToDevice(dev, "lo"); err != nil {
			return err
		}
		if err := unix.Bind(dev, &unix.SockaddrInet4{Port: 7000, Addr: lo4.As4()}); err != nil {
			return err
		}
		if err := unix.Listen(dev, 4); err != nil {
			return err
		}
		// UDP: bound v4 and v6, and one connected (ESTAB).
		u4, err := o.bound(unix.SOCK_DGRAM, netip.AddrPortFrom(lo4, 5353))
		if err != nil {
			return err
		}
		_ = u4
		if _, err := o.bound(unix.SOCK_DGRAM, netip.AddrPortFrom(lo6, 5353)); err != nil {
			return err
		}
		uc, err := o.bound(unix.SOCK_DGRAM, netip.AddrPortFrom(lo4b, 6000))
		if err != nil {
			return err
		}
		return unix.Connect(uc, &unix.SockaddrInet4{Port: 5353, Addr: lo4.As4()})
	})
}

// listAll lists the TCP and UDP sockets of both families.
func listAll(t testing.TB, c *engine.Conn, ext sockdiag.Ext, f sockdiag.Filter) []sockdiag.InetSocket {
	t.Helper()
	var all []sockdiag.InetSocket
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			var err error
			all, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: fam, Protocol: proto, Ext: ext, Filter: f}, all)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return all
}

func netid(s *sockdiag.InetSocket) string {
	switch s.Protocol {
	case unix.IPPROTO_TCP:
		return "tcp"
	case unix.IPPROTO_UDP:
		return "udp"
	}
	return strconv.Itoa(int(s.Protocol))
}

func byInode(socks []sockdiag.InetSocket) map[string]*sockdiag.InetSocket {
	m := map[string]*sockdiag.InetSocket{}
	for i := range socks {
		m[netid(&socks[i])+"/"+strconv.Itoa(int(socks[i].Inode))] = &socks[i]
	}
	return m
}

// TestIntegrationInetAgreesWithSS compares a dump of every TCP and UDP
// socket, IPv4 and IPv6, with `ss -tuane` run in the same namespace, field
// by field: state, queues, local and peer address and port, interface,
// inode, cookie, uid, v6only.
func TestIntegrationInetAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	inetFixture(t, ns)
	c := dial(t, ns)
	ours := byInode(listAll(t, c, 0, sockdiag.Filter{}))
	lines := runSS(t, ns, "-tuane")
	if len(lines) != len(ours) || len(lines) != 15 {
		t.Errorf("ss shows %d sockets, the dump %d, the fixture opened 15", len(lines), len(ours))
	}
	states := map[string]int{}
	for _, l := range lines {
		key := l.netid + "/" + l.fields["ino"]
		s, ok := ours[key]
		if !ok {
			t.Errorf("ss shows %s %s %s -> %s, not in the dump", l.netid, l.state, l.local, l.peer)
			continue
		}
		states[l.netid+" "+l.state]++
		where := fmt.Sprintf("%s %s -> %s", l.netid, l.local, l.peer)
		check := func(field string, got, want any) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s = %v, ss says %v", where, field, got, want)
			}
		}
		check("state", s.State, l.state)
		check("rqueue", s.RQueue, l.rq)
		check("wqueue", s.WQueue, l.sq)
		local, dev := parseSSAddr(t, l.local)
		peer, _ := parseSSAddr(t, l.peer)
		checkAddr(t, where+": local", s.Local, local)
		checkAddr(t, where+": remote", s.Remote, peer)
		wantIf := 0
		if dev == "lo" {
			wantIf = 1
		}
		check("interface", s.Interface, wantIf)
		check("cookie", strconv.FormatUint(s.Cookie, 16), l.fields["sk"])
		uid := l.fields["uid"]
		if uid == "" {
			uid = "0" // ss prints uid only when it is not 0
		}
		check("uid", s.UID, uid)
		if v, ok := l.fields["v6only"]; ok {
			check("v6only", s.V6Only, v == "1")
		}
	}
	want := map[string]int{"tcp LISTEN": 4, "tcp ESTAB": 8, "udp UNCONN": 2, "udp ESTAB": 1}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", states, want)
	}
	// The awkward cases are there: an IPv4-mapped IPv6 socket, a socket
	// bound to an interface.
	var mapped, bound bool
	for _, s := range ours {
		mapped = mapped || (s.Family == unix.AF_INET6 && s.Local.Addr().Is4In6())
		bound = bound || s.Interface == 1
	}
	if !mapped || !bound {
		t.Errorf("fixture: IPv4-mapped socket %v, socket bound to lo %v", mapped, bound)
	}
}

// checkAddr compares an address with ss's, which prints an IPv6 socket's
// unspecified address as "*".
func checkAddr(t *testing.T, what string, got, ss netip.AddrPort) {
	t.Helper()
	if !ss.Addr().IsValid() {
		if !got.Addr().IsUnspecified() || got.Port() != ss.Port() {
			t.Errorf("%s = %v, ss says *:%d", what, got, ss.Port())
		}
		return
	}
	if got != ss {
		t.Errorf("%s = %v, ss says %v", what, got, ss)
	}
}

// TestIntegrationInetIdentity checks the dump against the sockets' own
// file descriptors: the inode fstat gives and the cookie SO_COOKIE gives,
// and the addresses getsockname and getpeername give.
func TestIntegrationInetIdentity(t *testing.T) {
	ns := netnstest.New(t)
	var client, server int
	openIn(t, ns, func(o opener) error {
		l, err := o.listen(netip.AddrPortFrom(lo6, 443))
		if err != nil {
			return err
		}
		client, server, err = o.connect(l, netip.AddrPortFrom(lo6, 443))
		return err
	})
	c := dial(t, ns)
	socks, err := sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_INET6, States: sockdiag.StatesOf(sockdiag.StateEstablished)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 2 {
		t.Fatalf("%d established sockets, want 2", len(socks))
	}
	for _, fd := range []int{client, server} {
		ino, cookie := identity(t, fd)
		sa, _ := unix.Getsockname(fd)
		pa, _ := unix.Getpeername(fd)
		local := netip.AddrPortFrom(netip.AddrFrom16(sa.(*unix.SockaddrInet6).Addr), uint16(sa.(*unix.SockaddrInet6).Port))
		remote := netip.AddrPortFrom(netip.AddrFrom16(pa.(*unix.SockaddrInet6).Addr), uint16(pa.(*unix.SockaddrInet6).Port))
		i := slices.IndexFunc(socks, func(s sockdiag.InetSocket) bool { return s.Inode == ino })
		if i < 0 {
			t.Errorf("fd %d (inode %d) not in the dump", fd, ino)
			continue
		}
		s := socks[i]
		if s.Cookie != cookie || s.Local != local || s.Remote != remote || s.Protocol != unix.IPPROTO_TCP || s.Family != unix.AF_INET6 {
			t.Errorf("fd %d: dump says cookie %#x %v -> %v proto %d; the socket says cookie %#x %v -> %v", fd, s.Cookie, s.Local, s.Remote, s.Protocol, cookie, local, remote)
		}
	}
}

// TestIntegrationTCPInfoAgreesWithSS asks for tcp_info, the congestion
// control name and figures and the socket memory, and compares them with
// `ss -tnim` on idle loopback connections (whose figures do not move
// between the two dumps): cong, wscale, rto, rtt/rttvar, ato, minrtt,
// rcv_rtt, mss, pmtu, rcvmss, advmss, cwnd, the byte and segment
// counters, delivered, rcv_space, rcv_ssthresh, snd_wnd, bbr:(...) and
// skmem. The namespace's sockets use
// bbr where the kernel has it, so that there are bbr figures to compare.
func TestIntegrationTCPInfoAgreesWithSS(t *testing.T) {
	ns := netnstest.New(t)
	bbr := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/tcp_congestion_control", []byte("bbr"), 0)
	}) == nil
	if !bbr {
		t.Log("no bbr in this kernel: its figures are not compared")
	}
	inetFixture(t, ns)
	c := dial(t, ns)
	var ours []sockdiag.InetSocket
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		var err error
		ours, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{
			Family: fam, States: sockdiag.StatesOf(sockdiag.StateEstablished),
			Ext: sockdiag.ExtInfo | sockdiag.ExtCong | sockdiag.ExtCCInfo | sockdiag.ExtSkMemInfo | sockdiag.ExtMemInfo | sockdiag.ExtTOS | sockdiag.ExtTClass,
		}, ours)
		if err != nil {
			t.Fatal(err)
		}
	}
	lines := runSS(t, ns, "-tnime")
	if len(lines) != len(ours) || len(ours) != 8 {
		t.Fatalf("ss shows %d established sockets, the dump %d, want 8", len(lines), len(ours))
	}
	m := byInode(ours)
	for _, l := range lines {
		s := m["tcp/"+l.fields["ino"]]
		if s == nil {
			t.Fatalf("ss shows inode %s, not in the dump", l.fields["ino"])
		}
		if !s.Has(nlmsg.InetDiagInfo) || !s.Has(nlmsg.InetDiagCong) || !s.Has(nlmsg.InetDiagSkMemInfo) || !s.Has(nlmsg.InetDiagTOS) {
			t.Errorf("%s: extensions missing", l.local)
		}
		if s.Family == unix.AF_INET6 && !s.Has(nlmsg.InetDiagTClass) {
			t.Errorf("%s: IPv6 socket without TCLASS", l.local)
		}
		ti := &s.TCPInfo
		where := l.local + " -> " + l.peer
		check := func(key string, want string) {
			got, ok := detailValue(l, key)
			if !ok {
				t.Errorf("%s: ss printed no %s: %v", where, key, l.detail)
			} else if got != want {
				t.Errorf("%s: %s = %s, ss says %s", where, key, want, got)
			}
		}
		if !slices.Contains(l.detail, s.Congestion) || s.Congestion == "" {
			t.Errorf("%s: congestion control %q, not among ss's %v", where, s.Congestion, l.detail)
		}
		check("wscale", fmt.Sprintf("%d,%d", ti.SndWScale, ti.RcvWScale))
		check("mss", strconv.Itoa(int(ti.SndMSS)))
		check("pmtu", strconv.Itoa(int(ti.PMTU)))
		check("rcvmss", strconv.Itoa(int(ti.RcvMSS)))
		check("advmss", strconv.Itoa(int(ti.AdvMSS)))
		check("cwnd", strconv.Itoa(int(ti.SndCwnd)))
		if v, ok := detailValue(l, "rto"); !ok || !msEqual(v, ti.RTOUsec) {
			t.Errorf("%s: rto %d µs, ss says %s ms", where, ti.RTOUsec, v)
		}
		if v, ok := detailValue(l, "rtt"); ok {
			rtt, rttvar, _ := strings.Cut(v, "/")
			if !msEqual(rtt, ti.RTTUsec) || !msEqual(rttvar, ti.RTTVarUsec) {
				t.Errorf("%s: rtt %d/%d µs, ss says %s ms", where, ti.RTTUsec, ti.RTTVarUsec, v)
			}
		} else {
			t.Errorf("%s: ss printed no rtt", where)
		}
		// The counters ss prints only when they are not zero.
		for _, c := range []struct {
			key string
			n   uint64
		}{
			{"bytes_sent", ti.BytesSent}, {"bytes_acked", ti.BytesAcked}, {"bytes_received", ti.BytesReceived},
			{"segs_out", uint64(ti.SegsOut)}, {"segs_in", uint64(ti.SegsIn)},
			{"data_segs_out", uint64(ti.DataSegsOut)}, {"data_segs_in", uint64(ti.DataSegsIn)},
			{"delivered", uint64(ti.Delivered)}, {"rcv_space", uint64(ti.RcvSpace)},
			{"rcv_ssthresh", uint64(ti.RcvSsthresh)}, {"snd_wnd", uint64(ti.SndWnd)},
		} {
			if v, ok := detailValue(l, c.key); ok != (c.n != 0) || ok && v != strconv.FormatUint(c.n, 10) {
				t.Errorf("%s: %s = %d, ss says %q (printed %v)", where, c.key, c.n, v, ok)
			}
		}
		for _, c := range []struct {
			key  string
			usec uint32
		}{{"ato", ti.ATOUsec}, {"minrtt", ti.MinRTTUsec}, {"rcv_rtt", ti.RcvRTTUsec}} {
			if v, ok := detailValue(l, c.key); ok != (c.usec != 0) || ok && !msEqual(v, c.usec) {
				t.Errorf("%s: %s = %d µs, ss says %q ms (printed %v)", where, c.key, c.usec, v, ok)
			}
		}
		if v, ok := detailValue(l, "bbr"); ok != s.Has(nlmsg.InetDiagBBRInfo) || (bbr && !ok) {
			t.Errorf("%s: ss prints bbr figures %q; the dump has them: %v (congestion %q)", where, v, s.Has(nlmsg.InetDiagBBRInfo), s.Congestion)
		} else if ok && !bbrEqual(v, &s.BBR) {
			t.Errorf("%s: bbr %+v, ss says %s", where, s.BBR, v)
		}
		sk := s.SkMemInfo
		if v, ok := detailValue(l, "skmem"); !ok || !strings.Contains(v, fmt.Sprintf("(r%d,rb%d,", sk.RmemAlloc, sk.Rcvbuf)) ||
			!strings.Contains(v, fmt.Sprintf(",tb%d,", sk.Sndbuf)) || !strings.HasSuffix(v, fmt.Sprintf(",bl%d,d%d)", sk.Backlog, sk.Drops)) {
			t.Errorf("%s: skmem %+v, ss says %s", where, sk, v)
		}
		if ti.State != s.State || s.MemInfo.RMem != sk.RmemAlloc {
			t.Errorf("%s: tcp_info state %v, header %v; meminfo rmem %d, skmem r %d", where, ti.State, s.State, s.MemInfo.RMem, sk.RmemAlloc)
		}
	}
}

// bbrEqual reports whether ss's bbr:(bw:Nbps,mrtt:MS,pacing_gain:G,
// cwnd_gain:G) describes b: bandwidth in bits/s, gains as the fixed point
// divided by 256, each gain printed only when not zero.
func bbrEqual(ss string, b *sockdiag.BBRInfo) bool {
	fields := map[string]string{}
	for _, kv := range strings.Split(strings.Trim(ss, "()"), ",") {
		k, v, _ := strings.Cut(kv, ":")
		fields[k] = v
	}
	gain := func(key string, g uint32) bool {
		v, ok := fields[key]
		if g == 0 {
			return !ok
		}
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && math.Abs(f-float64(g)/256) < 1e-5*float64(g)
	}
	return fields["bw"] == strconv.FormatUint(b.Bandwidth*8, 10)+"bps" && msEqual(fields["mrtt"], b.MinRTTUsec) &&
		gain("pacing_gain", b.PacingGain) && gain("cwnd_gain", b.CwndGain)
}

// msEqual reports whether ss's millisecond figure (printed as µs/1000 with
// %g) is usec.
func msEqual(ms string, usec uint32) bool {
	f, err := strconv.ParseFloat(ms, 64)
	return err == nil && math.Abs(f*1000-float64(usec)) < 0.5+float64(usec)*1e-5
}

// TestIntegrationWrongFamilyRefused gives every call a NETLINK_ROUTE Conn:
// each fails with ErrWrongFamily and nothing is sent (the Conn's send
// counter does not move).
func TestIntegrationWrongFamilyRefused(t *testing.T) {
	ns := netnstest.New(t)
	rt, err := engine.Connect(testCtx(t), nlmsg.FamilyRoute, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	before := rt.Stats()
	for s, err := range sockdiag.DumpInet(testCtx(t), rt, sockdiag.InetRequest{Family: unix.AF_INET}) {
		if s != nil || !errors.Is(err, sockdiag.ErrWrongFamily) {
			t.Errorf("DumpInet on NETLINK_ROUTE: %v, %v", s, err)
		}
	}
	if _, err := sockdiag.ListUnix(testCtx(t), rt, sockdiag.UnixRequest{}, nil); !errors.Is(err, sockdiag.ErrWrongFamily) {
		t.Errorf("ListUnix on NETLINK_ROUTE: %v", err)
	}
	if _, err := sockdiag.ListNetlink(testCtx(t), rt, sockdiag.NetlinkRequest{}, nil); !errors.Is(err, sockdiag.ErrWrongFamily) {
		t.Errorf("ListNetlink on NETLINK_ROUTE: %v", err)
	}
	for s, err := range sockdiag.DumpNetlink(testCtx(t), rt, sockdiag.NetlinkRequest{}) {
		if s != nil || !errors.Is(err, sockdiag.ErrWrongFamily) {
			t.Errorf("DumpNetlink on NETLINK_ROUTE: %v, %v", s, err)
		}
	}
	if _, err := sockdiag.ListPacket(testCtx(t), rt, sockdiag.PacketRequest{}, nil); !errors.Is(err, sockdiag.ErrWrongFamily) {
		t.Errorf("ListPacket on NETLINK_ROUTE: %v", err)
	}
	for s, err := range sockdiag.DumpPacket(testCtx(t), rt, sockdiag.PacketRequest{}) {
		if s != nil || !errors.Is(err, sockdiag.ErrWrongFamily) {
			t.Errorf("DumpPacket on NETLINK_ROUTE: %v, %v", s, err)
		}
	}
	if _, err := sockdiag.ListPacket(testCtx(t), nil, sockdiag.PacketRequest{}, nil); !errors.Is(err, sockdiag.ErrWrongFamily) {
		t.Errorf("ListPacket on a nil Conn: %v", err)
	}
	if err := sockdiag.Destroy(testCtx(t), rt, &sockdiag.InetSocket{Family: unix.AF_INET}); !errors.Is(err, sockdiag.ErrWrongFamily) {
		t.Errorf("Destroy on NETLINK_ROUTE: %v", err)
	}
	// The one contract of every family package: the engine's *OpError,
	// its cause naming both families, errors.Is engine.ErrWrongFamily.
	var oe *engine.OpError
	var wf *engine.WrongFamilyError
	_, err = sockdiag.ListInet(testCtx(t), rt, sockdiag.InetRequest{}, nil)
	if !errors.As(err, &oe) || !errors.As(err, &wf) || wf.Have != nlmsg.FamilyRoute || wf.Want != nlmsg.FamilySockDiag || !errors.Is(err, engine.ErrWrongFamily) {
		t.Errorf("ListInet on NETLINK_ROUTE: %v", err)
	}
	var fe *sockdiag.FamilyError
	if _, err := sockdiag.ListInet(testCtx(t), nil, sockdiag.InetRequest{}, nil); !errors.As(err, &fe) || !errors.Is(err, engine.ErrWrongFamily) {
		t.Errorf("ListInet on a nil Conn: %v", err)
	}
	if after := rt.Stats(); after != before {
		t.Errorf("the refused calls sent something: stats %+v, then %+v", before, after)
	}
	// A request the kernel could not take is refused the same way.
	c := dial(t, ns)
	if _, err := sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_UNIX}, nil); !errors.Is(err, sockdiag.ErrBadRequest) {
		t.Errorf("inet dump of AF_UNIX: %v", err)
	}
	before = c.Stats()
	for _, s := range []*sockdiag.InetSocket{nil, {Family: unix.AF_UNIX}} {
		if err := sockdiag.Destroy(testCtx(t), c, s); !errors.Is(err, sockdiag.ErrBadRequest) {
			t.Errorf("Destroy(%v): %v, want ErrBadRequest", s, err)
		}
	}
	if after := c.Stats(); after != before {
		t.Errorf("the refused Destroy calls sent something: stats %+v, then %+v", before, after)
	}
}

// TestIntegrationOtherProtocols dumps raw and SCTP sockets where the
// kernel has their diag modules; where it does not, the engine's ENOENT
// comes through unchanged (this kernel is built without both).
func TestIntegrationOtherProtocols(t *testing.T) {
	ns := netnstest.New(t)
	openIn(t, ns, func(o opener) error {
		fd, err := o.socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Addr: lo4.As4()})
	})
	c := dial(t, ns)
	raw, err := sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_INET, Protocol: unix.IPPROTO_RAW}, nil)
	var oe *engine.OpError
	switch {
	case errors.Is(err, unix.ENOENT) && errors.As(err, &oe):
		t.Logf("no raw_diag in this kernel: %v", err)
	case err != nil:
		t.Errorf("raw dump: %v", err)
	case len(raw) != 1 || raw[0].Local.Addr() != lo4 || raw[0].State != sockdiag.StateClose:
		t.Errorf("raw sockets: %+v, want one bound to 127.0.0.1", raw)
	}
	_, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_INET, Protocol: unix.IPPROTO_SCTP}, nil)
	if err != nil && (!errors.Is(err, unix.ENOENT) || !errors.As(err, &oe)) {
		t.Errorf("SCTP dump: %v, want success or the engine's ENOENT", err)
	}
	// The Conn is usable after the kernel refused a protocol.
	if _, err := sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_INET}, nil); err != nil {
		t.Errorf("TCP dump after: %v", err)
	}
}

// TestIntegrationStateSetsAgreeWithSS asks for ConnectedStates and
// ListeningStates and gets the sockets `ss -tun` and `ss -tuln` show: not,
// among the connected ones, a TCP socket that is bound but neither listens
// nor connects (the kernel reports it in state CLOSE if asked for bound
// inactive sockets).
func TestIntegrationStateSetsAgreeWithSS(t *testing.T) {
	ns := netnstest.New(t)
	inetFixture(t, ns)
	openIn(t, ns, func(o opener) error {
		_, err := o.bound(unix.SOCK_STREAM, netip.AddrPortFrom(lo4, 7400))
		return err
	})
	c := dial(t, ns)
	for _, tc := range []struct {
		name   string
		states sockdiag.States
		ssArgs string
	}{
		{"connected", sockdiag.ConnectedStates, "-tune"},
		{"listening", sockdiag.ListeningStates, "-tulne"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var socks []sockdiag.InetSocket
			for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
				for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
					var err error
					socks, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: fam, Protocol: proto, States: tc.states}, socks)
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			ours := byInode(socks)
			lines := runSS(t, ns, tc.ssArgs)
			for _, l := range lines {
				if _, ok := ours[l.netid+"/"+l.fields["ino"]]; !ok {
					t.Errorf("ss %s shows %s %s %s, not in the dump", tc.ssArgs, l.netid, l.state, l.local)
				}
			}
			if len(lines) != len(ours) {
				for _, s := range socks {
					t.Logf("dump: %s %v %v -> %v", netid(&s), s.State, s.Local, s.Remote)
				}
				t.Errorf("the dump has %d sockets, ss %s %d", len(ours), tc.ssArgs, len(lines))
			}
		})
	}
}
