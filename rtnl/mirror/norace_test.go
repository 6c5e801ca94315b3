//go:build !race

package mirror

// skipAllocs is set under the race detector, whose instrumentation
// allocates; allocation tests skip then.
const skipAllocs = false
