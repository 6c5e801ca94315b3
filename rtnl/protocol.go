package rtnl

import "strconv"

// Protocol says who installed a route or a rule (rtm_protocol, RTPROT_*).
type Protocol uint8

// Route origins.
const (
	ProtocolUnspec     Protocol = 0
	ProtocolRedirect   Protocol = 1  // an ICMP redirect
	ProtocolKernel     Protocol = 2  // the kernel itself (for addresses)
	ProtocolBoot       Protocol = 3  // during boot; what ip route add writes by default
	ProtocolStatic     Protocol = 4  // the administrator
	ProtocolGated      Protocol = 8  // gated
	ProtocolRA         Protocol = 9  // an IPv6 router advertisement
	ProtocolMRT        Protocol = 10 // the Merit MRT
	ProtocolZebra      Protocol = 11 // zebra (Quagga, FRR)
	ProtocolBird       Protocol = 12 // BIRD
	ProtocolDNRouted   Protocol = 13 // DECnet routing daemon
	ProtocolXORP       Protocol = 14 // XORP
	ProtocolNTK        Protocol = 15 // Netsukuku
	ProtocolDHCP       Protocol = 16 // a DHCP client
	ProtocolMRouted    Protocol = 17 // the multicast daemon
	ProtocolKeepalived Protocol = 18 // keepalived
	ProtocolBabel      Protocol = 42 // babeld
	ProtocolOVN        Protocol = 84 // OVN
	ProtocolOpenR      Protocol = 99 // Open/R
	ProtocolBGP        Protocol = 186
	ProtocolISIS       Protocol = 187
	ProtocolOSPF       Protocol = 188
	ProtocolRIP        Protocol = 189
	ProtocolEIGRP      Protocol = 192
)

// protocolNames are iproute2's (its rt_protos table); values it does not
// name print as numbers, as ip prints them.
var protocolNames = [256]string{
	ProtocolUnspec: "unspec", ProtocolRedirect: "redirect", ProtocolKernel: "kernel",
	ProtocolBoot: "boot", ProtocolStatic: "static", ProtocolGated: "gated", ProtocolRA: "ra",
	ProtocolMRT: "mrt", ProtocolZebra: "zebra", ProtocolBird: "bird", ProtocolDNRouted: "dnrouted",
	ProtocolXORP: "xorp", ProtocolNTK: "ntk", ProtocolDHCP: "dhcp", ProtocolKeepalived: "keepalived",
	ProtocolBabel: "babel", ProtocolOpenR: "openr", ProtocolBGP: "bgp", ProtocolISIS: "isis",
	ProtocolOSPF: "ospf", ProtocolRIP: "rip", ProtocolEIGRP: "eigrp",
}

// String gives iproute2's name ("kernel", "boot", "static", "bird", ...)
// or the number.
func (p Protocol) String() string {
	if s := protocolNames[p]; s != "" {
		return s
	}
	return strconv.Itoa(int(p))
}
