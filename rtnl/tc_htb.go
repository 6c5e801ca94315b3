package rtnl

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nlengine/nlengine/nlmsg"
)

// HTBQdisc is the options of an htb qdisc (TCA_HTB_INIT and
// TCA_HTB_DIRECT_QLEN), as tc qdisc add ... htb takes them.
type HTBQdisc struct {
	// Default is the minor number of the class unclassified traffic goes
	// to (tc's "default 10" is 0x10); 0 sends it straight out, unshaped.
	Default uint32
	// Rate2Quantum is r2q: a class without a quantum gets its rate in
	// bytes/s divided by it. A write of 0 sends tc's 10.
	Rate2Quantum uint32
	// DirectQlen is the length in packets of the queue of unclassified
	// traffic; HasDirectQlen says whether it is set (a write without it
	// leaves the kernel's default, the device's txqueuelen).
	DirectQlen    uint32
	HasDirectQlen bool
	// Offload is TCA_HTB_OFFLOAD: the qdisc runs in the device.
	Offload bool
	// Version is the kernel's HTB version (0x30011 prints "3.17");
	// reported only: writes send tc's version 3.
	Version uint32
	// DirectPackets counts the packets sent unshaped (no class matched
	// and no default). Reported only.
	DirectPackets uint32
}

// HTBClass is the options of an htb class (TCA_HTB_PARMS and the 64-bit
// rates), as tc class add ... htb takes them. Rates are in bytes per
// second (tc's "1mbit" is 125000).
type HTBClass struct {
	Rate uint64 // guaranteed rate; a write requires it
	Ceil uint64 // the most it may borrow up to; a write of 0 sends Rate
	// Burst and CBurst are the bytes that may be sent at once above Rate
	// and Ceil. The kernel keeps them as the time they take; reads give
	// them back in bytes as tc prints them, computed from that time (so a
	// little below what was written). A write of 0 sends tc's default,
	// the rate divided by the scheduler clock's resolution plus MTU.
	Burst  uint32
	CBurst uint32
	// Prio is the class's priority among its siblings (0 first, up to 7).
	Prio uint32
	// Quantum is how many bytes the class sends in its turn when it
	// borrows; 0 in a write lets the kernel compute it, rate/r2q kept
	// between 1000 and 200000.
	Quantum uint32
	// Level is the class's depth from the bottom of the tree (0 for a
	// leaf). Reported only.
	Level uint32
	// MTU is the largest packet the rate tables of a write cover (tc's
	// mtu, 1600 when 0). Writes only: the kernel does not report it.
	MTU uint32
	// MPU is the smallest packet size the rates account for, Overhead
	// the bytes added to every packet (tc's mpu and overhead).
	MPU      uint16
	Overhead uint16
}

// htbMTU is tc's default mtu for the rate tables of an htb class.
const htbMTU = 1600

// htbAttrNames names the attributes of TCA_OPTIONS for errors.
var htbAttrNames = []string{
	nlmsg.TCAHTBParms: "TCA_HTB_PARMS", nlmsg.TCAHTBInit: "TCA_HTB_INIT", nlmsg.TCAHTBDirectQlen: "TCA_HTB_DIRECT_QLEN",
	nlmsg.TCAHTBRate64: "TCA_HTB_RATE64", nlmsg.TCAHTBCeil64: "TCA_HTB_CEIL64", nlmsg.TCAHTBOffload: "TCA_HTB_OFFLOAD",
}

// decode reads an htb qdisc's options.
func (o *HTBQdisc) decode(m *tcMessage) error {
	return m.scanOptions("qdisc", htbAttrNames, func(a nlmsg.Attr) error {
		d := a.Data()
		var err error
		switch a.Type() {
		case nlmsg.TCAHTBInit:
			if len(d) < nlmsg.TcHTBGlobLen {
				return shortStruct("tc_htb_glob", len(d), nlmsg.TcHTBGlobLen)
			}
			ne := binary.NativeEndian
			o.Version, o.Rate2Quantum, o.Default = ne.Uint32(d[0:4]), ne.Uint32(d[4:8]), ne.Uint32(d[8:12])
			o.DirectPackets = ne.Uint32(d[16:20])
		case nlmsg.TCAHTBDirectQlen:
			o.DirectQlen, err = a.Uint32()
			o.HasDirectQlen = err == nil
		case nlmsg.TCAHTBOffload:
			o.Offload = true
		}
		return err
	})
}

// appendTo appends an htb qdisc's TCA_OPTIONS to b.
func (o *HTBQdisc) appendTo(b []byte) []byte {
	b, off := beginNest(b, nlmsg.TCAOptions, false)
	r2q := o.Rate2Quantum
	if r2q == 0 {
		r2q = 10
	}
	var g [nlmsg.TcHTBGlobLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(g[0:4], nlmsg.TCHTBProtoVer)
	ne.PutUint32(g[4:8], r2q)
	ne.PutUint32(g[8:12], o.Default)
	b = appendAttr(b, nlmsg.TCAHTBInit, g[:])
	if o.HasDirectQlen {
		b = appendU32Attr(b, nlmsg.TCAHTBDirectQlen, o.DirectQlen)
	}
	if o.Offload {
		b = appendAttr(b, nlmsg.TCAHTBOffload, nil)
	}
	endNest(b, off)
	return b
}

// decode reads an htb class's options.
func (o *HTBClass) decode(m *tcMessage) error {
	var rate, ceil nlmsg.TcRateSpec
	var buffer, cbuffer uint32
	var rate64, ceil64 uint64
	var has64r, has64c bool
	err := m.scanOptions("class", htbAttrNames, func(a nlmsg.Attr) error {
		d := a.Data()
		var err error
		switch a.Type() {
		case nlmsg.TCAHTBParms:
			if len(d) < nlmsg.TcHTBOptLen {
				return shortStruct("tc_htb_opt", len(d), nlmsg.TcHTBOptLen)
			}
			ne := binary.NativeEndian
			rate, _ = nlmsg.DecodeTcRateSpec(d[0:12])
			ceil, _ = nlmsg.DecodeTcRateSpec(d[12:24])
			buffer, cbuffer = ne.Uint32(d[24:28]), ne.Uint32(d[28:32])
			o.Quantum, o.Level, o.Prio = ne.Uint32(d[32:36]), ne.Uint32(d[36:40]), ne.Uint32(d[40:44])
		case nlmsg.TCAHTBRate64:
			rate64, err = a.Uint64()
			has64r = err == nil
		case nlmsg.TCAHTBCeil64:
			ceil64, err = a.Uint64()
			has64c = err == nil
		}
		return err
	})
	if err != nil {
		return err
	}
	o.Rate, o.Ceil = pick64(rate.Rate, rate64, has64r), pick64(ceil.Rate, ceil64, has64c)
	o.MPU, o.Overhead = rate.MPU, rate.Overhead
	clk := schedClock()
	o.Burst, o.CBurst = clk.xmitSize(o.Rate, buffer), clk.xmitSize(o.Ceil, cbuffer)
	return nil
}

// pick64 is a rate: the 64-bit attribute's when the kernel sent one, else
// the tc_ratespec's.
func pick64(r32 uint32, r64 uint64, has64 bool) uint64 {
	if has64 {
		return r64
	}
	return uint64(r32)
}

// appendTo appends an htb class's TCA_OPTIONS to b, as tc class add ...
// htb builds it: tc_htb_opt with the bursts in ticks, the 64-bit rates
// when they pass 32 bits, and both rate tables.
func (o *HTBClass) appendTo(b []byte) ([]byte, error) {
	if o.Rate == 0 {
		return b, fmt.Errorf("%w: an htb class needs a rate", ErrInvalidTC)
	}
	rate, ceil := o.Rate, o.Ceil
	if ceil == 0 {
		ceil = rate
	}
	mtu := o.MTU
	if mtu == 0 {
		mtu = htbMTU
	}
	clk := schedClock()
	burst, cburst := uint64(o.Burst), uint64(o.CBurst)
	if burst == 0 {
		burst = uint64(float64(rate)/clk.hz) + uint64(mtu)
	}
	if cburst == 0 {
		cburst = uint64(float64(ceil)/clk.hz) + uint64(mtu)
	}
	if burst > math.MaxUint32 || cburst > math.MaxUint32 {
		return b, fmt.Errorf("%w: htb burst of %d bytes", ErrInvalidTC, max(burst, cburst))
	}
	var rtab, ctab [256]uint32
	rs := clk.rateSpec(rate, mtu, o.MPU, o.Overhead, &rtab)
	cs := clk.rateSpec(ceil, mtu, o.MPU, o.Overhead, &ctab)
	var opt [nlmsg.TcHTBOptLen]byte
	rs.AppendTo(opt[:0])
	cs.AppendTo(opt[12:12])
	ne := binary.NativeEndian
	ne.PutUint32(opt[24:28], clk.xmitTicks(rate, burst))
	ne.PutUint32(opt[28:32], clk.xmitTicks(ceil, cburst))
	ne.PutUint32(opt[32:36], o.Quantum)
	ne.PutUint32(opt[40:44], o.Prio)
	b, off := beginNest(b, nlmsg.TCAOptions, false)
	if rate > math.MaxUint32 {
		b = appendU64Attr(b, nlmsg.TCAHTBRate64, rate)
	}
	if ceil > math.MaxUint32 {
		b = appendU64Attr(b, nlmsg.TCAHTBCeil64, ceil)
	}
	b = appendAttr(b, nlmsg.TCAHTBParms, opt[:])
	b = appendRateTable(b, nlmsg.TCAHTBRtab, &rtab)
	b = appendRateTable(b, nlmsg.TCAHTBCtab, &ctab)
	endNest(b, off)
	return b, nil
}

// appendU64Attr appends a host-order u64 attribute.
func appendU64Attr(b []byte, typ uint16, v uint64) []byte {
	b = binary.NativeEndian.AppendUint16(b, nlmsg.AttrHeaderLen+8)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.NativeEndian.AppendUint64(b, v)
}

// HTBClassStats are an htb class's own counters (struct tc_htb_xstats,
// the class's TCA_XSTATS), those tc -s class show prints after "lended:".
type HTBClassStats struct {
	Lends   uint32 // packets sent on the class's own rate ("lended")
	Borrows uint32 // packets sent on rate borrowed from its parent
	Giants  uint32 // packets larger than the class's MTU
	// Tokens and CTokens are the credit left at rate and at ceil, in
	// scheduler ticks (negative when in debt).
	Tokens  int32
	CTokens int32
}

// HTBStats decodes c's htb counters from XStats; ok is false for a class
// of another kind or one without them. It allocates nothing.
func (c *Class) HTBStats() (s HTBClassStats, ok bool) {
	const xstatsLen = 20 // struct tc_htb_xstats
	if c.Kind != "htb" || len(c.XStats) < xstatsLen {
		return s, false
	}
	ne := binary.NativeEndian
	d := c.XStats
	return HTBClassStats{Lends: ne.Uint32(d[0:4]), Borrows: ne.Uint32(d[4:8]), Giants: ne.Uint32(d[8:12]),
		Tokens: int32(ne.Uint32(d[12:16])), CTokens: int32(ne.Uint32(d[16:20]))}, true
}
