package ethtool

import (
	"context"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// Channels is the reply to ETHTOOL_MSG_CHANNELS_GET, what `ethtool -l`
// prints: the most queues (channels) of each kind the device can have,
// and how many it has. A kind whose Max is 0 is one the device does not
// have, ethtool's "n/a"; the kernel then sends neither number.
type Channels struct {
	Interface     Interface
	RxMax         uint32 // receive-only channels
	TxMax         uint32 // transmit-only channels
	OtherMax      uint32 // channels for link interrupts or the like
	CombinedMax   uint32 // channels that both receive and transmit
	RxCount       uint32
	TxCount       uint32
	OtherCount    uint32
	CombinedCount uint32
}

const msgChannels = "ETHTOOL_MSG_CHANNELS_GET_REPLY"

// DecodeChannels decodes the attributes of a channels reply or
// notification (ETHTOOL_MSG_CHANNELS_NTF) into c, overwriting every field.
// It does not allocate once the interface name is interned; a malformed
// attribute gives a *genl.DecodeError naming it.
func DecodeChannels(attrs []byte, c *Channels) error {
	*c = Channels{}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		switch a.Type() {
		case nlmsg.EthtoolAChannelsHeader:
			err = decodeHeader(a, msgChannels, &c.Interface)
		case nlmsg.EthtoolAChannelsRxMax:
			c.RxMax, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_RX_MAX")
		case nlmsg.EthtoolAChannelsTxMax:
			c.TxMax, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_TX_MAX")
		case nlmsg.EthtoolAChannelsOtherMax:
			c.OtherMax, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_OTHER_MAX")
		case nlmsg.EthtoolAChannelsCombinedMax:
			c.CombinedMax, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_COMBINED_MAX")
		case nlmsg.EthtoolAChannelsRxCount:
			c.RxCount, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_RX_COUNT")
		case nlmsg.EthtoolAChannelsTxCount:
			c.TxCount, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_TX_COUNT")
		case nlmsg.EthtoolAChannelsOtherCount:
			c.OtherCount, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_OTHER_COUNT")
		case nlmsg.EthtoolAChannelsCombinedCount:
			c.CombinedCount, err = u32(a, msgChannels, "ETHTOOL_A_CHANNELS_COMBINED_COUNT")
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgChannels, "", -1, err)
	}
	return nil
}

// ChannelsInto reads the channel counts of ifc into c. A device without
// channels answers EOPNOTSUPP, an unknown interface ENODEV (each an
// *engine.OpError). It does not allocate once warm.
func (e *Client) ChannelsInto(ctx context.Context, ifc Interface, c *Channels) error {
	return e.get(ctx, nlmsg.EthtoolMsgChannelsGet, nlmsg.EthtoolAChannelsHeader, ifc, 0, func(attrs []byte) error {
		return DecodeChannels(attrs, c)
	})
}

// Channels is ChannelsInto returning the value.
func (e *Client) Channels(ctx context.Context, ifc Interface) (Channels, error) {
	var c Channels
	err := e.ChannelsInto(ctx, ifc, &c)
	return c, err
}

// ChannelsFields says which counts of a ChannelsUpdate to change.
type ChannelsFields uint8

// The counts of a ChannelsUpdate, one bit each.
const (
	SetRx ChannelsFields = 1 << iota
	SetTx
	SetOther
	SetCombined
)

// ChannelsUpdate is a change of channel counts: the counts named in Set
// are written, the others left as they are.
type ChannelsUpdate struct {
	Set                     ChannelsFields
	Rx, Tx, Other, Combined uint32
}

// SetChannels writes u to ifc (ETHTOOL_MSG_CHANNELS_SET, as `ethtool -L
// IF rx N tx N` does). It needs CAP_NET_ADMIN. A count above the device's
// maximum is refused with EINVAL and the kernel's message, a device that
// cannot change its channels with EOPNOTSUPP (each an *engine.OpError).
func (e *Client) SetChannels(ctx context.Context, ifc Interface, u ChannelsUpdate) error {
	return e.c.Execute(ctx, nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgChannelsSet, 0, func(b *nlmsg.Builder) {
		header(b, nlmsg.EthtoolAChannelsHeader, ifc, 0)
		for _, f := range [...]struct {
			bit ChannelsFields
			typ uint16
			v   uint32
		}{
			{SetRx, nlmsg.EthtoolAChannelsRxCount, u.Rx}, {SetTx, nlmsg.EthtoolAChannelsTxCount, u.Tx},
			{SetOther, nlmsg.EthtoolAChannelsOtherCount, u.Other}, {SetCombined, nlmsg.EthtoolAChannelsCombinedCount, u.Combined},
		} {
			if u.Set&f.bit != 0 {
				b.Uint32(f.typ, f.v)
			}
		}
	}, func(genl.Message) error { return nil })
}
