package nlmsg

// Link, address and neighbour constants of rtnetlink beyond those in
// rtnl.go, under the naming rule of the package doc.

// More link attributes (IFLA_*), after an IfInfoMsg.
const (
	IFLABroadcast        uint16 = 2  // IFLA_BROADCAST: hardware broadcast address
	IFLALink             uint16 = 5  // IFLA_LINK: index of the parent (lower) link, u32
	IFLAQdisc            uint16 = 6  // IFLA_QDISC: queueing discipline name
	IFLAStats            uint16 = 7  // IFLA_STATS: struct rtnl_link_stats
	IFLAMaster           uint16 = 10 // IFLA_MASTER: index of the master link (bridge, bond), u32
	IFLATxQLen           uint16 = 13 // IFLA_TXQLEN: transmit queue length, u32
	IFLAOperState        uint16 = 16 // IFLA_OPERSTATE: RFC 2863 state, u8 (IF_OPER_*)
	IFLALinkMode         uint16 = 17 // IFLA_LINKMODE: u8
	IFLALinkInfo         uint16 = 18 // IFLA_LINKINFO: nest of IFLA_INFO_*
	IFLANetNSPID         uint16 = 19 // IFLA_NET_NS_PID: move to the namespace of this pid, u32
	IFLAIfAlias          uint16 = 20 // IFLA_IFALIAS: alias, string
	IFLAStats64          uint16 = 23 // IFLA_STATS64: struct rtnl_link_stats64
	IFLAExtMask          uint16 = 29 // IFLA_EXT_MASK: RTEXT_FILTER_* bits of a GETLINK request, u32
	IFLAPromiscuity      uint16 = 30 // IFLA_PROMISCUITY: u32
	IFLANetNSFD          uint16 = 28 // IFLA_NET_NS_FD: move to (or create in) the namespace of this fd, u32
	IFLACarrier          uint16 = 33 // IFLA_CARRIER: u8
	IFLACarrierChanges   uint16 = 35 // IFLA_CARRIER_CHANGES: carrier up and down transitions, u32
	IFLACarrierUpCount   uint16 = 47 // IFLA_CARRIER_UP_COUNT: u32
	IFLACarrierDownCount uint16 = 48 // IFLA_CARRIER_DOWN_COUNT: u32
	IFLALinkNetNSID      uint16 = 37 // IFLA_LINK_NETNSID: namespace id of the parent link's namespace, s32
	IFLAGroup            uint16 = 27 // IFLA_GROUP: link group, u32
	IFLAMinMTU           uint16 = 50 // IFLA_MIN_MTU: u32
	IFLAMaxMTU           uint16 = 51 // IFLA_MAX_MTU: u32
	IFLANumTxQueues      uint16 = 31 // IFLA_NUM_TX_QUEUES: u32
	IFLANumRxQueues      uint16 = 32 // IFLA_NUM_RX_QUEUES: u32
	IFLAGSOMaxSegs       uint16 = 40 // IFLA_GSO_MAX_SEGS: u32
	IFLAGSOMaxSize       uint16 = 41 // IFLA_GSO_MAX_SIZE: u32
	IFLAPropList         uint16 = 52 // IFLA_PROP_LIST: nest of IFLA_ALT_IFNAME
	IFLAAltIfName        uint16 = 53 // IFLA_ALT_IFNAME: alternative name, string
	IFLAGROMaxSize       uint16 = 58 // IFLA_GRO_MAX_SIZE: u32
	IFLATSOMaxSize       uint16 = 59 // IFLA_TSO_MAX_SIZE: u32
	IFLATSOMaxSegs       uint16 = 60 // IFLA_TSO_MAX_SEGS: u32
	IFLAAllMulti         uint16 = 61 // IFLA_ALLMULTI: u32
	IFLAPermAddress      uint16 = 54 // IFLA_PERM_ADDRESS: permanent hardware address
	IFLANewNetNSID       uint16 = 45 // IFLA_NEW_NETNSID: in an RTM_DELLINK, the id of the namespace the link moved to, s32
	IFLANewIfIndex       uint16 = 49 // IFLA_NEW_IFINDEX: in an RTM_DELLINK, the link's index in the namespace it moved to, s32
)

// RTEXT_FILTER_* bits for IFLAExtMask.
const (
	RTExtFilterVF        uint32 = 1 << 0 // RTEXT_FILTER_VF: include VF information
	RTExtFilterSkipStats uint32 = 1 << 3 // RTEXT_FILTER_SKIP_STATS: leave the virtual functions' IFLA_VF_STATS out (not the link's IFLA_STATS*)
)

// Attributes nested in IFLALinkInfo (IFLA_INFO_*).
const (
	IFLAInfoKind      uint16 = 1 // IFLA_INFO_KIND: "veth", "bridge", ... string
	IFLAInfoData      uint16 = 2 // IFLA_INFO_DATA: the kind's own nest
	IFLAInfoXStats    uint16 = 3 // IFLA_INFO_XSTATS
	IFLAInfoSlaveKind uint16 = 4 // IFLA_INFO_SLAVE_KIND: kind of the master, for a port
	IFLAInfoSlaveData uint16 = 5 // IFLA_INFO_SLAVE_DATA: the port's own nest
)

// VETH_INFO_PEER is the nest, inside a veth's IFLA_INFO_DATA, that holds an
// ifinfomsg and the attributes of the peer to create.
const VETHInfoPeer uint16 = 1

// Bridge attributes nested in IFLA_INFO_DATA (IFLA_BR_*). Times are in
// hundredths of a second (USER_HZ).
const (
	IFLABRForwardDelay     uint16 = 1  // IFLA_BR_FORWARD_DELAY: u32
	IFLABRHelloTime        uint16 = 2  // IFLA_BR_HELLO_TIME: u32
	IFLABRMaxAge           uint16 = 3  // IFLA_BR_MAX_AGE: u32
	IFLABRAgeingTime       uint16 = 4  // IFLA_BR_AGEING_TIME: u32
	IFLABRSTPState         uint16 = 5  // IFLA_BR_STP_STATE: u32
	IFLABRPriority         uint16 = 6  // IFLA_BR_PRIORITY: u16
	IFLABRVLANFiltering    uint16 = 7  // IFLA_BR_VLAN_FILTERING: u8
	IFLABRVLANProtocol     uint16 = 8  // IFLA_BR_VLAN_PROTOCOL: be16
	IFLABRMcastSnooping    uint16 = 23 // IFLA_BR_MCAST_SNOOPING: u8
	IFLABRVLANDefaultPVID  uint16 = 39 // IFLA_BR_VLAN_DEFAULT_PVID: u16
	IFLABRMcastIGMPVersion uint16 = 43 // IFLA_BR_MCAST_IGMP_VERSION: u8
	IFLABRMcastMLDVersion  uint16 = 44 // IFLA_BR_MCAST_MLD_VERSION: u8
)

// VXLAN attributes nested in IFLA_INFO_DATA (IFLA_VXLAN_*).
const (
	IFLAVXLANID       uint16 = 1  // IFLA_VXLAN_ID: VNI, u32
	IFLAVXLANGroup    uint16 = 2  // IFLA_VXLAN_GROUP: IPv4 group or remote, 4 bytes
	IFLAVXLANLink     uint16 = 3  // IFLA_VXLAN_LINK: index of the underlying link, u32
	IFLAVXLANLocal    uint16 = 4  // IFLA_VXLAN_LOCAL: IPv4 source, 4 bytes
	IFLAVXLANTTL      uint16 = 5  // IFLA_VXLAN_TTL: u8
	IFLAVXLANTOS      uint16 = 6  // IFLA_VXLAN_TOS: u8
	IFLAVXLANLearning uint16 = 7  // IFLA_VXLAN_LEARNING: u8
	IFLAVXLANAgeing   uint16 = 8  // IFLA_VXLAN_AGEING: seconds, u32
	IFLAVXLANLimit    uint16 = 9  // IFLA_VXLAN_LIMIT: u32
	IFLAVXLANPort     uint16 = 15 // IFLA_VXLAN_PORT: destination UDP port, be16
	IFLAVXLANGroup6   uint16 = 16 // IFLA_VXLAN_GROUP6: IPv6 group or remote, 16 bytes
	IFLAVXLANLocal6   uint16 = 17 // IFLA_VXLAN_LOCAL6: IPv6 source, 16 bytes
)

// LinkStats64MinLen is the shortest struct rtnl_link_stats64 a kernel
// sends (23 u64 counters, up to rx_compressed and tx_compressed); later
// kernels append rx_nohandler (Linux 4.6) and rx_otherhost_dropped (5.19).
const LinkStats64MinLen = 23 * 8

// macvlan attributes nested in IFLA_INFO_DATA, and its modes.
const (
	IFLAMACVLANMode           uint16 = 1 // IFLA_MACVLAN_MODE: u32 (MACVLAN_MODE_*)
	IFLAMACVLANFlags          uint16 = 2 // IFLA_MACVLAN_FLAGS: u16
	IFLAMACVLANBCQueueLen     uint16 = 7 // IFLA_MACVLAN_BC_QUEUE_LEN: broadcast queue length asked for, u32
	IFLAMACVLANBCQueueLenUsed uint16 = 8 // IFLA_MACVLAN_BC_QUEUE_LEN_USED: the length in use, u32 (read only)

	MACVLANModePrivate  uint32 = 1  // MACVLAN_MODE_PRIVATE
	MACVLANModeVEPA     uint32 = 2  // MACVLAN_MODE_VEPA
	MACVLANModeBridge   uint32 = 4  // MACVLAN_MODE_BRIDGE
	MACVLANModePassthru uint32 = 8  // MACVLAN_MODE_PASSTHRU
	MACVLANModeSource   uint32 = 16 // MACVLAN_MODE_SOURCE
)

// tun/tap attributes nested in IFLA_INFO_DATA (read only: the kernel
// creates tun links through /dev/net/tun, not rtnetlink), and the device
// types of IFLATunType.
const (
	IFLATunOwner             uint16 = 1 // IFLA_TUN_OWNER: uid, u32; absent for none
	IFLATunGroup             uint16 = 2 // IFLA_TUN_GROUP: gid, u32; absent for none
	IFLATunType              uint16 = 3 // IFLA_TUN_TYPE: u8, TunTypeTun or TunTypeTap
	IFLATunPI                uint16 = 4 // IFLA_TUN_PI: packet information header, u8 bool
	IFLATunVNetHdr           uint16 = 5 // IFLA_TUN_VNET_HDR: u8 bool
	IFLATunPersist           uint16 = 6 // IFLA_TUN_PERSIST: u8 bool
	IFLATunMultiQueue        uint16 = 7 // IFLA_TUN_MULTI_QUEUE: u8 bool
	IFLATunNumQueues         uint16 = 8 // IFLA_TUN_NUM_QUEUES: u32, multi-queue devices only
	IFLATunNumDisabledQueues uint16 = 9 // IFLA_TUN_NUM_DISABLED_QUEUES: u32, multi-queue devices only

	TunTypeTun uint8 = 1 // IFF_TUN: a layer-3 device
	TunTypeTap uint8 = 2 // IFF_TAP: a layer-2 device
)

// RFC 2863 operational states (IF_OPER_*), the value of IFLAOperState.
const (
	IFOperUnknown        uint8 = 0 // IF_OPER_UNKNOWN
	IFOperNotPresent     uint8 = 1 // IF_OPER_NOTPRESENT
	IFOperDown           uint8 = 2 // IF_OPER_DOWN
	IFOperLowerLayerDown uint8 = 3 // IF_OPER_LOWERLAYERDOWN
	IFOperTesting        uint8 = 4 // IF_OPER_TESTING
	IFOperDormant        uint8 = 5 // IF_OPER_DORMANT
	IFOperUp             uint8 = 6 // IF_OPER_UP
)

// More address attributes (IFA_*), after an IfAddrMsg.
const (
	IFABroadcast  uint16 = 4  // IFA_BROADCAST: IPv4 broadcast address
	IFAAnycast    uint16 = 5  // IFA_ANYCAST
	IFACacheInfo  uint16 = 6  // IFA_CACHEINFO: struct ifa_cacheinfo (lifetimes)
	IFAMulticast  uint16 = 7  // IFA_MULTICAST
	IFAFlags      uint16 = 8  // IFA_FLAGS: the full 32-bit IFA_F_* set, u32
	IFARtPriority uint16 = 9  // IFA_RT_PRIORITY: metric of the prefix route, u32
	IFAProto      uint16 = 11 // IFA_PROTO: who added the address (IFAPROT_*), u8

	IFACacheInfoLen = 16 // sizeof(struct ifa_cacheinfo)
)

// Address flags (IFA_F_*), 32 bits in IFAFlags (the low 8 also in ifa_flags).
const (
	IFAFSecondary      uint32 = 0x01  // IFA_F_SECONDARY (IFA_F_TEMPORARY for IPv6)
	IFAFNoDAD          uint32 = 0x02  // IFA_F_NODAD
	IFAFOptimistic     uint32 = 0x04  // IFA_F_OPTIMISTIC
	IFAFDADFailed      uint32 = 0x08  // IFA_F_DADFAILED
	IFAFHomeAddress    uint32 = 0x10  // IFA_F_HOMEADDRESS
	IFAFDeprecated     uint32 = 0x20  // IFA_F_DEPRECATED
	IFAFTentative      uint32 = 0x40  // IFA_F_TENTATIVE
	IFAFPermanent      uint32 = 0x80  // IFA_F_PERMANENT
	IFAFManageTempAddr uint32 = 0x100 // IFA_F_MANAGETEMPADDR
	IFAFNoPrefixRoute  uint32 = 0x200 // IFA_F_NOPREFIXROUTE
	IFAFMcAutoJoin     uint32 = 0x400 // IFA_F_MCAUTOJOIN
	IFAFStablePrivacy  uint32 = 0x800 // IFA_F_STABLE_PRIVACY
)

// Address origins (IFAPROT_*), in IFAProto; other values are the
// administrator's.
const (
	IFAProtUnspec   uint8 = 0 // IFAPROT_UNSPEC
	IFAProtKernelLo uint8 = 1 // IFAPROT_KERNEL_LO: the loopback address
	IFAProtKernelRA uint8 = 2 // IFAPROT_KERNEL_RA: from a router advertisement
	IFAProtKernelLL uint8 = 3 // IFAPROT_KERNEL_LL: a link-local address the kernel made
)

// Neighbour attributes (NDA_*), after an NdMsg.
const (
	NDADst         uint16 = 1  // NDA_DST: the neighbour's network address
	NDALLAddr      uint16 = 2  // NDA_LLADDR: its link-layer address
	NDACacheInfo   uint16 = 3  // NDA_CACHEINFO: struct nda_cacheinfo
	NDAProbes      uint16 = 4  // NDA_PROBES: u32
	NDAVLAN        uint16 = 5  // NDA_VLAN: u16
	NDAPort        uint16 = 6  // NDA_PORT: be16
	NDAVNI         uint16 = 7  // NDA_VNI: u32
	NDAIfIndex     uint16 = 8  // NDA_IFINDEX: u32 (a dump filter in strict mode)
	NDAMaster      uint16 = 9  // NDA_MASTER: u32
	NDALinkNetNSID uint16 = 10 // NDA_LINK_NETNSID: s32
	NDASrcVNI      uint16 = 11 // NDA_SRC_VNI: u32
	NDAProtocol    uint16 = 12 // NDA_PROTOCOL: u8
	NDANHID        uint16 = 13 // NDA_NH_ID: u32
	NDAFDBExtAttrs uint16 = 14 // NDA_FDB_EXT_ATTRS: nested
	NDAFlagsExt    uint16 = 15 // NDA_FLAGS_EXT: u32, NTF_EXT_*

	NDACacheInfoLen = 16 // sizeof(struct nda_cacheinfo)
)

// Neighbour states (NUD_*), bits of ndm_state.
const (
	NUDIncomplete uint16 = 0x01 // NUD_INCOMPLETE
	NUDReachable  uint16 = 0x02 // NUD_REACHABLE
	NUDStale      uint16 = 0x04 // NUD_STALE
	NUDDelay      uint16 = 0x08 // NUD_DELAY
	NUDProbe      uint16 = 0x10 // NUD_PROBE
	NUDFailed     uint16 = 0x20 // NUD_FAILED
	NUDNoARP      uint16 = 0x40 // NUD_NOARP
	NUDPermanent  uint16 = 0x80 // NUD_PERMANENT
	NUDNone       uint16 = 0x00 // NUD_NONE
)

// Neighbour flags (NTF_*), bits of ndm_flags.
const (
	NTFUse        uint8 = 0x01 // NTF_USE
	NTFSelf       uint8 = 0x02 // NTF_SELF
	NTFMaster     uint8 = 0x04 // NTF_MASTER
	NTFProxy      uint8 = 0x08 // NTF_PROXY
	NTFExtLearned uint8 = 0x10 // NTF_EXT_LEARNED
	NTFOffloaded  uint8 = 0x20 // NTF_OFFLOADED
	NTFSticky     uint8 = 0x40 // NTF_STICKY
	NTFRouter     uint8 = 0x80 // NTF_ROUTER
)

// Extended neighbour flags (NTF_EXT_*), bits of NDAFlagsExt.
const (
	NTFExtManaged uint32 = 0x01 // NTF_EXT_MANAGED: the kernel keeps it resolved
	NTFExtLocked  uint32 = 0x02 // NTF_EXT_LOCKED: learnt on a locked bridge port
)
