package ethtool

import (
	"context"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// MaxStrings bounds a decoded string set, against a malformed count.
const MaxStrings = 1 << 16

const msgStrset = "ETHTOOL_MSG_STRSET_GET_REPLY"

// DecodeStringSet decodes the attributes of a string set reply and calls
// fn with each string of set id, its index and its bytes in place (valid
// only during the call). A malformed attribute gives a *genl.DecodeError
// naming it. It does not allocate.
func DecodeStringSet(attrs []byte, id uint32, fn func(index uint32, s []byte)) error {
	bad := func(name string, off int, err error) error { return genl.NewDecodeError(msgStrset, name, off, err) }
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		if a.Type() != nlmsg.EthtoolAStrsetStringsets {
			continue
		}
		sets := a.Attrs()
		for sets.Next() {
			set := sets.Attr()
			var setID uint32
			var strs nlmsg.Attr
			have := false
			fields := set.Attrs()
			for fields.Next() {
				f := fields.Attr()
				switch f.Type() {
				case nlmsg.EthtoolAStringsetID:
					v, err := f.Uint32()
					if err != nil {
						return bad("ETHTOOL_A_STRINGSET_ID", f.Offset(), err)
					}
					setID = v
				case nlmsg.EthtoolAStringsetStrings:
					strs, have = f, true
				}
			}
			if err := fields.Err(); err != nil {
				return bad("ETHTOOL_A_STRINGSETS_STRINGSET", set.Offset(), err)
			}
			if setID != id || !have {
				continue
			}
			list := strs.Attrs()
			for list.Next() {
				var idx uint32
				var val []byte
				sf := list.Attr().Attrs()
				for sf.Next() {
					f := sf.Attr()
					switch f.Type() {
					case nlmsg.EthtoolAStringIndex:
						v, err := f.Uint32()
						if err != nil {
							return bad("ETHTOOL_A_STRING_INDEX", f.Offset(), err)
						}
						idx = v
					case nlmsg.EthtoolAStringValue:
						val = f.StringBytes()
					}
				}
				if err := sf.Err(); err != nil {
					return bad("ETHTOOL_A_STRINGS_STRING", list.Attr().Offset(), err)
				}
				fn(idx, val)
			}
			if err := list.Err(); err != nil {
				return bad("ETHTOOL_A_STRINGSET_STRINGS", strs.Offset(), err)
			}
		}
		if err := sets.Err(); err != nil {
			return bad("ETHTOOL_A_STRSET_STRINGSETS", a.Offset(), err)
		}
	}
	if err := as.Err(); err != nil {
		return bad("", -1, err)
	}
	return nil
}

// StringSet reads string set id (nlmsg.EthSS*) of ifc with
// ETHTOOL_MSG_STRSET_GET and returns its strings by index, owned. With a
// zero Interface it reads the kernel's global sets (nlmsg.EthSSLinkModes,
// EthSSFeatures, ...), which need no device. Names are interned.
func (e *Client) StringSet(ctx context.Context, ifc Interface, id uint32) ([]string, error) {
	var out []string
	var derr error
	err := e.c.Execute(ctx, nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgStrsetGet, 0, func(b *nlmsg.Builder) {
		header(b, nlmsg.EthtoolAStrsetHeader, ifc, 0)
		sets := b.BeginNest(nlmsg.EthtoolAStrsetStringsets)
		set := b.BeginNest(nlmsg.EthtoolAStringsetsStringset)
		b.Uint32(nlmsg.EthtoolAStringsetID, id)
		b.EndNest(set)
		b.EndNest(sets)
	}, func(m genl.Message) error {
		return DecodeStringSet(m.Attrs, id, func(i uint32, s []byte) {
			if i >= MaxStrings {
				if derr == nil {
					derr = genl.NewDecodeError(msgStrset, "ETHTOOL_A_STRING_INDEX", -1, genl.ErrTooMany)
				}
				return
			}
			for uint32(len(out)) <= i {
				out = append(out, "")
			}
			out[i] = genl.Intern(s)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, derr
}
