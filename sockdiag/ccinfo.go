package sockdiag

import (
	"time"

	"github.com/nlengine/nlengine/nlmsg"
)

// The congestion control modules' own figures: the module of a TCP socket
// in a state from ESTAB to FIN-WAIT-2 answers the ExtCCInfo bit with one
// of these attributes, if it has figures (cubic and reno have none). The
// wire sizes are the kernel's structs.
const (
	vegasInfoLen = 16 // struct tcpvegas_info
	dctcpInfoLen = 16 // struct tcp_dctcp_info
	bbrInfoLen   = 20 // struct tcp_bbr_info
)

// BBRInfo is struct tcp_bbr_info (INET_DIAG_BBRINFO), the
// bbr:(bw:...,mrtt:...,pacing_gain:...,cwnd_gain:...) of `ss -i`.
type BBRInfo struct {
	Bandwidth  uint64 // bbr_bw_hi<<32 | bbr_bw_lo: the bandwidth estimate, bytes/s (ss prints bits/s)
	MinRTTUsec uint32 // bbr_min_rtt, µs
	PacingGain uint32 // bbr_pacing_gain, fixed point with 8 fractional bits (256 is 1.0)
	CwndGain   uint32 // bbr_cwnd_gain, fixed point with 8 fractional bits
}

// MinRTT returns BBR's minimum round-trip time estimate.
func (b *BBRInfo) MinRTT() time.Duration { return time.Duration(b.MinRTTUsec) * time.Microsecond }

// VegasInfo is struct tcpvegas_info (INET_DIAG_VEGASINFO) of the vegas
// family (vegas, veno, yeah, ...); `ss -i` prints its RTT as rtt when
// Enabled.
type VegasInfo struct {
	Enabled    uint32 // tcpv_enabled
	RTTCount   uint32 // tcpv_rttcnt: RTT samples this round
	RTTUsec    uint32 // tcpv_rtt, µs
	MinRTTUsec uint32 // tcpv_minrtt, µs
}

// DCTCPInfo is struct tcp_dctcp_info (INET_DIAG_DCTCPINFO), the
// dctcp:(ce_state:...,alpha:...,ab_ecn:...,ab_tot:...) of `ss -i`, or
// dctcp:fallback_mode when Enabled is 0.
type DCTCPInfo struct {
	Enabled uint16 // dctcp_enabled
	CEState uint16 // dctcp_ce_state
	Alpha   uint32 // dctcp_alpha
	ABECN   uint32 // dctcp_ab_ecn: bytes acked with ECE
	ABTot   uint32 // dctcp_ab_tot: bytes acked
}

// decodeCCInfo fills the field of s for a congestion control attribute
// of type t.
func (s *InetSocket) decodeCCInfo(t uint16, d []byte) error {
	switch t {
	case nlmsg.InetDiagBBRInfo:
		if len(d) < bbrInfoLen {
			return sizeErr("INET_DIAG_BBRINFO", len(d), bbrInfoLen)
		}
		s.BBR = BBRInfo{
			Bandwidth:  uint64(u32(d, 4))<<32 | uint64(u32(d, 0)),
			MinRTTUsec: u32(d, 8), PacingGain: u32(d, 12), CwndGain: u32(d, 16),
		}
	case nlmsg.InetDiagVegasInfo:
		if len(d) < vegasInfoLen {
			return sizeErr("INET_DIAG_VEGASINFO", len(d), vegasInfoLen)
		}
		s.Vegas = VegasInfo{u32(d, 0), u32(d, 4), u32(d, 8), u32(d, 12)}
	case nlmsg.InetDiagDCTCPInfo:
		if len(d) < dctcpInfoLen {
			return sizeErr("INET_DIAG_DCTCPINFO", len(d), dctcpInfoLen)
		}
		s.DCTCP = DCTCPInfo{
			Enabled: u16(d, 0), CEState: u16(d, 2),
			Alpha: u32(d, 4), ABECN: u32(d, 8), ABTot: u32(d, 12),
		}
	}
	return nil
}
