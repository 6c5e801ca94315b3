package nlmsg

// Route cache flags (RTCF_*), in the upper 16 bits of the rtm_flags of an
// IPv4 route lookup's answer (one with RTM_F_CLONED set). The bits are
// shared with some RTM_F_* flags, whose meaning they take only in such an
// answer: RTCFMulticast is RTMFOffloadFailed's bit.
const (
	RTCFNotify     uint32 = 0x00010000 // RTCF_NOTIFY: the lookup asked for RTM_F_NOTIFY
	RTCFDirectDst  uint32 = 0x00020000 // RTCF_DIRECTDST (unused)
	RTCFRedirected uint32 = 0x00040000 // RTCF_REDIRECTED: learnt from an ICMP redirect
	RTCFTProxy     uint32 = 0x00080000 // RTCF_TPROXY (unused)
	RTCFFast       uint32 = 0x00200000 // RTCF_FAST (unused)
	RTCFMasq       uint32 = 0x00400000 // RTCF_MASQ (unused)
	RTCFSNAT       uint32 = 0x00800000 // RTCF_SNAT (unused)
	RTCFDoRedirect uint32 = 0x01000000 // RTCF_DOREDIRECT: the router would send a redirect
	RTCFDirectSrc  uint32 = 0x04000000 // RTCF_DIRECTSRC: the source is on a directly attached network
	RTCFDNAT       uint32 = 0x08000000 // RTCF_DNAT (unused)
	RTCFBroadcast  uint32 = 0x10000000 // RTCF_BROADCAST: a broadcast destination
	RTCFMulticast  uint32 = 0x20000000 // RTCF_MULTICAST: a multicast destination
	RTCFReject     uint32 = 0x40000000 // RTCF_REJECT (unused)
	RTCFLocal      uint32 = 0x80000000 // RTCF_LOCAL: a local destination
)
