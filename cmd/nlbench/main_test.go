package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/internal/netnstest"
)

// The tests build nlbench and run the binary as a user would: as the
// current user (root: the unshare path; anyone else: the user-namespace
// re-exec), as nobody, against an existing namespace, with bad flags, and
// on a system that forbids user namespaces. They read its -json output and
// check every workload's counts against what the sandbox was filled with.

const (
	// helperEnv makes the test binary act as a launcher instead of running
	// tests (see runHelper).
	helperEnv    = "NLBENCH_TEST_HELPER"
	helperBinEnv = "NLBENCH_TEST_BIN"
	nobody       = 65534
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "no-userns" {
		os.Exit(runHelper())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// runHelper runs as uid 0 of a fresh user namespace (see
// TestBinaryExplainsMissingNamespace): it forbids user namespaces below this
// one, drops to nobody and execs nlbench, which then can neither unshare a
// network namespace nor re-run itself in a user namespace.
func runHelper() int {
	if err := os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 99
	}
	if err := syscall.Setgroups(nil); err != nil {
		fmt.Fprintln(os.Stderr, "helper: setgroups:", err)
		return 99
	}
	if err := syscall.Setgid(nobody); err != nil {
		fmt.Fprintln(os.Stderr, "helper: setgid:", err)
		return 99
	}
	if err := syscall.Setuid(nobody); err != nil {
		fmt.Fprintln(os.Stderr, "helper: setuid:", err)
		return 99
	}
	bin := os.Getenv(helperBinEnv)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, helperEnv+"=") || strings.HasPrefix(kv, helperBinEnv+"=")
	})
	err := syscall.Exec(bin, []string{bin, "-duration", "100ms"}, env)
	fmt.Fprintln(os.Stderr, "helper: exec:", err)
	return 99
}

var (
	buildOnce sync.Once
	binDir    string // removed by TestMain
	binPath   string
	buildErr  error
)

// nlbenchBinary builds the command once per test run, with -race when the
// tests have it, into a directory nobody can reach.
func nlbenchBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "nlbench-test-")
		if buildErr != nil {
			return
		}
		if buildErr = os.Chmod(binDir, 0o755); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "nlbench")
		args := []string{"build", "-buildvcs=false", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command(goTool(), append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// outcome is what one run of the binary left behind.
type outcome struct {
	stdout, stderr string
	code           int
}

// runBinary runs nlbench with args, as cred when it is not nil, with the
// extra files as fds 3, 4, ...
func runBinary(t *testing.T, cred *syscall.Credential, extra []*os.File, args ...string) outcome {
	t.Helper()
	bin := nlbenchBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = binDir
	cmd.ExtraFiles = extra
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running nlbench %v: %v", args, err)
	}
	return outcome{stdout.String(), stderr.String(), code}
}

// skipOrFailNoNamespace ends a test whose nlbench could make no namespace:
// a skip, or a failure under NLTEST_REQUIRE_NETNS=1.
func skipOrFailNoNamespace(t *testing.T, o outcome) {
	t.Helper()
	if o.code != exitNoNamespace {
		return
	}
	if netnstest.Require() {
		t.Fatalf("nlbench could not make a namespace (NLTEST_REQUIRE_NETNS=1 forbids skipping): %s", o.stderr)
	}
	t.Skipf("nlbench could not make a namespace here: %s", o.stderr)
}

// The -json contract, written out independently of the program's types.
type jsonReport struct {
	Version int  `json:"version"`
	OK      bool `json:"ok"`
	Config  struct {
		Count       int      `json:"count"`
		Concurrency int      `json:"concurrency"`
		GOMAXPROCS  int      `json:"gomaxprocs"`
		Batch       int      `json:"batch"`
		Workloads   []string `json:"workloads"`
	} `json:"config"`
	Target struct {
		Sandbox     bool   `json:"sandbox"`
		How         string `json:"how"`
		Links       int    `json:"links"`
		VethPairs   int    `json:"veth_pairs"`
		IPv4Addrs   int    `json:"ipv4_addrs"`
		AddrsAdded  int    `json:"addrs_added"`
		IPv4Routes  int    `json:"ipv4_routes"`
		RoutesAdded int    `json:"routes_added"`
	} `json:"target"`
	Results []jsonResult `json:"results"`
}

type jsonResult struct {
	Workload     string  `json:"workload"`
	Run          int     `json:"run"`
	Concurrency  int     `json:"concurrency"`
	Batch        int     `json:"batch"`
	Ops          int64   `json:"ops"`
	Messages     int64   `json:"messages"`
	DurationNS   int64   `json:"duration_ns"`
	MsgsPerSec   float64 `json:"msgs_per_sec"`
	NSPerMsg     float64 `json:"ns_per_msg"`
	LatencyOf    string  `json:"latency_of"`
	AllocsPerMsg float64 `json:"allocs_per_msg"`
	BytesPerMsg  float64 `json:"bytes_per_msg"`
	UserCPUNS    int64   `json:"user_cpu_ns"`
	SysCPUNS     int64   `json:"sys_cpu_ns"`
	Latency      *struct {
		Samples   uint64
		P50, Max  uint64
		P99, P999 *uint64
	} `json:"latency_ns"`
	Items    *struct{ Min, Max int } `json:"items_per_dump"`
	Expected *int64                  `json:"expected"`
	Replies  int64                   `json:"replies"`
	Events   *struct {
		Expected, Received, Lost int64
		ENOBUFS                  *int64 `json:"enobufs"`
		QueueDrops               int64  `json:"queue_drops"`
		ReceiveBuffer            int    `json:"receive_buffer"`
		Forced                   bool   `json:"receive_buffer_forced"`
		BufferChoice             string `json:"receive_buffer_choice"`
	} `json:"events"`
	Check   string `json:"check"`
	Checked string `json:"checked"`
	Error   string `json:"error"`
}

func parseReport(t *testing.T, o outcome) *jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil {
		t.Fatalf("-json output does not parse: %v\nstdout:\n%s\nstderr:\n%s", err, o.stdout, o.stderr)
	}
	return &rep
}

// Small but complete: every workload, counts large enough to span several
// dump datagrams.
const (
	testRoutes = 5000
	testPairs  = 3
	testAddrs  = 4
	testBatch  = 200
)

var sandboxArgs = []string{
	"-json", "-duration", "200ms", "-routes", strconv.Itoa(testRoutes),
	"-links", strconv.Itoa(testPairs), "-addrs", strconv.Itoa(testAddrs), "-batch", strconv.Itoa(testBatch),
}

// checkSandboxRun checks a default-suite -json run in nlbench's sandbox.
func checkSandboxRun(t *testing.T, o outcome, wantHow string) {
	t.Helper()
	skipOrFailNoNamespace(t, o)
	if o.code != 0 && o.code != exitFailed {
		t.Fatalf("exit %d, stderr: %s\nstdout:\n%s", o.code, o.stderr, o.stdout)
	}
	rep := parseReport(t, o)
	// The one failure allowed: an event storm that lost events and said so
	// (see reportedStormLoss); it must then fail the run.
	failed := slices.DeleteFunc(slices.Clone(rep.Results), func(r jsonResult) bool { return r.Check == "ok" && r.Error == "" })
	lossAllowed := len(failed) == 1 && reportedStormLoss(failed[0])
	if (o.code == 0) != rep.OK || (o.code != 0 && !lossAllowed) || rep.Version != 1 {
		t.Fatalf("exit %d, ok=%v, version %d; want exit 0, ok, version 1; stderr: %s\nstdout:\n%s", o.code, rep.OK, rep.Version, o.stderr, o.stdout)
	}
	tg := rep.Target
	if !tg.Sandbox || tg.How != wantHow {
		t.Errorf("target sandbox=%v how=%q, want true %q", tg.Sandbox, tg.How, wantHow)
	}
	// What the sandbox was filled with, as asked on the command line.
	if tg.RoutesAdded != testRoutes || tg.VethPairs != testPairs || tg.AddrsAdded != 2*testPairs*testAddrs {
		t.Errorf("filled with %d routes, %d veth pairs, %d addresses; asked for %d, %d, %d",
			tg.RoutesAdded, tg.VethPairs, tg.AddrsAdded, testRoutes, testPairs, 2*testPairs*testAddrs)
	}
	// A new namespace holds lo and maybe fallback tunnels; the addresses
	// bring a few routes of their own (local, broadcast, prefix).
	if tg.Links < 1+2*testPairs || tg.Links > 1+2*testPairs+8 {
		t.Errorf("%d links in the sandbox, want lo + %d veths (+ a few fallback devices)", tg.Links, 2*testPairs)
	}
	if tg.IPv4Addrs != tg.AddrsAdded+1 {
		t.Errorf("%d IPv4 addresses in the sandbox, want %d added + 127.0.0.1", tg.IPv4Addrs, tg.AddrsAdded)
	}
	if extra := tg.IPv4Routes - tg.RoutesAdded; extra < 0 || extra > 4*tg.IPv4Addrs+16 {
		t.Errorf("%d IPv4 routes in the sandbox for %d added", tg.IPv4Routes, tg.RoutesAdded)
	}

	var names []string
	for _, w := range suite {
		names = append(names, w.name)
	}
	if !slices.Equal(rep.Config.Workloads, names) {
		t.Errorf("default suite ran %v, want %v", rep.Config.Workloads, names)
	}
	seen := map[string]int{}
	for _, r := range rep.Results {
		seen[r.Workload]++
		checkResult(t, rep, r)
	}
	for _, n := range names {
		if seen[n] != 1 {
			t.Errorf("workload %s ran %d times, want 1", n, seen[n])
		}
	}
}

// checkResult checks one workload's figures and counts.
func checkResult(t *testing.T, rep *jsonReport, r jsonResult) {
	t.Helper()
	tg := rep.Target
	errorf := func(format string, a ...any) { t.Errorf(r.Workload+": "+format, a...) }
	if r.Check != "ok" || r.Error != "" || r.Checked == "" {
		if reportedStormLoss(r) {
			t.Logf("%s: %s; listener buffer %d bytes, forced %v", r.Workload, r.Check, r.Events.ReceiveBuffer, r.Events.Forced)
		} else {
			errorf("check %q checked %q error %q, want ok and what held", r.Check, r.Checked, r.Error)
		}
	}
	if r.Ops <= 0 || r.Messages <= 0 || r.DurationNS <= 0 || r.MsgsPerSec <= 0 || r.NSPerMsg <= 0 {
		errorf("ops %d msgs %d duration %d msgs/s %v ns/msg %v: want all positive", r.Ops, r.Messages, r.DurationNS, r.MsgsPerSec, r.NSPerMsg)
	}
	if r.AllocsPerMsg < 0 || r.BytesPerMsg < 0 || r.UserCPUNS < 0 || r.SysCPUNS < 0 || r.UserCPUNS+r.SysCPUNS == 0 {
		errorf("allocs/msg %v B/msg %v user %d sys %d", r.AllocsPerMsg, r.BytesPerMsg, r.UserCPUNS, r.SysCPUNS)
	}
	if r.Workload != "event-storm" {
		l := r.Latency
		switch {
		case l == nil:
			errorf("no latency")
		case (l.P99 != nil) != (l.Samples >= 100) || (l.P999 != nil) != (l.Samples >= 1000):
			errorf("%d latency samples with p99 %v and p99.9 %v; want p99 from 100 samples, p99.9 from 1000", l.Samples, l.P99 != nil, l.P999 != nil)
		case !ordered(l.P50, l.P99, l.P999, l.Max):
			errorf("latency p50 %d p99 %v p999 %v max %d not ordered", l.P50, l.P99, l.P999, l.Max)
		case r.Workload == "route-batch" && int64(l.Samples)*int64(r.Batch) != r.Ops:
			errorf("%d latency samples of batches of %d for %d requests", l.Samples, r.Batch, r.Ops)
		case r.Workload != "route-batch" && int64(l.Samples) != r.Ops:
			errorf("%d latency samples for %d operations", l.Samples, r.Ops)
		}
	}
	dump := func(want int) {
		if r.Expected == nil || *r.Expected != int64(want) {
			errorf("expected %v, the sandbox holds %d", r.Expected, want)
		}
		if r.Items == nil || r.Items.Min != want || r.Items.Max != want {
			errorf("dumps returned %+v objects, the sandbox holds %d", r.Items, want)
		}
		if r.Messages != r.Ops*int64(want) {
			errorf("%d messages in %d dumps of %d", r.Messages, r.Ops, want)
		}
		checkDumpAllocs(t, rep, r)
	}
	switch r.Workload {
	case "route-dump":
		if tg.IPv4Routes < testRoutes {
			errorf("route dumps expect %d routes, fewer than the %d added", tg.IPv4Routes, testRoutes)
		}
		dump(tg.IPv4Routes)
	case "link-dump":
		dump(tg.Links)
	case "addr-dump":
		dump(tg.IPv4Addrs)
	case "getlink", "getlink-parallel":
		if r.Replies != r.Ops || r.Messages != r.Ops {
			errorf("%d requests, %d replies, %d messages: want all equal", r.Ops, r.Replies, r.Messages)
		}
		if want := map[string]int{"getlink": 0, "getlink-parallel": rep.Config.Concurrency}[r.Workload]; r.Concurrency != want {
			errorf("concurrency %d, want %d", r.Concurrency, want)
		}
	case "noop":
		if r.Messages != r.Ops {
			errorf("%d round trips, %d messages", r.Ops, r.Messages)
		}
	case "route-batch":
		if r.Batch != testBatch || r.Messages != r.Ops || r.Ops%(2*testBatch) != 0 {
			errorf("batch %d: %d requests, %d acked; want whole add+delete rounds of %d", r.Batch, r.Ops, r.Messages, testBatch)
		}
	case "event-storm":
		ev := r.Events
		if ev == nil || ev.ENOBUFS == nil {
			errorf("no events, or no enobufs count: %+v", ev)
			return
		}
		// Each request the writer made was acknowledged and sent one event.
		if ev.Expected != r.Ops || ev.Received != r.Messages {
			errorf("events expected %d received %d; writer made %d changes, listener counted %d", ev.Expected, ev.Received, r.Ops, r.Messages)
		}
		if ev.Received <= 0 || ev.Received > ev.Expected || ev.Lost != ev.Expected-ev.Received {
			errorf("events expected %d received %d lost %d do not add up", ev.Expected, ev.Received, ev.Lost)
		}
		if ev.Lost > 0 && *ev.ENOBUFS == 0 && ev.QueueDrops == 0 {
			errorf("%d events lost with no ENOBUFS or queue drop reported", ev.Lost)
		}
		// At the engine's default a listener's buffer is sized for storms:
		// forced to ListenerReceiveBuffer (the kernel reports twice that),
		// or as much as rmem_max allows.
		if ev.BufferChoice != "engine" || ev.ReceiveBuffer <= 0 || (ev.Forced && ev.ReceiveBuffer < 2*engine.ListenerReceiveBuffer) {
			errorf("listener receive buffer %d bytes (forced %v, choice %q), want the engine's default of 2×%d", ev.ReceiveBuffer, ev.Forced, ev.BufferChoice, engine.ListenerReceiveBuffer)
		}
		t.Logf("event storm: %d sent, %d received, %d lost, %d ENOBUFS, %d queue drops", ev.Expected, ev.Received, ev.Lost, *ev.ENOBUFS, ev.QueueDrops)
	default:
		errorf("unknown workload")
	}
}

// reportedStormLoss reports whether r is an event storm that lost events,
// with the kernel's ENOBUFS or the Conn's queue drops to explain them, and
// whose verdict says how many of how many. The engine's default buffer
// holds a storm while the listener keeps reading, but on a loaded machine
// (the tests run nlbench twice at once, under -race in CI) a starved
// listener may still fall behind, and unprivileged the buffer is capped at
// net.core.rmem_max; what these tests check then is that nlbench tells.
func reportedStormLoss(r jsonResult) bool {
	ev := r.Events
	return r.Workload == "event-storm" && r.Error == "" && ev != nil && ev.Lost > 0 && ev.ENOBUFS != nil &&
		(*ev.ENOBUFS > 0 || ev.QueueDrops > 0) && strings.HasPrefix(r.Check, fmt.Sprintf("lost %d of %d (", ev.Lost, ev.Expected))
}

// ordered reports whether p50 <= p99 <= p99.9 <= max, over the percentiles given.
func ordered(p50 uint64, p99, p999 *uint64, max uint64) bool {
	last := p50
	for _, p := range []*uint64{p99, p999} {
		if p != nil {
			if *p < last {
				return false
			}
			last = *p
		}
	}
	return p50 > 0 && last <= max
}

// checkDumpAllocs bounds a dump workload's allocations in one run: a fixed
// amount whatever the run's length, plus half an allocation per dump (a
// loop that allocated on each dump cost five). The fixed amount is what the
// runtime allocates again after the GC that opens the measured window
// (the sync.Pools' per-processor arrays, threads it starts when a system
// call blocks) and nlbench's own few: 10 to 50 in a route-dump run on a
// 2-core VM, 200 ms or 1 s (the meter refills the runtime's sudog cache
// before the window; see refillSudogCache). A program that does not
// allocate is not collected, and one that is pays this once per GC cycle,
// not per dump. That dumps allocate nothing each is checked by
// TestBinaryRouteDumpAllocationsDoNotGrowWithDumps.
func checkDumpAllocs(t *testing.T, rep *jsonReport, r jsonResult) {
	t.Helper()
	if raceEnabled || r.Ops == 0 {
		return // the race detector's instrumentation allocates
	}
	const perRun = 150
	total := r.AllocsPerMsg * float64(r.Messages)
	if total > perRun+0.5*float64(r.Ops) {
		t.Errorf("%s: %.0f allocations in %d dumps (%.4f per message), want at most %d + half a one per dump", r.Workload, total, r.Ops, r.AllocsPerMsg, perRun)
	}
}

// TestBinaryRouteDumpAllocationsDoNotGrowWithDumps runs the route-dump
// workload twice in the sandbox, 200 ms and 2 s, and checks that the longer
// run's extra dumps allocated less than one object in 4 each: what a run
// allocates once (see checkDumpAllocs) cancels out, up to its variation,
// about 40 objects: 0.05 per extra dump at the 800 or so extra dumps a
// loaded 2-core VM makes.
func TestBinaryRouteDumpAllocationsDoNotGrowWithDumps(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	t.Parallel()
	run := func(d string) jsonResult {
		args := append(slices.Clone(sandboxArgs), "-workloads", "route-dump")
		for i, a := range args {
			if a == "-duration" {
				args[i+1] = d
			}
		}
		o := runBinary(t, nil, nil, args...)
		skipOrFailNoNamespace(t, o)
		rep := parseReport(t, o)
		if o.code != 0 || len(rep.Results) != 1 || rep.Results[0].Workload != "route-dump" {
			t.Fatalf("route-dump for %s: exit %d, stderr: %s\nstdout:\n%s", d, o.code, o.stderr, o.stdout)
		}
		return rep.Results[0]
	}
	short, long := run("200ms"), run("2s")
	allocs := func(r jsonResult) float64 { return r.AllocsPerMsg * float64(r.Messages) }
	extra := long.Ops - short.Ops
	if extra < 200 { // a 2-core VM makes 1 000-1 300 more, 800-1 000 when loaded
		t.Fatalf("the 2 s run made only %d dumps more than the 200 ms one (%d): too few to tell", extra, short.Ops)
	}
	perDump := (allocs(long) - allocs(short)) / float64(extra)
	t.Logf("%.0f allocations in %d dumps, %.0f in %d: %.3f per extra dump", allocs(short), short.Ops, allocs(long), long.Ops, perDump)
	if perDump > 0.25 {
		t.Errorf("%.3f allocations per route dump (%.0f in %d dumps, %.0f in %d), want none beyond a run's fixed cost", perDump, allocs(short), short.Ops, allocs(long), long.Ops)
	}
}

func TestBinaryAsCurrentUser(t *testing.T) {
	t.Parallel()
	want := "unshare"
	if os.Geteuid() != 0 {
		want = "user namespace"
	}
	checkSandboxRun(t, runBinary(t, nil, nil, sandboxArgs...), want)
}

func TestBinaryAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as nobody (the current user's run covers the unprivileged path)")
	}
	t.Parallel()
	o := runBinary(t, &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}, nil, sandboxArgs...)
	checkSandboxRun(t, o, "user namespace")
}

// oneLineError checks a failed run: the wanted exit status, nothing on
// stdout, and a single "nlbench: " line on stderr.
func oneLineError(t *testing.T, o outcome, code int, args []string) {
	t.Helper()
	if o.code != code || o.stdout != "" || !strings.HasPrefix(o.stderr, "nlbench: ") ||
		strings.Count(o.stderr, "\n") != 1 || !strings.HasSuffix(o.stderr, "\n") {
		t.Errorf("nlbench %q: exit %d, stdout %q, stderr %q; want exit %d and one line on stderr",
			args, o.code, o.stdout, o.stderr, code)
	}
}

func TestBinaryBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-bogus"},
		{"-duration", "abc"},
		{"-duration", "0"},
		{"-count", "0"},
		{"-routes", "-1"},
		{"-routes", "99999999999"},
		{"-concurrency", "0"},
		{"-batch", "70000"},
		{"-workloads", "route-dump,nonsense"},
		{"-json", "-benchfmt"},
		{"-allow-writes"},
		{"-listener-rcvbuf", "big"},
		{"-listener-rcvbuf", "0"},
		{"-listener-rcvbuf", "2G"},
		{"-listener-rcvbuf", "system", "-workloads", "noop"},
		{"-netns", "/proc/self/ns/net", "-listener-rcvbuf", "system"}, // the storm writes: not without -allow-writes
		{"-netns", "/proc/self/ns/net", "-routes", "10"},
		{"-netns", "/proc/self/ns/net", "-workloads", "route-batch"},
		{"stray-argument"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			oneLineError(t, runBinary(t, nil, nil, args...), exitUsage, args)
		})
	}
	// A -netns that cannot be used is a namespace nlbench cannot get: exit
	// 3, with what is wrong and what a namespace path looks like.
	for _, tc := range []struct {
		path, why string
	}{
		{"/nonexistent/netns", "no such file"},
		{"/proc/self/exe", "not a network namespace"}, // a file, not a namespace
	} {
		args := []string{"-netns", tc.path}
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			o := runBinary(t, nil, nil, args...)
			oneLineError(t, o, exitNoNamespace, args)
			for _, want := range []string{tc.path, tc.why, "/run/netns", "/proc/PID/ns/net"} {
				if !strings.Contains(o.stderr, want) {
					t.Errorf("message lacks %q: %s", want, o.stderr)
				}
			}
		})
	}
	o := runBinary(t, nil, nil, "-h")
	if o.code != 0 || !strings.Contains(o.stderr, "event-storm") || !strings.Contains(o.stderr, "-duration") {
		t.Errorf("-h: exit %d, stderr %q; want 0 and the usage", o.code, o.stderr)
	}
}

func TestBinaryExplainsMissingNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to build a user namespace that forbids further ones")
	}
	t.Parallel()
	bin := nlbenchBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The helper (this test binary) starts as root of a new user namespace
	// that also maps nobody, sets user.max_user_namespaces=0 there (a
	// per-namespace limit, the host's stays), becomes nobody and runs
	// nlbench. Its network namespace is new too, so nothing touches the host.
	cmd := exec.Command(self)
	cmd.Dir = binDir
	cmd.Env = append(os.Environ(), helperEnv+"=no-userns", helperBinEnv+"="+bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 unix.CLONE_NEWUSER | unix.CLONE_NEWNET,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nobody, HostID: nobody, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nobody, HostID: nobody, Size: 1}},
		GidMappingsEnableSetgroups: true,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		if netnstest.Require() {
			t.Fatalf("cannot start the helper in a user namespace: %v", err)
		}
		t.Skipf("cannot start the helper in a user namespace: %v", err)
	}
	o := outcome{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
	oneLineError(t, o, exitNoNamespace, []string{"-duration", "100ms"})
	t.Logf("explanation: %s", o.stderr)
	for _, want := range []string{"max_user_namespaces", "run nlbench as root", "-netns PATH", "never changes"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("explanation lacks %q: %s", want, o.stderr)
		}
	}
}

// inheritNS passes the namespace of ns to a child as fd 3.
func inheritNS(t *testing.T, ns *netnstest.NS) []*os.File {
	t.Helper()
	fd, err := unix.Dup(ns.FD())
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "netns")
	t.Cleanup(func() { f.Close() })
	return []*os.File{f}
}

func TestBinaryExistingNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a namespace for -netns and enter it from another process")
	}
	t.Parallel()
	ns := netnstest.New(t)
	ns.AddVeth(t, "nlbt0", "nlbt1")
	ns.AddAddr(t, "nlbt0", "192.0.2.1/24")
	extra := inheritNS(t, ns)
	const path = "/proc/self/fd/3" // in the child

	// Read-only by default: the write workloads are left out.
	args := []string{"-json", "-duration", "150ms", "-netns", path}
	o := runBinary(t, nil, extra, args...)
	if o.code != 0 {
		t.Fatalf("nlbench %q: exit %d, stderr %s", args, o.code, o.stderr)
	}
	rep := parseReport(t, o)
	var reads []string
	for _, w := range suite {
		if !w.write {
			reads = append(reads, w.name)
		}
	}
	if !slices.Equal(rep.Config.Workloads, reads) {
		t.Errorf("-netns ran %v, want the read workloads %v", rep.Config.Workloads, reads)
	}
	if rep.Target.Sandbox || rep.Target.How != "-netns" || rep.Target.Links < 3 {
		t.Errorf("target %+v, want the existing namespace with lo and two veths", rep.Target)
	}
	for _, r := range rep.Results {
		if r.Check != "ok" || r.Error != "" || r.Messages <= 0 {
			t.Errorf("%s: check %q error %q messages %d", r.Workload, r.Check, r.Error, r.Messages)
		}
		if r.Expected != nil {
			t.Errorf("%s: expects %d objects in a namespace nlbench did not fill", r.Workload, *r.Expected)
		}
		if strings.HasSuffix(r.Workload, "-dump") {
			if r.Items == nil || r.Items.Min != r.Items.Max {
				t.Errorf("%s: dumps returned %+v objects in a quiet namespace", r.Workload, r.Items)
			}
			if !strings.HasPrefix(r.Checked, "not compared") {
				t.Errorf("%s: checked %q in a namespace nlbench did not fill, want it to say it compared nothing", r.Workload, r.Checked)
			}
			checkDumpAllocs(t, rep, r) // few objects per dump: a per-dump allocation shows as several per message
		}
	}

	// With -allow-writes the write workloads run there too.
	args = []string{"-json", "-duration", "150ms", "-netns", path, "-allow-writes", "-batch", "100", "-workloads", "route-batch,event-storm"}
	o = runBinary(t, nil, extra, args...)
	if o.code != 0 && o.code != exitFailed {
		t.Fatalf("nlbench %q: exit %d, stderr %s", args, o.code, o.stderr)
	}
	rep = parseReport(t, o)
	if len(rep.Results) != 2 {
		t.Fatalf("%d results, want 2", len(rep.Results))
	}
	lost := false
	for _, r := range rep.Results {
		if reportedStormLoss(r) {
			lost = true
			t.Logf("%s: %s", r.Workload, r.Check)
		} else if r.Check != "ok" || r.Error != "" || r.Messages <= 0 {
			t.Errorf("%s: check %q error %q messages %d", r.Workload, r.Check, r.Error, r.Messages)
		}
	}
	if (o.code == exitFailed) != lost || rep.OK == lost {
		t.Errorf("exit %d, ok %v, a storm lost events: %v; want exit 1 and not ok exactly when it did", o.code, rep.OK, lost)
	}
}

func TestBinaryTableAndBenchfmt(t *testing.T) {
	t.Parallel()
	args := []string{"-routes", "300", "-links", "1", "-duration", "100ms", "-workloads", "noop,route-dump"}
	o := runBinary(t, nil, nil, args...)
	skipOrFailNoNamespace(t, o)
	if o.code != 0 {
		t.Fatalf("exit %d stderr %q", o.code, o.stderr)
	}
	// The check column says what held, not just "ok".
	for _, want := range []string{"sandbox network namespace", "msgs/s", "p99.9", "allocs/msg", "route-dump", "noop",
		"NOOPs acked", "dumps returned the sandbox's", "routes"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, o.stdout)
		}
	}
	// stderr is no terminal here: plain progress lines, one per step.
	checkProgressLines(t, o.stderr, "filling the sandbox", "sandbox filled in", "running 2 workloads × 1 run of 100ms",
		"[1/2] noop: ", "NOOPs acked", "[2/2] route-dump: ", "dumps returned the sandbox's")

	if o := runBinary(t, nil, nil, append(args, "-quiet")...); o.code != 0 || o.stderr != "" {
		t.Errorf("-quiet: exit %d, stderr %q; want 0 and nothing", o.code, o.stderr)
	}

	o = runBinary(t, nil, nil, append(args, "-benchfmt", "-count", "2")...)
	if o.code != 0 {
		t.Fatalf("-benchfmt: exit %d stderr %q", o.code, o.stderr)
	}
	// Go's benchmark format: name, iterations, then value/unit pairs, with
	// "key: value" configuration lines before.
	var lines []string
	for line := range strings.Lines(o.stdout) {
		line = strings.TrimSuffix(line, "\n")
		if !strings.HasPrefix(line, "Benchmark") {
			if k, _, ok := strings.Cut(line, ": "); !ok || strings.ContainsAny(k, " \t") {
				t.Errorf("neither a benchmark nor a configuration line: %q", line)
			}
			continue
		}
		lines = append(lines, line)
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			t.Errorf("benchmark line has %d fields: %q", len(f), line)
			continue
		}
		if !strings.HasPrefix(f[0], "BenchmarkNlbench/") {
			t.Errorf("benchmark name %q", f[0])
		}
		if n, err := strconv.ParseInt(f[1], 10, 64); err != nil || n <= 0 {
			t.Errorf("iterations %q in %q", f[1], line)
		}
		for i := 2; i < len(f); i += 2 {
			if _, err := strconv.ParseFloat(f[i], 64); err != nil {
				t.Errorf("value %q in %q", f[i], line)
			}
		}
		if f[3] != "ns/op" {
			t.Errorf("first unit %q, want ns/op: %q", f[3], line)
		}
	}
	if len(lines) != 4 {
		t.Errorf("%d benchmark lines, want 2 workloads x 2 runs:\n%s", len(lines), o.stdout)
	}
}

// checkProgressLines checks that stderr is plain lines, each "nlbench: ..."
// with no terminal control characters, that contain wants in that order.
func checkProgressLines(t *testing.T, stderr string, wants ...string) {
	t.Helper()
	if strings.ContainsAny(stderr, "\r\x1b") || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("progress is not plain lines: %q", stderr)
	}
	for line := range strings.Lines(stderr) {
		if !strings.HasPrefix(line, "nlbench: ") {
			t.Errorf("progress line without the nlbench: prefix: %q", line)
		}
	}
	rest := stderr
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("progress lacks %q (after what came before it):\n%s", w, stderr)
			return
		}
		rest = rest[i+len(w):]
	}
}

// The event storm's verdict follows what it counted: every event received
// passes, a loss fails the run (exit 1) and says how many of how many were
// lost and what reported it. At the system's default buffer the listener
// has exactly what any socket starts with; at 4 KiB most storms lose some.
func TestBinaryEventStormVerdict(t *testing.T) {
	t.Parallel()
	for _, choice := range []string{"system", "4K"} {
		t.Run(choice, func(t *testing.T) {
			args := []string{"-json", "-quiet", "-duration", "200ms", "-routes", "0", "-links", "0", "-addrs", "0",
				"-batch", "1000", "-workloads", "event-storm", "-listener-rcvbuf", choice}
			o := runBinary(t, nil, nil, args...)
			skipOrFailNoNamespace(t, o)
			rep := parseReport(t, o)
			if len(rep.Results) != 1 || rep.Results[0].Events == nil {
				t.Fatalf("want one event-storm result with events: %s", o.stdout)
			}
			r := rep.Results[0]
			ev := r.Events
			t.Logf("%s: buffer %d (forced %v): %d sent, %d received, %d lost; check %q %q", choice, ev.ReceiveBuffer, ev.Forced, ev.Expected, ev.Received, ev.Lost, r.Check, r.Checked)
			if r.Error != "" || ev.Expected <= 0 || ev.Lost != ev.Expected-ev.Received {
				t.Fatalf("error %q; events %+v", r.Error, *ev)
			}
			if ev.BufferChoice != choice {
				t.Errorf("receive_buffer_choice %q, want %q", ev.BufferChoice, choice)
			}
			switch choice {
			case "system":
				if b, err := os.ReadFile("/proc/sys/net/core/rmem_default"); err == nil {
					if want, _ := strconv.Atoi(strings.TrimSpace(string(b))); ev.ReceiveBuffer != want {
						t.Errorf("listener receive buffer %d bytes, want net.core.rmem_default %d", ev.ReceiveBuffer, want)
					}
				}
			case "4K":
				// Whether it loses depends on how the listener is scheduled
				// (most runs here lose some); the verdict must match either way.
				if !ev.Forced || ev.ReceiveBuffer != 8<<10 {
					t.Errorf("at -listener-rcvbuf 4K: buffer %d bytes (forced %v), want 8 KiB (twice what was asked)", ev.ReceiveBuffer, ev.Forced)
				}
			}
			if ev.Lost == 0 {
				if o.code != 0 || r.Check != "ok" || r.Checked != fmt.Sprintf("all %d events received", ev.Expected) {
					t.Errorf("nothing lost: exit %d, check %q, checked %q; want 0, ok, all received", o.code, r.Check, r.Checked)
				}
				return
			}
			prefix := fmt.Sprintf("lost %d of %d (", ev.Lost, ev.Expected)
			if o.code != exitFailed || rep.OK || !strings.HasPrefix(r.Check, prefix) || !strings.Contains(o.stderr, prefix) {
				t.Errorf("%d lost: exit %d, ok %v, check %q, stderr %q; want exit 1, not ok, and %q...", ev.Lost, o.code, rep.OK, r.Check, o.stderr, prefix)
			}
		})
	}
}

func TestExplainNoNamespaceIsOneParagraph(t *testing.T) {
	s := explainNoNamespace(fmt.Errorf("%w: unshare: operation not permitted", errNoNamespace))
	if strings.Contains(s, "\n") || !strings.HasPrefix(s, "nlbench: cannot create a private network namespace") {
		t.Errorf("not one paragraph starting with the cause: %q", s)
	}
	for _, want := range []string{"run nlbench as root", "-netns PATH", "user namespace"} {
		if !strings.Contains(s, want) {
			t.Errorf("explanation lacks %q: %s", want, s)
		}
	}
}
