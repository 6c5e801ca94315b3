package nlmsg

// Constants of ethtool's generic netlink family ("ethtool", Linux 5.6+),
// from <linux/ethtool_netlink.h> and <linux/ethtool.h>: the commands and
// attributes of the string set, link info, link modes, link state,
// features and channels messages, the request header and bit sets, and
// the values they carry.
// Names follow the package documentation (ETHTOOL_A_LINKINFO_PORT is
// EthtoolALinkInfoPort).

// EthtoolGenlName and EthtoolGenlVersion name and version the family
// (ETHTOOL_GENL_NAME, ETHTOOL_GENL_VERSION); EthtoolMcgrpMonitorName is its
// multicast group of change notifications (ETHTOOL_MCGRP_MONITOR_NAME).
const (
	EthtoolGenlName         = "ethtool"
	EthtoolGenlVersion      = 1
	EthtoolMcgrpMonitorName = "monitor"
)

// Commands sent to the kernel (ETHTOOL_MSG_*, user to kernel).
const (
	EthtoolMsgStrsetGet    uint8 = 1  // ETHTOOL_MSG_STRSET_GET
	EthtoolMsgLinkInfoGet  uint8 = 2  // ETHTOOL_MSG_LINKINFO_GET
	EthtoolMsgLinkInfoSet  uint8 = 3  // ETHTOOL_MSG_LINKINFO_SET
	EthtoolMsgLinkModesGet uint8 = 4  // ETHTOOL_MSG_LINKMODES_GET
	EthtoolMsgLinkModesSet uint8 = 5  // ETHTOOL_MSG_LINKMODES_SET
	EthtoolMsgLinkStateGet uint8 = 6  // ETHTOOL_MSG_LINKSTATE_GET
	EthtoolMsgFeaturesGet  uint8 = 11 // ETHTOOL_MSG_FEATURES_GET
	EthtoolMsgFeaturesSet  uint8 = 12 // ETHTOOL_MSG_FEATURES_SET
	EthtoolMsgChannelsGet  uint8 = 17 // ETHTOOL_MSG_CHANNELS_GET
	EthtoolMsgChannelsSet  uint8 = 18 // ETHTOOL_MSG_CHANNELS_SET
)

// Commands the kernel sends (ETHTOOL_MSG_*, kernel to user): replies and
// notifications. They are numbered apart from the requests.
const (
	EthtoolMsgStrsetGetReply    uint8 = 1  // ETHTOOL_MSG_STRSET_GET_REPLY
	EthtoolMsgLinkInfoGetReply  uint8 = 2  // ETHTOOL_MSG_LINKINFO_GET_REPLY
	EthtoolMsgLinkInfoNtf       uint8 = 3  // ETHTOOL_MSG_LINKINFO_NTF
	EthtoolMsgLinkModesGetReply uint8 = 4  // ETHTOOL_MSG_LINKMODES_GET_REPLY
	EthtoolMsgLinkModesNtf      uint8 = 5  // ETHTOOL_MSG_LINKMODES_NTF
	EthtoolMsgLinkStateGetReply uint8 = 6  // ETHTOOL_MSG_LINKSTATE_GET_REPLY
	EthtoolMsgFeaturesGetReply  uint8 = 11 // ETHTOOL_MSG_FEATURES_GET_REPLY
	EthtoolMsgFeaturesSetReply  uint8 = 12 // ETHTOOL_MSG_FEATURES_SET_REPLY: what a FEATURES_SET did not do, and did
	EthtoolMsgFeaturesNtf       uint8 = 13 // ETHTOOL_MSG_FEATURES_NTF: features changed (ethtool -K)
	EthtoolMsgChannelsGetReply  uint8 = 18 // ETHTOOL_MSG_CHANNELS_GET_REPLY
	EthtoolMsgChannelsNtf       uint8 = 19 // ETHTOOL_MSG_CHANNELS_NTF
)

// The request and reply header, nested as attribute 1 of every message
// (ETHTOOL_A_*_HEADER).
const (
	EthtoolAHeaderDevIndex uint16 = 1 // ETHTOOL_A_HEADER_DEV_INDEX: u32
	EthtoolAHeaderDevName  uint16 = 2 // ETHTOOL_A_HEADER_DEV_NAME: string
	EthtoolAHeaderFlags    uint16 = 3 // ETHTOOL_A_HEADER_FLAGS: u32, EthtoolFlag*
	EthtoolAHeaderPhyIndex uint16 = 4 // ETHTOOL_A_HEADER_PHY_INDEX: u32 (Linux 6.12+)

	EthtoolFlagCompactBitsets uint32 = 1 << 0 // ETHTOOL_FLAG_COMPACT_BITSETS: bit sets as u32 arrays, without names
	EthtoolFlagOmitReply      uint32 = 1 << 1 // ETHTOOL_FLAG_OMIT_REPLY: no notification-like reply to a SET
	EthtoolFlagStats          uint32 = 1 << 2 // ETHTOOL_FLAG_STATS: include statistics
)

// Bit sets (ETHTOOL_A_BITSET_*), in compact form (value and mask as arrays
// of u32) or verbose (one nested bit per set bit, with its name).
const (
	EthtoolABitsetNoMask uint16 = 1 // ETHTOOL_A_BITSET_NOMASK: flag, the set is a list, not a value/mask pair
	EthtoolABitsetSize   uint16 = 2 // ETHTOOL_A_BITSET_SIZE: u32, the number of significant bits
	EthtoolABitsetBits   uint16 = 3 // ETHTOOL_A_BITSET_BITS: nested EthtoolABitsetBitsBit, verbose form
	EthtoolABitsetValue  uint16 = 4 // ETHTOOL_A_BITSET_VALUE: binary, u32 words, compact form
	EthtoolABitsetMask   uint16 = 5 // ETHTOOL_A_BITSET_MASK: binary, u32 words, compact form

	EthtoolABitsetBitsBit uint16 = 1 // ETHTOOL_A_BITSET_BITS_BIT: nested bit

	EthtoolABitsetBitIndex uint16 = 1 // ETHTOOL_A_BITSET_BIT_INDEX: u32
	EthtoolABitsetBitName  uint16 = 2 // ETHTOOL_A_BITSET_BIT_NAME: string
	EthtoolABitsetBitValue uint16 = 3 // ETHTOOL_A_BITSET_BIT_VALUE: flag, the bit is set
)

// String sets: ETHTOOL_MSG_STRSET_GET and its reply.
const (
	EthtoolAStrsetHeader     uint16 = 1 // ETHTOOL_A_STRSET_HEADER: nested header
	EthtoolAStrsetStringsets uint16 = 2 // ETHTOOL_A_STRSET_STRINGSETS: nested EthtoolAStringsetsStringset
	EthtoolAStrsetCountsOnly uint16 = 3 // ETHTOOL_A_STRSET_COUNTS_ONLY: flag, counts without strings

	EthtoolAStringsetsStringset uint16 = 1 // ETHTOOL_A_STRINGSETS_STRINGSET: nested string set

	EthtoolAStringsetID      uint16 = 1 // ETHTOOL_A_STRINGSET_ID: u32, an EthSS*
	EthtoolAStringsetCount   uint16 = 2 // ETHTOOL_A_STRINGSET_COUNT: u32
	EthtoolAStringsetStrings uint16 = 3 // ETHTOOL_A_STRINGSET_STRINGS: nested EthtoolAStringsString

	EthtoolAStringsString uint16 = 1 // ETHTOOL_A_STRINGS_STRING: nested string

	EthtoolAStringIndex uint16 = 1 // ETHTOOL_A_STRING_INDEX: u32
	EthtoolAStringValue uint16 = 2 // ETHTOOL_A_STRING_VALUE: string
)

// Link info: ETHTOOL_MSG_LINKINFO_GET and its reply.
const (
	EthtoolALinkInfoHeader      uint16 = 1 // ETHTOOL_A_LINKINFO_HEADER
	EthtoolALinkInfoPort        uint16 = 2 // ETHTOOL_A_LINKINFO_PORT: u8, a Port* value
	EthtoolALinkInfoPhyAddr     uint16 = 3 // ETHTOOL_A_LINKINFO_PHYADDR: u8
	EthtoolALinkInfoTPMDIX      uint16 = 4 // ETHTOOL_A_LINKINFO_TP_MDIX: u8, an EthTPMDI* value
	EthtoolALinkInfoTPMDIXCtrl  uint16 = 5 // ETHTOOL_A_LINKINFO_TP_MDIX_CTRL: u8
	EthtoolALinkInfoTransceiver uint16 = 6 // ETHTOOL_A_LINKINFO_TRANSCEIVER: u8, an Xcvr* value
)

// Link modes: ETHTOOL_MSG_LINKMODES_GET/SET and the reply.
const (
	EthtoolALinkModesHeader           uint16 = 1  // ETHTOOL_A_LINKMODES_HEADER
	EthtoolALinkModesAutoneg          uint16 = 2  // ETHTOOL_A_LINKMODES_AUTONEG: u8, Autoneg*
	EthtoolALinkModesOurs             uint16 = 3  // ETHTOOL_A_LINKMODES_OURS: bit set, value advertised, mask supported
	EthtoolALinkModesPeer             uint16 = 4  // ETHTOOL_A_LINKMODES_PEER: bit set, the link partner's modes
	EthtoolALinkModesSpeed            uint16 = 5  // ETHTOOL_A_LINKMODES_SPEED: u32, Mb/s, SpeedUnknown if unknown
	EthtoolALinkModesDuplex           uint16 = 6  // ETHTOOL_A_LINKMODES_DUPLEX: u8, Duplex*
	EthtoolALinkModesMasterSlaveCfg   uint16 = 7  // ETHTOOL_A_LINKMODES_MASTER_SLAVE_CFG: u8
	EthtoolALinkModesMasterSlaveState uint16 = 8  // ETHTOOL_A_LINKMODES_MASTER_SLAVE_STATE: u8
	EthtoolALinkModesLanes            uint16 = 9  // ETHTOOL_A_LINKMODES_LANES: u32
	EthtoolALinkModesRateMatching     uint16 = 10 // ETHTOOL_A_LINKMODES_RATE_MATCHING: u8
)

// Link state: ETHTOOL_MSG_LINKSTATE_GET and its reply.
const (
	EthtoolALinkStateHeader       uint16 = 1 // ETHTOOL_A_LINKSTATE_HEADER
	EthtoolALinkStateLink         uint16 = 2 // ETHTOOL_A_LINKSTATE_LINK: u8, 1 when the link is detected
	EthtoolALinkStateSQI          uint16 = 3 // ETHTOOL_A_LINKSTATE_SQI: u32, signal quality
	EthtoolALinkStateSQIMax       uint16 = 4 // ETHTOOL_A_LINKSTATE_SQI_MAX: u32
	EthtoolALinkStateExtState     uint16 = 5 // ETHTOOL_A_LINKSTATE_EXT_STATE: u8
	EthtoolALinkStateExtSubstate  uint16 = 6 // ETHTOOL_A_LINKSTATE_EXT_SUBSTATE: u8
	EthtoolALinkStateExtDownCount uint16 = 7 // ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT: u32
)

// Features: ETHTOOL_MSG_FEATURES_GET/SET and the replies. Bits are
// indexed as the EthSSFeatures string set names them.
const (
	EthtoolAFeaturesHeader   uint16 = 1 // ETHTOOL_A_FEATURES_HEADER
	EthtoolAFeaturesHW       uint16 = 2 // ETHTOOL_A_FEATURES_HW: bit set, value the changeable features, mask all known
	EthtoolAFeaturesWanted   uint16 = 3 // ETHTOOL_A_FEATURES_WANTED: bit set, the requested features
	EthtoolAFeaturesActive   uint16 = 4 // ETHTOOL_A_FEATURES_ACTIVE: bit set, the features in effect
	EthtoolAFeaturesNoChange uint16 = 5 // ETHTOOL_A_FEATURES_NOCHANGE: bit set, features that can never change
)

// Channels: ETHTOOL_MSG_CHANNELS_GET/SET and the reply; each a u32.
const (
	EthtoolAChannelsHeader        uint16 = 1 // ETHTOOL_A_CHANNELS_HEADER
	EthtoolAChannelsRxMax         uint16 = 2 // ETHTOOL_A_CHANNELS_RX_MAX
	EthtoolAChannelsTxMax         uint16 = 3 // ETHTOOL_A_CHANNELS_TX_MAX
	EthtoolAChannelsOtherMax      uint16 = 4 // ETHTOOL_A_CHANNELS_OTHER_MAX
	EthtoolAChannelsCombinedMax   uint16 = 5 // ETHTOOL_A_CHANNELS_COMBINED_MAX
	EthtoolAChannelsRxCount       uint16 = 6 // ETHTOOL_A_CHANNELS_RX_COUNT
	EthtoolAChannelsTxCount       uint16 = 7 // ETHTOOL_A_CHANNELS_TX_COUNT
	EthtoolAChannelsOtherCount    uint16 = 8 // ETHTOOL_A_CHANNELS_OTHER_COUNT
	EthtoolAChannelsCombinedCount uint16 = 9 // ETHTOOL_A_CHANNELS_COMBINED_COUNT
)

// String set ids (enum ethtool_stringset), the value of
// EthtoolAStringsetID.
const (
	EthSSTest            uint32 = 0  // ETH_SS_TEST: self-test names
	EthSSStats           uint32 = 1  // ETH_SS_STATS: the driver's statistics names (ethtool -S)
	EthSSPrivFlags       uint32 = 2  // ETH_SS_PRIV_FLAGS
	EthSSNtupleFilters   uint32 = 3  // ETH_SS_NTUPLE_FILTERS
	EthSSFeatures        uint32 = 4  // ETH_SS_FEATURES: netdev feature names (ethtool -k)
	EthSSRSSHashFuncs    uint32 = 5  // ETH_SS_RSS_HASH_FUNCS
	EthSSTunables        uint32 = 6  // ETH_SS_TUNABLES
	EthSSPhyStats        uint32 = 7  // ETH_SS_PHY_STATS
	EthSSPhyTunables     uint32 = 8  // ETH_SS_PHY_TUNABLES
	EthSSLinkModes       uint32 = 9  // ETH_SS_LINK_MODES: link mode names, by ETHTOOL_LINK_MODE_*_BIT
	EthSSMsgClasses      uint32 = 10 // ETH_SS_MSG_CLASSES
	EthSSWolModes        uint32 = 11 // ETH_SS_WOL_MODES
	EthSSSofTimestamping uint32 = 12 // ETH_SS_SOF_TIMESTAMPING
	EthSSTsTxTypes       uint32 = 13 // ETH_SS_TS_TX_TYPES
	EthSSTsRxFilters     uint32 = 14 // ETH_SS_TS_RX_FILTERS
	EthSSUDPTunnelTypes  uint32 = 15 // ETH_SS_UDP_TUNNEL_TYPES
	EthSSStatsStd        uint32 = 16 // ETH_SS_STATS_STD
	EthSSStatsEthPhy     uint32 = 17 // ETH_SS_STATS_ETH_PHY
	EthSSStatsEthMAC     uint32 = 18 // ETH_SS_STATS_ETH_MAC
	EthSSStatsEthCtrl    uint32 = 19 // ETH_SS_STATS_ETH_CTRL
	EthSSStatsRMON       uint32 = 20 // ETH_SS_STATS_RMON
)

// Values of the link attributes (<linux/ethtool.h>).
const (
	DuplexHalf    uint8 = 0x00 // DUPLEX_HALF
	DuplexFull    uint8 = 0x01 // DUPLEX_FULL
	DuplexUnknown uint8 = 0xff // DUPLEX_UNKNOWN

	PortTP    uint8 = 0x00 // PORT_TP: twisted pair
	PortAUI   uint8 = 0x01 // PORT_AUI
	PortMII   uint8 = 0x02 // PORT_MII
	PortFibre uint8 = 0x03 // PORT_FIBRE
	PortBNC   uint8 = 0x04 // PORT_BNC
	PortDA    uint8 = 0x05 // PORT_DA: direct attach copper
	PortNone  uint8 = 0xef // PORT_NONE
	PortOther uint8 = 0xff // PORT_OTHER

	XcvrInternal uint8 = 0x00 // XCVR_INTERNAL
	XcvrExternal uint8 = 0x01 // XCVR_EXTERNAL

	AutonegDisable uint8 = 0x00 // AUTONEG_DISABLE
	AutonegEnable  uint8 = 0x01 // AUTONEG_ENABLE

	EthTPMDIInvalid uint8 = 0x00 // ETH_TP_MDI_INVALID: unknown, or not twisted pair
	EthTPMDI        uint8 = 0x01 // ETH_TP_MDI: MDI-X off
	EthTPMDIX       uint8 = 0x02 // ETH_TP_MDI_X: MDI-X on
	EthTPMDIAuto    uint8 = 0x03 // ETH_TP_MDI_AUTO: control only, automatic

	SpeedUnknown uint32 = 0xffffffff // SPEED_UNKNOWN (-1 as u32)
)

// Link mode bits (enum ethtool_link_mode_bit_indices) that are not speeds:
// ethtool prints them as "auto-negotiation", "pause frame use" and "ports".
const (
	EthtoolLinkModeAutonegBit   = 6  // ETHTOOL_LINK_MODE_Autoneg_BIT
	EthtoolLinkModeTPBit        = 7  // ETHTOOL_LINK_MODE_TP_BIT
	EthtoolLinkModeAUIBit       = 8  // ETHTOOL_LINK_MODE_AUI_BIT
	EthtoolLinkModeMIIBit       = 9  // ETHTOOL_LINK_MODE_MII_BIT
	EthtoolLinkModeFibreBit     = 10 // ETHTOOL_LINK_MODE_FIBRE_BIT
	EthtoolLinkModeBNCBit       = 11 // ETHTOOL_LINK_MODE_BNC_BIT
	EthtoolLinkModePauseBit     = 13 // ETHTOOL_LINK_MODE_Pause_BIT
	EthtoolLinkModeAsymPauseBit = 14 // ETHTOOL_LINK_MODE_Asym_Pause_BIT
	EthtoolLinkModeBackplaneBit = 16 // ETHTOOL_LINK_MODE_Backplane_BIT
)
