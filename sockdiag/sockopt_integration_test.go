package sockdiag_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationSockOptsAgreeWithSS opens UDP sockets that each change
// one inet socket option from its default, and a TCP connection, and
// compares the options of each socket with `ss -tuane --inet-sockopt`:
// the same names, and each socket has the option its fixture set.
func TestIntegrationSockOptsAgreeWithSS(t *testing.T) {
	ns := netnstest.New(t)
	set := []struct {
		opt, value int
		want       sockdiag.SockOpts // in the dump, or (value 0) not
	}{
		{unix.IP_RECVERR, 1, sockdiag.SockOptRecvErr},
		{unix.IP_FREEBIND, 1, sockdiag.SockOptFreeBind},
		{unix.IP_MULTICAST_LOOP, 0, sockdiag.SockOptMulticastLoop},
		{unix.IP_TRANSPARENT, 1, sockdiag.SockOptTransparent},
		{unix.IP_MULTICAST_ALL, 0, sockdiag.SockOptMulticastAll},
		{unix.IP_BIND_ADDRESS_NO_PORT, 1, sockdiag.SockOptBindAddressNoPort},
		{unix.IP_RECVERR_RFC4884, 1, sockdiag.SockOptRecvErrRFC4884},
	}
	openIn(t, ns, func(o opener) error {
		for i, s := range set {
			fd, err := o.socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				return err
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, s.opt, s.value); err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 6000 + i, Addr: lo4.As4()}); err != nil {
				return err
			}
		}
		l, err := o.listen(netip.AddrPortFrom(lo4, 80))
		if err != nil {
			return err
		}
		_, _, err = o.connect(l, netip.AddrPortFrom(lo4, 80))
		return err
	})
	c := dial(t, ns)
	var socks []sockdiag.InetSocket
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		var err error
		if socks, err = sockdiag.ListInet(testCtx(t), c, sockdiag.InetRequest{Family: unix.AF_INET, Protocol: proto}, socks); err != nil {
			t.Fatal(err)
		}
	}
	ours := byInode(socks)
	lines := runSS(t, ns, "-tuane", "--inet-sockopt")
	if len(lines) != len(socks) || len(socks) != len(set)+3 {
		t.Fatalf("ss shows %d sockets, the dump %d, the fixture opened %d", len(lines), len(socks), len(set)+3)
	}
	for _, l := range lines {
		s := ours[l.netid+"/"+l.fields["ino"]]
		if s == nil {
			t.Errorf("ss shows %s %s, not in the dump", l.netid, l.local)
			continue
		}
		if got, want := s.SockOpt.String(), ssSockOpts(l); got != want || !s.Has(nlmsg.InetDiagSockOpt) {
			t.Errorf("%s %s: options %q, ss says %q", l.netid, l.local, got, want)
		}
		if s.Protocol == unix.IPPROTO_TCP {
			if !s.SockOpt.Has(sockdiag.SockOptICSK) {
				t.Errorf("%s %s: TCP socket without is_icsk: %s", l.netid, l.local, s.SockOpt)
			}
			continue
		}
		i := int(s.Local.Port()) - 6000
		if i < 0 || i >= len(set) {
			t.Fatalf("UDP socket on %v: not the fixture's", s.Local)
		}
		if s.SockOpt.Has(set[i].want) != (set[i].value != 0) {
			t.Errorf("%v: option %s set to %d, the dump has %s", s.Local, set[i].want, set[i].value, s.SockOpt)
		}
	}
}

// ssSockOpts returns the names inside ss's "inet-sockopt: ( a b c)", on
// the socket's line or its continuation.
func ssSockOpts(l ssLine) string {
	var names []string
	in := false
	for _, tok := range append(l.tokens, l.detail...) {
		switch {
		case tok == "inet-sockopt:":
			in = true
		case in && tok == "(":
		case in:
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(tok, "("), ")"))
			if strings.HasSuffix(tok, ")") {
				return strings.Join(names, " ")
			}
		}
	}
	return strconv.Quote("no inet-sockopt")
}
