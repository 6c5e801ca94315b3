// Package bench holds only benchmarks: it compares nlengine with other Go
// netlink libraries and with a plain golang.org/x/sys/unix loop (the floor)
// on the same workloads, each in a private network namespace. It is a
// separate module so that nlengine's own go.mod stays free of the libraries
// it is measured against. See README.md for how to run it.
package bench
