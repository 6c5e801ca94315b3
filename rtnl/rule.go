package rtnl

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"strconv"

	"github.com/nlengine/nlengine/nlmsg"
)

// RuleAction is what a policy routing rule does (FR_ACT_*).
type RuleAction uint8

// Rule actions.
const (
	RuleActionUnspec      RuleAction = 0
	RuleActionToTable     RuleAction = 1 // look the packet up in Table
	RuleActionGoto        RuleAction = 2 // go on at the rule of priority Goto
	RuleActionNop         RuleAction = 3
	RuleActionBlackhole   RuleAction = 6 // drop silently
	RuleActionUnreachable RuleAction = 7 // drop with "network unreachable"
	RuleActionProhibit    RuleAction = 8 // drop with "prohibited"
)

// String gives iproute2's names ("to_tbl", "goto", "nop", "blackhole",
// "unreachable", "prohibit"), or the number.
func (a RuleAction) String() string {
	switch a {
	case RuleActionUnspec:
		return "unspec"
	case RuleActionToTable:
		return "to_tbl"
	case RuleActionGoto:
		return "goto"
	case RuleActionNop:
		return "nop"
	case RuleActionBlackhole:
		return "blackhole"
	case RuleActionUnreachable:
		return "unreachable"
	case RuleActionProhibit:
		return "prohibit"
	}
	return strconv.Itoa(int(a))
}

// Rule is a policy routing rule (RTM_NEWRULE), with the fields `ip -d -j
// rule` prints. A decoded Rule points into its message (Attrs), like a
// Route: valid until the next step of the Rules iterator; Clone keeps one.
// Its strings are interned and stay valid. Not safe for concurrent use
// while being decoded into.
type Rule struct {
	Family   Family
	Priority uint32 // FRA_PRIORITY; writes let the kernel choose when 0
	Table    Table  // FRA_TABLE
	Action   RuleAction
	Src, Dst netip.Prefix // the zero Prefix: all ("from all")
	Invert   bool         // FIB_RULE_INVERT: "not"
	IIFName  string       // input interface (FRA_IIFNAME), interned
	OIFName  string       // output interface (FRA_OIFNAME), interned
	Mark     uint32       // FRA_FWMARK
	// Mask is FRA_FWMASK. The kernel reports 0xffffffff for a rule made
	// with a mark and no mask; writes send no mask when it is 0.
	Mask uint32
	// SuppressPrefixLen suppresses routes whose prefix is this long or
	// shorter; meaningful only when HasSuppressPrefixLen
	// (FRA_SUPPRESS_PREFIXLEN; the kernel's "none" is -1).
	SuppressPrefixLen    uint8
	HasSuppressPrefixLen bool
	Goto                 uint32   // FRA_GOTO: the priority a goto rule jumps to
	TOS                  uint8    // the TOS to match
	L3MDev               bool     // FRA_L3MDEV: use the table of the VRF device
	Protocol             Protocol // who installed it (FRA_PROTOCOL)
	Flags                uint32   // the header's FIB_RULE_* flags
	// UIDStart and UIDEnd are the range of socket owners the rule
	// matches (FRA_UID_RANGE, ip's "uidrange"), when HasUIDRange.
	UIDStart, UIDEnd uint32
	HasUIDRange      bool
	IPProto          uint8     // the L4 protocol matched (FRA_IP_PROTO, ip's "ipproto"), 0: any
	SrcPorts         PortRange // FRA_SPORT_RANGE (ip's "sport"), zero: any
	DstPorts         PortRange // FRA_DPORT_RANGE (ip's "dport"), zero: any
	Realms           Realms    // FRA_FLOW (ip's "realms"), 0: none
	TunID            uint64    // FRA_TUN_ID, the tunnel id matched (ip's "tun_id"), 0: any
	// SuppressIfGroup suppresses routes through devices of this group,
	// when HasSuppressIfGroup (FRA_SUPPRESS_IFGROUP; the kernel's "none"
	// is -1).
	SuppressIfGroup    uint32
	HasSuppressIfGroup bool
	// Attrs is every attribute after the fib_rule_hdr, raw. Writes ignore it.
	Attrs []byte
}

// PortRange is a range of ports a rule matches (struct
// fib_rule_port_range): Start to End, both included; the zero value is any
// port.
type PortRange struct{ Start, End uint16 }

var ruleAttrNames = [...]string{
	nlmsg.FRADst: "FRA_DST", nlmsg.FRASrc: "FRA_SRC", nlmsg.FRAIIFName: "FRA_IIFNAME",
	nlmsg.FRAGoto: "FRA_GOTO", nlmsg.FRAPriority: "FRA_PRIORITY", nlmsg.FRAFwMark: "FRA_FWMARK",
	nlmsg.FRASuppressPrefixLen: "FRA_SUPPRESS_PREFIXLEN", nlmsg.FRATable: "FRA_TABLE",
	nlmsg.FRAFwMask: "FRA_FWMASK", nlmsg.FRAOIFName: "FRA_OIFNAME", nlmsg.FRAL3MDev: "FRA_L3MDEV",
	nlmsg.FRAProtocol: "FRA_PROTOCOL", nlmsg.FRAUIDRange: "FRA_UID_RANGE", nlmsg.FRAIPProto: "FRA_IP_PROTO",
	nlmsg.FRASportRange: "FRA_SPORT_RANGE", nlmsg.FRADportRange: "FRA_DPORT_RANGE", nlmsg.FRAFlow: "FRA_FLOW",
	nlmsg.FRATunID: "FRA_TUN_ID", nlmsg.FRASuppressIfGroup: "FRA_SUPPRESS_IFGROUP",
}

func ruleAttrErr(a nlmsg.Attr, err error) error {
	name := "nlattr"
	if t := a.Type(); int(t) < len(ruleAttrNames) && ruleAttrNames[t] != "" {
		name = ruleAttrNames[t]
	}
	return &AttrError{Object: "rule", Attr: name, Offset: nlmsg.FibRuleHdrLen + a.Offset(), Err: err}
}

// Decode reads one RTM_NEWRULE or RTM_DELRULE payload into u, replacing
// every field, without allocating once the interface names have been seen.
// A malformed header or attribute gives an *AttrError naming it.
func (u *Rule) Decode(payload []byte) error {
	h, attrs, err := nlmsg.DecodeFibRuleHdr(payload)
	if err != nil {
		return &AttrError{Object: "rule", Attr: "fib_rule_hdr", Offset: 0, Err: err}
	}
	*u = Rule{
		Family: Family(h.Family),
		Table:  Table(h.Table),
		Action: RuleAction(h.Action),
		TOS:    h.TOS,
		Flags:  h.Flags,
		Invert: h.Flags&nlmsg.FIBRuleInvert != 0,
		Attrs:  attrs,
	}
	n := addrLen(u.Family)
	if n > 0 && (int(h.DstLen) > 8*n || int(h.SrcLen) > 8*n) {
		return &AttrError{Object: "rule", Attr: "fib_rule_hdr", Offset: 1, Err: ErrAddrFamily}
	}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		var err error
		switch a.Type() {
		case nlmsg.FRADst, nlmsg.FRASrc:
			if n == 0 {
				continue
			}
			ip, ok := addrOf(a.Data(), n)
			if !ok {
				return ruleAttrErr(a, ErrAddrFamily)
			}
			if a.Type() == nlmsg.FRADst {
				u.Dst = netip.PrefixFrom(ip, int(h.DstLen))
			} else {
				u.Src = netip.PrefixFrom(ip, int(h.SrcLen))
			}
		case nlmsg.FRAPriority:
			u.Priority, err = a.Uint32()
		case nlmsg.FRATable:
			var v uint32
			v, err = a.Uint32()
			u.Table = Table(v)
		case nlmsg.FRAIIFName:
			u.IIFName = names.String(a.StringBytes())
		case nlmsg.FRAOIFName:
			u.OIFName = names.String(a.StringBytes())
		case nlmsg.FRAFwMark:
			u.Mark, err = a.Uint32()
		case nlmsg.FRAFwMask:
			u.Mask, err = a.Uint32()
		case nlmsg.FRAGoto:
			u.Goto, err = a.Uint32()
		case nlmsg.FRASuppressPrefixLen:
			var v uint32
			v, err = a.Uint32()
			if err == nil && int32(v) >= 0 {
				if v > 128 {
					err = ErrAddrFamily
				}
				u.SuppressPrefixLen, u.HasSuppressPrefixLen = uint8(v), true
			}
		case nlmsg.FRAL3MDev:
			var v uint8
			v, err = a.Uint8()
			u.L3MDev = v != 0
		case nlmsg.FRAProtocol:
			var v uint8
			v, err = a.Uint8()
			u.Protocol = Protocol(v)
		case nlmsg.FRAUIDRange:
			if _, err = a.Uint64(); err == nil { // struct fib_rule_uid_range: two u32
				d := a.Data()
				u.UIDStart, u.UIDEnd = binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:])
				u.HasUIDRange = true
			}
		case nlmsg.FRAIPProto:
			u.IPProto, err = a.Uint8()
		case nlmsg.FRASportRange, nlmsg.FRADportRange:
			if _, err = a.Uint32(); err == nil { // struct fib_rule_port_range: two u16
				d := a.Data()
				p := PortRange{Start: binary.NativeEndian.Uint16(d), End: binary.NativeEndian.Uint16(d[2:])}
				if a.Type() == nlmsg.FRASportRange {
					u.SrcPorts = p
				} else {
					u.DstPorts = p
				}
			}
		case nlmsg.FRAFlow:
			var v uint32
			v, err = a.Uint32()
			u.Realms = Realms(v)
		case nlmsg.FRATunID:
			u.TunID, err = a.Uint64BE()
		case nlmsg.FRASuppressIfGroup:
			var v uint32
			v, err = a.Uint32()
			if err == nil && int32(v) != -1 {
				u.SuppressIfGroup, u.HasSuppressIfGroup = v, true
			}
		}
		if err != nil {
			return ruleAttrErr(a, err)
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("rule", "nlattr", nlmsg.FibRuleHdrLen, err)
	}
	return nil
}

// Clone returns a copy of u that owns its memory: it stays valid after
// the buffer u points into is reused. It allocates the copy of Attrs.
func (u *Rule) Clone() Rule {
	c := *u
	c.Attrs = bytes.Clone(u.Attrs)
	return c
}

// appendRule encodes the RTM_NEWRULE (del false) or RTM_DELRULE payload of
// u. For a new rule, a zero Action is sent as goto when Goto is set and
// as to_tbl otherwise, with a zero Table meaning main (as ip rule add
// does); for a delete, zero fields match any rule.
func appendRule(b []byte, u *Rule, del bool) ([]byte, error) {
	f := u.Family
	if f == FamilyUnspec {
		switch {
		case u.Src.Addr().Is6() || u.Dst.Addr().Is6():
			f = FamilyIPv6
		default:
			f = FamilyIPv4
		}
	}
	n := addrLen(f)
	if n == 0 {
		return b, fmt.Errorf("%w: rule family %v", ErrInvalidRoute, f)
	}
	for _, p := range []netip.Prefix{u.Src, u.Dst} {
		if p.IsValid() && p.Addr().Is4() != (n == 4) {
			return b, fmt.Errorf("%w: %v in a %v rule", ErrInvalidRoute, p, f)
		}
	}
	h := nlmsg.FibRuleHdr{Family: uint8(f), TOS: u.TOS, Action: uint8(u.Action), Flags: u.Flags}
	if u.Invert {
		h.Flags |= nlmsg.FIBRuleInvert
	}
	table := u.Table
	if !del && h.Action == nlmsg.FRActUnspec {
		h.Action = nlmsg.FRActToTbl
		if u.Goto != 0 {
			h.Action = nlmsg.FRActGoto
		}
	}
	if !del && table == TableUnspec && h.Action == nlmsg.FRActToTbl && !u.L3MDev {
		table = TableMain
	}
	if table < 256 {
		h.Table = uint8(table)
	}
	if u.Src.IsValid() {
		h.SrcLen = uint8(u.Src.Bits())
	}
	if u.Dst.IsValid() {
		h.DstLen = uint8(u.Dst.Bits())
	}
	b = h.AppendTo(b)
	if table != TableUnspec {
		b = appendU32Attr(b, nlmsg.FRATable, uint32(table))
	}
	if u.Priority != 0 {
		b = appendU32Attr(b, nlmsg.FRAPriority, u.Priority)
	}
	if u.Src.IsValid() && u.Src.Bits() > 0 {
		b = appendAddrAttr(b, nlmsg.FRASrc, u.Src.Addr())
	}
	if u.Dst.IsValid() && u.Dst.Bits() > 0 {
		b = appendAddrAttr(b, nlmsg.FRADst, u.Dst.Addr())
	}
	if u.IIFName != "" {
		b = appendStringAttr(b, nlmsg.FRAIIFName, u.IIFName)
	}
	if u.OIFName != "" {
		b = appendStringAttr(b, nlmsg.FRAOIFName, u.OIFName)
	}
	if u.Mark != 0 || u.Mask != 0 {
		b = appendU32Attr(b, nlmsg.FRAFwMark, u.Mark)
	}
	if u.Mask != 0 {
		b = appendU32Attr(b, nlmsg.FRAFwMask, u.Mask)
	}
	if u.Goto != 0 {
		b = appendU32Attr(b, nlmsg.FRAGoto, u.Goto)
	}
	if u.HasSuppressPrefixLen {
		b = appendU32Attr(b, nlmsg.FRASuppressPrefixLen, uint32(u.SuppressPrefixLen))
	}
	if u.L3MDev {
		b = appendU8Attr(b, nlmsg.FRAL3MDev, 1)
	}
	if u.Protocol != ProtocolUnspec {
		b = appendU8Attr(b, nlmsg.FRAProtocol, uint8(u.Protocol))
	}
	var raw [8]byte
	if u.HasUIDRange {
		binary.NativeEndian.PutUint32(raw[:], u.UIDStart)
		binary.NativeEndian.PutUint32(raw[4:], u.UIDEnd)
		b = appendAttr(b, nlmsg.FRAUIDRange, raw[:8])
	}
	if u.IPProto != 0 {
		b = appendU8Attr(b, nlmsg.FRAIPProto, u.IPProto)
	}
	for _, p := range [...]struct {
		typ uint16
		r   PortRange
	}{{nlmsg.FRASportRange, u.SrcPorts}, {nlmsg.FRADportRange, u.DstPorts}} {
		if p.r != (PortRange{}) {
			binary.NativeEndian.PutUint16(raw[:], p.r.Start)
			binary.NativeEndian.PutUint16(raw[2:], p.r.End)
			b = appendAttr(b, p.typ, raw[:4])
		}
	}
	if u.Realms != 0 {
		b = appendU32Attr(b, nlmsg.FRAFlow, uint32(u.Realms))
	}
	if u.TunID != 0 {
		binary.BigEndian.PutUint64(raw[:], u.TunID)
		b = appendAttr(b, nlmsg.FRATunID, raw[:8])
	}
	if u.HasSuppressIfGroup {
		b = appendU32Attr(b, nlmsg.FRASuppressIfGroup, u.SuppressIfGroup)
	}
	return b, nil
}

// RuleFilter selects rules. The kernel filters rule dumps by family only;
// the rest is matched in user space.
type RuleFilter struct {
	Family Family // FamilyUnspec: all families
	Table  Table  // TableUnspec: any
}

// Match reports whether u passes f.
func (f *RuleFilter) Match(u *Rule) bool {
	return (f.Family == FamilyUnspec || u.Family == f.Family) && (f.Table == TableUnspec || u.Table == f.Table)
}

// dumpRequest is the RTM_GETRULE dump request: a fib_rule_hdr with the
// family, the only filter the kernel applies to rule dumps.
func (f *RuleFilter) dumpRequest() []byte {
	return nlmsg.FibRuleHdr{Family: uint8(f.Family)}.AppendTo(make([]byte, 0, nlmsg.FibRuleHdrLen))
}

// Rules dumps the rules f selects and yields each in place: one Rule,
// reused, valid only until the next step of the loop (Clone keeps one).
// Decoding allocates nothing once the interface names have been seen.
// Errors end the loop: the engine's (*engine.OpError, passed through) or
// an *AttrError for a message that does not decode. Breaking out of the
// loop is safe. Safe for concurrent use.
func (c *Conn) Rules(ctx context.Context, f RuleFilter) iter.Seq2[*Rule, error] {
	return func(yield func(*Rule, error) bool) {
		req := f.dumpRequest()
		var u Rule
		for v, err := range dumpInto(ctx, c, nlmsg.RTMGetRule, req, nlmsg.RTMNewRule, &u, (*Rule).Decode, f.Match) {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// RuleList is Rules collected into owned values (each a Clone: one
// allocation per rule for its Attrs, plus the slice), valid for ever. On
// error it returns the rules read so far and the error. Safe for
// concurrent use.
func (c *Conn) RuleList(ctx context.Context, f RuleFilter) ([]Rule, error) {
	return collect(c.Rules(ctx, f), (*Rule).Clone)
}

// RuleAdd adds u (RTM_NEWRULE with NLM_F_CREATE|NLM_F_EXCL, like ip rule
// add). Safe for concurrent use.
func (c *Conn) RuleAdd(ctx context.Context, u *Rule) error { return c.ruleWrite(ctx, u, false) }

// RuleDel deletes the first rule u matches (ip rule del); zero fields
// match any. Safe for concurrent use.
func (c *Conn) RuleDel(ctx context.Context, u *Rule) error { return c.ruleWrite(ctx, u, true) }

func (c *Conn) ruleWrite(ctx context.Context, u *Rule, del bool) error {
	typ, flags := nlmsg.RTMNewRule, nlmsg.Create|nlmsg.Excl
	if del {
		typ, flags = nlmsg.RTMDelRule, 0
	}
	return c.write(ctx, typ, flags, func(b []byte) ([]byte, error) { return appendRule(b, u, del) })
}
