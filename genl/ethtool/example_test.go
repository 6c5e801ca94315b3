package ethtool_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlengine/nlengine/genl/ethtool"
)

// Print what `ethtool eth0` prints about the link.
func Example() {
	ctx := context.Background()
	e, err := ethtool.Dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	ifc := ethtool.Interface{Name: "eth0"}
	lm, err := e.LinkModes(ctx, ifc)
	if err != nil {
		log.Fatal(err)
	}
	li, err := e.LinkInfo(ctx, ifc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Speed: %v\nDuplex: %v\nAuto-negotiation: %v\nPort: %v\nTransceiver: %v\n",
		lm.Speed, lm.Duplex, lm.Autoneg, li.Port, li.Transceiver)
	// Speed: 10000Mb/s
	// Duplex: Full
	// ...
}
