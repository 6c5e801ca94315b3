//go:build !race

package mirror

import "time"

// skipAllocs is set under the race detector, whose instrumentation
// allocates; allocation tests skip then.
const skipAllocs = false

// defaultWithin is how soon after a storm the mirror must equal the kernel
// in an ordinary test run: 3 s, so that a CI machine busy with other
// packages' tests does not fail it. The claim of 1 s is checked with
// -within 1s (see within).
const defaultWithin = 3 * time.Second
