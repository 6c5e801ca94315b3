package rtnl

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"

	"github.com/nlengine/nlengine/nlmsg"
)

// The schedulers count time in "ticks" of the packet scheduler clock, and
// take a rate as a tc_ratespec plus, for old kernels, a table of the time
// each packet size takes. The kernel reports the clock's units in
// /proc/net/psched; the conversions below reproduce those of tc (iproute2
// 6.1): a microsecond count truncated to an integer, then scaled to ticks.

// pschedClock is what /proc/net/psched says of the scheduler clock.
type pschedClock struct {
	tickInUsec float64 // ticks per microsecond
	hz         float64 // the rate divisor of tc's default bursts (the clock's resolution)
}

// defaultPsched is the clock of every kernel since 2.6.31 with high
// resolution timers: t2us 1000, us2t 64, clock_res 1000000, hz 10^9.
var defaultPsched = pschedClock{tickInUsec: 1000.0 / 64, hz: 1e9}

var (
	pschedOnce sync.Once
	psched     pschedClock
)

// schedClock returns the scheduler clock, read once from /proc/net/psched
// (the default when it cannot be read).
func schedClock() pschedClock {
	pschedOnce.Do(func() {
		psched = defaultPsched
		f, err := os.Open("/proc/net/psched")
		if err != nil {
			return
		}
		defer f.Close()
		var t2us, us2t, res, hz uint32
		if n, _ := fmt.Fscanf(bufio.NewReader(f), "%08x%08x%08x%08x", &t2us, &us2t, &res, &hz); n < 3 || us2t == 0 {
			return
		}
		if res == 1000000000 {
			t2us = us2t
		}
		factor := float64(res) / 1e6
		psched.tickInUsec = float64(t2us) / float64(us2t) * factor
		if res == 1000000 && hz != 0 {
			psched.hz = float64(hz)
		}
	})
	return psched
}

// xmitTicks is tc's tc_calc_xmittime: the ticks sending size bytes at rate
// bytes/s takes.
func (p pschedClock) xmitTicks(rate uint64, size uint64) uint32 {
	if rate == 0 {
		return 0
	}
	us := 1e6 * (float64(size) / float64(rate))
	return uint32(clampU32(float64(clampU32(us)) * p.tickInUsec))
}

// xmitSize is tc's tc_calc_xmitsize: the bytes rate bytes/s sends in ticks.
func (p pschedClock) xmitSize(rate uint64, ticks uint32) uint32 {
	us := uint32(clampU32(float64(ticks) / p.tickInUsec))
	return uint32(clampU32(float64(rate) * float64(us) / 1e6))
}

// tickTime is tc_core_tick2time: ticks in microseconds, truncated.
func (p pschedClock) tickTime(ticks uint32) float64 {
	return float64(uint32(clampU32(float64(ticks) / p.tickInUsec)))
}

// clampU32 truncates v into the range of a uint32, as a C conversion of an
// in-range double does (out of range, C leaves it undefined).
func clampU32(v float64) float64 {
	switch {
	case v <= 0 || math.IsNaN(v):
		return 0
	case v >= math.MaxUint32:
		return math.MaxUint32
	}
	return math.Trunc(v)
}

// rateSpec returns the tc_ratespec of rate bytes/s for packets up to mtu
// bytes (0: 2047), and fills tab with its rate table, as tc_calc_rtable
// does for an Ethernet link layer: cell i holds the ticks a packet of
// (i+1)<<cell_log bytes takes (at least mpu bytes). A rate of 2^32 bytes/s
// or more is written 0xffffffff, its real value going in a 64-bit
// attribute, and the table is computed from that clamped rate, as tc does.
func (p pschedClock) rateSpec(rate uint64, mtu uint32, mpu, overhead uint16, tab *[256]uint32) nlmsg.TcRateSpec {
	r := nlmsg.TcRateSpec{Rate: uint32(min(rate, math.MaxUint32)), MPU: mpu, Overhead: overhead, CellAlign: -1, Linklayer: nlmsg.TCLinklayerEthernet}
	if mtu == 0 {
		mtu = 2047
	}
	for mtu>>r.CellLog > 255 {
		r.CellLog++
	}
	for i := range tab {
		sz := uint32(i+1) << r.CellLog
		sz = max(sz, uint32(mpu))
		tab[i] = p.xmitTicks(uint64(r.Rate), uint64(sz))
	}
	return r
}

// appendRateTable appends a rate table as the attribute typ.
func appendRateTable(b []byte, typ uint16, tab *[256]uint32) []byte {
	b, off := beginNest(b, typ, false)
	for _, v := range tab {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	endNest(b, off)
	return b
}
