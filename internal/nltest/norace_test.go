//go:build !race

package nltest

// raceEnabled reports whether the race detector is on; it allocates, so
// allocation tests skip under it.
const raceEnabled = false
