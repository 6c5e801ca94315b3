package sockdiag_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
	"github.com/nlengine/nlengine/sockdiag"
)

// An `ss -tan`-like listing: every TCP socket, IPv4 then IPv6, with its
// state, queues, addresses and round-trip time.
func ExampleDumpInet() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w := tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0)
	fmt.Fprintln(w, "State\tRecv-Q\tSend-Q\tLocal Address:Port\tPeer Address:Port\tRTT")
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		req := sockdiag.InetRequest{Family: family, Protocol: unix.IPPROTO_TCP, Ext: sockdiag.ExtInfo}
		for s, err := range sockdiag.DumpInet(ctx, c, req) { // s is reused: valid until the next step
			if err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(w, "%v\t%d\t%d\t%v\t%v\t%v\n", s.State, s.RQueue, s.WQueue, s.Local, s.Remote, s.TCPInfo.RTT())
		}
	}
	w.Flush()
}

// Sockets of one service, selected by the kernel (ss's
// `sport = :443 and not dst 10.0.0.0/8`), then closed.
func ExampleDestroy() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f := sockdiag.And(sockdiag.SrcPort(443), sockdiag.Not(sockdiag.DstPrefix(netip.MustParsePrefix("10.0.0.0/8"))))
	socks, err := sockdiag.ListInet(ctx, c, sockdiag.InetRequest{
		Family: unix.AF_INET, States: sockdiag.StatesOf(sockdiag.StateEstablished), Filter: f,
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range socks {
		if err := sockdiag.Destroy(ctx, c, &socks[i]); err != nil {
			log.Print(err) // errors.Is(err, unix.ENOENT): gone already
		}
	}
}
