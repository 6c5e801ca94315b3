package ethtool

import (
	"context"
	"strconv"
	"strings"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// Duplex is DUPLEX_*.
type Duplex uint8

// The duplex values.
const (
	DuplexHalf    = Duplex(nlmsg.DuplexHalf)
	DuplexFull    = Duplex(nlmsg.DuplexFull)
	DuplexUnknown = Duplex(nlmsg.DuplexUnknown)
)

// String returns ethtool's name: "Half", "Full", or "Unknown! (N)".
func (d Duplex) String() string {
	switch d {
	case DuplexHalf:
		return "Half"
	case DuplexFull:
		return "Full"
	}
	return unknown(uint32(d))
}

// Speed is a link speed in Mb/s; nlmsg.SpeedUnknown, 0 and 65535 (the
// 16-bit SPEED_UNKNOWN of older drivers) mean unknown, as they do to
// ethtool.
type Speed uint32

// Known reports whether the speed is known: not 0, 65535 or
// nlmsg.SpeedUnknown.
func (s Speed) Known() bool { return s != 0 && s != 0xffff && uint32(s) != nlmsg.SpeedUnknown }

// String returns "10000Mb/s", or "Unknown!" as ethtool prints it.
func (s Speed) String() string {
	if !s.Known() {
		return "Unknown!"
	}
	return strconv.FormatUint(uint64(s), 10) + "Mb/s"
}

// LinkModes is the reply to ETHTOOL_MSG_LINKMODES_GET: the link's speed,
// duplex and auto-negotiation, and the supported, advertised and link
// partner's modes, indexed by ETHTOOL_LINK_MODE_*_BIT (names from the
// ETH_SS_LINK_MODES string set).
type LinkModes struct {
	Interface        Interface
	Autoneg          bool // ETHTOOL_A_LINKMODES_AUTONEG
	Speed            Speed
	Duplex           Duplex
	Lanes            uint32 // 0 when the driver does not say
	MasterSlaveCfg   uint8
	MasterSlaveState uint8
	RateMatching     uint8
	Supported        Bitset // the mask of ETHTOOL_A_LINKMODES_OURS
	Advertised       Bitset // its value
	Peer             Bitset // ETHTOOL_A_LINKMODES_PEER
}

// nonSpeedModes are the link mode bits that are not speeds: ethtool shows
// them as auto-negotiation, pause, ports and FEC modes, not as link modes.
var nonSpeedModes = [...]int{
	nlmsg.EthtoolLinkModeAutonegBit, nlmsg.EthtoolLinkModeTPBit, nlmsg.EthtoolLinkModeAUIBit,
	nlmsg.EthtoolLinkModeMIIBit, nlmsg.EthtoolLinkModeFibreBit, nlmsg.EthtoolLinkModeBNCBit,
	nlmsg.EthtoolLinkModePauseBit, nlmsg.EthtoolLinkModeAsymPauseBit, nlmsg.EthtoolLinkModeBackplaneBit,
	49, 50, 51, 74, // ETHTOOL_LINK_MODE_FEC_NONE/RS/BASER/LLRS_BIT
}

// SpeedModes returns the indices of the speed/duplex link modes set in s
// (those ethtool lists under "link modes"), appended to dst.
func SpeedModes(s *Bitset, dst []int) []int {
next:
	for i := range s.Bits() {
		for _, n := range nonSpeedModes {
			if i == n {
				continue next
			}
		}
		dst = append(dst, i)
	}
	return dst
}

// Pause describes the pause bits of s as ethtool does: "No", "Symmetric",
// "Transmit-only" or "Symmetric Receive-only".
func Pause(s *Bitset) string {
	pause, asym := s.Has(nlmsg.EthtoolLinkModePauseBit), s.Has(nlmsg.EthtoolLinkModeAsymPauseBit)
	switch {
	case pause && asym:
		return "Symmetric Receive-only"
	case pause:
		return "Symmetric"
	case asym:
		return "Transmit-only"
	}
	return "No"
}

// Ports lists the port bits of s as ethtool's "Supported ports" line does:
// in bit order, a tab and a space between two names, "[ TP\t MII ]", and
// "[  ]" for none.
func Ports(s *Bitset) string {
	var sb strings.Builder
	sb.WriteString("[ ")
	first := true
	for _, p := range [...]struct {
		bit  int
		name string
	}{
		{nlmsg.EthtoolLinkModeTPBit, "TP"}, {nlmsg.EthtoolLinkModeAUIBit, "AUI"}, {nlmsg.EthtoolLinkModeMIIBit, "MII"},
		{nlmsg.EthtoolLinkModeFibreBit, "FIBRE"}, {nlmsg.EthtoolLinkModeBNCBit, "BNC"}, {nlmsg.EthtoolLinkModeBackplaneBit, "Backplane"},
	} {
		if s.Has(p.bit) {
			if !first {
				sb.WriteString("\t ")
			}
			sb.WriteString(p.name)
			first = false
		}
	}
	sb.WriteString(" ]")
	return sb.String()
}

// FECModes lists the forward error correction bits of s as ethtool's
// "Supported FEC modes" line does: in bit order, a tab and a space
// between two names, "None\t RS\t BASER\t LLRS", and "Not reported"
// for none.
func FECModes(s *Bitset) string {
	var sb strings.Builder
	for _, m := range [...]struct {
		bit  int
		name string
	}{{49, "None"}, {50, "RS"}, {51, "BASER"}, {74, "LLRS"}} { // ETHTOOL_LINK_MODE_FEC_*_BIT
		if s.Has(m.bit) {
			if sb.Len() > 0 {
				sb.WriteString("\t ")
			}
			sb.WriteString(m.name)
		}
	}
	if sb.Len() == 0 {
		return "Not reported"
	}
	return sb.String()
}

const msgLinkModes = "ETHTOOL_MSG_LINKMODES_GET_REPLY"

// DecodeLinkModes decodes the attributes of a link modes reply or
// notification into lm, overwriting every field. Bit sets may be compact
// or verbose. It does not allocate once the interface name is interned; a
// malformed attribute gives a *genl.DecodeError naming it.
func DecodeLinkModes(attrs []byte, lm *LinkModes) error {
	*lm = LinkModes{}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		var v uint8
		var w uint32
		switch a.Type() {
		case nlmsg.EthtoolALinkModesHeader:
			err = decodeHeader(a, msgLinkModes, &lm.Interface)
		case nlmsg.EthtoolALinkModesAutoneg:
			v, err = u8(a, msgLinkModes, "ETHTOOL_A_LINKMODES_AUTONEG")
			lm.Autoneg = v != nlmsg.AutonegDisable // a "bool": any value but 0 is on
		case nlmsg.EthtoolALinkModesSpeed:
			w, err = u32(a, msgLinkModes, "ETHTOOL_A_LINKMODES_SPEED")
			lm.Speed = Speed(w)
		case nlmsg.EthtoolALinkModesDuplex:
			v, err = u8(a, msgLinkModes, "ETHTOOL_A_LINKMODES_DUPLEX")
			lm.Duplex = Duplex(v)
		case nlmsg.EthtoolALinkModesLanes:
			lm.Lanes, err = u32(a, msgLinkModes, "ETHTOOL_A_LINKMODES_LANES")
		case nlmsg.EthtoolALinkModesMasterSlaveCfg:
			lm.MasterSlaveCfg, err = u8(a, msgLinkModes, "ETHTOOL_A_LINKMODES_MASTER_SLAVE_CFG")
		case nlmsg.EthtoolALinkModesMasterSlaveState:
			lm.MasterSlaveState, err = u8(a, msgLinkModes, "ETHTOOL_A_LINKMODES_MASTER_SLAVE_STATE")
		case nlmsg.EthtoolALinkModesRateMatching:
			lm.RateMatching, err = u8(a, msgLinkModes, "ETHTOOL_A_LINKMODES_RATE_MATCHING")
		case nlmsg.EthtoolALinkModesOurs:
			err = decodeBitset(a, msgLinkModes, "ETHTOOL_A_LINKMODES_OURS", &lm.Advertised, &lm.Supported)
		case nlmsg.EthtoolALinkModesPeer:
			err = decodeBitset(a, msgLinkModes, "ETHTOOL_A_LINKMODES_PEER", &lm.Peer, nil)
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgLinkModes, "", -1, err)
	}
	return nil
}

// LinkModesInto reads the link modes of ifc (ETHTOOL_MSG_LINKMODES_GET,
// compact bit sets) into lm. It does not allocate once warm.
func (e *Client) LinkModesInto(ctx context.Context, ifc Interface, lm *LinkModes) error {
	return e.get(ctx, nlmsg.EthtoolMsgLinkModesGet, nlmsg.EthtoolALinkModesHeader, ifc, nlmsg.EthtoolFlagCompactBitsets, func(attrs []byte) error {
		return DecodeLinkModes(attrs, lm)
	})
}

// LinkModes is LinkModesInto returning the value.
func (e *Client) LinkModes(ctx context.Context, ifc Interface) (LinkModes, error) {
	var lm LinkModes
	err := e.LinkModesInto(ctx, ifc, &lm)
	return lm, err
}

// LinkModesFields says which fields of a LinkModesUpdate to change.
type LinkModesFields uint8

// The fields of a LinkModesUpdate, one bit each.
const (
	SetSpeed LinkModesFields = 1 << iota
	SetDuplex
	SetAutoneg
)

// LinkModesUpdate is a change of link modes: the fields named in Set are
// written, the others left as they are.
type LinkModesUpdate struct {
	Set     LinkModesFields
	Speed   Speed
	Duplex  Duplex
	Autoneg bool
}

// SetLinkModes writes u to ifc (ETHTOOL_MSG_LINKMODES_SET, as `ethtool -s
// IF speed N duplex D autoneg on|off` does). It needs CAP_NET_ADMIN; a
// driver that cannot change its link answers EOPNOTSUPP.
func (e *Client) SetLinkModes(ctx context.Context, ifc Interface, u LinkModesUpdate) error {
	return e.c.Execute(ctx, nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgLinkModesSet, 0, func(b *nlmsg.Builder) {
		header(b, nlmsg.EthtoolALinkModesHeader, ifc, 0)
		if u.Set&SetSpeed != 0 {
			b.Uint32(nlmsg.EthtoolALinkModesSpeed, uint32(u.Speed))
		}
		if u.Set&SetDuplex != 0 {
			b.Uint8(nlmsg.EthtoolALinkModesDuplex, uint8(u.Duplex))
		}
		if u.Set&SetAutoneg != 0 {
			v := nlmsg.AutonegDisable
			if u.Autoneg {
				v = nlmsg.AutonegEnable
			}
			b.Uint8(nlmsg.EthtoolALinkModesAutoneg, v)
		}
	}, func(genl.Message) error { return nil })
}
