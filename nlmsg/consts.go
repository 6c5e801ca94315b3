package nlmsg

import (
	"strconv"
)

// Family is a netlink protocol number, the third argument of
// socket(AF_NETLINK, SOCK_RAW, family).
type Family int

// Netlink families, with the values of <linux/netlink.h>.
const (
	FamilyRoute         Family = 0
	FamilyUnused        Family = 1
	FamilyUsersock      Family = 2
	FamilyFirewall      Family = 3
	FamilySockDiag      Family = 4
	FamilyNflog         Family = 5
	FamilyXfrm          Family = 6
	FamilySELinux       Family = 7
	FamilyISCSI         Family = 8
	FamilyAudit         Family = 9
	FamilyFibLookup     Family = 10
	FamilyConnector     Family = 11
	FamilyNetfilter     Family = 12
	FamilyIP6Fw         Family = 13
	FamilyDNRtMsg       Family = 14
	FamilyKobjectUevent Family = 15
	FamilyGeneric       Family = 16
	FamilySCSITransport Family = 18
	FamilyECryptFS      Family = 19
	FamilyRDMA          Family = 20
	FamilyCrypto        Family = 21
	FamilySMC           Family = 22
	FamilyInetDiag             = FamilySockDiag // the older name of SOCK_DIAG
	// FamilyRDMMA is a misspelling of FamilyRDMA (NETLINK_RDMA, 20), kept
	// so that code using it still compiles.
	//
	// Deprecated: use FamilyRDMA.
	FamilyRDMMA = FamilyRDMA
)

var familyNames = [...]string{
	FamilyRoute: "ROUTE", FamilyUnused: "UNUSED", FamilyUsersock: "USERSOCK",
	FamilyFirewall: "FIREWALL", FamilySockDiag: "SOCK_DIAG", FamilyNflog: "NFLOG",
	FamilyXfrm: "XFRM", FamilySELinux: "SELINUX", FamilyISCSI: "ISCSI",
	FamilyAudit: "AUDIT", FamilyFibLookup: "FIB_LOOKUP", FamilyConnector: "CONNECTOR",
	FamilyNetfilter: "NETFILTER", FamilyIP6Fw: "IP6_FW", FamilyDNRtMsg: "DNRTMSG",
	FamilyKobjectUevent: "KOBJECT_UEVENT", FamilyGeneric: "GENERIC",
	FamilySCSITransport: "SCSITRANSPORT", FamilyECryptFS: "ECRYPTFS",
	FamilyRDMA: "RDMA", FamilyCrypto: "CRYPTO", FamilySMC: "SMC",
}

// String returns the kernel's name without the NETLINK_ prefix, e.g.
// "ROUTE", or the number for an unknown family.
func (f Family) String() string {
	if f >= 0 && int(f) < len(familyNames) && familyNames[f] != "" {
		return familyNames[f]
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// Flags are the nlmsg_flags of a header. Several flags share a value and
// mean different things by context: 0x100 is ROOT on a GET request, REPLACE
// on a NEW request, NONREC on a DELETE and CAPPED on an NLMSG_ERROR.
type Flags uint16

// Netlink header flags, with the values of <linux/netlink.h>.
const (
	Request      Flags = 0x1  // a request message
	Multi        Flags = 0x2  // part of a multi-part reply, ended by NLMSG_DONE
	Ack          Flags = 0x4  // reply with an acknowledgement
	Echo         Flags = 0x8  // echo this request
	DumpIntr     Flags = 0x10 // the dump was inconsistent because its data changed
	DumpFiltered Flags = 0x20 // the dump was filtered as the request asked

	// Modifiers of GET requests.
	Root   Flags = 0x100 // return the whole table, not one entry
	Match  Flags = 0x200 // return all matching entries
	Atomic Flags = 0x400 // atomic GET
	Dump         = Root | Match

	// Modifiers of NEW requests.
	Replace Flags = 0x100 // replace an existing object
	Excl    Flags = 0x200 // do not touch an object that exists
	Create  Flags = 0x400 // create the object if it does not exist
	Append  Flags = 0x800 // add to the end of the object list

	// Modifiers of DELETE requests.
	NonRec Flags = 0x100 // do not delete recursively
	Bulk   Flags = 0x200 // delete every object the request matches

	// Flags of acknowledgements (NLMSG_ERROR).
	Capped  Flags = 0x100 // the echoed request was cut to its header
	AckTLVs Flags = 0x200 // extended-ack TLVs follow
)

// String names the set flags, joined by '|', e.g. "REQUEST|ACK|DUMP".
// Bits 0x100-0x800 are named as for a GET request (ROOT, MATCH, ATOMIC;
// ROOT|MATCH as DUMP), and 0x800 as APPEND; unknown bits print in hex.
// StringIn names them as another kind of message's. It allocates.
func (f Flags) String() string {
	return f.StringIn(ContextGet)
}

// Type is the nlmsg_type of a header: one of the control types below, or a
// family's own type (MinType and above).
type Type uint16

// Control message types, with the values of <linux/netlink.h>.
const (
	Noop    Type = 1  // nothing; ignored by the receiver
	Error   Type = 2  // an error or, with errno 0, an acknowledgement
	Done    Type = 3  // the end of a multi-part reply
	Overrun Type = 4  // data was lost
	MinType Type = 16 // the first type a family may use for its own messages
)

// String returns "NOOP", "ERROR", "DONE" or "OVERRUN" for the control types
// and the number otherwise (a family's types need the family to be named).
func (t Type) String() string {
	switch t {
	case Noop:
		return "NOOP"
	case Error:
		return "ERROR"
	case Done:
		return "DONE"
	case Overrun:
		return "OVERRUN"
	}
	return strconv.Itoa(int(t))
}
