package nlmsg

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The fuzz seed corpus in testdata/fuzz is generated from the tables below:
//
//	go test -run '^TestFuzzCorpus$' ./nlmsg/ -args -update-corpus
//
// Inputs that a fuzzing run found worth keeping are added to the same
// folders under other names; this test leaves them alone.
var updateCorpus = flag.Bool("update-corpus", false, "write the fuzz seed corpus to testdata/fuzz")

// seed is one named corpus entry: the fuzz target's arguments in order.
type seed struct {
	name string
	args []any
}

func bytesSeed(name string, b []byte) seed { return seed{name, []any{b}} }

func bodySeed(name string, f Flags, body []byte) seed {
	return seed{name, []any{uint16(f), body}}
}

// errnoField is the s32 error of nlmsgerr and the int of NLMSG_DONE: -errno.
func errnoField(errno int32) []byte { return u32(uint32(-errno)) }

func corpusSeeds() map[string][]seed {
	var b Builder
	defer b.Release()
	buildRouteDump(&b, 5, 3)
	b.Begin(Done, Multi, 3)
	b.Append(u32(0))
	routes := append([]byte(nil), b.Bytes()...)

	req := rawMsg(RTMNewLink, Request|Ack|Create, 7, []byte{1, 2, 3, 4, 5})
	tlvs := cat(
		padded(rawAttr(ExtAckMsg, []byte("Unknown device type\x00"))),
		rawAttr(ExtAckOffset, u32(36)),
		padded(rawAttr(ExtAckCookie, []byte{1, 2, 3})),
		rawAttr(ExtAckPolicy|AttrNested, rawAttr(1, u32(3))),
		rawAttr(ExtAckMissType, u32(3)),
		rawAttr(ExtAckMissNest, u32(20)),
	)
	errMsg := rawMsg(Error, Capped|AckTLVs, 7, cat(errnoField(22), req[:HeaderLen], tlvs))
	group := func(idx uint16, name string, id uint32) []byte {
		return rawAttr(idx|AttrNested, cat(padded(rawAttr(CtrlAttrMcastGrpName, append([]byte(name), 0))), rawAttr(CtrlAttrMcastGrpID, u32(id))))
	}

	return map[string][]seed{
		"FuzzMessages": {
			bytesSeed("empty", nil),
			bytesSeed("one-message", rawMsg(Noop, 0, 1, nil)),
			bytesSeed("padded-messages", cat(padded(rawMsg(RTMNewLink, Multi, 9, []byte("a"))), padded(rawMsg(RTMNewLink, Multi, 9, []byte("bcd"))), rawMsg(Done, Multi, 9, u32(0)))),
			bytesSeed("last-unpadded", cat(padded(rawMsg(RTMNewAddr, 0, 1, []byte("xy"))), rawMsg(RTMNewAddr, 0, 2, []byte("z")))),
			bytesSeed("route-dump", routes),
			bytesSeed("error-with-tlvs", errMsg),
			bytesSeed("truncated-header", make([]byte, 10)),
			bytesSeed("len-below-header", rawMsgLen(8, Noop, make([]byte, 8))),
			bytesSeed("len-zero", rawMsgLen(0, Noop, make([]byte, 16))),
			bytesSeed("len-past-end", rawMsgLen(40, Noop, make([]byte, 8))),
			bytesSeed("second-len-past-end", cat(rawMsg(Noop, 0, 1, nil), rawMsgLen(64, Noop, make([]byte, 4)))),
			bytesSeed("trailing-garbage", cat(rawMsg(Noop, 0, 1, nil), []byte{1, 2, 3, 4, 5, 6, 7})),
		},
		"FuzzAttributes": {
			bytesSeed("empty", nil),
			bytesSeed("padded-list", cat(padded(rawAttr(1, []byte("a"))), padded(rawAttr(2, []byte("bc"))), rawAttr(3, u32(7)))),
			bytesSeed("sizes-1-to-8", cat(padded(rawAttr(1, []byte{1})), padded(rawAttr(2, u16(2))), rawAttr(3, u32(3)), rawAttr(4, make([]byte, 8)), padded(rawAttr(5, []byte{1, 2, 3})))),
			bytesSeed("flags", cat(rawAttr(1|AttrNested, nil), rawAttr(2|AttrNetByteOrder, []byte{0, 1}), rawAttr(0xffff, nil))),
			bytesSeed("strings", cat(padded(rawAttr(IFLAIfName, []byte("eth0\x00"))), padded(rawAttr(IFLAIfName, []byte("lo\x00junk"))))),
			bytesSeed("nest-in-nest", rawAttr(CtrlAttrMcastGroups|AttrNested, cat(group(1, "config", 2), group(2, "scan", 3)))),
			bytesSeed("truncated-header", []byte{8, 0}),
			bytesSeed("len-below-header", rawAttrLen(3, 1, []byte{0, 0, 0, 0})),
			bytesSeed("len-zero", rawAttrLen(0, 1, []byte{0, 0, 0, 0})),
			bytesSeed("len-past-end", rawAttrLen(12, 1, []byte{1, 2, 3, 4})),
			bytesSeed("trailing-garbage", cat(rawAttr(1, u32(1)), []byte{1, 2, 3})),
			bytesSeed("nest-with-bad-inside", rawAttr(9|AttrNested, cat(rawAttr(1, u32(5)), rawAttrLen(40, 2, u32(0))))),
		},
		"FuzzError": {
			bodySeed("ack", Capped, cat(u32(0), req[:HeaderLen])),
			bodySeed("full-echo", 0, cat(errnoField(17), req)),
			bodySeed("full-echo-tlvs", AckTLVs, cat(errnoField(22), padded(req), rawAttr(ExtAckOffset, u32(20)))),
			bodySeed("capped-all-tlvs", Capped|AckTLVs, cat(errnoField(22), req[:HeaderLen], tlvs)),
			bodySeed("empty-body", 0, nil),
			bodySeed("errno-only", 0, errnoField(22)),
			bodySeed("echo-overrun", 0, cat(errnoField(22), req[:HeaderLen+2])),
			bodySeed("echo-below-header", 0, cat(errnoField(22), rawMsgLen(8, RTMNewLink, []byte{1, 2, 3, 4}))),
			bodySeed("tlv-overrun", Capped|AckTLVs, cat(errnoField(22), req[:HeaderLen], rawAttrLen(64, ExtAckMsg, []byte("abcd")))),
			bodySeed("tlv-bad-size", Capped|AckTLVs, cat(errnoField(22), req[:HeaderLen], padded(rawAttr(ExtAckOffset, []byte{1, 2})))),
			bodySeed("tlv-trailing", Capped|AckTLVs, cat(errnoField(22), req[:HeaderLen], rawAttr(ExtAckOffset, u32(1)), []byte{1, 2})),
		},
		"FuzzDone": {
			bodySeed("empty", Multi, nil),
			bodySeed("ok", Multi, u32(0)),
			bodySeed("failed", Multi, errnoField(105)),
			bodySeed("tlvs", Multi|AckTLVs, cat(errnoField(22), padded(rawAttr(ExtAckMsg, []byte("bad filter\x00"))), rawAttr(ExtAckOffset, u32(32)))),
			bodySeed("short", Multi, []byte{0, 0, 0}),
			bodySeed("tlv-overrun", Multi|AckTLVs, cat(u32(0), rawAttrLen(200, ExtAckMsg, []byte("x")))),
			bodySeed("tlv-bad-size", Multi|AckTLVs, cat(u32(0), rawAttr(ExtAckOffset, u16(1)))),
		},
		"FuzzFamilyHeaders": {
			bytesSeed("empty", nil),
			bytesSeed("one-byte", []byte{2}),
			bytesSeed("ifinfomsg-attrs", cat(IfInfoMsg{Family: 0, Type: 1, Index: 3, Flags: 0x43, Change: 0}.AppendTo(nil), padded(rawAttr(IFLAIfName, []byte("eth0\x00"))))),
			bytesSeed("rtmsg-attrs", cat(RtMsg{Family: 2, DstLen: 24, Table: 254, Type: 1}.AppendTo(nil), rawAttr(RTATable, u32(254)))),
			bytesSeed("ndmsg", NdMsg{Family: 2, Index: 1, State: 0x80}.AppendTo(nil)),
			bytesSeed("ifaddrmsg", IfAddrMsg{Family: 10, PrefixLen: 64, Index: 2}.AppendTo(nil)),
			bytesSeed("genl", GenlMsgHdr{Cmd: 3, Version: 2}.AppendTo(nil)),
			bytesSeed("short-11", make([]byte, 11)),
		},
		"FuzzBuilderRoundTrip": {
			{"zeros", []any{uint32(0), uint16(0), uint16(0), uint8(0), uint16(0), uint32(0), uint64(0), "", []byte(nil), uint8(0)}},
			{"values", []any{uint32(7), uint16(RTMNewRoute), uint16(Request | Ack), uint8(2), uint16(0x1234), uint32(0xdeadbeef), uint64(1 << 60), "eth0", []byte{1, 2, 3}, uint8(3)}},
			{"string-with-nul", []any{uint32(0xffffffff), uint16(0xffff), uint16(0xffff), uint8(255), uint16(0xffff), uint32(0xffffffff), uint64(0xffffffffffffffff), "a\x00b", []byte{0}, uint8(2)}},
		},
	}
}

// encodeCorpusFile renders args in the "go test fuzz v1" format.
func encodeCorpusFile(args []any) []byte {
	var out bytes.Buffer
	out.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&out, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&out, "string(%s)\n", strconv.Quote(v))
		case uint8:
			fmt.Fprintf(&out, "byte(%d)\n", v)
		case uint16:
			fmt.Fprintf(&out, "uint16(%d)\n", v)
		case uint32:
			fmt.Fprintf(&out, "uint32(%d)\n", v)
		case uint64:
			fmt.Fprintf(&out, "uint64(%d)\n", v)
		default:
			panic(fmt.Sprintf("no corpus encoding for %T", a))
		}
	}
	return out.Bytes()
}

// TestFuzzCorpus checks that testdata/fuzz holds every seed above, as the
// fuzz targets read it (go test runs each corpus file as a subtest of its
// target, so a missing file is a malformed case no longer tested).
func TestFuzzCorpus(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the checked-in corpus holds little-endian headers")
	}
	for target, seeds := range corpusSeeds() {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range seeds {
			path := filepath.Join(dir, "seed-"+s.name)
			want := encodeCorpusFile(s.args)
			if *updateCorpus {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale (err %v); run with -update-corpus", path, err)
			}
		}
	}
}
