package genl_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// List the families as `genl ctrl list` does.
func ExampleConn_Families() {
	ctx := context.Background()
	c, err := genl.Dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for f, err := range c.Families(ctx) { // f is reused: valid until the next step
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-12s id %#x version %d hdrsize %d maxattr %d\n", f.Name, f.ID, f.Version, f.HdrSize, f.MaxAttr)
		for _, op := range f.Ops {
			fmt.Printf("    cmd %#x: %v\n", op.Cmd, op.Flags) // "can doit; can dumpit; has policy"
		}
		for _, g := range f.Groups {
			fmt.Printf("    group %q id %d\n", g.Name, g.ID)
		}
	}
}

// Send a command to a family by name and read its reply in place: ethtool's
// link modes of eth0 (the genl/ethtool package does this, typed).
func ExampleConn_Execute() {
	ctx := context.Background()
	c, err := genl.Dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	err = c.Execute(ctx, "ethtool", nlmsg.EthtoolMsgLinkModesGet, 0,
		func(b *nlmsg.Builder) { // after the genlmsghdr, which Execute encodes
			n := b.BeginNest(nlmsg.EthtoolALinkModesHeader)
			b.String(nlmsg.EthtoolAHeaderDevName, "eth0")
			b.EndNest(n)
		},
		func(m genl.Message) error { // m is valid until this function returns
			as := m.AttrScanner()
			for as.Next() {
				if a := as.Attr(); a.Type() == nlmsg.EthtoolALinkModesSpeed {
					speed, err := a.Uint32()
					if err != nil {
						return err
					}
					fmt.Println("speed", speed, "Mb/s")
				}
			}
			return as.Err()
		})
	if err != nil {
		log.Fatal(err) // an *engine.OpError: errors.Is(err, unix.ENODEV) without eth0
	}
}
