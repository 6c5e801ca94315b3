package rtnl

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nlengine/nlengine/nlmsg"
)

// Handle is a traffic control handle or class id, major:minor in 16 bits
// each, as tcm_handle and tcm_parent carry it. A qdisc's handle has minor
// 0 ("1:"); a class's has the major of its qdisc ("1:10").
type Handle uint32

// Special handles.
const (
	// HandleNone is TC_H_UNSPEC: no handle (a qdisc the kernel made has
	// handle 0:; a write with it lets the kernel pick one).
	HandleNone Handle = Handle(nlmsg.TCHUnspec)
	// HandleRoot is TC_H_ROOT, the parent of a device's root qdisc and of
	// a classful qdisc's top classes.
	HandleRoot Handle = Handle(nlmsg.TCHRoot)
	// HandleIngress is TC_H_INGRESS (ffff:fff1), the parent of an ingress
	// or a clsact qdisc, whose own handle is ffff:.
	HandleIngress Handle = Handle(nlmsg.TCHIngress)
	// HandleClsact is TC_H_CLSACT, the same value as HandleIngress.
	HandleClsact Handle = HandleIngress
)

// NewHandle returns the handle major:minor.
func NewHandle(major, minor uint16) Handle { return Handle(uint32(major)<<16 | uint32(minor)) }

// Major returns the handle's upper 16 bits (the qdisc's number).
func (h Handle) Major() uint16 { return uint16(h >> 16) }

// Minor returns the handle's lower 16 bits (the class's number).
func (h Handle) Minor() uint16 { return uint16(h) }

// String prints h as tc does: "root", "none" for 0, "1:" for a minor of 0,
// ":10" for a major of 0, "1:10" otherwise, in hexadecimal. It allocates.
func (h Handle) String() string {
	switch {
	case h == HandleRoot:
		return "root"
	case h == HandleNone:
		return "none"
	case h.Major() == 0:
		return ":" + strconv.FormatUint(uint64(h.Minor()), 16)
	case h.Minor() == 0:
		return strconv.FormatUint(uint64(h.Major()), 16) + ":"
	}
	return strconv.FormatUint(uint64(h.Major()), 16) + ":" + strconv.FormatUint(uint64(h.Minor()), 16)
}

// ErrHandleSyntax is wrapped by ParseHandle's errors.
var ErrHandleSyntax = errors.New("rtnl: not a tc handle")

// ParseHandle reads a handle as tc writes one: "root", "ingress", "clsact",
// "none", "1:", "1:10", ":10" or "ffff:fff1" (hexadecimal parts of up to
// 16 bits each).
func ParseHandle(s string) (Handle, error) {
	switch s {
	case "root":
		return HandleRoot, nil
	case "ingress", "clsact":
		return HandleIngress, nil
	case "none":
		return HandleNone, nil
	}
	maj, min, ok := strings.Cut(s, ":")
	if !ok {
		return 0, errors.Join(ErrHandleSyntax, errors.New(strconv.Quote(s)))
	}
	part := func(p string) (uint16, bool) {
		if p == "" {
			return 0, true
		}
		v, err := strconv.ParseUint(p, 16, 16)
		return uint16(v), err == nil
	}
	a, ok1 := part(maj)
	b, ok2 := part(min)
	if !ok1 || !ok2 || maj == "" && min == "" {
		return 0, errors.Join(ErrHandleSyntax, errors.New(strconv.Quote(s)))
	}
	return NewHandle(a, b), nil
}
