package engine

import (
	"context"

	"github.com/nlengine/nlengine/nlmsg"
)

// Generic netlink controller constants (<linux/genetlink.h>), used to
// resolve a family's name.
const (
	genlIDCtrl         nlmsg.Type = 0x10
	ctrlCmdGetFamily   uint8      = 3
	ctrlAttrFamilyID   uint16     = 1
	ctrlAttrFamilyName uint16     = 2
	ctrlAttrVersion    uint16     = 3
	ctrlAttrMcastGrps  uint16     = 7
	ctrlAttrGrpName    uint16     = 1
	ctrlAttrGrpID      uint16     = 2
)

// GenericFamily describes a generic netlink family as the kernel's
// controller reports it.
type GenericFamily struct {
	ID      nlmsg.Type        // the message type to address the family with
	Name    string            // the family's name
	Version uint32            // the family's version
	Groups  map[string]uint32 // multicast group name -> group id for AddMembership
}

// ResolveGenericFamily asks the generic netlink controller for the family
// called name (CTRL_CMD_GETFAMILY) and returns its id, version and multicast
// groups. The Conn must be of FamilyGeneric. An unknown name returns an
// error that errors.Is unix.ENOENT.
func (c *Conn) ResolveGenericFamily(ctx context.Context, name string) (GenericFamily, error) {
	var b nlmsg.Builder
	b.Append([]byte{ctrlCmdGetFamily, 2, 0, 0}) // genlmsghdr: cmd, version, reserved
	b.String(ctrlAttrFamilyName, name)
	payload := append([]byte(nil), b.Bytes()...)
	b.Release()

	var fam GenericFamily
	var decodeErr error
	err := c.RequestFunc(ctx, genlIDCtrl, payload, 0, func(v nlmsg.View) error {
		p := v.Payload()
		if len(p) < 4 {
			decodeErr = opErr("resolve family", genlIDCtrl, v.Seq(), &nlmsg.FormatError{What: "genlmsghdr", Len: len(p), Left: 4, Err: nlmsg.ErrBadSize})
			return nil
		}
		s := nlmsg.NewAttrScanner(p[4:])
		for s.Next() {
			a := s.Attr()
			switch a.Type() {
			case ctrlAttrFamilyID:
				id, err := a.Uint16()
				if err != nil {
					decodeErr = err
				}
				fam.ID = nlmsg.Type(id)
			case ctrlAttrFamilyName:
				fam.Name = a.String()
			case ctrlAttrVersion:
				fam.Version, _ = a.Uint32()
			case ctrlAttrMcastGrps:
				fam.Groups = make(map[string]uint32)
				groups := a.Attrs()
				for groups.Next() {
					var gname string
					var gid uint32
					g := groups.Attr().Attrs()
					for g.Next() {
						switch g.Attr().Type() {
						case ctrlAttrGrpName:
							gname = g.Attr().String()
						case ctrlAttrGrpID:
							gid, _ = g.Attr().Uint32()
						}
					}
					if gname != "" {
						fam.Groups[gname] = gid
					}
				}
			}
		}
		if err := s.Err(); err != nil {
			decodeErr = err
		}
		return nil
	})
	if err != nil {
		return GenericFamily{}, err
	}
	if decodeErr != nil {
		return GenericFamily{}, opErr("resolve family", genlIDCtrl, 0, decodeErr)
	}
	return fam, nil
}
