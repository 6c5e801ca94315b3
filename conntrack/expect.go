package conntrack

import (
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// ExpectFlags are the NF_CT_EXPECT_* bits of an expectation
// (CTA_EXPECT_FLAGS).
type ExpectFlags uint32

// Expectation flags, with the kernel's values.
const (
	ExpectPermanent = ExpectFlags(nlmsg.NFCTExpectPermanent) // stays after a connection used it
	ExpectInactive  = ExpectFlags(nlmsg.NFCTExpectInactive)  // not matched until the helper activates it
	ExpectUserspace = ExpectFlags(nlmsg.NFCTExpectUserspace) // made by a user-space helper; the kernel clears it on a create
)

// String returns the names conntrack -L expect prints for the bits that
// are set, joined by "," (for example "PERMANENT,INACTIVE"), unknown bits
// as a hex number, or "" for none. It allocates.
func (f ExpectFlags) String() string {
	var parts []string
	for i, n := range [...]string{"PERMANENT", "INACTIVE", "USERSPACE"} {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := uint32(f) &^ 7; rest != 0 {
		parts = append(parts, "0x"+strings.ToLower(hex32(rest)))
	}
	return strings.Join(parts, ",")
}

// ExpectFields is a set of an Expect's optional parts: which ones the
// kernel sent (Expect.Has), and for ExpectFieldNAT whether CreateExpect
// writes the NAT.
type ExpectFields uint16

// Optional parts of an Expect.
const (
	ExpectFieldMaster  ExpectFields = 1 << iota // Master
	ExpectFieldMask                             // Mask
	ExpectFieldTimeout                          // Timeout
	ExpectFieldID                               // ID
	ExpectFieldHelper                           // Helper
	ExpectFieldZone                             // Zone
	ExpectFieldFlags                            // Flags
	ExpectFieldClass                            // Class
	ExpectFieldNAT                              // NAT
	ExpectFieldFn                               // Fn
)

// ExpectNAT is how an expected connection is to be NATed
// (CTA_EXPECT_NAT), set by a NAT helper such as the FTP one: Dir is the
// direction of the master the translation follows (0 original, 1 reply),
// and Tuple carries the saved address and port in its Src and SrcPort (its
// destination is unset).
type ExpectNAT struct {
	Dir   uint32
	Tuple Tuple
}

// Expect is one expectation: a connection a helper (FTP, SIP, ...) expects
// because of what it read on its master entry. Tuple is the connection
// expected and Mask the bits of it that must match (an address or port of
// all ones must match exactly, zero matches anything); the kernel matches
// the destination of Tuple exactly whatever the mask says. Like Flow it is a
// plain value that refers to no buffer, so one Expect can be decoded into
// again and again without allocating and copied freely; Has says which
// optional parts the kernel sent. Like any value it is not safe for
// concurrent use while something writes it (Decode, SetHelper, SetFn).
type Expect struct {
	Family uint8 // AF_INET or AF_INET6 (nfgen_family)
	Tuple  Tuple // CTA_EXPECT_TUPLE
	Mask   Tuple // CTA_EXPECT_MASK: addresses and ports as masks, Proto the protocol
	// Master is the original tuple of the entry whose helper expects the
	// connection (CTA_EXPECT_MASTER).
	Master  Tuple
	Timeout uint32 // seconds left
	ID      uint32 // the kernel's id of the expectation
	// Zone is the zone of the master (CTA_EXPECT_ZONE), in which
	// CreateExpect looks the master up and GetExpect and DeleteExpect the
	// expectation. Linux 6.18 never sends it: a decoded Expect has zone 0
	// and no ExpectFieldZone whatever its master's zone.
	Zone   uint16
	Flags  ExpectFlags
	Class  uint32 // the helper's class of expectation (FTP has one, 0)
	NAT    ExpectNAT
	helper [16]byte // NF_CT_HELPER_NAME_LEN
	fn     [32]byte
	helpLn uint8
	fnLen  uint8
	Has    ExpectFields
}

// Helper returns the name of the master's helper (CTA_EXPECT_HELP_NAME),
// or "" for none. It allocates only when there is a name; HelperBytes does
// not.
func (e *Expect) Helper() string { return string(e.HelperBytes()) }

// HelperBytes returns the helper's name as bytes inside e, valid until e
// changes.
func (e *Expect) HelperBytes() []byte { return e.helper[:e.helpLn] }

// SetHelper sets the helper name that CreateExpect sends (the kernel then
// gives the expected entry that helper and accepts a Class below the
// helper's limit). A name longer than 15 bytes (the kernel's limit) fails
// with ErrBadLength and leaves e unchanged; "" removes it. It does not
// allocate.
func (e *Expect) SetHelper(name string) error {
	return setName(e.helper[:], &e.helpLn, name, &e.Has, ExpectFieldHelper)
}

// Fn returns the name of the function the kernel runs on the expected
// entry (CTA_EXPECT_FN, "nat-follow-master" for a NAT helper), or "". It
// allocates only when there is a name; FnBytes does not.
func (e *Expect) Fn() string { return string(e.FnBytes()) }

// FnBytes returns the function's name as bytes inside e, valid until e
// changes.
func (e *Expect) FnBytes() []byte { return e.fn[:e.fnLen] }

// SetFn sets the function name that CreateExpect sends; the kernel refuses
// (EINVAL) a name it has not registered. A name longer than 31 bytes fails
// with ErrBadLength and leaves e unchanged; "" removes it. It does not
// allocate.
func (e *Expect) SetFn(name string) error {
	return setName(e.fn[:], &e.fnLen, name, &e.Has, ExpectFieldFn)
}

// setName copies name into buf, zeroing the rest, sets *n to its length
// and field in *has (clears it for ""); a name that leaves no room for a
// NUL in buf fails with ErrBadLength and changes nothing.
func setName[S string | []byte](buf []byte, n *uint8, name S, has *ExpectFields, field ExpectFields) error {
	if len(name) >= len(buf) {
		return ErrBadLength
	}
	clear(buf)
	*n = uint8(copy(buf, name))
	if len(name) == 0 {
		*has &^= field
	} else {
		*has |= field
	}
	return nil
}

// Decode decodes an expectation message (IPCTNL_MSG_EXP_NEW or _DELETE,
// from a dump, a get or an event) from its payload (nfgenmsg first) into
// e, resetting e first. It does not allocate unless it fails, with a
// *DecodeError that names the attribute.
func (e *Expect) Decode(payload []byte) error {
	return decodeMessage(payload, func(fam uint8) { *e = Expect{Family: fam} }, e.decodeAttr)
}

func (e *Expect) decodeAttr(a nlmsg.Attr) error {
	var err error
	var name string
	switch a.Type() {
	case nlmsg.CTAExpectTuple:
		return decodeTuple(&e.Tuple, "CTA_EXPECT_TUPLE", a)
	case nlmsg.CTAExpectMask:
		e.Has |= ExpectFieldMask
		return decodeTuple(&e.Mask, "CTA_EXPECT_MASK", a)
	case nlmsg.CTAExpectMaster:
		e.Has |= ExpectFieldMaster
		return decodeTuple(&e.Master, "CTA_EXPECT_MASTER", a)
	case nlmsg.CTAExpectNAT:
		e.Has |= ExpectFieldNAT
		return e.decodeNAT(a)
	case nlmsg.CTAExpectTimeout:
		e.Timeout, err = a.Uint32BE()
		name, e.Has = "CTA_EXPECT_TIMEOUT", e.Has|ExpectFieldTimeout
	case nlmsg.CTAExpectID:
		e.ID, err = a.Uint32BE()
		name, e.Has = "CTA_EXPECT_ID", e.Has|ExpectFieldID
	case nlmsg.CTAExpectZone:
		e.Zone, err = a.Uint16BE()
		name, e.Has = "CTA_EXPECT_ZONE", e.Has|ExpectFieldZone
	case nlmsg.CTAExpectFlags:
		var v uint32
		v, err = a.Uint32BE()
		e.Flags, name, e.Has = ExpectFlags(v), "CTA_EXPECT_FLAGS", e.Has|ExpectFieldFlags
	case nlmsg.CTAExpectClass:
		e.Class, err = a.Uint32BE()
		name, e.Has = "CTA_EXPECT_CLASS", e.Has|ExpectFieldClass
	case nlmsg.CTAExpectHelpName:
		err = setName(e.helper[:], &e.helpLn, a.StringBytes(), &e.Has, ExpectFieldHelper)
		name = "CTA_EXPECT_HELP_NAME"
	case nlmsg.CTAExpectFN:
		err = setName(e.fn[:], &e.fnLen, a.StringBytes(), &e.Has, ExpectFieldFn)
		name = "CTA_EXPECT_FN"
	}
	if err != nil {
		return attrErr(name, a, err)
	}
	return nil
}

// decodeNAT decodes the CTA_EXPECT_NAT nest a.
func (e *Expect) decodeNAT(a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		switch at.Type() {
		case nlmsg.CTAExpectNATDir:
			v, err := at.Uint32BE()
			if err != nil {
				return attrErr("CTA_EXPECT_NAT/CTA_EXPECT_NAT_DIR", at, err)
			}
			e.NAT.Dir = v
		case nlmsg.CTAExpectNATTuple:
			if err := decodeTuple(&e.NAT.Tuple, "CTA_EXPECT_NAT_TUPLE", at); err != nil {
				return wrapPath("CTA_EXPECT_NAT", err)
			}
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_EXPECT_NAT", a, err)
	}
	return nil
}

// family returns the nfgenmsg family of e.
func (e *Expect) family() uint8 {
	if e.Family != 0 {
		return e.Family
	}
	return e.Tuple.Family()
}

// appendExpectAttrs writes the attributes of a create of e: the three
// tuples (the mask ExactMask's when e.Mask has no addresses), the timeout,
// and the optional parts that are set.
func appendExpectAttrs(b *nlmsg.Builder, e *Expect) {
	appendExpectKey(b, e)
	if e.Zone != 0 {
		b.Uint16BE(nlmsg.CTAExpectZone, e.Zone)
	}
	if e.helpLn != 0 {
		// NB: the name is shorter than the array and the rest is zero, so
		// the byte after it is its NUL.
		b.Attr(nlmsg.CTAExpectHelpName, e.helper[:e.helpLn+1])
	}
	if e.Class != 0 {
		b.Uint32BE(nlmsg.CTAExpectClass, e.Class)
	}
	if e.Flags != 0 {
		b.Uint32BE(nlmsg.CTAExpectFlags, uint32(e.Flags))
	}
	if e.fnLen != 0 {
		b.Attr(nlmsg.CTAExpectFN, e.fn[:e.fnLen+1])
	}
	if e.Has&ExpectFieldNAT != 0 {
		n := b.BeginNest(nlmsg.CTAExpectNAT)
		b.Uint32BE(nlmsg.CTAExpectNATDir, e.NAT.Dir)
		t := e.NAT.Tuple
		if !t.Src.IsValid() {
			t.Src = zeroAddr(e.family())
		}
		if !t.Dst.IsValid() || t.Dst.Is4() != t.Src.Is4() {
			t.Dst = zeroAddr(t.Family())
		}
		if t.Proto == 0 {
			t.Proto = e.Master.Proto
		}
		appendTuple(b, nlmsg.CTAExpectNATTuple, &t)
		b.EndNest(n)
	}
}

// appendExpectKey writes what every create or change of e carries: the
// master, the tuple, the mask (ExactMask's when e.Mask has no addresses)
// and the timeout.
func appendExpectKey(b *nlmsg.Builder, e *Expect) {
	appendTuple(b, nlmsg.CTAExpectMaster, &e.Master)
	appendTuple(b, nlmsg.CTAExpectTuple, &e.Tuple)
	m := e.Mask
	if !m.valid() {
		m = ExactMask(e.Tuple)
	}
	appendTuple(b, nlmsg.CTAExpectMask, &m)
	b.Uint32BE(nlmsg.CTAExpectTimeout, e.Timeout)
}

// ExactMask returns the mask of an expectation that matches t exactly,
// except for a source port of 0, which matches any port (as helpers
// expect a data connection from an unknown port): addresses of all ones,
// the source port 0xffff or 0, the destination port 0xffff, t's protocol.
// It is meant for the port protocols (TCP, UDP, SCTP, ...).
func ExactMask(t Tuple) Tuple {
	m := Tuple{Proto: t.Proto, DstPort: 0xffff}
	if t.SrcPort != 0 {
		m.SrcPort = 0xffff
	}
	m.Src = netip.AddrFrom4([4]byte{0xff, 0xff, 0xff, 0xff})
	if !t.Src.Is4() {
		m.Src = netip.AddrFrom16([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	m.Dst = m.Src
	return m
}

// zeroAddr returns the unspecified address of family fam.
func zeroAddr(fam uint8) netip.Addr {
	if fam == unix.AF_INET6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}
