package rtnl

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// TBFQdisc is the options of a tbf qdisc (token bucket filter), as tc
// qdisc add ... tbf takes them. Rates are in bytes per second.
type TBFQdisc struct {
	Rate uint64 // the bucket's fill rate; a write requires it
	// Burst is the bucket's size in bytes (tc's burst or buffer); a write
	// requires it. The kernel keeps the time it takes at Rate: reads give
	// it back in bytes as tc prints it, computed from that time.
	Burst uint32
	// PeakRate is the rate of a second bucket of MTU bytes, which bounds
	// how fast a burst goes out (0: none). A write with a PeakRate
	// requires an MTU.
	PeakRate uint64
	MTU      uint32
	// Limit is how many bytes may wait for tokens. A write gives Limit or
	// Latency (not both); with Latency it sends the limit tc computes
	// from it: Rate×Latency + Burst, or less with a peak rate.
	Limit uint32
	// Latency is the longest a packet may wait, as tc prints it: computed
	// from Limit, Rate and Burst on a read (in whole microseconds; 0 when
	// it would be negative).
	Latency time.Duration
	// MPU and Overhead are tc's mpu and overhead of both rates.
	MPU      uint16
	Overhead uint16
}

// tbfAttrNames names the attributes of TCA_OPTIONS for errors.
var tbfAttrNames = []string{
	nlmsg.TCATBFParms: "TCA_TBF_PARMS", nlmsg.TCATBFRate64: "TCA_TBF_RATE64", nlmsg.TCATBFPrate64: "TCA_TBF_PRATE64",
	nlmsg.TCATBFBurst: "TCA_TBF_BURST", nlmsg.TCATBFPburst: "TCA_TBF_PBURST",
}

// decode reads a tbf qdisc's options.
func (o *TBFQdisc) decode(m *tcMessage) error {
	var rate, peak nlmsg.TcRateSpec
	var buffer, mtu uint32
	var rate64, prate64 uint64
	var has64r, has64p, parms bool
	err := m.scanOptions("qdisc", tbfAttrNames, func(a nlmsg.Attr) error {
		d := a.Data()
		var err error
		switch a.Type() {
		case nlmsg.TCATBFParms:
			if len(d) < nlmsg.TcTBFQoptLen {
				return shortStruct("tc_tbf_qopt", len(d), nlmsg.TcTBFQoptLen)
			}
			ne := binary.NativeEndian
			rate, _ = nlmsg.DecodeTcRateSpec(d[0:12])
			peak, _ = nlmsg.DecodeTcRateSpec(d[12:24])
			o.Limit, buffer, mtu = ne.Uint32(d[24:28]), ne.Uint32(d[28:32]), ne.Uint32(d[32:36])
			parms = true
		case nlmsg.TCATBFRate64:
			rate64, err = a.Uint64()
			has64r = err == nil
		case nlmsg.TCATBFPrate64:
			prate64, err = a.Uint64()
			has64p = err == nil
		}
		return err
	})
	if err != nil || !parms {
		return err
	}
	o.Rate, o.PeakRate = pick64(rate.Rate, rate64, has64r), pick64(peak.Rate, prate64, has64p)
	o.MPU, o.Overhead = rate.MPU, rate.Overhead
	clk := schedClock()
	o.Burst = clk.xmitSize(o.Rate, buffer)
	if o.PeakRate != 0 {
		o.MTU = clk.xmitSize(o.PeakRate, mtu)
	}
	if o.Rate != 0 {
		lat := 1e6*(float64(o.Limit)/float64(o.Rate)) - clk.tickTime(buffer)
		if o.PeakRate != 0 {
			lat = max(lat, 1e6*(float64(o.Limit)/float64(o.PeakRate))-clk.tickTime(mtu))
		}
		if lat >= 0 && lat < float64(math.MaxInt64/int64(time.Microsecond)) {
			o.Latency = time.Duration(uint64(lat)) * time.Microsecond
		}
	}
	return nil
}

// appendTo appends a tbf qdisc's TCA_OPTIONS to b, as tc qdisc add ... tbf
// builds it: tc_tbf_qopt with the buffers in ticks, TCA_TBF_BURST, the
// 64-bit rates when they pass 32 bits, the rate tables, and the peak
// bucket's size.
func (o *TBFQdisc) appendTo(b []byte) ([]byte, error) {
	switch {
	case o.Rate == 0:
		return b, fmt.Errorf("%w: a tbf qdisc needs a rate", ErrInvalidTC)
	case o.Burst == 0:
		return b, fmt.Errorf("%w: a tbf qdisc needs a burst", ErrInvalidTC)
	case o.PeakRate != 0 && o.MTU == 0:
		return b, fmt.Errorf("%w: a tbf peak rate needs an mtu", ErrInvalidTC)
	case o.Limit == 0 && o.Latency <= 0:
		return b, fmt.Errorf("%w: a tbf qdisc needs a limit or a latency", ErrInvalidTC)
	case o.Limit != 0 && o.Latency != 0:
		return b, fmt.Errorf("%w: a tbf qdisc takes a limit or a latency, not both", ErrInvalidTC)
	}
	clk := schedClock()
	limit := o.Limit
	if limit == 0 {
		us := float64(o.Latency / time.Microsecond)
		lim := float64(o.Rate)*us/1e6 + float64(o.Burst)
		if o.PeakRate != 0 {
			lim = min(lim, float64(o.PeakRate)*us/1e6+float64(o.MTU))
		}
		limit = uint32(clampU32(lim))
	}
	var rtab, ptab [256]uint32
	var q [nlmsg.TcTBFQoptLen]byte
	rs := clk.rateSpec(o.Rate, o.MTU, o.MPU, o.Overhead, &rtab)
	rs.AppendTo(q[:0])
	ne := binary.NativeEndian
	ne.PutUint32(q[24:28], limit)
	// NB: tc computes the buffer's ticks from the 32-bit rate field, so
	// does this; the kernel recomputes it from TCA_TBF_BURST anyway.
	ne.PutUint32(q[28:32], clk.xmitTicks(uint64(rs.Rate), uint64(o.Burst)))
	if o.PeakRate != 0 {
		ps := clk.rateSpec(o.PeakRate, o.MTU, o.MPU, o.Overhead, &ptab)
		ps.AppendTo(q[12:12])
		ne.PutUint32(q[32:36], clk.xmitTicks(uint64(ps.Rate), uint64(o.MTU)))
	} else {
		// tc leaves the peak rate's tc_ratespec zero.
		copy(q[12:24], make([]byte, 12))
	}
	b, off := beginNest(b, nlmsg.TCAOptions, false)
	b = appendAttr(b, nlmsg.TCATBFParms, q[:])
	b = appendU32Attr(b, nlmsg.TCATBFBurst, o.Burst)
	if o.Rate > math.MaxUint32 {
		b = appendU64Attr(b, nlmsg.TCATBFRate64, o.Rate)
	}
	b = appendRateTable(b, nlmsg.TCATBFRtab, &rtab)
	if o.PeakRate != 0 {
		if o.PeakRate > math.MaxUint32 {
			b = appendU64Attr(b, nlmsg.TCATBFPrate64, o.PeakRate)
		}
		b = appendU32Attr(b, nlmsg.TCATBFPburst, o.MTU)
		b = appendRateTable(b, nlmsg.TCATBFPtab, &ptab)
	}
	endNest(b, off)
	return b, nil
}
