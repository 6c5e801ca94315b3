//go:build linux

package nlmsg

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEthtoolValues(t *testing.T) {
	if EthtoolGenlName != unix.ETHTOOL_GENL_NAME || EthtoolMcgrpMonitorName != unix.ETHTOOL_MCGRP_MONITOR_NAME {
		t.Errorf("family %q group %q, x/sys/unix says %q %q", EthtoolGenlName, EthtoolMcgrpMonitorName, unix.ETHTOOL_GENL_NAME, unix.ETHTOOL_MCGRP_MONITOR_NAME)
	}
	checkConsts(t, []constCase{
		{"ETHTOOL_GENL_VERSION", EthtoolGenlVersion, 1, unix.ETHTOOL_GENL_VERSION},
		{"ETHTOOL_MSG_STRSET_GET", int64(EthtoolMsgStrsetGet), 1, unix.ETHTOOL_MSG_STRSET_GET},
		{"ETHTOOL_MSG_LINKINFO_GET", int64(EthtoolMsgLinkInfoGet), 2, unix.ETHTOOL_MSG_LINKINFO_GET},
		{"ETHTOOL_MSG_LINKINFO_SET", int64(EthtoolMsgLinkInfoSet), 3, unix.ETHTOOL_MSG_LINKINFO_SET},
		{"ETHTOOL_MSG_LINKMODES_GET", int64(EthtoolMsgLinkModesGet), 4, unix.ETHTOOL_MSG_LINKMODES_GET},
		{"ETHTOOL_MSG_LINKMODES_SET", int64(EthtoolMsgLinkModesSet), 5, unix.ETHTOOL_MSG_LINKMODES_SET},
		{"ETHTOOL_MSG_LINKSTATE_GET", int64(EthtoolMsgLinkStateGet), 6, unix.ETHTOOL_MSG_LINKSTATE_GET},
		{"ETHTOOL_MSG_STRSET_GET_REPLY", int64(EthtoolMsgStrsetGetReply), 1, unix.ETHTOOL_MSG_STRSET_GET_REPLY},
		{"ETHTOOL_MSG_LINKINFO_GET_REPLY", int64(EthtoolMsgLinkInfoGetReply), 2, unix.ETHTOOL_MSG_LINKINFO_GET_REPLY},
		{"ETHTOOL_MSG_LINKINFO_NTF", int64(EthtoolMsgLinkInfoNtf), 3, unix.ETHTOOL_MSG_LINKINFO_NTF},
		{"ETHTOOL_MSG_LINKMODES_GET_REPLY", int64(EthtoolMsgLinkModesGetReply), 4, unix.ETHTOOL_MSG_LINKMODES_GET_REPLY},
		{"ETHTOOL_MSG_LINKMODES_NTF", int64(EthtoolMsgLinkModesNtf), 5, unix.ETHTOOL_MSG_LINKMODES_NTF},
		{"ETHTOOL_MSG_LINKSTATE_GET_REPLY", int64(EthtoolMsgLinkStateGetReply), 6, unix.ETHTOOL_MSG_LINKSTATE_GET_REPLY},
		{"ETHTOOL_MSG_FEATURES_NTF", int64(EthtoolMsgFeaturesNtf), 13, unix.ETHTOOL_MSG_FEATURES_NTF},
		{"ETHTOOL_MSG_FEATURES_GET", int64(EthtoolMsgFeaturesGet), 11, unix.ETHTOOL_MSG_FEATURES_GET},
		{"ETHTOOL_MSG_FEATURES_SET", int64(EthtoolMsgFeaturesSet), 12, unix.ETHTOOL_MSG_FEATURES_SET},
		{"ETHTOOL_MSG_FEATURES_GET_REPLY", int64(EthtoolMsgFeaturesGetReply), 11, unix.ETHTOOL_MSG_FEATURES_GET_REPLY},
		{"ETHTOOL_MSG_FEATURES_SET_REPLY", int64(EthtoolMsgFeaturesSetReply), 12, unix.ETHTOOL_MSG_FEATURES_SET_REPLY},
		{"ETHTOOL_MSG_CHANNELS_GET", int64(EthtoolMsgChannelsGet), 17, unix.ETHTOOL_MSG_CHANNELS_GET},
		{"ETHTOOL_MSG_CHANNELS_SET", int64(EthtoolMsgChannelsSet), 18, unix.ETHTOOL_MSG_CHANNELS_SET},
		{"ETHTOOL_MSG_CHANNELS_GET_REPLY", int64(EthtoolMsgChannelsGetReply), 18, unix.ETHTOOL_MSG_CHANNELS_GET_REPLY},
		{"ETHTOOL_MSG_CHANNELS_NTF", int64(EthtoolMsgChannelsNtf), 19, unix.ETHTOOL_MSG_CHANNELS_NTF},
		{"ETHTOOL_A_FEATURES_HEADER", int64(EthtoolAFeaturesHeader), 1, unix.ETHTOOL_A_FEATURES_HEADER},
		{"ETHTOOL_A_FEATURES_HW", int64(EthtoolAFeaturesHW), 2, unix.ETHTOOL_A_FEATURES_HW},
		{"ETHTOOL_A_FEATURES_WANTED", int64(EthtoolAFeaturesWanted), 3, unix.ETHTOOL_A_FEATURES_WANTED},
		{"ETHTOOL_A_FEATURES_ACTIVE", int64(EthtoolAFeaturesActive), 4, unix.ETHTOOL_A_FEATURES_ACTIVE},
		{"ETHTOOL_A_FEATURES_NOCHANGE", int64(EthtoolAFeaturesNoChange), 5, unix.ETHTOOL_A_FEATURES_NOCHANGE},
		{"ETHTOOL_A_CHANNELS_HEADER", int64(EthtoolAChannelsHeader), 1, unix.ETHTOOL_A_CHANNELS_HEADER},
		{"ETHTOOL_A_CHANNELS_RX_MAX", int64(EthtoolAChannelsRxMax), 2, unix.ETHTOOL_A_CHANNELS_RX_MAX},
		{"ETHTOOL_A_CHANNELS_TX_MAX", int64(EthtoolAChannelsTxMax), 3, unix.ETHTOOL_A_CHANNELS_TX_MAX},
		{"ETHTOOL_A_CHANNELS_OTHER_MAX", int64(EthtoolAChannelsOtherMax), 4, unix.ETHTOOL_A_CHANNELS_OTHER_MAX},
		{"ETHTOOL_A_CHANNELS_COMBINED_MAX", int64(EthtoolAChannelsCombinedMax), 5, unix.ETHTOOL_A_CHANNELS_COMBINED_MAX},
		{"ETHTOOL_A_CHANNELS_RX_COUNT", int64(EthtoolAChannelsRxCount), 6, unix.ETHTOOL_A_CHANNELS_RX_COUNT},
		{"ETHTOOL_A_CHANNELS_TX_COUNT", int64(EthtoolAChannelsTxCount), 7, unix.ETHTOOL_A_CHANNELS_TX_COUNT},
		{"ETHTOOL_A_CHANNELS_OTHER_COUNT", int64(EthtoolAChannelsOtherCount), 8, unix.ETHTOOL_A_CHANNELS_OTHER_COUNT},
		{"ETHTOOL_A_CHANNELS_COMBINED_COUNT", int64(EthtoolAChannelsCombinedCount), 9, unix.ETHTOOL_A_CHANNELS_COMBINED_COUNT},

		{"ETHTOOL_A_HEADER_DEV_INDEX", int64(EthtoolAHeaderDevIndex), 1, unix.ETHTOOL_A_HEADER_DEV_INDEX},
		{"ETHTOOL_A_HEADER_DEV_NAME", int64(EthtoolAHeaderDevName), 2, unix.ETHTOOL_A_HEADER_DEV_NAME},
		{"ETHTOOL_A_HEADER_FLAGS", int64(EthtoolAHeaderFlags), 3, unix.ETHTOOL_A_HEADER_FLAGS},
		{"ETHTOOL_A_HEADER_PHY_INDEX", int64(EthtoolAHeaderPhyIndex), 4, unix.ETHTOOL_A_HEADER_MAX},
		{"ETHTOOL_FLAG_COMPACT_BITSETS", int64(EthtoolFlagCompactBitsets), 1, unix.ETHTOOL_FLAG_COMPACT_BITSETS},
		{"ETHTOOL_FLAG_OMIT_REPLY", int64(EthtoolFlagOmitReply), 2, unix.ETHTOOL_FLAG_OMIT_REPLY},
		{"ETHTOOL_FLAG_STATS", int64(EthtoolFlagStats), 4, unix.ETHTOOL_FLAG_STATS},

		{"ETHTOOL_A_BITSET_NOMASK", int64(EthtoolABitsetNoMask), 1, unix.ETHTOOL_A_BITSET_NOMASK},
		{"ETHTOOL_A_BITSET_SIZE", int64(EthtoolABitsetSize), 2, unix.ETHTOOL_A_BITSET_SIZE},
		{"ETHTOOL_A_BITSET_BITS", int64(EthtoolABitsetBits), 3, unix.ETHTOOL_A_BITSET_BITS},
		{"ETHTOOL_A_BITSET_VALUE", int64(EthtoolABitsetValue), 4, unix.ETHTOOL_A_BITSET_VALUE},
		{"ETHTOOL_A_BITSET_MASK", int64(EthtoolABitsetMask), 5, unix.ETHTOOL_A_BITSET_MASK},
		{"ETHTOOL_A_BITSET_BITS_BIT", int64(EthtoolABitsetBitsBit), 1, unix.ETHTOOL_A_BITSET_BITS_BIT},
		{"ETHTOOL_A_BITSET_BIT_INDEX", int64(EthtoolABitsetBitIndex), 1, unix.ETHTOOL_A_BITSET_BIT_INDEX},
		{"ETHTOOL_A_BITSET_BIT_NAME", int64(EthtoolABitsetBitName), 2, unix.ETHTOOL_A_BITSET_BIT_NAME},
		{"ETHTOOL_A_BITSET_BIT_VALUE", int64(EthtoolABitsetBitValue), 3, unix.ETHTOOL_A_BITSET_BIT_VALUE},

		{"ETHTOOL_A_STRSET_HEADER", int64(EthtoolAStrsetHeader), 1, unix.ETHTOOL_A_STRSET_HEADER},
		{"ETHTOOL_A_STRSET_STRINGSETS", int64(EthtoolAStrsetStringsets), 2, unix.ETHTOOL_A_STRSET_STRINGSETS},
		{"ETHTOOL_A_STRSET_COUNTS_ONLY", int64(EthtoolAStrsetCountsOnly), 3, unix.ETHTOOL_A_STRSET_COUNTS_ONLY},
		{"ETHTOOL_A_STRINGSETS_STRINGSET", int64(EthtoolAStringsetsStringset), 1, unix.ETHTOOL_A_STRINGSETS_STRINGSET},
		{"ETHTOOL_A_STRINGSET_ID", int64(EthtoolAStringsetID), 1, unix.ETHTOOL_A_STRINGSET_ID},
		{"ETHTOOL_A_STRINGSET_COUNT", int64(EthtoolAStringsetCount), 2, unix.ETHTOOL_A_STRINGSET_COUNT},
		{"ETHTOOL_A_STRINGSET_STRINGS", int64(EthtoolAStringsetStrings), 3, unix.ETHTOOL_A_STRINGSET_STRINGS},
		{"ETHTOOL_A_STRINGS_STRING", int64(EthtoolAStringsString), 1, unix.ETHTOOL_A_STRINGS_STRING},
		{"ETHTOOL_A_STRING_INDEX", int64(EthtoolAStringIndex), 1, unix.ETHTOOL_A_STRING_INDEX},
		{"ETHTOOL_A_STRING_VALUE", int64(EthtoolAStringValue), 2, unix.ETHTOOL_A_STRING_VALUE},

		{"ETHTOOL_A_LINKINFO_HEADER", int64(EthtoolALinkInfoHeader), 1, unix.ETHTOOL_A_LINKINFO_HEADER},
		{"ETHTOOL_A_LINKINFO_PORT", int64(EthtoolALinkInfoPort), 2, unix.ETHTOOL_A_LINKINFO_PORT},
		{"ETHTOOL_A_LINKINFO_PHYADDR", int64(EthtoolALinkInfoPhyAddr), 3, unix.ETHTOOL_A_LINKINFO_PHYADDR},
		{"ETHTOOL_A_LINKINFO_TP_MDIX", int64(EthtoolALinkInfoTPMDIX), 4, unix.ETHTOOL_A_LINKINFO_TP_MDIX},
		{"ETHTOOL_A_LINKINFO_TP_MDIX_CTRL", int64(EthtoolALinkInfoTPMDIXCtrl), 5, unix.ETHTOOL_A_LINKINFO_TP_MDIX_CTRL},
		{"ETHTOOL_A_LINKINFO_TRANSCEIVER", int64(EthtoolALinkInfoTransceiver), 6, unix.ETHTOOL_A_LINKINFO_TRANSCEIVER},

		{"ETHTOOL_A_LINKMODES_HEADER", int64(EthtoolALinkModesHeader), 1, unix.ETHTOOL_A_LINKMODES_HEADER},
		{"ETHTOOL_A_LINKMODES_AUTONEG", int64(EthtoolALinkModesAutoneg), 2, unix.ETHTOOL_A_LINKMODES_AUTONEG},
		{"ETHTOOL_A_LINKMODES_OURS", int64(EthtoolALinkModesOurs), 3, unix.ETHTOOL_A_LINKMODES_OURS},
		{"ETHTOOL_A_LINKMODES_PEER", int64(EthtoolALinkModesPeer), 4, unix.ETHTOOL_A_LINKMODES_PEER},
		{"ETHTOOL_A_LINKMODES_SPEED", int64(EthtoolALinkModesSpeed), 5, unix.ETHTOOL_A_LINKMODES_SPEED},
		{"ETHTOOL_A_LINKMODES_DUPLEX", int64(EthtoolALinkModesDuplex), 6, unix.ETHTOOL_A_LINKMODES_DUPLEX},
		{"ETHTOOL_A_LINKMODES_MASTER_SLAVE_CFG", int64(EthtoolALinkModesMasterSlaveCfg), 7, unix.ETHTOOL_A_LINKMODES_MASTER_SLAVE_CFG},
		{"ETHTOOL_A_LINKMODES_MASTER_SLAVE_STATE", int64(EthtoolALinkModesMasterSlaveState), 8, unix.ETHTOOL_A_LINKMODES_MASTER_SLAVE_STATE},
		{"ETHTOOL_A_LINKMODES_LANES", int64(EthtoolALinkModesLanes), 9, unix.ETHTOOL_A_LINKMODES_LANES},
		{"ETHTOOL_A_LINKMODES_RATE_MATCHING", int64(EthtoolALinkModesRateMatching), 10, unix.ETHTOOL_A_LINKMODES_RATE_MATCHING},

		{"ETHTOOL_A_LINKSTATE_HEADER", int64(EthtoolALinkStateHeader), 1, unix.ETHTOOL_A_LINKSTATE_HEADER},
		{"ETHTOOL_A_LINKSTATE_LINK", int64(EthtoolALinkStateLink), 2, unix.ETHTOOL_A_LINKSTATE_LINK},
		{"ETHTOOL_A_LINKSTATE_SQI", int64(EthtoolALinkStateSQI), 3, unix.ETHTOOL_A_LINKSTATE_SQI},
		{"ETHTOOL_A_LINKSTATE_SQI_MAX", int64(EthtoolALinkStateSQIMax), 4, unix.ETHTOOL_A_LINKSTATE_SQI_MAX},
		{"ETHTOOL_A_LINKSTATE_EXT_STATE", int64(EthtoolALinkStateExtState), 5, unix.ETHTOOL_A_LINKSTATE_EXT_STATE},
		{"ETHTOOL_A_LINKSTATE_EXT_SUBSTATE", int64(EthtoolALinkStateExtSubstate), 6, unix.ETHTOOL_A_LINKSTATE_EXT_SUBSTATE},
		{"ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT", int64(EthtoolALinkStateExtDownCount), 7, unix.ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT},

		// <linux/ethtool.h> values that x/sys/unix does not define.
		{"ETH_SS_STATS", int64(EthSSStats), 1, noUnix},
		{"ETH_SS_FEATURES", int64(EthSSFeatures), 4, noUnix},
		{"ETH_SS_LINK_MODES", int64(EthSSLinkModes), 9, noUnix},
		{"ETH_SS_STATS_RMON", int64(EthSSStatsRMON), 20, noUnix},
		{"DUPLEX_UNKNOWN", int64(DuplexUnknown), 0xff, noUnix},
		{"PORT_TP", int64(PortTP), 0x00, noUnix},
		{"PORT_AUI", int64(PortAUI), 0x01, noUnix},
		{"PORT_MII", int64(PortMII), 0x02, noUnix},
		{"PORT_FIBRE", int64(PortFibre), 0x03, noUnix},
		{"PORT_BNC", int64(PortBNC), 0x04, noUnix},
		{"PORT_DA", int64(PortDA), 0x05, noUnix},
		{"PORT_NONE", int64(PortNone), 0xef, noUnix},
		{"PORT_OTHER", int64(PortOther), 0xff, noUnix},
		{"ETH_TP_MDI_AUTO", int64(EthTPMDIAuto), 3, noUnix},
		{"SPEED_UNKNOWN", int64(SpeedUnknown), 0xffffffff, int64(uint32(unix.SPEED_UNKNOWN & 0xffffffff))},

		// The link mode bits that are not speeds.
		{"ETHTOOL_LINK_MODE_Autoneg_BIT", EthtoolLinkModeAutonegBit, 6, unix.ETHTOOL_LINK_MODE_Autoneg_BIT},
		{"ETHTOOL_LINK_MODE_TP_BIT", EthtoolLinkModeTPBit, 7, unix.ETHTOOL_LINK_MODE_TP_BIT},
		{"ETHTOOL_LINK_MODE_AUI_BIT", EthtoolLinkModeAUIBit, 8, unix.ETHTOOL_LINK_MODE_AUI_BIT},
		{"ETHTOOL_LINK_MODE_MII_BIT", EthtoolLinkModeMIIBit, 9, unix.ETHTOOL_LINK_MODE_MII_BIT},
		{"ETHTOOL_LINK_MODE_FIBRE_BIT", EthtoolLinkModeFibreBit, 10, unix.ETHTOOL_LINK_MODE_FIBRE_BIT},
		{"ETHTOOL_LINK_MODE_BNC_BIT", EthtoolLinkModeBNCBit, 11, unix.ETHTOOL_LINK_MODE_BNC_BIT},
		{"ETHTOOL_LINK_MODE_Pause_BIT", EthtoolLinkModePauseBit, 13, unix.ETHTOOL_LINK_MODE_Pause_BIT},
		{"ETHTOOL_LINK_MODE_Asym_Pause_BIT", EthtoolLinkModeAsymPauseBit, 14, unix.ETHTOOL_LINK_MODE_Asym_Pause_BIT},
		{"ETHTOOL_LINK_MODE_Backplane_BIT", EthtoolLinkModeBackplaneBit, 16, unix.ETHTOOL_LINK_MODE_Backplane_BIT},
	})
}

// The link values x/sys/unix does not define are checked against the C
// header itself, where the machine has it (linux-libc-dev; gcc brings it):
// a wrong constant here once printed a FIBRE port as "MII".
func TestEthtoolLinkValuesMatchTheSystemHeader(t *testing.T) {
	const header = "/usr/include/linux/ethtool.h"
	f, err := os.Open(header)
	if err != nil {
		if os.Getenv("CI") == "true" { // CI's machines have the header: never skip there
			t.Fatalf("no %s to compare with: %v", header, err)
		}
		t.Skipf("no %s to compare with: %v", header, err)
	}
	defer f.Close()
	ours := map[string]uint8{
		"DUPLEX_HALF": DuplexHalf, "DUPLEX_FULL": DuplexFull, "DUPLEX_UNKNOWN": DuplexUnknown,
		"PORT_TP": PortTP, "PORT_AUI": PortAUI, "PORT_MII": PortMII, "PORT_FIBRE": PortFibre,
		"PORT_BNC": PortBNC, "PORT_DA": PortDA, "PORT_NONE": PortNone, "PORT_OTHER": PortOther,
		"XCVR_INTERNAL": XcvrInternal, "XCVR_EXTERNAL": XcvrExternal,
		"AUTONEG_DISABLE": AutonegDisable, "AUTONEG_ENABLE": AutonegEnable,
		"ETH_TP_MDI_INVALID": EthTPMDIInvalid, "ETH_TP_MDI": EthTPMDI, "ETH_TP_MDI_X": EthTPMDIX, "ETH_TP_MDI_AUTO": EthTPMDIAuto,
	}
	seen := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[0] != "#define" {
			continue
		}
		want, ok := ours[fields[1]]
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(fields[2], 0, 8)
		if err != nil {
			continue // defined by another macro
		}
		seen++
		if uint8(v) != want {
			t.Errorf("%s is %#x in nlmsg, %#x in %s", fields[1], want, v, header)
		}
	}
	if seen != len(ours) {
		t.Errorf("%s defines %d of the %d values compared", header, seen, len(ours))
	}
}
