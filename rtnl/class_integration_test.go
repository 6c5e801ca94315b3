package rtnl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/nlmsg"
)

// classText prints a Class as tc -s -d class show prints it (iproute2 6.1
// prints classes as text even with -j): the class line with the htb
// options, and the two lines of counters. tc prints rates and sizes
// rounded (tcRate, tcSize), so this compares what tc can show.
func classText(c *Class) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "class %s %s ", c.Kind, c.Handle)
	if c.Parent == HandleRoot {
		b.WriteString("root ")
	} else {
		fmt.Fprintf(&b, "parent %s ", c.Parent)
	}
	if c.Leaf != HandleNone {
		fmt.Fprintf(&b, "leaf %x: ", c.Leaf.Major())
	}
	if c.Kind == "htb" {
		o := &c.HTB
		if o.Level == 0 {
			fmt.Fprintf(&b, "prio %d quantum %d ", o.Prio, o.Quantum)
		}
		fmt.Fprintf(&b, "rate %s ", tcRate(o.Rate))
		if o.Overhead != 0 {
			fmt.Fprintf(&b, "overhead %d ", o.Overhead)
		}
		fmt.Fprintf(&b, "ceil %s linklayer ethernet burst %s/1 mpu %s cburst %s/1 mpu %s level %d", tcRate(o.Ceil),
			tcSize(o.Burst), tcSize(uint32(o.MPU)), tcSize(o.CBurst), tcSize(uint32(o.MPU)), o.Level)
	}
	s := &c.Stats
	lines := []string{
		strings.TrimSpace(b.String()),
		fmt.Sprintf("Sent %d bytes %d pkt (dropped %d, overlimits %d requeues %d)", s.Bytes, s.Packets, s.Drops, s.Overlimits, s.Requeues),
		fmt.Sprintf("backlog %s %dp requeues %d", tcSize(s.Backlog), s.Qlen, s.Requeues),
	}
	if x, ok := c.HTBStats(); ok {
		lines = append(lines, fmt.Sprintf("lended: %d borrowed: %d giants: %d", x.Lends, x.Borrows, x.Giants),
			fmt.Sprintf("tokens: %d ctokens: %d", x.Tokens, x.CTokens))
	}
	return lines
}

// tcClassText runs tc -s -d class show args... inside ns and returns each
// class's first five lines, trimmed (an htb class's own counters are the
// fourth and fifth): only the first for a class without counters (tbf's),
// three for a class without its own (mq's).
func tcClassText(t *testing.T, ns *netnstest.NS, args ...string) [][]string {
	t.Helper()
	out := string(ns.Run(t, "tc", append([]string{"-s", "-d", "class", "show"}, args...)...))
	var classes [][]string
	for _, blk := range strings.Split(out, "\nclass ") {
		blk = strings.TrimSpace(blk)
		if blk == "" {
			continue
		}
		if !strings.HasPrefix(blk, "class ") {
			blk = "class " + blk
		}
		lines := strings.Split(blk, "\n")
		if len(lines) != 1 && len(lines) < 3 {
			t.Fatalf("tc class show: a class of %d lines: %q", len(lines), blk)
		}
		var first []string
		for _, l := range lines[:min(5, len(lines))] {
			first = append(first, strings.TrimSpace(l))
		}
		classes = append(classes, first)
	}
	return classes
}

// checkClassesAgainstTc compares cls with what tc -s -d class show prints
// for args, in order, line by line; it returns the differences.
func checkClassesAgainstTc(t *testing.T, ns *netnstest.NS, cls []Class, args ...string) []string {
	t.Helper()
	shown := tcClassText(t, ns, args...)
	if len(shown) != len(cls) {
		return []string{fmt.Sprintf("tc class show %v: %d classes, rtnl %d", args, len(shown), len(cls))}
	}
	var diffs []string
	for i := range cls {
		got := classText(&cls[i])
		if st := cls[i].Stats; len(shown[i]) == 1 && (st.Bytes != 0 || st.Packets != 0 || st.Drops != 0) {
			diffs = append(diffs, fmt.Sprintf("class %v: counters %+v, tc shows none", cls[i].Handle, cls[i].Stats))
		}
		if len(got) < len(shown[i]) {
			diffs = append(diffs, fmt.Sprintf("class %v: rtnl %q, tc %q", cls[i].Handle, got, shown[i]))
			continue
		}
		for j := range shown[i] {
			if got[j] != shown[i][j] {
				diffs = append(diffs, fmt.Sprintf("class %v:\nrtnl %q\ntc   %q", cls[i].Handle, got[j], shown[i][j]))
			}
		}
	}
	return diffs
}

func TestIntegrationClassesAgreeWithTc(t *testing.T) {
	ns := tcFixture(t)
	c := dialIn(t, ns)
	tcTraffic(t, ns, 30, 300)
	a := ns.LinkIndex(t, "tca0")
	var cls []Class
	agreeSoon(t, func() []string {
		var err error
		if cls, err = c.ClassList(bg, ClassFilter{LinkIndex: a}); err != nil {
			t.Fatal(err)
		}
		return checkClassesAgainstTc(t, ns, cls, "dev", "tca0")
	})
	by := map[Handle]*Class{}
	for i := range cls {
		by[cls[i].Handle] = &cls[i]
	}
	if len(by) != 5 {
		t.Fatalf("%d classes on tca0, the fixture has 5", len(by))
	}
	if c20 := by[NewHandle(1, 0x20)]; c20.HTB.Rate != 6250000000 || c20.HTB.Ceil != 6250000000 || c20.Leaf != NewHandle(0x20, 0) {
		t.Errorf("1:20: rate %d ceil %d leaf %v; want 50gbit from TCA_HTB_RATE64 and CEIL64, leaf 20:", c20.HTB.Rate, c20.HTB.Ceil, c20.Leaf)
	}
	if c1 := by[NewHandle(1, 1)]; c1.Parent != HandleRoot || c1.HTB.Level == 0 || c1.Leaf != HandleNone {
		t.Errorf("1:1: parent %v level %d leaf %v; want an inner top class", c1.Parent, c1.HTB.Level, c1.Leaf)
	}
	if c31 := by[NewHandle(1, 0x31)]; c31.Parent != NewHandle(1, 0x30) || c31.HTB.Prio != 1 {
		t.Errorf("1:31: parent %v prio %d", c31.Parent, c31.HTB.Prio)
	}
	if c10 := by[NewHandle(1, 0x10)]; c10.Stats.Packets < 30 {
		t.Errorf("the default class 1:10 sent %d packets, 30 went through it", c10.Stats.Packets)
	}
	if x, ok := by[NewHandle(1, 0x10)].HTBStats(); !ok || x.Lends+x.Borrows < 30 {
		t.Errorf("the htb counters of 1:10: %+v, %v; want its 30 packets lent or borrowed", x, ok)
	}

	// Every link's classes: tca0's, the one class of tbf on tcb0 (where
	// its inner qdisc hangs), and the mq's queues on tcm0.
	all, err := c.ClassList(bg, ClassFilter{})
	if err != nil {
		t.Fatal(err)
	}
	b, m := ns.LinkIndex(t, "tcb0"), ns.LinkIndex(t, "tcm0")
	perLink := map[int]int{}
	for _, cl := range all {
		perLink[cl.LinkIndex]++
	}
	if perLink[a] != 5 || perLink[b] != 1 || perLink[m] != 4 || len(perLink) != 3 {
		t.Errorf("classes per link %v; want 5 on tca0 (%d), 1 on tcb0 (%d), the 4 queues of mq on tcm0 (%d)", perLink, a, b, m)
	}
	for _, dev := range []string{"tcb0", "tcm0"} {
		agreeSoon(t, func() []string {
			cls, err := c.ClassList(bg, ClassFilter{LinkIndex: ns.LinkIndex(t, dev)})
			if err != nil {
				t.Fatal(err)
			}
			return checkClassesAgainstTc(t, ns, cls, "dev", dev)
		})
	}
}

func TestIntegrationClassFiltersGiveTheSameClassesInTheKernelAndInUserSpace(t *testing.T) {
	ns := tcFixture(t)
	strict, plain := dialIn(t, ns), plainConn(t, ns)
	a := ns.LinkIndex(t, "tca0")
	all, err := plain.ClassList(bg, ClassFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    ClassFilter
		want int
	}{
		{ClassFilter{}, 10},
		{ClassFilter{LinkIndex: a}, 5},
		{ClassFilter{LinkIndex: a, Parent: HandleRoot}, 1},
		{ClassFilter{LinkIndex: a, Parent: NewHandle(1, 1)}, 3},
		{ClassFilter{Parent: NewHandle(1, 0x30)}, 1},
		{ClassFilter{Handle: NewHandle(1, 0x20)}, 1},
		{ClassFilter{Kind: "mq"}, 4},
		{ClassFilter{LinkIndex: a, Parent: NewHandle(9, 1)}, 0},
		{ClassFilter{LinkIndex: a, Parent: NewHandle(1, 0)}, 5},
		{ClassFilter{Parent: NewHandle(7, 0)}, 4},
		{ClassFilter{LinkIndex: a, Parent: NewHandle(9, 0)}, 0},
		{ClassFilter{LinkIndex: 9999}, 0},
	} {
		k, err := strict.ClassList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, strict Conn: %v", c.f, err)
		}
		u, err := plain.ClassList(bg, c.f)
		if err != nil {
			t.Fatalf("%+v, plain Conn: %v", c.f, err)
		}
		var want []Class
		for i := range all {
			if c.f.Match(&all[i]) {
				want = append(want, all[i])
			}
		}
		if len(k) != c.want || len(u) != c.want || len(want) != c.want {
			t.Errorf("%+v: strict %d classes, plain %d, Match over all %d; want %d", c.f, len(k), len(u), len(want), c.want)
		}
		for i := range min(len(k), len(want)) {
			if k[i].LinkIndex != want[i].LinkIndex || k[i].Handle != want[i].Handle {
				t.Errorf("%+v: class %d is %v, Match over all gives %v", c.f, i, k[i].Handle, want[i].Handle)
			}
		}
	}
	// A qdisc's handle as the parent selects its classes, as tc class
	// show parent does.
	agreeSoon(t, func() []string {
		k, err := strict.ClassList(bg, ClassFilter{LinkIndex: ns.LinkIndex(t, "tcm0"), Parent: NewHandle(7, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return checkClassesAgainstTc(t, ns, k, "dev", "tcm0", "parent", "7:")
	})
	// The kernel dumps one device's classes (none without tcm_ifindex),
	// and keeps those of the qdisc tcm_parent's major names.
	req := func(link int, parent uint32) []byte {
		return nlmsg.TcMsg{IfIndex: int32(link), Parent: parent}.AppendTo(nil)
	}
	for _, c := range []struct {
		link   int
		parent uint32
		sent   int
	}{{0, 0, 0}, {a, 0, 5}, {a, 0x10000, 5}, {a, 0x10010, 5}, {a, 0x90000, 0}} {
		if n := kernelCount(t, strict, nlmsg.RTMGetTClass, req(c.link, c.parent), nlmsg.RTMNewTClass); n != c.sent {
			t.Errorf("a class dump of link %d, parent %#x: the kernel sent %d classes, want %d", c.link, c.parent, n, c.sent)
		}
	}
}
