//go:build race

package mirror

import "time"

const skipAllocs = true

// defaultWithin is how soon after a storm the mirror must equal the kernel:
// the race detector makes the mirror's goroutine (and the test's change log)
// several times slower, so the backlog of a storm takes longer to apply.
const defaultWithin = 5 * time.Second
