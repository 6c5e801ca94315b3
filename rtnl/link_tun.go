package rtnl

import (
	"strconv"

	"github.com/nlengine/nlengine/nlmsg"
)

// TunType is the kind of device a tun link is (IFLA_TUN_TYPE).
type TunType uint8

// Tun device types.
const (
	TunTypeTun TunType = TunType(nlmsg.TunTypeTun) // a layer-3 device, IP packets
	TunTypeTap TunType = TunType(nlmsg.TunTypeTap) // a layer-2 device, Ethernet frames
)

// String names the type as ip prints it ("tun", "tap"), or its number.
func (t TunType) String() string {
	switch t {
	case TunTypeTun:
		return "tun"
	case TunTypeTap:
		return "tap"
	}
	return strconv.FormatUint(uint64(t), 10)
}

// TunInfo is a tun or tap device's own data (IFLA_TUN_*), as `ip -d link
// show` prints it. It is read only: the kernel creates and configures
// these devices through /dev/net/tun, not rtnetlink.
type TunInfo struct {
	Type TunType
	// Owner and Group are the uid and gid allowed to attach to the device
	// (ip's user and group), -1 when the device has none.
	Owner, Group int64
	PI           bool // a packet information header precedes each packet (IFF_NO_PI off)
	VNetHdr      bool // a virtio-net header precedes each packet
	Persist      bool // the device outlives its last file descriptor
	MultiQueue   bool // several queues, each its own file descriptor
	// NumQueues and NumDisabledQueues count a multi-queue device's
	// attached and disabled queues; 0 for a single-queue device, for
	// which the kernel sends neither.
	NumQueues, NumDisabledQueues uint32
}

// decode reads the IFLA_TUN_* attributes of IFLA_INFO_DATA into t; base
// is the offset of data in the message, for errors.
func (t *TunInfo) decode(data []byte, base int) error {
	t.Owner, t.Group = -1, -1
	s := nlmsg.NewAttrScanner(data)
	for s.Next() {
		a := s.Attr()
		var err error
		var name string
		switch a.Type() {
		case nlmsg.IFLATunOwner:
			var v uint32
			v, err = a.Uint32()
			t.Owner, name = int64(v), "IFLA_TUN_OWNER"
		case nlmsg.IFLATunGroup:
			var v uint32
			v, err = a.Uint32()
			t.Group, name = int64(v), "IFLA_TUN_GROUP"
		case nlmsg.IFLATunType:
			var v uint8
			v, err = a.Uint8()
			t.Type, name = TunType(v), "IFLA_TUN_TYPE"
		case nlmsg.IFLATunPI:
			t.PI, err = boolAttr(a)
			name = "IFLA_TUN_PI"
		case nlmsg.IFLATunVNetHdr:
			t.VNetHdr, err = boolAttr(a)
			name = "IFLA_TUN_VNET_HDR"
		case nlmsg.IFLATunPersist:
			t.Persist, err = boolAttr(a)
			name = "IFLA_TUN_PERSIST"
		case nlmsg.IFLATunMultiQueue:
			t.MultiQueue, err = boolAttr(a)
			name = "IFLA_TUN_MULTI_QUEUE"
		case nlmsg.IFLATunNumQueues:
			t.NumQueues, err = a.Uint32()
			name = "IFLA_TUN_NUM_QUEUES"
		case nlmsg.IFLATunNumDisabledQueues:
			t.NumDisabledQueues, err = a.Uint32()
			name = "IFLA_TUN_NUM_DISABLED_QUEUES"
		}
		if err != nil {
			return &AttrError{Object: "link", Attr: name, Offset: base + a.Offset(), Err: err}
		}
	}
	if err := s.Err(); err != nil {
		return scanErr("link", "IFLA_INFO_DATA", base, err)
	}
	return nil
}

// boolAttr reads a u8 flag attribute: anything but 0 is true.
func boolAttr(a nlmsg.Attr) (bool, error) {
	v, err := a.Uint8()
	return v != 0, err
}
