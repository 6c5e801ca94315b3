//go:build race

package mirror

import "time"

const skipAllocs = true

// within is how soon after a storm the mirror must equal the kernel: the
// race detector makes the mirror's goroutine (and the test's change log)
// several times slower, so the backlog of a storm takes longer to apply.
// Without it, 1 s.
const within = 5 * time.Second
