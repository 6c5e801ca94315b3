//go:build !race

package genl

// raceEnabled reports whether the race detector is on; it changes
// sync.Pool's behaviour, which the allocation tests depend on.
const raceEnabled = false
