//go:build !race

package mirror

import "time"

// skipAllocs is set under the race detector, whose instrumentation
// allocates; allocation tests skip then.
const skipAllocs = false

// within is how soon after a storm the mirror must equal the kernel.
const within = time.Second
