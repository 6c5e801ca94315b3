package rtnl

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// ExampleConn_Events (event_example_test.go) run for real: the watcher,
// dialed into a private namespace, prints the link, address, route and
// neighbour changes ip makes there, in order, NEW and DEL told apart.
func TestIntegrationExampleEventsSeesWhatIPChanges(t *testing.T) {
	ns := netnstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, engine.WithNetNSFD(ns.FD()), engine.WithGroups(EventGroups...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		for e, err := range c.Events(ctx) {
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				lines <- fmt.Sprintln("error", err)
				continue
			}
			op := "new"
			if e.Deleted {
				op = "del"
			}
			switch e.Kind {
			case EventOverrun:
				lines <- fmt.Sprintln("lost notifications:", e.Err)
			case EventRoute:
				lines <- fmt.Sprintln(op, "route", e.Route.Dst, "table", e.Route.Table)
			case EventLink:
				lines <- fmt.Sprintln(op, "link", e.Link.Name, e.Link.OperState)
			case EventAddr:
				lines <- fmt.Sprintln(op, "addr", e.Addr.Prefix)
			case EventNeigh:
				lines <- fmt.Sprintln(op, "neigh", e.Neigh.Dst, e.Neigh.State)
			}
		}
	}()

	ns.AddVeth(t, "eth0", "eth1")
	for _, cmd := range []string{
		"link set eth0 up", "addr add 10.0.0.1/24 dev eth0",
		"route add 192.168.0.0/16 via 10.0.0.2 table 1000",
		"neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent",
		"route del 192.168.0.0/16 table 1000", "link del eth0",
	} {
		ipRun(t, ns, strings.Fields(cmd)...)
	}
	want := []string{
		"new link eth0 UP", "new addr 10.0.0.1/24",
		"new route 192.168.0.0/16 table 1000",
		"new neigh 10.0.0.9 PERMANENT",
		"del route 192.168.0.0/16 table 1000", "del link eth0", // its operstate then is the kernel's business
	}
	var seen []string
	for _, w := range want {
		for found := false; !found; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the stream ended before %q; seen:\n%s", w, strings.Join(seen, ""))
				}
				seen = append(seen, l)
				found = strings.HasPrefix(l, w+" ") || l == w+"\n"
				if strings.HasPrefix(l, "lost") || strings.HasPrefix(l, "error") {
					t.Errorf("%s", l)
				}
			case <-ctx.Done():
				t.Fatalf("no %q in time; seen:\n%s", w, strings.Join(seen, ""))
			}
		}
	}
}
