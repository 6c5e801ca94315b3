package rtnl

import "sync"

// names interns the short strings that decoding meets over and over (link
// names, kinds, labels), so that decoding them does not allocate once they
// have been seen. It is bounded: when full it starts again empty.
var names = interner{m: make(map[string]string)}

const maxInterned = 1 << 14

type interner struct {
	mu sync.Mutex
	m  map[string]string
}

// intern returns b as a string, allocating only the first time it is seen
// (while the table is not reset). Safe for concurrent use.
func (in *interner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	in.mu.Lock()
	s, ok := in.m[string(b)] // NB: the conversion in a map index does not allocate
	if !ok {
		if len(in.m) >= maxInterned {
			clear(in.m)
		}
		s = string(b)
		in.m[s] = s
	}
	in.mu.Unlock()
	return s
}
