package ethtool

import (
	"context"
	"iter"
	"strconv"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// Port is the physical connector (PORT_*).
type Port uint8

// String returns ethtool's name ("Twisted Pair", "FIBRE", "Other"), or
// "Unknown! (N)".
func (p Port) String() string {
	switch uint8(p) {
	case nlmsg.PortTP:
		return "Twisted Pair"
	case nlmsg.PortAUI:
		return "AUI"
	case nlmsg.PortBNC:
		return "BNC"
	case nlmsg.PortMII:
		return "MII"
	case nlmsg.PortFibre:
		return "FIBRE"
	case nlmsg.PortDA:
		return "Direct Attach Copper"
	case nlmsg.PortNone:
		return "None"
	case nlmsg.PortOther:
		return "Other"
	}
	return unknown(uint32(p))
}

func unknown(v uint32) string { return "Unknown! (" + strconv.FormatUint(uint64(v), 10) + ")" }

// Transceiver is XCVR_*.
type Transceiver uint8

// String returns ethtool's name: "internal", "external", or "Unknown! (N)".
func (t Transceiver) String() string {
	switch uint8(t) {
	case nlmsg.XcvrInternal:
		return "internal"
	case nlmsg.XcvrExternal:
		return "external"
	}
	return unknown(uint32(t))
}

// MDIX is an MDI/MDI-X state or control value (ETH_TP_MDI*).
type MDIX uint8

// String returns "Unknown" (ETH_TP_MDI_INVALID), "off" (MDI), "on" (MDI-X)
// or "auto".
func (m MDIX) String() string {
	switch uint8(m) {
	case nlmsg.EthTPMDI:
		return "off"
	case nlmsg.EthTPMDIX:
		return "on"
	case nlmsg.EthTPMDIAuto:
		return "auto"
	}
	return "Unknown"
}

// LinkInfo is the reply to ETHTOOL_MSG_LINKINFO_GET.
type LinkInfo struct {
	Interface   Interface
	Port        Port
	PhyAddr     uint8
	MDIX        MDIX // the current state
	MDIXCtrl    MDIX // the configured control
	Transceiver Transceiver
}

// MDIXString is the MDI-X line as ethtool prints it: "off (forced)" or
// "on (forced)" when forced, else the state, with " (auto)" when automatic.
func (l *LinkInfo) MDIXString() string {
	switch uint8(l.MDIXCtrl) {
	case nlmsg.EthTPMDI:
		return "off (forced)"
	case nlmsg.EthTPMDIX:
		return "on (forced)"
	}
	s := l.MDIX.String()
	if s == "auto" {
		s = "Unknown"
	}
	if uint8(l.MDIXCtrl) == nlmsg.EthTPMDIAuto {
		s += " (auto)"
	}
	return s
}

const msgLinkInfo = "ETHTOOL_MSG_LINKINFO_GET_REPLY"

// DecodeLinkInfo decodes the attributes of a link info reply or
// notification into li, overwriting every field. It does not allocate once
// the interface name is interned; a malformed attribute gives a
// *genl.DecodeError naming it.
func DecodeLinkInfo(attrs []byte, li *LinkInfo) error {
	*li = LinkInfo{}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		var v uint8
		switch a.Type() {
		case nlmsg.EthtoolALinkInfoHeader:
			err = decodeHeader(a, msgLinkInfo, &li.Interface)
		case nlmsg.EthtoolALinkInfoPort:
			v, err = u8(a, msgLinkInfo, "ETHTOOL_A_LINKINFO_PORT")
			li.Port = Port(v)
		case nlmsg.EthtoolALinkInfoPhyAddr:
			li.PhyAddr, err = u8(a, msgLinkInfo, "ETHTOOL_A_LINKINFO_PHYADDR")
		case nlmsg.EthtoolALinkInfoTPMDIX:
			v, err = u8(a, msgLinkInfo, "ETHTOOL_A_LINKINFO_TP_MDIX")
			li.MDIX = MDIX(v)
		case nlmsg.EthtoolALinkInfoTPMDIXCtrl:
			v, err = u8(a, msgLinkInfo, "ETHTOOL_A_LINKINFO_TP_MDIX_CTRL")
			li.MDIXCtrl = MDIX(v)
		case nlmsg.EthtoolALinkInfoTransceiver:
			v, err = u8(a, msgLinkInfo, "ETHTOOL_A_LINKINFO_TRANSCEIVER")
			li.Transceiver = Transceiver(v)
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgLinkInfo, "", -1, err)
	}
	return nil
}

// LinkInfoInto reads the link info of ifc (ETHTOOL_MSG_LINKINFO_GET) into
// li. An unknown interface is an *engine.OpError that errors.Is
// unix.ENODEV.
func (e *Client) LinkInfoInto(ctx context.Context, ifc Interface, li *LinkInfo) error {
	return e.get(ctx, nlmsg.EthtoolMsgLinkInfoGet, nlmsg.EthtoolALinkInfoHeader, ifc, 0, func(attrs []byte) error {
		return DecodeLinkInfo(attrs, li)
	})
}

// LinkInfo is LinkInfoInto returning the value.
func (e *Client) LinkInfo(ctx context.Context, ifc Interface) (LinkInfo, error) {
	var li LinkInfo
	err := e.LinkInfoInto(ctx, ifc, &li)
	return li, err
}

// LinkInfos dumps the link info of every interface that has it, yielding
// one reused value valid until the next step. Errors are yielded last.
func (e *Client) LinkInfos(ctx context.Context) iter.Seq2[*LinkInfo, error] {
	return func(yield func(*LinkInfo, error) bool) {
		var li LinkInfo
		for m, err := range e.c.Dump(ctx, nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgLinkInfoGet, 0, func(b *nlmsg.Builder) {
			header(b, nlmsg.EthtoolALinkInfoHeader, Interface{}, 0)
		}) {
			if err == nil {
				err = DecodeLinkInfo(m.Attrs, &li)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&li, nil) {
				return
			}
		}
	}
}
