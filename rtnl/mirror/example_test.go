package mirror_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlengine/nlengine/rtnl"
	"github.com/nlengine/nlengine/rtnl/mirror"
)

// A copy of the namespace's tables that stays right: read it at any time,
// and follow its changes.
func ExampleNew() {
	m, err := mirror.New(context.Background(), mirror.Config{
		OnChange: func(c *mirror.Change) {
			switch {
			case c.Op == mirror.Resynced:
				fmt.Println("resync:", c.Resync.Reason, c.Resync.Corrections(), "corrections")
			case c.Kind == mirror.KindRoute && c.Op == mirror.Removed:
				fmt.Println("route gone:", c.OldRoute.Dst, "table", c.OldRoute.Table)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for _, r := range m.RouteList(rtnl.RouteFilter{Table: rtnl.TableMain}) {
		fmt.Println(r.Dst, r.Gateway, r.OIF)
	}
	s := m.Stats()
	fmt.Println(s.Events, "events,", s.ResyncsTotal(), "resyncs")
}
