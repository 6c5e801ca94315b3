package engine

import (
	"context"

	"github.com/nlengine/nlengine/nlmsg"
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
// groups. The Conn must be of FamilyGeneric: on any other Conn it sends
// nothing and returns an *OpError that errors.Is ErrWrongFamily. An unknown
// name returns an *OpError that errors.Is unix.ENOENT; a malformed reply one
// that wraps an *nlmsg.FormatError. Safe for concurrent use.
//
// Deprecated: package genl resolves families (genl.Conn.Family, with
// header size, max attribute, operations and policies), caches their ids
// and sends commands by family name; this older call stays for the
// programs written against it.
func (c *Conn) ResolveGenericFamily(ctx context.Context, name string) (GenericFamily, error) {
	const op = "resolve generic family"
	if err := c.RequireFamily(op, nlmsg.FamilyGeneric); err != nil {
		return GenericFamily{}, err
	}
	var b nlmsg.Builder
	nlmsg.AppendFamilyHeader(&b, nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetFamily, Version: 2})
	b.String(nlmsg.CtrlAttrFamilyName, name)
	payload := append([]byte(nil), b.Bytes()...)
	b.Release()

	var fam GenericFamily
	var decodeErr error
	var seq uint32
	err := c.RequestFunc(ctx, nlmsg.GenlIDCtrl, payload, 0, func(v nlmsg.View) error {
		seq = v.Seq()
		decodeErr = decodeGenericFamily(v.Payload(), &fam)
		return nil
	})
	if err != nil {
		if oe, ok := err.(*OpError); ok {
			oe.Op = op
		}
		return GenericFamily{}, err
	}
	if decodeErr != nil {
		return GenericFamily{}, c.opErr(op, nlmsg.GenlIDCtrl, seq, decodeErr)
	}
	return fam, nil
}

// decodeGenericFamily reads a CTRL_CMD_NEWFAMILY payload into fam. Its
// errors are *nlmsg.FormatError values, unwrapped.
func decodeGenericFamily(p []byte, fam *GenericFamily) error {
	_, attrs, err := nlmsg.DecodeGenlMsgHdr(p)
	if err != nil {
		return err
	}
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		a := s.Attr()
		switch a.Type() {
		case nlmsg.CtrlAttrFamilyID:
			id, err := a.Uint16()
			if err != nil {
				return err
			}
			fam.ID = nlmsg.Type(id)
		case nlmsg.CtrlAttrFamilyName:
			fam.Name = a.String()
		case nlmsg.CtrlAttrVersion:
			if fam.Version, err = a.Uint32(); err != nil {
				return err
			}
		case nlmsg.CtrlAttrMcastGroups:
			fam.Groups = make(map[string]uint32)
			groups := a.Attrs()
			for groups.Next() {
				var gname string
				var gid uint32
				g := groups.Attr().Attrs()
				for g.Next() {
					switch g.Attr().Type() {
					case nlmsg.CtrlAttrMcastGrpName:
						gname = g.Attr().String()
					case nlmsg.CtrlAttrMcastGrpID:
						if gid, err = g.Attr().Uint32(); err != nil {
							return err
						}
					}
				}
				if err := g.Err(); err != nil {
					return err
				}
				if gname != "" {
					fam.Groups[gname] = gid
				}
			}
			if err := groups.Err(); err != nil {
				return err
			}
		}
	}
	return s.Err()
}
