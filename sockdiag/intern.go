package sockdiag

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// Interned strings: congestion control names repeat across every socket of
// a dump, so each distinct name is allocated once and shared. The table is
// small and bounded; past maxInterned names a string is allocated per call.
const maxInterned = 64

var interned struct {
	mu    sync.Mutex               // serialises writers
	names atomic.Pointer[[]string] // copy-on-write, read without locking
}

// intern returns b as a string without allocating when it was seen before.
// Safe for concurrent use.
func intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if p := interned.names.Load(); p != nil {
		for _, s := range *p {
			if s == string(b) {
				return s
			}
		}
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	var names []string
	if p := interned.names.Load(); p != nil {
		names = *p
		for _, s := range names {
			if s == string(b) {
				return s
			}
		}
	}
	s := string(b)
	if len(names) < maxInterned {
		next := append(names[:len(names):len(names)], s)
		interned.names.Store(&next)
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
