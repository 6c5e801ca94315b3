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

// The processes listening for link events: every rtnl socket in
// RTNLGRP_LINK, with its port and the options it set.
func ExampleDumpNetlink() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	req := sockdiag.NetlinkRequest{ByProtocol: true, Protocol: unix.NETLINK_ROUTE}
	for s, err := range sockdiag.DumpNetlink(ctx, c, req) { // s and s.Groups are reused: valid until the next step
		if err != nil {
			log.Fatal(err)
		}
		if s.InGroup(unix.RTNLGRP_LINK) {
			fmt.Printf("%v:%d inode %d flags %q\n", s.Protocol, s.PortID, s.Inode, s.Flags)
		}
	}
}

// An `ss -0 -e`-like listing of the packet sockets: type, protocol,
// interface, flags and fanout group; each listed socket owns its
// memberships and filter.
func ExampleListPacket() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilySockDiag)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	socks, err := sockdiag.ListPacket(ctx, c, sockdiag.PacketRequest{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range socks {
		fmt.Printf("%v %v if %d flags( %v ) filter of %d instructions", s.Type, s.Protocol, s.Info.Interface, s.Info.Flags, len(s.Filter))
		if s.Has(nlmsg.PacketDiagFanout) {
			fmt.Printf(" fanout(id:%d,type:%v)", s.Fanout.ID, s.Fanout.Mode)
		}
		fmt.Println()
	}
}
