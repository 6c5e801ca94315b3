package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one run of one workload, as -json prints it.
type result struct {
	Workload    string `json:"workload"`
	Run         int    `json:"run"` // 1..-count
	Concurrency int    `json:"concurrency,omitempty"`
	Batch       int    `json:"batch,omitempty"` // requests per Batch call

	Ops        int64   `json:"ops"`      // dumps, requests, or for the storm the writer's requests
	Messages   int64   `json:"messages"` // objects dumped, replies, routes written, events received
	DurationNS int64   `json:"duration_ns"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	NSPerMsg   float64 `json:"ns_per_msg"`

	LatencyOf string   `json:"latency_of,omitempty"` // what one sample times: dump, request, batch
	Latency   *latency `json:"latency_ns,omitempty"`

	AllocsPerMsg float64 `json:"allocs_per_msg"`
	BytesPerMsg  float64 `json:"bytes_per_msg"`
	UserCPUNS    int64   `json:"user_cpu_ns"`
	SysCPUNS     int64   `json:"sys_cpu_ns"`

	Items       *itemRange `json:"items_per_dump,omitempty"`
	Expected    *int64     `json:"expected,omitempty"` // objects a dump must return
	Interrupted int        `json:"interrupted,omitempty"`
	Replies     int64      `json:"replies,omitempty"`
	Events      *events    `json:"events,omitempty"`

	Check   string `json:"check"`             // "ok", or what is wrong
	Checked string `json:"checked,omitempty"` // what held, when Check is "ok"
	Error   string `json:"error,omitempty"`   // why the run stopped, if it failed
}

// latency summarises a run's histogram, in nanoseconds. A percentile is
// given only when the sample supports it (see minSamplesP99): from 40
// samples a "p99.9" would only be the maximum under another name.
type latency struct {
	Samples uint64  `json:"samples"`
	Mean    float64 `json:"mean"`
	P50     uint64  `json:"p50"`
	P99     *uint64 `json:"p99,omitempty"`
	P999    *uint64 `json:"p999,omitempty"`
	Max     uint64  `json:"max"`
}

// The fewest samples a percentile is printed from: for the 99th, 100, so
// that at least one sample lies above it; for the 99.9th, 1000.
const (
	minSamplesP99  = 100
	minSamplesP999 = 1000
)

// summarize returns h's latency summary, nil when h is empty.
func summarize(h *histogram) *latency {
	n := h.count()
	if n == 0 {
		return nil
	}
	l := &latency{Samples: n, Mean: h.mean(), P50: h.quantile(0.5), Max: h.quantile(1)}
	if n >= minSamplesP99 {
		l.P99 = ptr(h.quantile(0.99))
	}
	if n >= minSamplesP999 {
		l.P999 = ptr(h.quantile(0.999))
	}
	return l
}

// itemRange is the smallest and largest number of objects one dump returned.
type itemRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

func (r *itemRange) add(n int) {
	if r.Min < 0 || n < r.Min {
		r.Min = n
	}
	r.Max = max(r.Max, n)
}

// events is the event storm's account. Expected = Received + Lost.
type events struct {
	ReceiveBuffer int    `json:"receive_buffer"`        // the listener socket's SO_RCVBUF, in bytes, as the kernel reports it
	Forced        bool   `json:"receive_buffer_forced"` // set with SO_RCVBUFFORCE (else capped at net.core.rmem_max, or never set)
	BufferChoice  string `json:"receive_buffer_choice"` // -listener-rcvbuf: "engine", "system" or the bytes asked for

	Expected    int64 `json:"expected"`     // changes the writer made (each sends one event)
	Received    int64 `json:"received"`     // events the listener got
	Lost        int64 `json:"lost"`         // expected - received
	ENOBUFS     int64 `json:"enobufs"`      // receive-queue overflows the kernel reported to the listener
	QueueDrops  int64 `json:"queue_drops"`  // events dropped because the Conn's own queue was full
	LossReports int64 `json:"loss_reports"` // loss errors the listener's iterator yielded
}

// fail records a failed check; the first one stays.
func (r *result) fail(why string) {
	if r.Check == "" || r.Check == "ok" {
		r.Check = why
	}
}

// pass records what a passed check verified, for the report's check
// column; a failure recorded before or after wins.
func (r *result) pass(what string) {
	if r.Check == "" {
		r.Check = "ok"
	}
	r.Checked = what
}

func (r *result) ok() bool { return r.Error == "" && r.Check == "ok" }

// verdict says in a few words what the run's check found: what held
// ("all 40000 events received"), or "FAILED: " and what did not, or the
// error that stopped the run.
func (r *result) verdict() string {
	switch {
	case r.Error != "":
		return "error: " + r.Error
	case r.Check != "ok":
		return "FAILED: " + r.Check
	case r.Checked != "":
		return r.Checked
	}
	return "ok"
}

// finish fills the generic figures from the meter.
func (r *result) finish(m *meter, latencyOf string) {
	d := m.elapsed()
	r.Ops, r.Messages = m.ops.Load(), m.msgs.Load()
	r.DurationNS = d.Nanoseconds()
	if d > 0 {
		r.OpsPerSec = float64(r.Ops) / d.Seconds()
		r.MsgsPerSec = float64(r.Messages) / d.Seconds()
	}
	r.UserCPUNS = (m.after.utime - m.before.utime).Nanoseconds()
	r.SysCPUNS = (m.after.stime - m.before.stime).Nanoseconds()
	if r.Messages > 0 {
		n := float64(r.Messages)
		r.NSPerMsg = float64(r.DurationNS) / n
		r.AllocsPerMsg = float64(m.after.allocs-m.before.allocs) / n
		r.BytesPerMsg = float64(m.after.bytes-m.before.bytes) / n
	}
	if l := summarize(&m.hist); latencyOf != "" && l != nil {
		r.LatencyOf, r.Latency = latencyOf, l
	}
	if r.Check == "" {
		r.Check = "ok"
	}
}

// report is the whole run, as -json prints it.
type report struct {
	Version int          `json:"version"`
	Config  reportConfig `json:"config"`
	Target  reportTarget `json:"target"`
	Results []*result    `json:"results"`
	OK      bool         `json:"ok"` // every run finished and passed its checks
}

type reportConfig struct {
	DurationNS  int64    `json:"duration_ns"`
	Count       int      `json:"count"`
	Concurrency int      `json:"concurrency"`
	Batch       int      `json:"batch"`
	Workloads   []string `json:"workloads"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	GoVersion   string   `json:"go_version"`
	Kernel      string   `json:"kernel"`
}

type reportTarget struct {
	Sandbox     bool   `json:"sandbox"`        // nlbench made and filled it
	How         string `json:"how"`            // unshare, user namespace, -netns
	Path        string `json:"path,omitempty"` // -netns
	Links       int    `json:"links"`          // links present
	VethPairs   int    `json:"veth_pairs,omitempty"`
	IPv4Addrs   int    `json:"ipv4_addrs,omitempty"`   // IPv4 addresses present (sandbox)
	AddrsAdded  int    `json:"addrs_added,omitempty"`  // of which nlbench added
	IPv4Routes  int    `json:"ipv4_routes,omitempty"`  // IPv4 routes present (sandbox)
	RoutesAdded int    `json:"routes_added,omitempty"` // of which nlbench added
	FillNS      int64  `json:"fill_ns,omitempty"`
}

func newReport(cfg *config, t *target, names []string) *report {
	rt := reportTarget{Sandbox: t.sandbox, How: t.how, Path: t.path, Links: len(t.ifindexes)}
	if t.sandbox {
		rt.VethPairs, rt.AddrsAdded, rt.RoutesAdded = t.vethPairs, t.addrsAdded, t.routesAdded
		rt.IPv4Addrs, rt.IPv4Routes = t.wantAddrs, t.wantRoutes
		rt.FillNS = t.fillTime.Nanoseconds()
	}
	return &report{
		Version: 1,
		Config: reportConfig{
			DurationNS: cfg.duration.Nanoseconds(), Count: cfg.count, Concurrency: cfg.concurrency,
			Batch: cfg.batch, Workloads: names, GOMAXPROCS: runtime.GOMAXPROCS(0),
			GoVersion: runtime.Version(), Kernel: kernelRelease(),
		},
		Target:  rt,
		Results: []*result{},
	}
}

func writeJSON(w io.Writer, rep *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTable prints the human report.
func writeTable(w io.Writer, rep *report) error {
	t := rep.Target
	var sb strings.Builder
	if t.Sandbox {
		fmt.Fprintf(&sb, "nlbench: sandbox network namespace (%s): %d links, %d IPv4 addresses, %d IPv4 routes (%d added), filled in %s\n",
			t.How, t.Links, t.IPv4Addrs, t.IPv4Routes, t.RoutesAdded, fmtDur(float64(t.FillNS)))
	} else {
		fmt.Fprintf(&sb, "nlbench: existing network namespace %s: %d links\n", t.Path, t.Links)
	}
	fmt.Fprintf(&sb, "%s, kernel %s, GOMAXPROCS %d, %s per run\n\n", rep.Config.GoVersion, rep.Config.Kernel, rep.Config.GOMAXPROCS, time.Duration(rep.Config.DurationNS))
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// The check column is last and left as it is, so a long verdict does
	// not push the figures apart.
	fmt.Fprintln(tw, "workload\tmsgs\tmsgs/s\tns/msg\tlatency of\tp50\tp99\tp99.9\tallocs/msg\tB/msg\tuser\tsys\t  check")
	for _, r := range rep.Results {
		name := r.Workload
		if r.Concurrency > 0 {
			name += fmt.Sprintf(" ×%d", r.Concurrency)
		}
		if rep.Config.Count > 1 {
			name += fmt.Sprintf(" #%d", r.Run)
		}
		of, p50, p99, p999 := "-", "-", "-", "-"
		if l := r.Latency; l != nil {
			of = fmt.Sprintf("%s %ss", fmtCount(float64(l.Samples)), r.LatencyOf)
			if r.LatencyOf == "batch" {
				of = fmt.Sprintf("%s batches of %d", fmtCount(float64(l.Samples)), r.Batch)
			}
			p50 = fmtDur(float64(l.P50))
			if l.P99 != nil {
				p99 = fmtDur(float64(*l.P99))
			}
			if l.P999 != nil {
				p999 = fmtDur(float64(*l.P999))
			}
		}
		check := r.verdict()
		if r.Error != "" {
			check = "error (below)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.4f\t%.2f\t%s\t%s\t  %s\n",
			name, fmtCount(float64(r.Messages)), fmtCount(r.MsgsPerSec), r.NSPerMsg, of, p50, p99, p999,
			r.AllocsPerMsg, r.BytesPerMsg, fmtDur(float64(r.UserCPUNS)), fmtDur(float64(r.SysCPUNS)), check)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes strings.Builder
	if slices.ContainsFunc(rep.Results, func(r *result) bool { return r.Latency != nil && r.Latency.P999 == nil }) {
		fmt.Fprintf(&notes, "p99 is given from %d samples, p99.9 from %d; \"-\" where a run took fewer.\n", minSamplesP99, minSamplesP999)
	}
	for _, r := range rep.Results {
		if e := r.Events; e != nil {
			forced := "capped at net.core.rmem_max"
			if e.Forced {
				forced = "SO_RCVBUFFORCE"
			}
			fmt.Fprintf(&notes, "%s (run %d): listener receive buffer %d bytes (-listener-rcvbuf %s, %s); the writer made %d changes, the listener received %d events, lost %d; ENOBUFS %d, Conn queue drops %d\n",
				r.Workload, r.Run, e.ReceiveBuffer, e.BufferChoice, forced, e.Expected, e.Received, e.Lost, e.ENOBUFS, e.QueueDrops)
		}
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			fmt.Fprintf(&notes, "%s (run %d): %s\n", r.Workload, r.Run, r.Error)
		} else if r.Check != "ok" {
			fmt.Fprintf(&notes, "%s (run %d): check failed: %s\n", r.Workload, r.Run, r.Check)
		}
	}
	if notes.Len() > 0 {
		_, err := io.WriteString(w, "\n"+notes.String())
		return err
	}
	return nil
}

// writeBenchfmt prints the results as Go benchmark lines (one per run), so
// that benchstat can compare two runs. An "op" is one message: N is the
// message count and ns/op the time per message.
func writeBenchfmt(w io.Writer, rep *report) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "goos: %s\ngoarch: %s\npkg: github.com/nlengine/nlengine/cmd/nlbench\n", runtime.GOOS, runtime.GOARCH)
	if cpu := cpuModel(); cpu != "" {
		fmt.Fprintf(&sb, "cpu: %s\n", cpu)
	}
	if t := rep.Target; t.Sandbox {
		fmt.Fprintf(&sb, "routes: %d\nlinks: %d\naddrs: %d\n", t.IPv4Routes, t.Links, t.IPv4Addrs)
	}
	for _, r := range rep.Results {
		if r.Error != "" || r.Messages == 0 {
			continue // benchstat has no way to say "failed"; the table and -json do
		}
		name := "BenchmarkNlbench/" + r.Workload
		if r.Concurrency > 0 {
			name += fmt.Sprintf("/goroutines=%d", r.Concurrency)
		}
		if r.Batch > 0 {
			name += fmt.Sprintf("/batch=%d", r.Batch)
		}
		name += fmt.Sprintf("-%d", rep.Config.GOMAXPROCS)
		fmt.Fprintf(&sb, "%s\t%d\t%.2f ns/op\t%.0f msgs/s\t%.4g allocs/msg\t%.4g B/msg\t%.1f cpu-ns/msg",
			name, r.Messages, r.NSPerMsg, r.MsgsPerSec, r.AllocsPerMsg, r.BytesPerMsg,
			float64(r.UserCPUNS+r.SysCPUNS)/float64(r.Messages))
		if l := r.Latency; l != nil {
			fmt.Fprintf(&sb, "\t%d p50-ns", l.P50)
			if l.P99 != nil {
				fmt.Fprintf(&sb, "\t%d p99-ns", *l.P99)
			}
			if l.P999 != nil {
				fmt.Fprintf(&sb, "\t%d p999-ns", *l.P999)
			}
		}
		if e := r.Events; e != nil {
			fmt.Fprintf(&sb, "\t%d events-lost\t%d enobufs", e.Lost, e.ENOBUFS)
		}
		sb.WriteString("\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// fmtDur formats nanoseconds with about three significant digits.
func fmtDur(ns float64) string {
	switch {
	case ns >= 1e9:
		return sig3(ns/1e9) + "s"
	case ns >= 1e6:
		return sig3(ns/1e6) + "ms"
	case ns >= 1e3:
		return sig3(ns/1e3) + "µs"
	}
	return fmt.Sprintf("%.0fns", ns)
}

// fmtCount formats a count with about three significant digits and k/M/G.
func fmtCount(v float64) string {
	switch {
	case v >= 1e9:
		return sig3(v/1e9) + "G"
	case v >= 1e6:
		return sig3(v/1e6) + "M"
	case v >= 1e4:
		return sig3(v/1e3) + "k"
	}
	return fmt.Sprintf("%.0f", v)
}

// sig3 formats v (>= 1) with three significant digits, never in e-notation.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
