//go:build linux

// Package netnstest gives tests and benchmarks a private network namespace of
// their own, so they can talk to the real kernel over netlink without touching
// the host's links, addresses or routes.
//
// # Two ways to get a namespace
//
// As root (or with CAP_SYS_ADMIN), [New] creates the namespace directly: a
// goroutine locks itself to an OS thread, calls unshare(CLONE_NEWNET), keeps a
// file descriptor of the new namespace and exits without unlocking, so the Go
// runtime throws that thread away instead of handing it to other goroutines.
// The goroutine that called New never changes namespace. [NS.Do] runs code in
// the namespace the same way: on a fresh locked thread that enters it with
// setns and is discarded afterwards. Neither ever uses the process's main
// thread, which the runtime parks for good instead of discarding, so it would
// stay in the namespace and show in /proc/self/ns/net.
//
// Without privileges a process can still own a network namespace inside a user
// namespace it created, but a multi-threaded Go process cannot
// unshare(CLONE_NEWUSER) itself. So [Main], called from TestMain, re-executes
// the test binary with the same arguments and environment into a new user and
// network namespace, where it runs as uid 0 with full capabilities over that
// namespace, and exits with the child's exit code. Inside the child New works
// as it does for root. The child's own network namespace is private too, and
// Main brings its loopback up, so even tests that never call New cannot reach
// the host's network.
//
//	func TestMain(m *testing.M) { netnstest.Main(m) }
//
// # Skipping, and the NLTEST_REQUIRE_NETNS contract
//
// When no namespace can be made (no privileges and user namespaces disabled),
// New calls tb.Skipf with the reason, so a plain "go test" on a restricted
// machine passes with skips instead of failing. When the environment variable
// NLTEST_REQUIRE_NETNS is "1", New calls tb.Fatalf instead: CI sets it so that
// kernel tests can never silently turn into skips.
//
// Helpers that change links or addresses return only once the kernel has
// finished the change in the background too (a veth's queues are active, an
// IPv6 address has its local route), so traffic sent right after them is not
// lost. All helpers speak raw rtnetlink through golang.org/x/sys/unix; nothing here
// runs the ip command or any other program but the test binary itself.
package netnstest
