package rtnl

import "github.com/nlengine/nlengine/internal/intern"

// names interns the short strings that decoding meets over and over (link
// names, kinds, labels, congestion algorithms), so that decoding them does
// not allocate once they have been seen.
var names = intern.New(1 << 14)
