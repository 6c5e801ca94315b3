//go:build linux

// Package nltest holds what the family packages' tests and benchmarks
// share: [Floor], the raw netlink socket every impl=floor benchmark is
// measured against, and [CPUTime] and [ReportCPU] for the cpu-ns/op metric.
//
// It is for tests only: NewFloor fails its testing.TB on a setup error
// instead of returning one.
package nltest
