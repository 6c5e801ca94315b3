package rtnl

import (
	"iter"
	"slices"
)

// collect gathers an iterator's values into owned copies (own makes each:
// a deep copy of the in-place value); every list of the package is one.
// On an error it returns the values read so far with it. It doubles the
// slice's capacity when full, where append grows a large slice by a
// quarter, which for 100 000 routes allocated five times their size in
// all and copied most of it several times.
func collect[T any](seq iter.Seq2[*T, error], own func(*T) T) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		if len(out) == cap(out) {
			out = slices.Grow(out, max(len(out), 16))
		}
		out = append(out, own(v))
	}
	return out, nil
}
