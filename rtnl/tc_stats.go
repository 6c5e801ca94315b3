package rtnl

import (
	"encoding/binary"

	"github.com/nlengine/nlengine/nlmsg"
)

// TCStats are the counters of a qdisc or a class (TCA_STATS2), those tc -s
// prints: "Sent B bytes P pkt (dropped D, overlimits O requeues R) backlog
// Bb Qp".
type TCStats struct {
	Bytes   uint64 // bytes sent (TCA_STATS_BASIC)
	Packets uint64 // packets sent (TCA_STATS_BASIC, or TCA_STATS_PKT64 past 32 bits)
	// The queue's counters (TCA_STATS_QUEUE).
	Drops      uint32
	Overlimits uint32
	Requeues   uint32
	Backlog    uint32 // bytes waiting in the queue
	Qlen       uint32 // packets waiting in the queue
	// RateBps and RatePps are the rate estimator's figures
	// (TCA_STATS_RATE_EST or _EST64): 0 without an estimator.
	RateBps uint64
	RatePps uint64
	// App is TCA_STATS_APP raw: the kind's own statistics (struct
	// tc_htb_xstats for an htb class, ...), pointing into the message.
	App []byte
}

// decode reads the attributes of TCA_STATS2 into s.
func (s *TCStats) decode(b []byte) error {
	*s = TCStats{}
	sc := nlmsg.NewAttrScanner(b)
	var pkt64 bool
	for sc.Next() {
		a := sc.Attr()
		d := a.Data()
		ne := binary.NativeEndian
		switch a.Type() {
		case nlmsg.TCAStatsBasic:
			if len(d) < nlmsg.GnetStatsBasicLen {
				return shortStruct("gnet_stats_basic", len(d), nlmsg.GnetStatsBasicLen)
			}
			s.Bytes = ne.Uint64(d[0:8])
			if !pkt64 {
				s.Packets = uint64(ne.Uint32(d[8:12]))
			}
		case nlmsg.TCAStatsPkt64:
			v, err := a.Uint64()
			if err != nil {
				return err
			}
			s.Packets, pkt64 = v, true
		case nlmsg.TCAStatsQueue:
			if len(d) < nlmsg.GnetStatsQueueLen {
				return shortStruct("gnet_stats_queue", len(d), nlmsg.GnetStatsQueueLen)
			}
			s.Qlen, s.Backlog, s.Drops = ne.Uint32(d[0:4]), ne.Uint32(d[4:8]), ne.Uint32(d[8:12])
			s.Requeues, s.Overlimits = ne.Uint32(d[12:16]), ne.Uint32(d[16:20])
		case nlmsg.TCAStatsRateEst:
			if len(d) < 8 {
				return shortStruct("gnet_stats_rate_est", len(d), 8)
			}
			if s.RateBps == 0 && s.RatePps == 0 {
				s.RateBps, s.RatePps = uint64(ne.Uint32(d[0:4])), uint64(ne.Uint32(d[4:8]))
			}
		case nlmsg.TCAStatsRateEst64:
			if len(d) < 16 {
				return shortStruct("gnet_stats_rate_est64", len(d), 16)
			}
			s.RateBps, s.RatePps = ne.Uint64(d[0:8]), ne.Uint64(d[8:16])
		case nlmsg.TCAStatsApp:
			s.App = d
		}
	}
	return sc.Err()
}
