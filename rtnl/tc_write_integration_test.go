package rtnl

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

const (
	kbitps = 1000 / 8
	mbitps = 1000 * kbitps
	gbitps = 1000 * mbitps
)

// tcClassLines returns the first line of each class tc -d class show dev
// prints, in order.
func tcClassLines(t *testing.T, ns *netnstest.NS, dev string) []string {
	t.Helper()
	var out []string
	for _, c := range tcClassText(t, ns, "dev", dev) {
		out = append(out, c[0])
	}
	return out
}

// tcQdiscByHandle returns the qdisc tc -j -d qdisc show dev prints with
// that handle ("1:"), or nil.
func tcQdiscByHandle(t *testing.T, ns *netnstest.NS, dev, handle string) map[string]any {
	t.Helper()
	for _, q := range tcJSON(t, ns, "-d", "qdisc", "show", "dev", dev) {
		if q["handle"] == handle {
			return q
		}
	}
	return nil
}

// withoutKey returns the JSON object v without key k (v itself when it is
// no object).
func withoutKey(v any, k string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	o := make(map[string]any, len(m))
	for key, val := range m {
		if key != k {
			o[key] = val
		}
	}
	return o
}

// wantKernelError checks that err is the kernel's errno with its extended
// ack message (when msg is not empty).
func wantKernelError(t *testing.T, what string, err error, errno unix.Errno, msg string) {
	t.Helper()
	var oe *engine.OpError
	if !errors.Is(err, errno) || !errors.As(err, &oe) || msg != "" && oe.Message != msg {
		t.Errorf("%s: %v; want %v with %q", what, err, errno, msg)
	}
}

func TestIntegrationTCWritesShowInTcAsWritten(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "tcw0", "tcw1")
	c := dialIn(t, ns)
	w0, w1 := ns.LinkIndex(t, "tcw0"), ns.LinkIndex(t, "tcw1")

	// An htb tree, a pfifo leaf, a 40gbit tbf with a peak rate, ingress.
	root := Qdisc{LinkIndex: w0, Parent: HandleRoot, Handle: NewHandle(1, 0), Kind: "htb",
		HTB: HTBQdisc{Default: 0x10, Rate2Quantum: 5, DirectQlen: 100, HasDirectQlen: true}}
	classes := []Class{
		{LinkIndex: w0, Parent: NewHandle(1, 0), Handle: NewHandle(1, 1), Kind: "htb", HTB: HTBClass{Rate: 100 * mbitps}},
		{LinkIndex: w0, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x10), Kind: "htb", HTB: HTBClass{Rate: 40 * mbitps, Ceil: 100 * mbitps, Prio: 2, Quantum: 3000}},
		{LinkIndex: w0, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x20), Kind: "htb", HTB: HTBClass{Rate: 40 * gbitps, Burst: 20 * 1024}},
		{LinkIndex: w0, Parent: NewHandle(1, 0x10), Handle: NewHandle(1, 0x11), Kind: "htb", HTB: HTBClass{Rate: 1 * mbitps, Ceil: 2 * mbitps, Burst: 15 * 1024, CBurst: 30 * 1024, MPU: 64, Overhead: 4}},
	}
	leaf := Qdisc{LinkIndex: w0, Parent: NewHandle(1, 0x11), Handle: NewHandle(0x11, 0), Kind: "pfifo", FIFO: FIFOQdisc{Limit: 50}}
	tbf := Qdisc{LinkIndex: w1, Parent: HandleRoot, Handle: NewHandle(5, 0), Kind: "tbf",
		TBF: TBFQdisc{Rate: 40 * gbitps, Burst: 1 << 20, Latency: 50 * time.Millisecond, PeakRate: 50 * gbitps, MTU: 64 * 1024}}
	ingress := Qdisc{LinkIndex: w1, Parent: HandleIngress, Kind: "ingress", IngressBlock: 22}
	if err := c.QdiscAdd(bg, &root); err != nil {
		t.Fatal(err)
	}
	for i := range classes {
		if err := c.ClassAdd(bg, &classes[i]); err != nil {
			t.Fatalf("ClassAdd %v: %v", classes[i].Handle, err)
		}
	}
	for _, q := range []*Qdisc{&leaf, &tbf, &ingress} {
		if err := c.QdiscAdd(bg, q); err != nil {
			t.Fatalf("QdiscAdd %s: %v", q.Kind, err)
		}
	}
	// NB: direct_packets_stat counts traffic (the veth's own IPv6
	// packets, sent before the default class is a leaf), not options.
	if q := tcQdiscByHandle(t, ns, "tcw0", "1:"); q == nil || q["root"] != true || !equalJSON(withoutKey(q["options"], "direct_packets_stat"), map[string]any{"r2q": 5.0, "default": "0x10", "ver": "3.17", "direct_qlen": 100.0}) {
		t.Errorf("tc shows the htb root as %v", q)
	}
	if q := tcQdiscByHandle(t, ns, "tcw0", "11:"); q == nil || q["parent"] != "1:11" || !equalJSON(q["options"], map[string]any{"limit": 50.0}) {
		t.Errorf("tc shows the pfifo leaf as %v", q)
	}
	if q := tcQdiscByHandle(t, ns, "tcw1", "5:"); q == nil || !equalJSON(q["options"], map[string]any{"rate": 5e9, "burst": "1045000b/1", "mtu": "62500b/1", "mpu": 0.0, "lat": 50000.0, "linklayer": "ethernet"}) {
		t.Errorf("tc shows the 40gbit tbf as %v", q)
	}
	if q := tcQdiscByHandle(t, ns, "tcw1", "ffff:"); q == nil || q["kind"] != "ingress" || q["parent"] != "ffff:fff1" || q["ingress_block"] != 22.0 {
		t.Errorf("tc shows the ingress qdisc as %v", q)
	}
	// tc's rates and bursts are what was written, as tc class add would
	// have written them: a 15k burst reads back as tc's 15Kb, and a 20k
	// burst at 40gbit, 3 µs, as 15000b (tc class add ... burst 20k shows
	// the same); the quantum the kernel computes is rate/r2q.
	want := []string{
		"class htb 1:11 parent 1:10 leaf 11: prio 0 quantum 25000 rate 1Mbit overhead 4 ceil 2Mbit linklayer ethernet burst 15Kb/1 mpu 64b cburst 30Kb/1 mpu 64b level 0",
		"class htb 1:1 root rate 100Mbit ceil 100Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 7",
		"class htb 1:10 parent 1:1 rate 40Mbit ceil 100Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 6",
		"class htb 1:20 parent 1:1 prio 0 quantum 200000 rate 40Gbit ceil 40Gbit linklayer ethernet burst 15000b/1 mpu 0b cburst 0b/1 mpu 0b level 0",
	}
	if got := tcClassLines(t, ns, "tcw0"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tc shows the classes as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// And rtnl reads back what it wrote, qdiscs and classes, as tc shows
	// them.
	qs, err := c.QdiscList(bg, QdiscFilter{})
	if err != nil {
		t.Fatal(err)
	}
	agreeSoon(t, func() []string { return checkQdiscsAgainstTc(t, ns, qs) })
	for _, q := range qs {
		if q.Kind == "ingress" && q.IngressBlock != 22 {
			t.Errorf("ingress read back with block %d, written 22", q.IngressBlock)
		}
	}
	got, err := c.ClassList(bg, ClassFilter{LinkIndex: w0})
	if err != nil {
		t.Fatal(err)
	}
	agreeSoon(t, func() []string { return checkClassesAgainstTc(t, ns, got, "dev", "tcw0") })
	for _, g := range got {
		for _, w := range classes {
			if g.Handle == w.Handle {
				ceil := max(w.HTB.Ceil, w.HTB.Rate)
				if g.HTB.Rate != w.HTB.Rate || g.HTB.Ceil != ceil || w.HTB.Prio != g.HTB.Prio || w.HTB.Quantum != 0 && g.HTB.Quantum != w.HTB.Quantum || g.HTB.MPU != w.HTB.MPU || g.HTB.Overhead != w.HTB.Overhead {
					t.Errorf("%v read back as %+v, written %+v", g.Handle, g.HTB, w.HTB)
				}
			}
		}
	}

	// Errors: the kernel's, with its message.
	wantKernelError(t, "QdiscAdd of the htb root again", c.QdiscAdd(bg, &root), unix.EEXIST, "Exclusivity flag on, cannot modify")
	wantKernelError(t, "ClassAdd of 1:10 again", c.ClassAdd(bg, &classes[1]), unix.EEXIST, "")
	wantKernelError(t, "QdiscAdd of a kind this kernel lacks", c.QdiscAdd(bg, &Qdisc{LinkIndex: w0, Parent: NewHandle(1, 0x20), Kind: "fq_codel"}), unix.ENOENT, "Specified qdisc kind is unknown")
	wantKernelError(t, "QdiscAdd under a class that does not exist", c.QdiscAdd(bg, &Qdisc{LinkIndex: w0, Parent: NewHandle(1, 0x99), Kind: "pfifo"}), unix.ENOENT, "Specified class not found")
	wantKernelError(t, "QdiscDel of another kind", c.QdiscDel(bg, &Qdisc{LinkIndex: w0, Parent: NewHandle(1, 0x11), Kind: "bfifo"}), unix.EINVAL, "Invalid qdisc name: must match existing qdisc")
	wantKernelError(t, "QdiscChange of an absent handle", c.QdiscChange(bg, &Qdisc{LinkIndex: w0, Parent: NewHandle(1, 0x20), Handle: NewHandle(0x77, 0), Kind: "pfifo"}), unix.ENOENT, "")
	wantKernelError(t, "ClassChange of an absent class", c.ClassChange(bg, &Class{LinkIndex: w0, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x55), Kind: "htb", HTB: HTBClass{Rate: mbitps}}), unix.ENOENT, "")
	for what, err := range map[string]error{
		"tbf without a burst":      c.QdiscAdd(bg, &Qdisc{LinkIndex: w1, Parent: HandleRoot, Kind: "tbf", TBF: TBFQdisc{Rate: mbitps, Limit: 1000}}),
		"htb class without a rate": c.ClassAdd(bg, &Class{LinkIndex: w0, Parent: NewHandle(1, 0), Handle: NewHandle(1, 5), Kind: "htb"}),
		"qdisc without a device":   c.QdiscAdd(bg, &Qdisc{Parent: HandleRoot, Kind: "pfifo"}),
	} {
		if !errors.Is(err, ErrInvalidTC) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalidTC before sending", what, err)
		}
	}

	// Change: a class's rate and the leaf's limit; htb's own options
	// cannot change after it is made.
	ch := classes[3]
	ch.HTB.Rate, ch.HTB.Ceil = 500*kbitps, 1*mbitps
	if err := c.ClassChange(bg, &ch); err != nil {
		t.Fatal(err)
	}
	rc := root
	rc.HTB.Default = 0x20
	wantKernelError(t, "QdiscChange of htb", c.QdiscChange(bg, &rc), unix.EINVAL, "Change operation not supported by specified qdisc")
	lc := leaf
	lc.FIFO.Limit = 70
	if err := c.QdiscChange(bg, &lc); err != nil {
		t.Fatal(err)
	}
	if l := tcClassLines(t, ns, "tcw0")[0]; !strings.Contains(l, "1:11 ") || !strings.Contains(l, "rate 500Kbit overhead 4 ceil 1Mbit ") {
		t.Errorf("after ClassChange of 1:11 tc shows %q", l)
	}
	if q := tcQdiscByHandle(t, ns, "tcw0", "11:"); q["options"].(map[string]any)["limit"] != 70.0 {
		t.Errorf("after QdiscChange of the limit tc shows %v", q)
	}

	// Replace: the tbf in place, then by another kind; a class.
	rt := Qdisc{LinkIndex: w1, Parent: HandleRoot, Handle: NewHandle(5, 0), Kind: "tbf", TBF: TBFQdisc{Rate: 8 * mbitps, Burst: 32 * 1024, Limit: 30000}}
	if err := c.QdiscReplace(bg, &rt); err != nil {
		t.Fatal(err)
	}
	if q := tcQdiscByHandle(t, ns, "tcw1", "5:"); q == nil || q["options"].(map[string]any)["rate"] != 1e6 {
		t.Errorf("after QdiscReplace of the tbf tc shows %v", q)
	}
	rp := Qdisc{LinkIndex: w1, Parent: HandleRoot, Handle: NewHandle(6, 0), Kind: "bfifo", FIFO: FIFOQdisc{Limit: 9000}}
	if err := c.QdiscReplace(bg, &rp); err != nil {
		t.Fatal(err)
	}
	if q := tcQdiscByHandle(t, ns, "tcw1", "6:"); q == nil || q["root"] != true || q["options"].(map[string]any)["limit"] != 9000.0 || tcQdiscByHandle(t, ns, "tcw1", "5:") != nil {
		t.Errorf("after QdiscReplace by a bfifo tc shows %v", tcJSON(t, ns, "qdisc", "show", "dev", "tcw1"))
	}
	cr := classes[2]
	cr.HTB = HTBClass{Rate: 10 * mbitps, Prio: 4}
	if err := c.ClassReplace(bg, &cr); err != nil {
		t.Fatal(err)
	}
	nc := Class{LinkIndex: w0, Parent: NewHandle(1, 1), Handle: NewHandle(1, 0x30), Kind: "htb", HTB: HTBClass{Rate: 3 * mbitps}}
	if err := c.ClassReplace(bg, &nc); err != nil {
		t.Fatalf("ClassReplace of an absent class (creates it): %v", err)
	}
	// The kernel's quantum is rate/r2q, at most 200000.
	lines := strings.Join(tcClassLines(t, ns, "tcw0"), "\n")
	if !strings.Contains(lines, "class htb 1:20 parent 1:1 prio 4 quantum 200000 rate 10Mbit ceil 10Mbit") || !strings.Contains(lines, "class htb 1:30 parent 1:1 prio 0 quantum 75000 rate 3Mbit") {
		t.Errorf("after ClassReplace tc shows\n%s", lines)
	}

	// Delete: a class, a qdisc, ingress; then they are gone.
	if err := c.QdiscDel(bg, &leaf); err != nil {
		t.Fatal(err)
	}
	if err := c.ClassDel(bg, &classes[3]); err != nil {
		t.Fatal(err)
	}
	if err := c.QdiscDel(bg, &ingress); err != nil {
		t.Fatal(err)
	}
	wantKernelError(t, "ClassDel of a class with children", c.ClassDel(bg, &classes[0]), unix.EBUSY, "")
	wantKernelError(t, "ClassDel again", c.ClassDel(bg, &classes[3]), unix.ENOENT, "")
	if tcQdiscByHandle(t, ns, "tcw0", "11:") != nil || tcQdiscByHandle(t, ns, "tcw1", "ffff:") != nil {
		t.Error("tc still shows a deleted qdisc")
	}
	if l := strings.Join(tcClassLines(t, ns, "tcw0"), "\n"); strings.Contains(l, "1:11 ") {
		t.Errorf("tc still shows 1:11:\n%s", l)
	}
	if err := c.QdiscDel(bg, &root); err != nil {
		t.Fatal(err)
	}
	if q := tcJSON(t, ns, "qdisc", "show", "dev", "tcw0"); len(q) != 1 || q[0]["kind"] != "noqueue" {
		t.Errorf("after deleting the root tc shows %v (want the veth's default back)", q)
	}
}

// equalJSON compares a decoded JSON value with want.
func equalJSON(got any, want map[string]any) bool {
	m, ok := got.(map[string]any)
	if !ok || len(m) != len(want) {
		return false
	}
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// TestIntegrationQdiscReplaceByAnotherKind checks what QdiscReplace's doc
// says of a qdisc of another kind, against tc qdisc replace: named by the
// handle of the one in place it is refused (EINVAL "Invalid qdisc name"),
// and the old one stays; with another handle, or none, it takes the old
// one's place.
func TestIntegrationQdiscReplaceByAnotherKind(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "tcr0", "tcr1")
	c := dialIn(t, ns)
	r0, r1 := ns.LinkIndex(t, "tcr0"), ns.LinkIndex(t, "tcr1")
	for _, idx := range []int{r0, r1} {
		if err := c.QdiscAdd(bg, &Qdisc{LinkIndex: idx, Parent: HandleRoot, Handle: NewHandle(1, 0), Kind: "htb", HTB: HTBQdisc{Default: 0x10}}); err != nil {
			t.Fatal(err)
		}
	}
	tbf := Qdisc{LinkIndex: r0, Parent: HandleRoot, Handle: NewHandle(1, 0), Kind: "tbf", TBF: TBFQdisc{Rate: mbitps, Burst: 32 * 1024, Limit: 30000}}
	wantKernelError(t, "QdiscReplace of htb 1: by tbf 1:", c.QdiscReplace(bg, &tbf), unix.EINVAL, "Invalid qdisc name: must match existing qdisc")
	if q := tcQdiscByHandle(t, ns, "tcr0", "1:"); q == nil || q["kind"] != "htb" {
		t.Errorf("after the refused replace tc shows %v", tcJSON(t, ns, "qdisc", "show", "dev", "tcr0"))
	}
	if _, err := ns.Output("tc", "qdisc", "replace", "dev", "tcr1", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "32k", "limit", "30000"); err == nil || !strings.Contains(err.Error(), "Invalid qdisc name") {
		t.Errorf("tc qdisc replace of htb 1: by tbf 1:: %v, want Invalid qdisc name", err)
	}
	tbf.Handle = HandleNone
	if err := c.QdiscReplace(bg, &tbf); err != nil {
		t.Fatalf("QdiscReplace of htb 1: by a tbf without a handle: %v", err)
	}
	if qs := tcJSON(t, ns, "qdisc", "show", "dev", "tcr0"); len(qs) != 1 || qs[0]["kind"] != "tbf" {
		t.Errorf("after QdiscReplace by a tbf without a handle tc shows %v", qs)
	}
}
