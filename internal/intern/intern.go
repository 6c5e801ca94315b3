// Package intern turns the short byte strings that decoders meet over and
// over (link and family names, kinds, labels) into strings without
// allocating once a string has been seen.
package intern

import "sync"

// Table is a bounded set of strings. When it holds its bound it starts
// again empty, so a decoder that meets new names keeps learning them while
// memory stays bounded. The zero value is not usable: make one with New.
// Safe for concurrent use.
type Table struct {
	mu  sync.Mutex
	m   map[string]string
	max int
}

// New returns a Table that keeps at most max strings.
func New(max int) *Table { return &Table{m: make(map[string]string), max: max} }

// String returns b as a string, allocating only the first time b is seen
// since the table last started again. The result never aliases b.
func (t *Table) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	t.mu.Lock()
	s, ok := t.m[string(b)] // NB: the conversion in a map index does not allocate
	if !ok {
		if len(t.m) >= t.max {
			clear(t.m)
		}
		s = string(b)
		t.m[s] = s
	}
	t.mu.Unlock()
	return s
}

// Len returns how many strings the table holds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
