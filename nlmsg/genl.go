package nlmsg

import "encoding/binary"

// Generic netlink controller ("nlctrl") constants, from
// <linux/genetlink.h>, named as the package documentation describes.
const (
	// GenlIDCtrl is GENL_ID_CTRL, the fixed message type of the controller
	// family, which resolves other families' names to their message types.
	GenlIDCtrl Type = 0x10

	CtrlCmdGetFamily uint8 = 3 // CTRL_CMD_GETFAMILY: the command to resolve a family

	CtrlAttrFamilyID     uint16 = 1 // CTRL_ATTR_FAMILY_ID: u16, the family's message type
	CtrlAttrFamilyName   uint16 = 2 // CTRL_ATTR_FAMILY_NAME: string
	CtrlAttrVersion      uint16 = 3 // CTRL_ATTR_VERSION: u32
	CtrlAttrMcastGroups  uint16 = 7 // CTRL_ATTR_MCAST_GROUPS: nested list of nested groups
	CtrlAttrMcastGrpName uint16 = 1 // CTRL_ATTR_MCAST_GRP_NAME: string, inside a group
	CtrlAttrMcastGrpID   uint16 = 2 // CTRL_ATTR_MCAST_GRP_ID: u32, inside a group
)

// GenlMsgHdrLen is the wire size of struct genlmsghdr (GENL_HDRLEN).
const GenlMsgHdrLen = 4

// GenlMsgHdr is struct genlmsghdr, the family header of every generic
// netlink message.
type GenlMsgHdr struct {
	Cmd      uint8  // the family's command
	Version  uint8  // the family's interface version
	Reserved uint16 // zero on the wire
}

// AppendTo appends the 4-byte wire form of h to b and returns it.
func (h GenlMsgHdr) AppendTo(b []byte) []byte {
	return binary.NativeEndian.AppendUint16(append(b, h.Cmd, h.Version), h.Reserved)
}

// DecodeGenlMsgHdr decodes the genlmsghdr at the start of payload and
// returns the attributes after it, a subslice of payload. It fails with a
// *FormatError wrapping ErrBadSize when payload is shorter than
// GenlMsgHdrLen. It does not allocate unless it fails.
func DecodeGenlMsgHdr(payload []byte) (GenlMsgHdr, []byte, error) {
	if len(payload) < GenlMsgHdrLen {
		return GenlMsgHdr{}, nil, headerSizeErr("genlmsghdr", len(payload), GenlMsgHdrLen)
	}
	h := GenlMsgHdr{
		Cmd:      payload[0],
		Version:  payload[1],
		Reserved: binary.NativeEndian.Uint16(payload[2:4]),
	}
	return h, payload[GenlMsgHdrLen:], nil
}
