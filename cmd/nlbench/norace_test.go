//go:build !race

package main

// raceEnabled reports whether the tests run under the race detector; the
// binary they build then gets it too.
const raceEnabled = false
