package engine

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

func BenchmarkScratchNoop(b *testing.B) {
	ctx := context.Background()
	c, err := Connect(ctx, nlmsg.FamilyRoute)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Noop(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScratchNoopFloor(b *testing.B) {
	fd, _ := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, 0)
	defer unix.Close(fd)
	unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	var bb nlmsg.Builder
	bb.Begin(nlmsg.Noop, nlmsg.Request|nlmsg.Ack, 1)
	req := bb.Bytes()
	buf := make([]byte, 64<<10)
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	b.ReportAllocs()
	for b.Loop() {
		unix.Sendto(fd, req, 0, sa)
		unix.Recvfrom(fd, buf, 0)
	}
}

func TestScratchGenl(t *testing.T) {
	c, err := Connect(context.Background(), nlmsg.FamilyGeneric)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.ResolveGenericFamily(context.Background(), "nlctrl")
	t.Logf("%+v %v", f, err)
	_, err = c.ResolveGenericFamily(context.Background(), "nope")
	t.Logf("%v %v", err, errors.Is(err, unix.ENOENT))
}
