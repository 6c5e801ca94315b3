package ethtool

import (
	"context"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// LinkState is the reply to ETHTOOL_MSG_LINKSTATE_GET.
type LinkState struct {
	Interface Interface
	Link      bool   // ethtool's "Link detected"
	HasSQI    bool   // the driver reports signal quality
	SQI       uint32 // signal quality, 0..SQIMax
	SQIMax    uint32
}

const msgLinkState = "ETHTOOL_MSG_LINKSTATE_GET_REPLY"

// DecodeLinkState decodes the attributes of a link state reply into ls,
// overwriting every field. It does not allocate once the interface name is
// interned.
func DecodeLinkState(attrs []byte, ls *LinkState) error {
	*ls = LinkState{}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		var v uint8
		switch a.Type() {
		case nlmsg.EthtoolALinkStateHeader:
			err = decodeHeader(a, msgLinkState, &ls.Interface)
		case nlmsg.EthtoolALinkStateLink:
			v, err = u8(a, msgLinkState, "ETHTOOL_A_LINKSTATE_LINK")
			ls.Link = v != 0
		case nlmsg.EthtoolALinkStateSQI:
			ls.SQI, err = u32(a, msgLinkState, "ETHTOOL_A_LINKSTATE_SQI")
			ls.HasSQI = true
		case nlmsg.EthtoolALinkStateSQIMax:
			ls.SQIMax, err = u32(a, msgLinkState, "ETHTOOL_A_LINKSTATE_SQI_MAX")
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgLinkState, "", -1, err)
	}
	return nil
}

// LinkStateInto reads the link state of ifc into ls.
func (e *Client) LinkStateInto(ctx context.Context, ifc Interface, ls *LinkState) error {
	return e.get(ctx, nlmsg.EthtoolMsgLinkStateGet, nlmsg.EthtoolALinkStateHeader, ifc, 0, func(attrs []byte) error {
		return DecodeLinkState(attrs, ls)
	})
}

// LinkState is LinkStateInto returning the value.
func (e *Client) LinkState(ctx context.Context, ifc Interface) (LinkState, error) {
	var ls LinkState
	err := e.LinkStateInto(ctx, ifc, &ls)
	return ls, err
}
