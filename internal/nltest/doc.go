//go:build linux

// Package nltest holds what the family packages' tests and benchmarks
// share: [Floor], the raw netlink socket every impl=floor benchmark is
// measured against, [CPUTime] and [ReportCPU] for the cpu-ns/op metric,
// and [Seeds], which writes a fuzz target's seed corpus from kernel
// messages under -update-corpus and otherwise checks that it is there.
//
// It is for tests only: NewFloor and Seeds fail their testing.TB on a
// setup error instead of returning one.
package nltest
