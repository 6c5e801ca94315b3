package rtnl

import "strconv"

// bitName names one bit (or group of bits) of a flag set, as ip prints it.
type bitName[T ~uint8 | ~uint16 | ~uint32] struct {
	bit  T
	name string
}

// appendBitNames appends to out the name of each entry of names whose bits
// v has, in the table's order, and then the bits no entry named as one
// hexadecimal number ("0x..."). It allocates as out grows.
func appendBitNames[T ~uint8 | ~uint16 | ~uint32](out []string, v T, names []bitName[T]) []string {
	for _, n := range names {
		if v&n.bit != 0 {
			out = append(out, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(v), 16))
	}
	return out
}
