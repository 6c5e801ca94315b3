package rtnl

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// The files under testdata/tc are the TCA_OPTIONS data tc (iproute2 6.1)
// sent for the command each is named after, captured with strace -xx on
// a kernel whose /proc/net/psched reads 000003e8 00000040 000f4240
// 3b9aca00, little-endian: tc_ratespec fields, bursts in ticks, 64-bit rates and the rate
// tables, byte for byte.

// skipUnlessLittleEndian skips t on a big-endian machine: the captures
// were made on a little-endian one.
func skipUnlessLittleEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the captures of tc's messages are little-endian")
	}
}

// tcCaptured reads one captured TCA_OPTIONS payload.
func tcCaptured(t *testing.T, name string) []byte {
	t.Helper()
	skipUnlessLittleEndian(t)
	b, err := os.ReadFile(filepath.Join("testdata", "tc", name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// optionsData returns the data of the TCA_OPTIONS attribute an encoder
// appended after a tcmsg.
func optionsData(t *testing.T, b []byte) []byte {
	t.Helper()
	s := nlmsg.NewAttrScanner(b)
	for s.Next() {
		if s.Attr().Type() == nlmsg.TCAOptions {
			return s.Attr().Data()
		}
	}
	t.Fatalf("no TCA_OPTIONS in % x", b)
	return nil
}

func TestTCRateTablesAreWhatTcSends(t *testing.T) {
	const kbit, mbit, gbit = 1000 / 8, 1000000 / 8, 1000000000 / 8
	clk := schedClock()
	if clk != defaultPsched {
		t.Skipf("this kernel's scheduler clock %+v is not the one the captures were made on", clk)
	}
	for _, c := range []struct {
		name string
		opts func() ([]byte, error)
	}{
		{"htb-class-rate-1mbit-ceil-2mbit-burst-15k-prio-3-quantum-1500", func() ([]byte, error) {
			o := HTBClass{Rate: 1 * mbit, Ceil: 2 * mbit, Burst: 15 * 1024, Prio: 3, Quantum: 1500}
			return o.appendTo(nil)
		}},
		{"htb-class-rate-40gbit", func() ([]byte, error) {
			o := HTBClass{Rate: 40 * gbit}
			return o.appendTo(nil)
		}},
		{"htb-class-rate-100kbit-ceil-5gbit-cburst-100k-mtu-9000-mpu-64-overhead-4", func() ([]byte, error) {
			o := HTBClass{Rate: 100 * kbit, Ceil: 5 * gbit, CBurst: 100 * 1024, MTU: 9000, MPU: 64, Overhead: 4}
			return o.appendTo(nil)
		}},
		{"tbf-rate-40gbit-burst-1mb-latency-50ms-peakrate-50gbit-mtu-64k", func() ([]byte, error) {
			o := TBFQdisc{Rate: 40 * gbit, Burst: 1 << 20, Latency: 50 * time.Millisecond, PeakRate: 50 * gbit, MTU: 64 * 1024}
			return o.appendTo(nil)
		}},
		{"tbf-rate-8mbit-burst-32k-limit-30000-mpu-64", func() ([]byte, error) {
			o := TBFQdisc{Rate: 8 * mbit, Burst: 32 * 1024, Limit: 30000, MPU: 64}
			return o.appendTo(nil)
		}},
	} {
		b, err := c.opts()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, want := optionsData(t, b), tcCaptured(t, c.name)
		if !bytes.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("%s: %d bytes, tc sent %d; first difference at byte %d: %#x, tc %#x", c.name, len(got), len(want), i, got[i], want[i])
					break
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d bytes, tc sent %d", c.name, len(got), len(want))
			}
		}
	}
}

// TestHTBQdiscOptionsAreWhatTcSends: tc qdisc add ... htb default 10 r2q
// 5 direct_qlen 100 sends version 3, r2q, the default class, and the
// direct queue's length.
func TestHTBQdiscOptionsAreWhatTcSends(t *testing.T) {
	want := []byte("\x18\x00\x02\x00\x03\x00\x00\x00\x05\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x05\x00\x64\x00\x00\x00")
	skipUnlessLittleEndian(t)
	o := HTBQdisc{Default: 0x10, Rate2Quantum: 5, DirectQlen: 100, HasDirectQlen: true}
	if got := optionsData(t, o.appendTo(nil)); !bytes.Equal(got, want) {
		t.Errorf("options % x, tc sent % x", got, want)
	}
}

// TestTCTicksRoundTheWayTcDoes: tc truncates the microseconds before
// scaling them to ticks, and the bytes back from ticks the same way.
func TestTCTicksRoundTheWayTcDoes(t *testing.T) {
	clk := defaultPsched
	for _, c := range []struct {
		rate, size uint64
		ticks      uint32
	}{
		{125000, 1600, 200000},   // 12800 µs
		{6250000000, 20480, 46},  // 3.2768 µs: 3 µs, 46.875 ticks
		{6250000000, 1606, 0},    // 0.25696 µs: 0
		{5000000, 1600, 5000},    // 320 µs
		{1, 1 << 40, 0xffffffff}, // saturates
	} {
		if got := clk.xmitTicks(c.rate, c.size); got != c.ticks {
			t.Errorf("%d bytes at %d B/s: %d ticks, tc %d", c.size, c.rate, got, c.ticks)
		}
	}
	// tc prints an htb class of 40mbit with the default burst of 1600
	// bytes back as "burst 1600b", and one of 50gbit with burst 20k as
	// "burst 12500b".
	if b := clk.xmitSize(5000000, clk.xmitTicks(5000000, 1600)); b != 1600 {
		t.Errorf("40mbit burst 1600: reads back %d", b)
	}
	if b := clk.xmitSize(6250000000, clk.xmitTicks(6250000000, 20480)); b != 12500 {
		t.Errorf("50gbit burst 20k: reads back %d", b)
	}
}
