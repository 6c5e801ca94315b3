//go:build linux

package nlmsg

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNexthopConstantsMatchTheKernel(t *testing.T) {
	checkConsts(t, []constCase{
		{"RTM_NEWNEXTHOP", int64(RTMNewNexthop), 104, unix.RTM_NEWNEXTHOP},
		{"RTM_DELNEXTHOP", int64(RTMDelNexthop), 105, unix.RTM_DELNEXTHOP},
		{"RTM_GETNEXTHOP", int64(RTMGetNexthop), 106, unix.RTM_GETNEXTHOP},
		{"NHA_ID", int64(NHAID), 1, unix.NHA_ID},
		{"NHA_GROUP", int64(NHAGroup), 2, unix.NHA_GROUP},
		{"NHA_GROUP_TYPE", int64(NHAGroupType), 3, unix.NHA_GROUP_TYPE},
		{"NHA_BLACKHOLE", int64(NHABlackhole), 4, unix.NHA_BLACKHOLE},
		{"NHA_OIF", int64(NHAOIF), 5, unix.NHA_OIF},
		{"NHA_GATEWAY", int64(NHAGateway), 6, unix.NHA_GATEWAY},
		{"NHA_ENCAP_TYPE", int64(NHAEncapType), 7, unix.NHA_ENCAP_TYPE},
		{"NHA_ENCAP", int64(NHAEncap), 8, unix.NHA_ENCAP},
		{"NHA_GROUPS", int64(NHAGroups), 9, unix.NHA_GROUPS},
		{"NHA_MASTER", int64(NHAMaster), 10, unix.NHA_MASTER},
		{"NHA_FDB", int64(NHAFDB), 11, noUnix},
		{"NHA_RES_GROUP", int64(NHAResGroup), 12, noUnix},
		{"NHA_RES_BUCKET", int64(NHAResBucket), 13, noUnix},
		{"NHA_OP_FLAGS", int64(NHAOpFlags), 14, noUnix},
		{"NHA_GROUP_STATS", int64(NHAGroupStats), 15, noUnix},
		{"NHA_HW_STATS_ENABLE", int64(NHAHWStatsEnable), 16, noUnix},
		{"NHA_HW_STATS_USED", int64(NHAHWStatsUsed), 17, noUnix},
		{"NHA_RES_GROUP_BUCKETS", int64(NHAResGroupBuckets), 1, noUnix},
		{"NHA_RES_GROUP_IDLE_TIMER", int64(NHAResGroupIdleTimer), 2, noUnix},
		{"NHA_RES_GROUP_UNBALANCED_TIMER", int64(NHAResGroupUnbalancedTimer), 3, noUnix},
		{"NHA_RES_GROUP_UNBALANCED_TIME", int64(NHAResGroupUnbalancedTime), 4, noUnix},
		{"NEXTHOP_GRP_TYPE_MPATH", int64(NexthopGrpTypeMpath), 0, noUnix},
		{"NEXTHOP_GRP_TYPE_RES", int64(NexthopGrpTypeRes), 1, noUnix},
		{"NHA_OP_FLAG_DUMP_STATS", int64(NHAOpFlagDumpStats), 1, noUnix},
		{"NHA_OP_FLAG_DUMP_HW_STATS", int64(NHAOpFlagDumpHWStats), 2, noUnix},
		{"NHA_OP_FLAG_RESP_GRP_RESVD_0", int64(NHAOpFlagRespGrpResvd0), 1 << 31, noUnix},
		{"RTNLGRP_NEXTHOP", int64(RTNLGrpNexthop), 32, unix.RTNLGRP_NEXTHOP},
		{"sizeof(struct nhmsg)", int64(NhMsgLen), 8, unix.SizeofNhmsg},
		{"sizeof(struct nexthop_grp)", int64(NexthopGrpLen), 8, unix.SizeofNexthopGrp},
	})
}

func TestNhMsgRoundTrips(t *testing.T) {
	h := NhMsg{Family: unix.AF_INET6, Scope: RTScopeLink, Protocol: RTProtBGP, Flags: uint32(RTNHFOnlink)}
	b := h.AppendTo(nil)
	if len(b) != NhMsgLen || b[3] != 0 {
		t.Fatalf("nhmsg encodes to % x", b)
	}
	var got NhMsg
	rest, err := got.Decode(append(b, 8, 0, byte(NHAID), 0, 7, 0, 0, 0))
	if err != nil || got != h || len(rest) != 8 {
		t.Fatalf("Decode = %+v, %d bytes left, %v; want %+v, 8", got, len(rest), err, h)
	}
	if _, err := got.Decode(b[:7]); err == nil {
		t.Fatal("Decode accepted 7 bytes")
	}
}

func TestNexthopGrpWeights(t *testing.T) {
	for _, c := range []struct {
		w    uint32
		wire [2]byte // weight, weight_high
	}{{0, [2]byte{0, 0}}, {1, [2]byte{0, 0}}, {5, [2]byte{4, 0}}, {256, [2]byte{255, 0}}, {257, [2]byte{0, 1}}, {1000, [2]byte{0xe7, 3}}, {65535, [2]byte{0xfe, 0xff}}} {
		b := NexthopGrp{ID: 9, Weight: c.w}.AppendTo(nil)
		if len(b) != NexthopGrpLen || b[4] != c.wire[0] || b[5] != c.wire[1] || b[6] != 0 || b[7] != 0 {
			t.Errorf("weight %d encodes to % x", c.w, b)
		}
		want := max(c.w, 1)
		if g, ok := DecodeNexthopGrp(b, true); !ok || g.ID != 9 || g.Weight != want {
			t.Errorf("weight %d decodes to %+v, %v", c.w, g, ok)
		}
		if g, _ := DecodeNexthopGrp(b, false); g.Weight != uint32(b[4])+1 {
			t.Errorf("weight %d without weight_high decodes to %d", c.w, g.Weight)
		}
	}
	if _, ok := DecodeNexthopGrp(make([]byte, 7), true); ok {
		t.Error("DecodeNexthopGrp accepted 7 bytes")
	}
}
