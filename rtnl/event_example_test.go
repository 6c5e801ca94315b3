package rtnl_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/rtnl"
)

// An event watcher: every link, address, route, neighbour and rule change,
// and the losses, as ip monitor shows them.
func ExampleConn_Events() {
	c, err := rtnl.Dial(context.Background(), engine.WithGroups(rtnl.EventGroups...))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for e, err := range c.Events(context.Background()) {
		if err != nil {
			log.Print(err) // a message that does not decode; the stream goes on
			continue
		}
		op := "new"
		if e.Deleted {
			op = "del"
		}
		switch e.Kind {
		case rtnl.EventOverrun:
			fmt.Println("lost notifications:", e.Err) // dump again
		case rtnl.EventRoute:
			fmt.Println(op, "route", e.Route.Dst, "table", e.Route.Table)
		case rtnl.EventLink:
			fmt.Println(op, "link", e.Link.Name, e.Link.OperState)
		case rtnl.EventAddr:
			fmt.Println(op, "addr", e.Addr.Prefix)
		case rtnl.EventNeigh:
			fmt.Println(op, "neigh", e.Neigh.Dst, e.Neigh.State)
		}
	}
}
