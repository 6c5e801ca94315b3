//go:build race

package mirror

import "time"

const skipAllocs = true

// defaultWithin is how soon after a storm the mirror must equal the kernel:
// the race detector makes the mirror's goroutine (and the test's change log)
// several times slower, so the backlog of a storm takes longer to apply. A
// CI run here, with every package's race tests at once on a slow VM, saw
// the mirror equal the kernel 7.6 s after a storm: hence 10 s, not 5.
const defaultWithin = 10 * time.Second
