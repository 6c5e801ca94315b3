package sockdiag

import (
	"encoding/binary"
	"time"
)

// tcpInfoMinLen is the size of struct tcp_info up to tcpi_total_retrans,
// which every kernel with sock_diag sends; tcpInfoLen is the size this
// package decodes (Linux 6.7 and later send at least this much). Fields a
// shorter struct lacks decode as zero.
const (
	tcpInfoMinLen = 104
	tcpInfoLen    = 248
)

// TCPInfo is struct tcp_info (INET_DIAG_INFO of a TCP socket), the figures
// `ss -i` prints. Times are in microseconds where the kernel counts them
// so (RTT, RTTVar, RTO, ATO, MinRTT, RcvRTT; see the methods that return a
// time.Duration), the Last* fields in milliseconds. Fields a kernel does
// not send are zero.
type TCPInfo struct {
	State                  State // tcpi_state
	CAState                uint8 // tcpi_ca_state: 0 open, 1 disorder, 2 CWR, 3 recovery, 4 loss
	Retransmits            uint8 // tcpi_retransmits: consecutive retransmissions of the head
	Probes                 uint8 // tcpi_probes: zero-window or keepalive probes sent unanswered
	Backoff                uint8 // tcpi_backoff: RTO backoff exponent
	Options                uint8 // tcpi_options: TCPI_OPT_* bits (1 timestamps, 2 SACK, 4 wscale, 8 ECN, ...)
	SndWScale              uint8 // tcpi_snd_wscale
	RcvWScale              uint8 // tcpi_rcv_wscale
	DeliveryRateAppLimited bool  // tcpi_delivery_rate_app_limited
	FastOpenClientFail     uint8 // tcpi_fastopen_client_fail

	RTOUsec      uint32 // tcpi_rto, µs
	ATOUsec      uint32 // tcpi_ato, µs
	SndMSS       uint32 // tcpi_snd_mss
	RcvMSS       uint32 // tcpi_rcv_mss
	Unacked      uint32 // tcpi_unacked (listener: connections waiting in accept)
	Sacked       uint32 // tcpi_sacked (listener: its backlog)
	Lost         uint32 // tcpi_lost
	Retrans      uint32 // tcpi_retrans
	Fackets      uint32 // tcpi_fackets
	LastDataSent uint32 // tcpi_last_data_sent, ms ago
	LastAckSent  uint32 // tcpi_last_ack_sent, ms ago (not maintained by Linux)
	LastDataRecv uint32 // tcpi_last_data_recv, ms ago
	LastAckRecv  uint32 // tcpi_last_ack_recv, ms ago
	PMTU         uint32 // tcpi_pmtu
	RcvSsthresh  uint32 // tcpi_rcv_ssthresh
	RTTUsec      uint32 // tcpi_rtt: smoothed RTT, µs
	RTTVarUsec   uint32 // tcpi_rttvar, µs
	SndSsthresh  uint32 // tcpi_snd_ssthresh
	SndCwnd      uint32 // tcpi_snd_cwnd, segments
	AdvMSS       uint32 // tcpi_advmss
	Reordering   uint32 // tcpi_reordering
	RcvRTTUsec   uint32 // tcpi_rcv_rtt, µs
	RcvSpace     uint32 // tcpi_rcv_space
	TotalRetrans uint32 // tcpi_total_retrans

	PacingRate    uint64 // tcpi_pacing_rate, bytes/s
	MaxPacingRate uint64 // tcpi_max_pacing_rate, bytes/s
	BytesAcked    uint64 // tcpi_bytes_acked
	BytesReceived uint64 // tcpi_bytes_received
	SegsOut       uint32 // tcpi_segs_out
	SegsIn        uint32 // tcpi_segs_in
	NotsentBytes  uint32 // tcpi_notsent_bytes
	MinRTTUsec    uint32 // tcpi_min_rtt, µs
	DataSegsIn    uint32 // tcpi_data_segs_in
	DataSegsOut   uint32 // tcpi_data_segs_out
	DeliveryRate  uint64 // tcpi_delivery_rate, bytes/s
	BusyTimeUsec  uint64 // tcpi_busy_time, µs
	RwndLimited   uint64 // tcpi_rwnd_limited, µs
	SndbufLimited uint64 // tcpi_sndbuf_limited, µs
	Delivered     uint32 // tcpi_delivered
	DeliveredCE   uint32 // tcpi_delivered_ce
	BytesSent     uint64 // tcpi_bytes_sent
	BytesRetrans  uint64 // tcpi_bytes_retrans
	DSACKDups     uint32 // tcpi_dsack_dups
	ReordSeen     uint32 // tcpi_reord_seen
	RcvOOOPack    uint32 // tcpi_rcv_ooopack
	SndWnd        uint32 // tcpi_snd_wnd
	RcvWnd        uint32 // tcpi_rcv_wnd
	Rehash        uint32 // tcpi_rehash
	TotalRTO      uint16 // tcpi_total_rto
	TotalRTORecov uint16 // tcpi_total_rto_recoveries
	TotalRTOTime  uint32 // tcpi_total_rto_time, ms
}

// RTT returns the smoothed round-trip time.
func (i *TCPInfo) RTT() time.Duration { return time.Duration(i.RTTUsec) * time.Microsecond }

// RTTVar returns the round-trip time's mean deviation.
func (i *TCPInfo) RTTVar() time.Duration { return time.Duration(i.RTTVarUsec) * time.Microsecond }

// RTO returns the retransmission timeout.
func (i *TCPInfo) RTO() time.Duration { return time.Duration(i.RTOUsec) * time.Microsecond }

// ATO returns the delayed-ack timeout.
func (i *TCPInfo) ATO() time.Duration { return time.Duration(i.ATOUsec) * time.Microsecond }

// RcvRTT returns the receiver's estimate of the round-trip time.
func (i *TCPInfo) RcvRTT() time.Duration { return time.Duration(i.RcvRTTUsec) * time.Microsecond }

// MinRTT returns the smallest round-trip time seen.
func (i *TCPInfo) MinRTT() time.Duration { return time.Duration(i.MinRTTUsec) * time.Microsecond }

// bigEndian is true on big-endian machines, where C lays bit fields out
// from the top bit of a byte.
var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// decode fills i from an INET_DIAG_INFO attribute of a TCP socket.
// Longer structs (newer kernels) are cut to the fields known here; shorter
// ones than tcpInfoMinLen are an error.
func (i *TCPInfo) decode(p []byte) error {
	if len(p) < tcpInfoMinLen {
		return sizeErr("INET_DIAG_INFO (tcp_info)", len(p), tcpInfoMinLen)
	}
	// NB: a zero-padded copy of the known size lets every field below be
	// read at a fixed offset, whatever the kernel's size.
	var raw [tcpInfoLen]byte
	copy(raw[:], p)
	u32 := func(off int) uint32 { return binary.NativeEndian.Uint32(raw[off : off+4]) }
	u64 := func(off int) uint64 { return binary.NativeEndian.Uint64(raw[off : off+8]) }
	*i = TCPInfo{
		State: State(raw[0]), CAState: raw[1], Retransmits: raw[2], Probes: raw[3],
		Backoff: raw[4], Options: raw[5],
		SndWScale: raw[6] & 0xf, RcvWScale: raw[6] >> 4,
		DeliveryRateAppLimited: raw[7]&1 != 0, FastOpenClientFail: raw[7] >> 1 & 3,

		RTOUsec: u32(8), ATOUsec: u32(12), SndMSS: u32(16), RcvMSS: u32(20),
		Unacked: u32(24), Sacked: u32(28), Lost: u32(32), Retrans: u32(36), Fackets: u32(40),
		LastDataSent: u32(44), LastAckSent: u32(48), LastDataRecv: u32(52), LastAckRecv: u32(56),
		PMTU: u32(60), RcvSsthresh: u32(64), RTTUsec: u32(68), RTTVarUsec: u32(72),
		SndSsthresh: u32(76), SndCwnd: u32(80), AdvMSS: u32(84), Reordering: u32(88),
		RcvRTTUsec: u32(92), RcvSpace: u32(96), TotalRetrans: u32(100),

		PacingRate: u64(104), MaxPacingRate: u64(112), BytesAcked: u64(120), BytesReceived: u64(128),
		SegsOut: u32(136), SegsIn: u32(140), NotsentBytes: u32(144), MinRTTUsec: u32(148),
		DataSegsIn: u32(152), DataSegsOut: u32(156), DeliveryRate: u64(160), BusyTimeUsec: u64(168),
		RwndLimited: u64(176), SndbufLimited: u64(184), Delivered: u32(192), DeliveredCE: u32(196),
		BytesSent: u64(200), BytesRetrans: u64(208), DSACKDups: u32(216), ReordSeen: u32(220),
		RcvOOOPack: u32(224), SndWnd: u32(228), RcvWnd: u32(232), Rehash: u32(236),
		TotalRTO:      binary.NativeEndian.Uint16(raw[240:242]),
		TotalRTORecov: binary.NativeEndian.Uint16(raw[242:244]),
		TotalRTOTime:  u32(244),
	}
	if bigEndian {
		// C bit fields fill a byte from its top bit on big-endian ABIs.
		i.SndWScale, i.RcvWScale = raw[6]>>4, raw[6]&0xf
		i.DeliveryRateAppLimited, i.FastOpenClientFail = raw[7]&0x80 != 0, raw[7]>>5&3
	}
	return nil
}
