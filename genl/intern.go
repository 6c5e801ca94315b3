package genl

import "sync"

// maxInterned bounds the intern table: family, group and string-set names
// are few, so a full table means something unusual (a family that names
// things by the thousand); names past the bound are allocated each time.
const maxInterned = 4096

var interned struct {
	mu sync.Mutex
	m  map[string]string
}

// Intern returns b as a string, from a process-wide bounded table when it
// is there, so decoding a name seen before does not allocate. The table
// keeps at most 4096 names; later names are returned as new strings. Safe
// for concurrent use.
func Intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	interned.mu.Lock()
	// NB: a map index with string(b) does not allocate.
	s, ok := interned.m[string(b)]
	if !ok {
		s = string(b)
		if interned.m == nil {
			interned.m = make(map[string]string)
		}
		if len(interned.m) < maxInterned {
			interned.m[s] = s
		}
	}
	interned.mu.Unlock()
	return s
}
