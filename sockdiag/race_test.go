//go:build race

package sockdiag_test

// raceEnabled reports whether the race detector is on; it makes sync.Pool
// drop items, so allocation counts are not meaningful under -race.
const raceEnabled = true
