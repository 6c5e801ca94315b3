package ethtool

import (
	"encoding/binary"
	"iter"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// MaxBits is how many bits a Bitset holds: room for every link mode the
// kernel defines (about 120 in Linux 6.18) and growth.
const MaxBits = 512

// Bitset is an ethtool bit set (ETHTOOL_A_BITSET_*), such as link modes
// indexed by ETHTOOL_LINK_MODE_*_BIT, stored in place without allocation.
type Bitset struct {
	size  uint32
	words [MaxBits / 32]uint32
}

// Size returns the number of significant bits the kernel sent.
func (s *Bitset) Size() int { return int(s.size) }

// Has reports whether bit i is set.
func (s *Bitset) Has(i int) bool {
	return i >= 0 && i < MaxBits && s.words[i/32]&(1<<(i%32)) != 0
}

// Set sets bit i (i < MaxBits) and grows Size to include it.
func (s *Bitset) Set(i int) {
	if i < 0 || i >= MaxBits {
		return
	}
	s.words[i/32] |= 1 << (i % 32)
	s.size = max(s.size, uint32(i+1))
}

// Empty reports whether no bit is set.
func (s *Bitset) Empty() bool { return s.words == [len(s.words)]uint32{} }

// Bits yields the indices of the set bits in increasing order.
func (s *Bitset) Bits() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range min(int(s.size), MaxBits) {
			if s.Has(i) && !yield(i) {
				return
			}
		}
	}
}

// decodeBitset decodes a bit set nest, compact or verbose, into value and,
// unless the set has no mask (ETHTOOL_A_BITSET_NOMASK) or mask is nil,
// mask. name is the nest's attribute name for errors.
func decodeBitset(a nlmsg.Attr, msg, name string, value, mask *Bitset) error {
	*value = Bitset{}
	if mask != nil {
		*mask = Bitset{}
	}
	bad := func(err error) error { return genl.NewDecodeError(msg, name, a.Offset(), err) }
	var size uint32
	noMask := false
	as := a.Attrs()
	for as.Next() {
		noMask = noMask || as.Attr().Type() == nlmsg.EthtoolABitsetNoMask
	}
	as = a.Attrs()
	for as.Next() {
		f := as.Attr()
		switch f.Type() {
		case nlmsg.EthtoolABitsetSize:
			v, err := f.Uint32()
			if err != nil {
				return bad(err)
			}
			if v > MaxBits {
				return bad(genl.ErrTooMany)
			}
			size = v
		case nlmsg.EthtoolABitsetValue:
			if err := words(f.Data(), value); err != nil {
				return bad(err)
			}
		case nlmsg.EthtoolABitsetMask:
			if mask != nil {
				if err := words(f.Data(), mask); err != nil {
					return bad(err)
				}
			}
		case nlmsg.EthtoolABitsetBits:
			if err := verboseBits(f, noMask, value, mask); err != nil {
				return bad(err)
			}
		}
	}
	if err := as.Err(); err != nil {
		return bad(err)
	}
	value.size = max(value.size, size)
	if mask != nil {
		mask.size = max(mask.size, size)
	}
	return nil
}

// words copies a compact bit set array (u32 words in host order) into s.
func words(b []byte, s *Bitset) error {
	if len(b)%4 != 0 {
		return &nlmsg.FormatError{What: "bitset words", Len: len(b), Left: len(b) &^ 3, Err: nlmsg.ErrBadSize}
	}
	if len(b)/4 > len(s.words) {
		return genl.ErrTooMany
	}
	for i := range len(b) / 4 {
		s.words[i] = binary.NativeEndian.Uint32(b[4*i:])
	}
	return nil
}

// verboseBits reads the verbose form: one nest per bit with its index.
// In a list (noMask) every bit listed is set; in a value/mask set every bit
// listed is in the mask, and in the value when it has the VALUE flag.
func verboseBits(a nlmsg.Attr, noMask bool, value, mask *Bitset) error {
	bits := a.Attrs()
	for bits.Next() {
		var idx uint32
		set, haveIdx := false, false
		fields := bits.Attr().Attrs()
		for fields.Next() {
			f := fields.Attr()
			switch f.Type() {
			case nlmsg.EthtoolABitsetBitIndex:
				v, err := f.Uint32()
				if err != nil {
					return err
				}
				idx, haveIdx = v, true
			case nlmsg.EthtoolABitsetBitValue:
				set = true
			}
		}
		if err := fields.Err(); err != nil {
			return err
		}
		if !haveIdx {
			continue
		}
		if idx >= MaxBits {
			return genl.ErrTooMany
		}
		if noMask || set {
			value.Set(int(idx))
		}
		if !noMask && mask != nil {
			mask.Set(int(idx))
		}
	}
	return bits.Err()
}
