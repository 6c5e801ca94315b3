package rtnl

import (
	"errors"
	"testing"
)

func TestHandlePrintsAndParsesAsTc(t *testing.T) {
	for _, c := range []struct {
		h Handle
		s string
	}{
		{HandleRoot, "root"}, {HandleNone, "none"}, {NewHandle(1, 0), "1:"}, {NewHandle(1, 0x10), "1:10"},
		{NewHandle(0xffff, 0), "ffff:"}, {HandleIngress, "ffff:fff1"}, {NewHandle(0, 3), ":3"}, {NewHandle(0x8001, 0xabcd), "8001:abcd"},
	} {
		if got := c.h.String(); got != c.s {
			t.Errorf("%#x prints %q, tc %q", uint32(c.h), got, c.s)
		}
		p, err := ParseHandle(c.s)
		if c.h == HandleIngress {
			p2, _ := ParseHandle("ingress")
			p3, _ := ParseHandle("clsact")
			if p2 != HandleIngress || p3 != HandleClsact {
				t.Errorf("ingress parses as %v, clsact as %v", p2, p3)
			}
		}
		if err != nil || p != c.h {
			t.Errorf("ParseHandle(%q) = %#x, %v", c.s, uint32(p), err)
		}
	}
	if h := NewHandle(0x12, 0x34); h.Major() != 0x12 || h.Minor() != 0x34 {
		t.Errorf("major %#x minor %#x", h.Major(), h.Minor())
	}
	for _, s := range []string{"", "1", ":", "10000:", "1:10000", "x:1", "1:2:3"} {
		if _, err := ParseHandle(s); !errors.Is(err, ErrHandleSyntax) {
			t.Errorf("ParseHandle(%q): %v, want ErrHandleSyntax", s, err)
		}
	}
}
