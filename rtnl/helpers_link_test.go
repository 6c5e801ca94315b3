package rtnl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

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

// strs reads a JSON array of strings.
func strs(m map[string]any, k string) []string {
	var out []string
	a, _ := m[k].([]any)
	for _, v := range a {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

var bg = context.Background()

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
