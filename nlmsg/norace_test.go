//go:build !race

package nlmsg

// raceEnabled reports whether the race detector is on; it changes
// sync.Pool's behaviour, which some allocation tests depend on.
const raceEnabled = false
