package nlmsg

// rtnetlink network namespace id message types, for FamilyRoute. Their
// family header is an RtGenMsg (AF_UNSPEC).
const (
	RTMNewNSID Type = 88 // RTM_NEWNSID: an id, in a reply, a dump or a notification; or assign one
	RTMDelNSID Type = 89 // RTM_DELNSID: an id gone with its namespace (notifications only)
	RTMGetNSID Type = 90 // RTM_GETNSID: get the id of one namespace, or dump them with Dump
)

// Network namespace id attributes (NETNSA_*), after an RtGenMsg.
const (
	NETNSANSID        uint16 = 1 // NETNSA_NSID: the id, s32 (NETNSANSIDNotAssigned when none)
	NETNSAPID         uint16 = 2 // NETNSA_PID: names the namespace of a process, u32 (requests)
	NETNSAFD          uint16 = 3 // NETNSA_FD: names the namespace a file descriptor refers to, u32 (requests)
	NETNSATargetNSID  uint16 = 4 // NETNSA_TARGET_NSID: answer as the namespace of this id sees it, s32 (requests)
	NETNSACurrentNSID uint16 = 5 // NETNSA_CURRENT_NSID: the same peer's id in the requesting namespace, s32 (answers to a target)
)

// NETNSANSIDNotAssigned is the NETNSA_NSID of a namespace without an id
// (NETNSA_NSID_NOT_ASSIGNED); in an RTM_NEWNSID request it lets the kernel
// choose the id.
const NETNSANSIDNotAssigned int32 = -1

// RTNLGrpNSID is the rtnetlink multicast group of namespace id changes
// (RTNLGRP_NSID): RTM_NEWNSID and RTM_DELNSID.
const RTNLGrpNSID = 28
