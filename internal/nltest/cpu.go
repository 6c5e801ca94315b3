//go:build linux

package nltest

import (
	"testing"

	"golang.org/x/sys/unix"
)

// CPUTime returns the process's user plus system CPU time in nanoseconds.
// On a shared, loaded machine wall time per op swings with the neighbours;
// CPU time per op is what the code itself costs. Safe for concurrent use.
func CPUTime() int64 {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// ReportCPU reports the CPU time per op since start (a CPUTime value) as
// the metric cpu-ns/op. Defer it at the top of a benchmark, where its
// argument is evaluated:
//
//	defer nltest.ReportCPU(b, nltest.CPUTime())
func ReportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(CPUTime()-start)/float64(b.N), "cpu-ns/op")
}
