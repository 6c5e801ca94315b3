//go:build linux

package nlmsg

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestTCConstantsMatchTheKernel(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTM_NEWQDISC", int64(RTMNewQdisc), 36, unix.RTM_NEWQDISC},
		{"RTM_DELQDISC", int64(RTMDelQdisc), 37, unix.RTM_DELQDISC},
		{"RTM_GETQDISC", int64(RTMGetQdisc), 38, unix.RTM_GETQDISC},
		{"RTM_NEWTCLASS", int64(RTMNewTClass), 40, unix.RTM_NEWTCLASS},
		{"RTM_DELTCLASS", int64(RTMDelTClass), 41, unix.RTM_DELTCLASS},
		{"RTM_GETTCLASS", int64(RTMGetTClass), 42, unix.RTM_GETTCLASS},
		{"TCA_KIND", int64(TCAKind), 1, unix.TCA_KIND},
		{"TCA_OPTIONS", int64(TCAOptions), 2, unix.TCA_OPTIONS},
		{"TCA_STATS", int64(TCAStats), 3, unix.TCA_STATS},
		{"TCA_XSTATS", int64(TCAXStats), 4, unix.TCA_XSTATS},
		{"TCA_RATE", int64(TCARate), 5, unix.TCA_RATE},
		{"TCA_FCNT", int64(TCAFCnt), 6, unix.TCA_FCNT},
		{"TCA_STATS2", int64(TCAStats2), 7, unix.TCA_STATS2},
		{"TCA_STAB", int64(TCAStab), 8, unix.TCA_STAB},
		{"TCA_PAD", int64(TCAPad), 9, unix.TCA_PAD},
		{"TCA_DUMP_INVISIBLE", int64(TCADumpInvisible), 10, unix.TCA_DUMP_INVISIBLE},
		{"TCA_CHAIN", int64(TCAChain), 11, unix.TCA_CHAIN},
		{"TCA_HW_OFFLOAD", int64(TCAHWOffload), 12, unix.TCA_HW_OFFLOAD},
		{"TCA_INGRESS_BLOCK", int64(TCAIngressBlock), 13, unix.TCA_INGRESS_BLOCK},
		{"TCA_EGRESS_BLOCK", int64(TCAEgressBlock), 14, unix.TCA_EGRESS_BLOCK},
		{"TCA_DUMP_FLAGS", int64(TCADumpFlags), 15, noUnix},
		{"TCA_EXT_WARN_MSG", int64(TCAExtWarnMsg), 16, noUnix},
		{"TCA_STATS_BASIC", int64(TCAStatsBasic), 1, noUnix},
		{"TCA_STATS_RATE_EST", int64(TCAStatsRateEst), 2, noUnix},
		{"TCA_STATS_QUEUE", int64(TCAStatsQueue), 3, noUnix},
		{"TCA_STATS_APP", int64(TCAStatsApp), 4, noUnix},
		{"TCA_STATS_RATE_EST64", int64(TCAStatsRateEst64), 5, noUnix},
		{"TCA_STATS_PAD", int64(TCAStatsPad), 6, noUnix},
		{"TCA_STATS_BASIC_HW", int64(TCAStatsBasicHW), 7, noUnix},
		{"TCA_STATS_PKT64", int64(TCAStatsPkt64), 8, noUnix},
		{"TC_H_ROOT", int64(TCHRoot), 0xffffffff, noUnix},
		{"TC_H_INGRESS", int64(TCHIngress), 0xfffffff1, noUnix},
		{"TC_H_CLSACT", int64(TCHClsact), 0xfffffff1, noUnix},
		{"TC_H_MIN_INGRESS", int64(TCHMinIngress), 0xfff2, noUnix},
		{"TC_H_MIN_EGRESS", int64(TCHMinEgress), 0xfff3, noUnix},
		{"RTNLGRP_TC", RTNLGrpTC, 4, unix.RTNLGRP_TC},
		{"TCA_HTB_PARMS", int64(TCAHTBParms), 1, noUnix},
		{"TCA_HTB_INIT", int64(TCAHTBInit), 2, noUnix},
		{"TCA_HTB_CTAB", int64(TCAHTBCtab), 3, noUnix},
		{"TCA_HTB_RTAB", int64(TCAHTBRtab), 4, noUnix},
		{"TCA_HTB_DIRECT_QLEN", int64(TCAHTBDirectQlen), 5, noUnix},
		{"TCA_HTB_RATE64", int64(TCAHTBRate64), 6, noUnix},
		{"TCA_HTB_CEIL64", int64(TCAHTBCeil64), 7, noUnix},
		{"TCA_HTB_PAD", int64(TCAHTBPad), 8, noUnix},
		{"TCA_HTB_OFFLOAD", int64(TCAHTBOffload), 9, noUnix},
		{"TCA_TBF_PARMS", int64(TCATBFParms), 1, noUnix},
		{"TCA_TBF_RTAB", int64(TCATBFRtab), 2, noUnix},
		{"TCA_TBF_PTAB", int64(TCATBFPtab), 3, noUnix},
		{"TCA_TBF_RATE64", int64(TCATBFRate64), 4, noUnix},
		{"TCA_TBF_PRATE64", int64(TCATBFPrate64), 5, noUnix},
		{"TCA_TBF_BURST", int64(TCATBFBurst), 6, noUnix},
		{"TCA_TBF_PBURST", int64(TCATBFPburst), 7, noUnix},
		{"TCA_TBF_PAD", int64(TCATBFPad), 8, noUnix},
		{"TC_HTB_PROTOVER", TCHTBProtoVer, 3, noUnix},
		{"TC_LINKLAYER_ETHERNET", TCLinklayerEthernet, 1, noUnix},
		{"sizeof(struct tcmsg)", TcMsgLen, 20, noUnix},
		{"sizeof(struct tc_ratespec)", TcRateSpecLen, 12, noUnix},
		{"sizeof(struct tc_htb_opt)", TcHTBOptLen, 44, noUnix},
		{"sizeof(struct tc_htb_glob)", TcHTBGlobLen, 20, noUnix},
		{"sizeof(struct tc_tbf_qopt)", TcTBFQoptLen, 36, noUnix},
		{"sizeof(struct gnet_stats_queue)", GnetStatsQueueLen, 20, noUnix},
	})
}

func TestTcMsgRoundTrip(t *testing.T) {
	h := TcMsg{IfIndex: 7, Handle: 0x10000, Parent: TCHRoot, Info: 3}
	b := h.AppendTo([]byte{9})
	if len(b) != 1+TcMsgLen {
		t.Fatalf("%d bytes", len(b))
	}
	var got TcMsg
	attrs, err := got.Decode(append(b[1:], 4, 0, 1, 0))
	if err != nil || got != h || !bytes.Equal(attrs, []byte{4, 0, 1, 0}) {
		t.Errorf("decoded %+v, %v, attrs % x", got, err, attrs)
	}
	if _, err := got.Decode(b[1:TcMsgLen]); err == nil {
		t.Error("a short tcmsg decoded")
	}
	r := TcRateSpec{CellLog: 3, Linklayer: 1, Overhead: 4, CellAlign: -1, MPU: 64, Rate: 125000}
	if d, ok := DecodeTcRateSpec(r.AppendTo(nil)); !ok || d != r {
		t.Errorf("ratespec %+v, %v", d, ok)
	}
}
