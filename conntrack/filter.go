package conntrack

import (
	"net/netip"

	"github.com/nlengine/nlengine/nlmsg"
)

// Filter selects entries of a dump or a bulk delete. The zero Filter
// selects everything. Each set field narrows the selection; all must match.
//
// The kernel applies what it can: the family (nfgen_family), the mark and
// mask (CTA_MARK, CTA_MARK_MASK), the status and mask (CTA_STATUS,
// CTA_STATUS_MASK, Linux 5.19+), a non-zero zone (CTA_ZONE, Linux 6.8+) and,
// when Family is set, the protocol, addresses and ports of the original
// tuple (CTA_FILTER, Linux 5.8+; addresses only when Family is AF_INET,
// since the kernel matches IPv6 ones the wrong way round). Every entry the
// kernel returns is checked again against the whole Filter in user space,
// and a kernel that refuses a filter attribute gets the dump again without
// it, so the result is the same on every kernel; only the cost differs.
type Filter struct {
	Family uint8 // AF_INET or AF_INET6; 0 for both

	// Mark selects entries whose mark&MarkMask equals Mark&MarkMask;
	// MarkMask 0 means any mark.
	Mark, MarkMask uint32

	// Status selects entries whose status&StatusMask equals Status;
	// StatusMask 0 means any status.
	Status, StatusMask Status

	// Zone selects the entries of one zone when HasZone is set.
	Zone    uint16
	HasZone bool

	// Proto selects an L4 protocol (ProtoTCP, ProtoUDP, ...); 0 for any.
	Proto uint8

	// Addresses and ports of the original direction; the zero Addr and
	// port 0 match anything.
	OrigSrc, OrigDst         netip.Addr
	OrigSrcPort, OrigDstPort uint16

	// Addresses of the reply direction (for example the real server after
	// DNAT).
	ReplySrc, ReplyDst netip.Addr
}

// Match reports whether f is selected. It does not allocate.
func (flt *Filter) Match(f *Flow) bool {
	switch {
	case flt.Family != 0 && f.Family != flt.Family,
		flt.MarkMask != 0 && f.Mark&flt.MarkMask != flt.Mark&flt.MarkMask,
		flt.StatusMask != 0 && f.Status&flt.StatusMask != flt.Status&flt.StatusMask,
		flt.HasZone && f.Zone != flt.Zone,
		flt.Proto != 0 && f.Orig.Proto != flt.Proto,
		flt.OrigSrc.IsValid() && f.Orig.Src != flt.OrigSrc,
		flt.OrigDst.IsValid() && f.Orig.Dst != flt.OrigDst,
		flt.OrigSrcPort != 0 && (f.Orig.IsICMP() || f.Orig.SrcPort != flt.OrigSrcPort),
		flt.OrigDstPort != 0 && (f.Orig.IsICMP() || f.Orig.DstPort != flt.OrigDstPort),
		flt.ReplySrc.IsValid() && f.Reply.Src != flt.ReplySrc,
		flt.ReplyDst.IsValid() && f.Reply.Dst != flt.ReplyDst:
		return false
	}
	return true
}

// kernelLevel says how much of a Filter a dump request carries.
type kernelLevel int

const (
	kernelNone kernelLevel = iota // family only
	kernelMark                    // + CTA_MARK/CTA_MARK_MASK (every kernel since 2.6.x)
	kernelAll                     // + CTA_STATUS, CTA_ZONE, CTA_FILTER
)

// appendDumpFilter writes the attributes of flt that the kernel applies
// at level lvl.
func (flt *Filter) appendDumpFilter(b *nlmsg.Builder, lvl kernelLevel) {
	if lvl >= kernelMark && flt.MarkMask != 0 {
		b.Uint32BE(nlmsg.CTAMark, flt.Mark&flt.MarkMask)
		b.Uint32BE(nlmsg.CTAMarkMask, flt.MarkMask)
	}
	if lvl < kernelAll {
		return
	}
	if flt.StatusMask != 0 {
		b.Uint32BE(nlmsg.CTAStatus, uint32(flt.Status&flt.StatusMask))
		b.Uint32BE(nlmsg.CTAStatusMask, uint32(flt.StatusMask))
	}
	// NB: the kernel treats zone 0 (the default zone) as "no zone filter";
	// user space checks it.
	if flt.HasZone && flt.Zone != 0 {
		b.Uint16BE(nlmsg.CTAZone, flt.Zone)
	}
	flags := flt.tupleFlags()
	if flags == 0 || flt.Family == 0 {
		return
	}
	t := b.BeginNest(nlmsg.CTATupleOrig)
	if flags&(nlmsg.CTAFilterFlagIPSrc|nlmsg.CTAFilterFlagIPDst) != 0 {
		ip := b.BeginNest(nlmsg.CTATupleIP)
		src, dst := nlmsg.CTAIPv4Src, nlmsg.CTAIPv4Dst
		if flt.Family != 2 { // AF_INET
			src, dst = nlmsg.CTAIPv6Src, nlmsg.CTAIPv6Dst
		}
		if flt.OrigSrc.IsValid() {
			b.Attr(src, flt.OrigSrc.AsSlice())
		}
		if flt.OrigDst.IsValid() {
			b.Attr(dst, flt.OrigDst.AsSlice())
		}
		b.EndNest(ip)
	}
	if flt.Proto != 0 {
		p := b.BeginNest(nlmsg.CTATupleProto)
		b.Uint8(nlmsg.CTAProtoNum, flt.Proto)
		if flags&nlmsg.CTAFilterFlagProtoSrcPort != 0 {
			b.Uint16BE(nlmsg.CTAProtoSrcPort, flt.OrigSrcPort)
		}
		if flags&nlmsg.CTAFilterFlagProtoDstPort != 0 {
			b.Uint16BE(nlmsg.CTAProtoDstPort, flt.OrigDstPort)
		}
		b.EndNest(p)
	}
	b.EndNest(t)
	n := b.BeginNest(nlmsg.CTAFilter)
	b.Uint32(nlmsg.CTAFilterOrigFlags, flags) // NLA_U32, host order
	b.Uint32(nlmsg.CTAFilterReplyFlags, 0)
	b.EndNest(n)
}

// tupleFlags returns the CTA_FILTER_FLAG_* bits for the original-tuple
// part of flt that the kernel can match (IPv4 addresses of an AF_INET
// filter, ports only with a port protocol).
func (flt *Filter) tupleFlags() uint32 {
	var fl uint32
	// NB: the kernel's CTA_FILTER compares IPv6 addresses the wrong way
	// round (measured on Linux 6.18: a filter on 2001:db8::2 sends every
	// entry but that one), so IPv6 addresses are matched in user space only.
	want4 := flt.Family == 2
	if flt.OrigSrc.IsValid() && flt.OrigSrc.Is4() && want4 {
		fl |= nlmsg.CTAFilterFlagIPSrc
	}
	if flt.OrigDst.IsValid() && flt.OrigDst.Is4() && want4 {
		fl |= nlmsg.CTAFilterFlagIPDst
	}
	if flt.Proto != 0 {
		fl |= nlmsg.CTAFilterFlagProtoNum
		switch flt.Proto {
		case ProtoTCP, ProtoUDP, ProtoSCTP, ProtoDCCP, ProtoUDPLite:
			if flt.OrigSrcPort != 0 {
				fl |= nlmsg.CTAFilterFlagProtoSrcPort
			}
			if flt.OrigDstPort != 0 {
				fl |= nlmsg.CTAFilterFlagProtoDstPort
			}
		}
	}
	return fl
}

// kernelExact reports whether the kernel applies all of flt at kernelAll,
// so that it sends the entries flt selects and no other: no reply
// addresses, no zone, and the tuple part only where CTA_FILTER matches
// it (a family, IPv4 addresses, ports of TCP and UDP, which are all the
// kernel compares ports of).
func (flt *Filter) kernelExact() bool {
	// NB: CTA_ZONE compares the zone's id whatever its direction, so the
	// kernel also sends an entry whose original or reply direction alone
	// is in the zone (its Zone is 0, CTA_TUPLE_ZONE in one tuple), which
	// Match leaves out; zone 0 it does not filter at all.
	if flt.ReplySrc.IsValid() || flt.ReplyDst.IsValid() || flt.HasZone {
		return false
	}
	ports := flt.OrigSrcPort != 0 || flt.OrigDstPort != 0
	if flt.Proto == 0 && !ports && !flt.OrigSrc.IsValid() && !flt.OrigDst.IsValid() {
		return true
	}
	fl := flt.tupleFlags()
	switch {
	case flt.Family == 0,
		flt.OrigSrc.IsValid() && fl&nlmsg.CTAFilterFlagIPSrc == 0,
		flt.OrigDst.IsValid() && fl&nlmsg.CTAFilterFlagIPDst == 0,
		ports && flt.Proto != ProtoTCP && flt.Proto != ProtoUDP:
		return false
	}
	return true
}

// needsKernelAll reports whether a request at kernelAll differs from one
// at kernelMark (so a refusal is worth a retry without it).
func (flt *Filter) needsKernelAll() bool {
	return flt.StatusMask != 0 || (flt.HasZone && flt.Zone != 0) || (flt.Family != 0 && flt.tupleFlags() != 0)
}
