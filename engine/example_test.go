//go:build linux

package engine_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// A route dump, streamed: each View is valid until the next iteration.
func ExampleConn_Dump() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilyRoute)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	req := nlmsg.RtMsg{Family: unix.AF_INET}.AppendTo(nil)
	for v, err := range c.Dump(ctx, nlmsg.RTMGetRoute, req, 0) {
		if err != nil { // the kernel's error, engine.ErrDumpInterrupted, or ctx.Err()
			log.Fatal(err)
		}
		rt, attrs, err := nlmsg.DecodeRtMsg(v.Payload())
		if err != nil {
			log.Fatal(err)
		}
		var dst netip.Addr
		var oif uint32
		as := nlmsg.NewAttrScanner(attrs)
		for as.Next() {
			switch a := as.Attr(); a.Type() {
			case nlmsg.RTADst:
				dst, _ = netip.AddrFromSlice(a.Data())
			case nlmsg.RTAOIF:
				oif, _ = a.Uint32()
			}
		}
		fmt.Printf("%v/%d dev %d table %d\n", dst, rt.DstLen, oif, rt.Table)
	}
}

// Adding many routes at once: one call, as few syscalls as the socket
// buffers allow, one result per request.
func ExampleConn_Batch() {
	ctx := context.Background()
	c, err := engine.Connect(ctx, nlmsg.FamilyRoute)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var ops []engine.Op
	for i := 0; i < 1000; i++ {
		var b nlmsg.Builder
		nlmsg.AppendFamilyHeader(&b, nlmsg.RtMsg{Family: unix.AF_INET, DstLen: 32, Table: unix.RT_TABLE_MAIN,
			Protocol: unix.RTPROT_STATIC, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST})
		b.Attr(nlmsg.RTADst, []byte{10, 0, byte(i >> 8), byte(i)})
		b.Uint32(nlmsg.RTAOIF, 1)
		ops = append(ops, engine.Op{Type: nlmsg.RTMNewRoute, Flags: nlmsg.Create | nlmsg.Excl, Payload: append([]byte(nil), b.Bytes()...)})
		b.Release()
	}
	if err := c.Batch(ctx, ops); err != nil {
		log.Printf("%v (op 0: %v)", err, ops[0].Err) // a *engine.BatchError when some failed
	}
}
