package rtnl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// ipJSON runs `ip -j args...` inside ns and decodes its array of objects.
func ipJSON(tb testing.TB, ns *netnstest.NS, args ...string) []map[string]any {
	tb.Helper()
	out := ns.Run(tb, "ip", append([]string{"-j"}, args...)...)
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		tb.Fatalf("ip -j %v: %v: %s", args, err, out)
	}
	return v
}

// ipRun runs ip inside ns (for fixtures).
func ipRun(tb testing.TB, ns *netnstest.NS, args ...string) {
	tb.Helper()
	ns.Run(tb, "ip", args...)
}

// num reads a JSON number field as an int64 (-1 when absent).
func num(m map[string]any, k string) int64 {
	v, ok := m[k].(float64)
	if !ok {
		return -1
	}
	return int64(v)
}

// str reads a JSON string field ("" when absent).
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// strs reads a JSON array of strings (nil when absent).
func strs(m map[string]any, k string) []string {
	if v, ok := m[k]; ok {
		return strsOf(v)
	}
	return nil
}

// strsOf converts a decoded JSON array of strings; anything else panics,
// failing the test.
func strsOf(v any) []string {
	var s []string
	for _, e := range v.([]any) {
		s = append(s, e.(string))
	}
	return s
}

// obj reads a JSON object field (nil when absent).
func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

var bg = context.Background()

// median returns the median of x (0 for none), leaving x as it is.
func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	x = slices.Clone(x)
	slices.Sort(x)
	if len(x)%2 == 1 {
		return x[len(x)/2]
	}
	return (x[len(x)/2-1] + x[len(x)/2]) / 2
}

// plainConn is an rtnl Conn without NETLINK_GET_STRICT_CHK: its filters run
// in user space.
func plainConn(t *testing.T, ns *netnstest.NS) *Conn {
	ec, err := engine.Connect(context.Background(), 0, engine.WithNetNSFD(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ec.Close() })
	c, err := New(ec)
	if err != nil {
		t.Fatal(err)
	}
	if c.strict {
		t.Fatal("engine.Connect turned strict checking on by itself")
	}
	return c
}

// nsPathForTools names ns's fd by this process's pid, so that a tool run as
// a child (which does not inherit the fd) can open it.
func nsPathForTools(ns *netnstest.NS) string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.FD())
}

// kernelCount runs a raw dump of req on c and counts the messages of type
// want the kernel sent: with a strict Conn, what the kernel's own filter
// let through.
func kernelCount(tb testing.TB, c *Conn, typ nlmsg.Type, req []byte, want nlmsg.Type) int {
	tb.Helper()
	n := 0
	for m, err := range c.Engine().Dump(bg, typ, req, 0) {
		if err != nil {
			tb.Fatal(err)
		}
		if m.Type() == want {
			n++
		}
	}
	return n
}
