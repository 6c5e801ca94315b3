// Command nlbench load-tests the nlengine netlink engine against the real
// kernel and prints what it measured.
//
//	go run ./cmd/nlbench
//
// With no flags it runs the default suite: every workload below, each for
// -duration, in a network namespace of its own that it creates, fills with
// veth pairs, IPv4 addresses and 100 000 routes (added with the engine's
// batch form), and removes at the end. The host's own namespace is never
// changed. As root the sandbox is made directly (unshare on a locked thread
// that the main goroutine never shares); as an ordinary user nlbench
// re-runs itself in a new user and network namespace. With -netns PATH it
// runs against an existing namespace instead, read workloads only unless
// -allow-writes is given.
//
// Workloads (-workloads a,b,c selects some):
//
//	route-dump        dump all IPv4 routes
//	link-dump         dump all links
//	addr-dump         dump all IPv4 addresses
//	getlink           RTM_GETLINK request/response, 1 goroutine
//	getlink-parallel  RTM_GETLINK request/response, -concurrency goroutines on one Conn
//	noop              NLMSG_NOOP round trips
//	route-batch       add then delete -batch routes with ACKs via Conn.Batch (writes)
//	event-storm       RTNLGRP_IPV4_ROUTE listener while a writer adds/deletes routes (writes)
//
// For each run it reports messages per second, nanoseconds per message,
// the latency of one operation (a dump, a request, a batch) from a
// log-linear histogram (p50 always, p99 from 100 samples, p99.9 from 1000),
// heap allocations and bytes per message (runtime/metrics, counted from a GC
// before the run to a GC after it, so the few dozen allocations with which
// sync.Pools refill after that GC are in every run, whatever its length),
// and the user and system CPU time of the process. Each run also checks
// itself, and the check column says what held or what did not: in the
// sandbox every dump must return exactly the objects the sandbox holds (in
// a -netns namespace there is nothing to compare with, and it says so),
// every request must get its reply, every write its ack, and the event
// storm's listener must receive every event the writer caused; a loss
// fails the run, with the count and what reported it (ENOBUFS, the Conn's
// queue). -listener-rcvbuf picks the listener's receive buffer: the
// engine's default for a Conn that joins groups, "system" for what any
// socket starts with (net.core.rmem_default, which lost events before the
// engine sized listeners), or a size.
//
// Time: each workload runs -duration (default 2s) per run, -count runs
// (default 1); with filling the sandbox the default suite takes about 20 s
// on a 2-core machine. -routes, -links (veth pairs) and -addrs (per veth
// end) size the sandbox, -batch the write workloads' batches, -concurrency
// the parallel one; -cpuprofile and -memprofile profile the workloads.
//
// Output: a table on stdout, or -json, or -benchfmt (Go benchmark lines for
// benchstat: an op is one message). Progress goes to stderr: a live status
// line when it is a terminal, otherwise a plain line per step (the fill,
// each run with its verdict); -quiet turns it off. Exit status: 0 when
// every run passed, 1 when a run failed or a check did not hold, 2 for bad
// flags, 3 when no namespace could be made (the message says why and how to
// fix it) or the -netns one cannot be opened or entered, 130 when
// interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitNoNamespace = 3
	exitInterrupted = 130
)

// config is the parsed command line.
type config struct {
	duration    time.Duration
	count       int
	concurrency int
	routes      int
	vethPairs   int
	addrs       int
	batch       int
	workloads   []workload
	netns       string
	allowWrites bool
	json        bool
	benchfmt    bool
	quiet       bool
	// The event storm's listener: rcvbufChoice is -listener-rcvbuf as
	// given ("engine", "system" or bytes); rcvbuf the bytes when a number.
	rcvbufChoice string
	rcvbuf       int
	cpuprofile   string
	memprofile   string
}

// Flag limits: the address plans in sandbox.go and workloads.go hold this much.
const (
	maxRoutes    = 1 << 24 // 10.0.0.0/8
	maxVethPairs = 1024    // 172.16.0.0/12, one /24 per veth end
	maxAddrs     = 250     // per /24
	maxBatch     = 1 << 16 // 198.18.0.0/16 and 198.19.0.0/16
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `usage: nlbench [flags]

Load-tests the nlengine netlink engine in a private network namespace that it
creates, fills (veth pairs, addresses, -routes routes) and removes; the
host's namespace is never changed. Works as root and as an ordinary user.

Workloads (all run by default; -workloads picks some, comma-separated):
`

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("nlbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.DurationVar(&cfg.duration, "duration", 2*time.Second, "how long each run of each workload lasts")
	fs.IntVar(&cfg.count, "count", 1, "runs of each workload (each one a line for benchstat)")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "goroutines sharing one Conn in getlink-parallel")
	fs.IntVar(&cfg.routes, "routes", 100_000, "routes the sandbox is filled with (10.0.0.0/8, /32 each)")
	fs.IntVar(&cfg.vethPairs, "links", 4, "veth pairs the sandbox is filled with")
	fs.IntVar(&cfg.addrs, "addrs", 8, "IPv4 addresses on each veth end")
	fs.IntVar(&cfg.batch, "batch", 1000, "requests per Batch in route-batch and event-storm")
	names := fs.String("workloads", "", "comma-separated workloads to run (default: all)")
	fs.StringVar(&cfg.netns, "netns", "", "run in the existing network namespace at `PATH` instead of a sandbox (read workloads only)")
	fs.BoolVar(&cfg.allowWrites, "allow-writes", false, "with -netns, also run the workloads that add and delete routes (in 198.18.0.0/15)")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON")
	fs.BoolVar(&cfg.benchfmt, "benchfmt", false, "print the results as Go benchmark lines for benchstat")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the workloads to `file`")
	fs.StringVar(&cfg.memprofile, "memprofile", "", "write a heap profile to `file` at the end")
	fs.BoolVar(&cfg.quiet, "quiet", false, "print no progress on stderr (only errors)")
	fs.StringVar(&cfg.rcvbufChoice, "listener-rcvbuf", "engine", "event-storm listener's receive buffer: `engine` (the engine's default for a Conn that joins groups), system (the system's default for any socket, net.core.rmem_default, as listeners had before the engine sized them), or a size in bytes (suffix K or M) passed to engine.WithReceiveBuffer")
	usage := func() {
		var sb strings.Builder
		sb.WriteString(usageText)
		for _, w := range suite {
			fmt.Fprintf(&sb, "  %-17s %s\n", w.name, w.desc)
		}
		sb.WriteString("\nFlags:\n")
		fs.SetOutput(&sb)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		sb.WriteString("\nExit status: 0 all runs passed, 1 a run failed or a check did not hold, 2 bad flags, 3 no namespace could be made or the -netns one cannot be used.\n")
		io.WriteString(stderr, sb.String())
	}
	fs.Usage = func() {} // a bad flag gets one line from run, not the whole usage
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (nlbench takes only flags)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := parseRcvbuf(cfg); err != nil {
		return nil, err
	}

	switch {
	case cfg.duration <= 0:
		return nil, fmt.Errorf("-duration %v: must be positive", cfg.duration)
	case cfg.count < 1:
		return nil, fmt.Errorf("-count %d: must be at least 1", cfg.count)
	case cfg.concurrency < 1 || cfg.concurrency > 4096:
		return nil, fmt.Errorf("-concurrency %d: must be between 1 and 4096", cfg.concurrency)
	case cfg.routes < 0 || cfg.routes > maxRoutes:
		return nil, fmt.Errorf("-routes %d: must be between 0 and %d", cfg.routes, maxRoutes)
	case cfg.vethPairs < 0 || cfg.vethPairs > maxVethPairs:
		return nil, fmt.Errorf("-links %d: must be between 0 and %d", cfg.vethPairs, maxVethPairs)
	case cfg.addrs < 0 || cfg.addrs > maxAddrs:
		return nil, fmt.Errorf("-addrs %d: must be between 0 and %d", cfg.addrs, maxAddrs)
	case cfg.batch < 1 || cfg.batch > maxBatch:
		return nil, fmt.Errorf("-batch %d: must be between 1 and %d", cfg.batch, maxBatch)
	case cfg.json && cfg.benchfmt:
		return nil, errors.New("-json and -benchfmt exclude each other")
	case cfg.allowWrites && cfg.netns == "":
		return nil, errors.New("-allow-writes only applies with -netns (the sandbox always allows writes)")
	}
	if cfg.netns != "" {
		for _, f := range []string{"routes", "links", "addrs"} {
			if set[f] {
				return nil, fmt.Errorf("-%s fills nlbench's sandbox and cannot be used with -netns", f)
			}
		}
	}

	if *names == "" || *names == "all" {
		for _, w := range suite {
			if w.write && cfg.netns != "" && !cfg.allowWrites {
				continue // the default suite in someone else's namespace only reads
			}
			cfg.workloads = append(cfg.workloads, w)
		}
		return forWorkloads(cfg, set)
	}
	for _, n := range strings.Split(*names, ",") {
		n = strings.TrimSpace(n)
		w, ok := findWorkload(n)
		if !ok {
			var all []string
			for _, w := range suite {
				all = append(all, w.name)
			}
			return nil, fmt.Errorf("-workloads: unknown workload %q (have %s)", n, strings.Join(all, ", "))
		}
		if w.write && cfg.netns != "" && !cfg.allowWrites {
			return nil, fmt.Errorf("-workloads: %s adds and deletes routes; in an existing namespace that needs -allow-writes", n)
		}
		if slices.ContainsFunc(cfg.workloads, func(x workload) bool { return x.name == n }) {
			continue
		}
		cfg.workloads = append(cfg.workloads, w)
	}
	return forWorkloads(cfg, set)
}

// forWorkloads refuses a flag that no selected workload uses; set holds
// the flags given.
func forWorkloads(cfg *config, set map[string]bool) (*config, error) {
	if set["listener-rcvbuf"] && !slices.ContainsFunc(cfg.workloads, func(w workload) bool { return w.name == "event-storm" }) {
		return nil, errors.New("-listener-rcvbuf applies to the event-storm workload, which this run does not include")
	}
	return cfg, nil
}

// run is the whole program; it returns the exit status. Every failure ends
// in one line on stderr (the missing-namespace explanation in one paragraph).
func run(args []string, stdout, stderr io.Writer) (code int) {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "nlbench: "+format+"\n", a...)
		return code
	}
	defer func() {
		if v := recover(); v != nil {
			code = fail(exitFailed, "internal error: panic: %v", v)
		}
	}()
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	// The sandbox namespace comes first: without privileges this process
	// hands over to a copy of itself and must not have started anything.
	nsfd, how := -1, ""
	if cfg.netns == "" {
		fd, err := newNetNS()
		switch {
		case err == nil:
			nsfd, how = fd, "unshare"
			if inChild() {
				how = "user namespace"
			}
		case inChild():
			fmt.Fprintln(stderr, explainNoNamespace(fmt.Errorf("%w: %v, even as root of a new user namespace", errNoNamespace, err)))
			return exitNoNamespace
		default:
			code, rerr := reexecInUserNS()
			if rerr == nil {
				return code
			}
			if !errors.Is(rerr, errNoNamespace) {
				return fail(exitFailed, "%v", rerr)
			}
			fmt.Fprintln(stderr, explainNoNamespace(fmt.Errorf("%v: %v; %v", errNoNamespace, err, errors.Unwrap(rerr))))
			return exitNoNamespace
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	prog := newProgress(stderr, stderrFD(), cfg.quiet)
	defer prog.close()

	var tgt *target
	if cfg.netns != "" {
		if tgt, err = openExisting(ctx, cfg.netns); err != nil {
			return fail(exitNoNamespace, "%v", err)
		}
		prog.step("using the existing network namespace %s: %s", cfg.netns, count(len(tgt.ifindexes), "link"))
	} else {
		tgt = &target{nsfd: nsfd, how: how}
		spec := fillSpec{vethPairs: cfg.vethPairs, addrsPerLink: cfg.addrs, routes: cfg.routes}
		prog.step("filling the sandbox (%s): %d veth pairs, %d addresses, %d routes", how, spec.vethPairs, 2*spec.vethPairs*spec.addrsPerLink, spec.routes)
		if err := fillSandbox(ctx, tgt, spec, func(s string) { prog.status("nlbench: filling the sandbox: " + s) }); err != nil {
			tgt.close()
			if ctx.Err() != nil {
				return fail(exitInterrupted, "interrupted")
			}
			return fail(exitFailed, "filling the sandbox: %v", err)
		}
		prog.clear()
		prog.step("sandbox filled in %s: %d links, %d IPv4 addresses, %d IPv4 routes", fmtDur(float64(tgt.fillTime)), len(tgt.ifindexes), tgt.wantAddrs, tgt.wantRoutes)
	}
	defer tgt.close()

	names := make([]string, len(cfg.workloads))
	for i, w := range cfg.workloads {
		names[i] = w.name
	}
	rep := newReport(cfg, tgt, names)
	e := &env{cfg: cfg, tgt: tgt}

	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return fail(exitFailed, "-cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(exitFailed, "-cpuprofile: %v", err)
		}
	}
	total := len(cfg.workloads) * cfg.count
	prog.step("running %s × %s of %s: %s", count(len(cfg.workloads), "workload"), count(cfg.count, "run"), cfg.duration, strings.Join(names, ", "))
	k := 0
	for _, w := range cfg.workloads {
		for i := 1; i <= cfg.count && ctx.Err() == nil; i++ {
			k++
			r := runOne(ctx, e, w, i, k, total, prog)
			if ctx.Err() != nil && r.Error != "" {
				break // cut short by the interrupt: not a result
			}
			rep.Results = append(rep.Results, r)
		}
	}
	prog.clear()
	if cfg.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if cfg.memprofile != "" {
		if err := writeHeapProfile(cfg.memprofile); err != nil {
			return fail(exitFailed, "-memprofile: %v", err)
		}
	}

	rep.OK = ctx.Err() == nil
	var failed []string
	for _, r := range rep.Results {
		if !r.ok() {
			rep.OK = false
			failed = append(failed, r.Workload)
		}
	}
	switch {
	case cfg.json:
		err = writeJSON(stdout, rep)
	case cfg.benchfmt:
		err = writeBenchfmt(stdout, rep)
	default:
		err = writeTable(stdout, rep)
	}
	if err != nil {
		return fail(exitFailed, "writing the report: %v", err)
	}
	if ctx.Err() != nil {
		return fail(exitInterrupted, "interrupted")
	}
	if len(failed) > 0 {
		first := rep.Results[slices.IndexFunc(rep.Results, func(r *result) bool { return !r.ok() })]
		why := first.Error
		if why == "" {
			why = first.Check
		}
		return fail(exitFailed, "%d of %d runs failed (%s); first, %s: %s", len(failed), len(rep.Results), strings.Join(slices.Compact(failed), ", "), first.Workload, why)
	}
	return exitOK
}

// runOne runs workload w once and returns its result; a failure (error or
// panic) is recorded in the result, not returned.
func runOne(ctx context.Context, e *env, w workload, run, k, total int, prog *progress) (r *result) {
	r = &result{Workload: w.name, Run: run}
	m := newMeter(ctx, e.cfg.duration)
	prog.set(func() string {
		d := m.elapsed()
		rate := 0.0
		if d > 0 {
			rate = float64(m.msgs.Load()) / d.Seconds()
		}
		return fmt.Sprintf("nlbench: [%d/%d] %s  %.1fs/%s  %s msgs  %s msgs/s", k, total, w.name,
			d.Seconds(), e.cfg.duration, fmtCount(float64(m.msgs.Load())), fmtCount(rate))
	})
	var err error
	func() {
		defer recoverInto(&err)
		err = w.run(ctx, e, m, r)
	}()
	m.end() // in case run returned early
	r.finish(m, w.latency)
	if err != nil {
		r.Error = strings.ReplaceAll(err.Error(), "\n", " ")
		if r.Check == "ok" {
			r.Check, r.Checked = "not checked", ""
		}
	}
	prog.step("[%d/%d] %s: %s msgs in %s, %s msgs/s; %s", k, total, w.name, fmtCount(float64(r.Messages)),
		fmtDur(float64(r.DurationNS)), fmtCount(r.MsgsPerSec), r.verdict())
	return r
}

// parseRcvbuf reads -listener-rcvbuf: engine, system, or bytes with an
// optional K or M (times 1024 or 1024²).
func parseRcvbuf(cfg *config) error {
	v := cfg.rcvbufChoice
	switch v {
	case "engine", "system":
		return nil
	}
	mult := 1
	switch {
	case strings.HasSuffix(v, "K"):
		v, mult = strings.TrimSuffix(v, "K"), 1<<10
	case strings.HasSuffix(v, "M"):
		v, mult = strings.TrimSuffix(v, "M"), 1<<20
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > (1<<30)/mult {
		return fmt.Errorf("-listener-rcvbuf %q: want engine, system, or a size in bytes from 1 to 1G (such as 212992, 208K or 8M)", cfg.rcvbufChoice)
	}
	cfg.rcvbuf = n * mult
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile shows the heap as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
