package sockdiag_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// dial connects to NETLINK_SOCK_DIAG inside ns.
func dial(t testing.TB, ns *netnstest.NS) *engine.Conn {
	t.Helper()
	c, err := engine.Connect(context.Background(), nlmsg.FamilySockDiag, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// opener makes sockets on a thread inside a namespace (inside NS.Do); they
// stay in that namespace for their whole life and are closed at cleanup.
type opener struct {
	fds *[]int
}

// openIn runs fn inside ns with an opener and registers the cleanup that
// closes every socket it made.
func openIn(t testing.TB, ns *netnstest.NS, fn func(o opener) error) {
	t.Helper()
	fds := new([]int)
	t.Cleanup(func() {
		for _, fd := range *fds {
			unix.Close(fd)
		}
	})
	if err := ns.Do(func() error { return fn(opener{fds}) }); err != nil {
		t.Fatal(err)
	}
}

func (o opener) socket(domain, typ, proto int) (int, error) {
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, fmt.Errorf("socket(%d, %d, %d): %w", domain, typ, proto, err)
	}
	*o.fds = append(*o.fds, fd)
	return fd, nil
}

func sockaddr(ap netip.AddrPort) (int, unix.Sockaddr) {
	if ap.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

// bound makes a socket of type typ bound to ap.
func (o opener) bound(typ int, ap netip.AddrPort) (int, error) {
	domain, sa := sockaddr(ap)
	fd, err := o.socket(domain, typ, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return -1, fmt.Errorf("bind %v: %w", ap, err)
	}
	return fd, nil
}

// listen makes a TCP listener on ap.
func (o opener) listen(ap netip.AddrPort) (int, error) {
	fd, err := o.bound(unix.SOCK_STREAM, ap)
	if err != nil {
		return -1, err
	}
	return fd, unix.Listen(fd, 128)
}

// connect makes a TCP connection from a socket of ap's family to the
// listener lfd at ap and accepts it; it returns both ends.
func (o opener) connect(lfd int, ap netip.AddrPort) (client, server int, err error) {
	domain, sa := sockaddr(ap)
	client, err = o.socket(domain, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, -1, err
	}
	if err := unix.Connect(client, sa); err != nil {
		return -1, -1, fmt.Errorf("connect %v: %w", ap, err)
	}
	server, _, err = unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, -1, err
	}
	*o.fds = append(*o.fds, server)
	return client, server, nil
}

// identity is what the kernel says about an open socket: its inode and cookie.
func identity(t testing.TB, fd int) (ino uint32, cookie uint64) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_COOKIE)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(st.Ino), c
}

// ssLine is one socket as `ss -H` printed it.
type ssLine struct {
	netid, state   string
	rq, sq         uint32
	local, peer    string // as printed: "127.0.0.1:443", "[::1]:*", "/path", "*"
	localInode     uint32 // unix: the inode column after the local name
	peerInode      uint32 // unix: the peer's inode
	fields         map[string]string
	tokens         []string // everything after the address columns
	detail         []string // tokens of the continuation line (-i, -m)
	v6only, hasV6o bool
}

// runSS runs ss inside ns with -H (no header) and parses its lines; a line
// that starts with whitespace continues the previous socket.
func runSS(t testing.TB, ns *netnstest.NS, args ...string) []ssLine {
	t.Helper()
	out := ns.Run(t, "ss", append([]string{"-H"}, args...)...)
	var lines []ssLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		if text[0] == ' ' || text[0] == '\t' {
			if len(lines) == 0 {
				t.Fatalf("ss: continuation line first: %q", text)
			}
			l := &lines[len(lines)-1]
			l.detail = append(l.detail, strings.Fields(text)...)
			continue
		}
		f := strings.Fields(text)
		if _, err := strconv.Atoi(f[1]); err == nil {
			// One kind of socket only: ss leaves out the Netid column.
			f = append([]string{""}, f...)
		}
		l := ssLine{netid: f[0], state: f[1], fields: map[string]string{}}
		rq, err1 := strconv.ParseUint(f[2], 10, 32)
		sq, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("ss line %q: queues", text)
		}
		l.rq, l.sq = uint32(rq), uint32(sq)
		rest := f[4:]
		if strings.HasPrefix(l.netid, "u_") {
			// unix: name inode peer-name peer-inode
			l.local = rest[0]
			l.localInode = atou(t, rest[1])
			l.peer = rest[2]
			l.peerInode = atou(t, rest[3])
			rest = rest[4:]
		} else {
			l.local, l.peer = rest[0], rest[1]
			rest = rest[2:]
		}
		l.tokens = rest
		for _, tok := range rest {
			if k, v, ok := strings.Cut(tok, ":"); ok {
				l.fields[k] = v
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func atou(t testing.TB, s string) uint32 {
	t.Helper()
	if s == "*" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatalf("ss: %q is not a number", s)
	}
	return uint32(n)
}

// parseSSAddr parses ss's numeric address column: "127.0.0.1:443",
// "[::1]:*", "0.0.0.0:*", "127.0.0.1%lo:53", "*:*".
func parseSSAddr(t testing.TB, s string) (netip.AddrPort, string) {
	t.Helper()
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		t.Fatalf("ss address %q", s)
	}
	host, port := s[:i], s[i+1:]
	var p uint16
	if port != "*" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			t.Fatalf("ss address %q: port", s)
		}
		p = uint16(n)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host, dev, _ := strings.Cut(host, "%")
	if host == "*" {
		return netip.AddrPortFrom(netip.Addr{}, p), dev
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		t.Fatalf("ss address %q: %v", s, err)
	}
	return netip.AddrPortFrom(a, p), dev
}

// detailValue returns the value of "key:value" among ss's detail tokens.
func detailValue(l ssLine, key string) (string, bool) {
	for _, tok := range l.detail {
		if k, v, ok := strings.Cut(tok, ":"); ok && k == key {
			return v, true
		}
	}
	return "", false
}
