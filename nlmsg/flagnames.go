package nlmsg

import (
	"strconv"
	"strings"
)

// FlagContext is the kind of message whose flags are named: bits
// 0x100-0x800 of nlmsg_flags mean different things on a GET, a NEW, a
// DELETE and an acknowledgement, as <linux/netlink.h> defines them.
type FlagContext uint8

// Flag contexts.
const (
	ContextGet FlagContext = iota // GET requests and dumps: ROOT, MATCH, ATOMIC (ROOT|MATCH as DUMP)
	ContextNew                    // NEW requests and their notifications: REPLACE, EXCL, CREATE, APPEND
	ContextDel                    // DELETE requests and notifications: NONREC, BULK
	ContextAck                    // NLMSG_ERROR and NLMSG_DONE: CAPPED, ACK_TLVS
)

var lowFlagNames = [...]string{"REQUEST", "MULTI", "ACK", "ECHO", "DUMP_INTR", "DUMP_FILTERED"}

// highFlagNames names bits 0x100, 0x200, 0x400 and 0x800 in each context;
// "" leaves a bit to print in hex. 0x800 is APPEND in a GET context too,
// as String has always printed it.
var highFlagNames = [...][4]string{
	ContextGet: {"ROOT", "MATCH", "ATOMIC", "APPEND"},
	ContextNew: {"REPLACE", "EXCL", "CREATE", "APPEND"},
	ContextDel: {"NONREC", "BULK", "", ""},
	ContextAck: {"CAPPED", "ACK_TLVS", "", ""},
}

// StringIn names the set flags as String does, but bits 0x100-0x800 as
// a message of context c has them: an RTM_NEWROUTE notification of ip
// route replace is "REPLACE" in ContextNew (String says "ROOT"). A context
// it does not know names them as ContextGet. RTMFlagContext gives an
// rtnetlink message type's context. It allocates.
func (f Flags) StringIn(c FlagContext) string {
	if f == 0 {
		return "0"
	}
	if int(c) >= len(highFlagNames) {
		c = ContextGet
	}
	var sb strings.Builder
	add := func(s string) {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString(s)
	}
	for i, name := range lowFlagNames {
		if f&(1<<i) != 0 {
			add(name)
		}
	}
	rest := f &^ 0x3f
	if c == ContextGet && rest&Dump == Dump {
		add("DUMP")
		rest &^= Dump
	}
	for i, name := range highFlagNames[c] {
		if bit := Flags(0x100 << i); rest&bit != 0 && name != "" {
			add(name)
			rest &^= bit
		}
	}
	if rest != 0 {
		add("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return sb.String()
}

// RTMFlagContext is the flag context of an rtnetlink message type, as the
// kernel sorts them by type&3: RTM_NEW* (and RTM_SET*, which modify) are
// ContextNew, RTM_DEL* ContextDel, RTM_GET* ContextGet; NLMSG_ERROR and
// NLMSG_DONE are ContextAck, and any other control type ContextGet.
func RTMFlagContext(t Type) FlagContext {
	switch {
	case t == Error || t == Done:
		return ContextAck
	case t < MinType:
		return ContextGet
	}
	switch (t - MinType) & 3 {
	case 0, 3:
		return ContextNew
	case 1:
		return ContextDel
	}
	return ContextGet
}
