package genl

import (
	"context"
	"iter"

	"github.com/nlengine/nlengine/nlmsg"
)

// getFamilyDump is the controller's family dump request: a genlmsghdr
// for CTRL_CMD_GETFAMILY and no attributes.
var getFamilyDump = nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetFamily, Version: ctrlVersion}.AppendTo(nil)

// Families dumps every family the kernel offers in the Conn's network
// namespace (CTRL_CMD_GETFAMILY with NLM_F_DUMP, as `genl ctrl list` does)
// and yields each, decoded into one reused Family valid until the next
// step; copy it with Clone to keep it. Errors are yielded last with a nil
// Family: the kernel's, a *DecodeError (the dump stops), or ctx.Err().
// The listing does not update the Conn's cache.
func (c *Conn) Families(ctx context.Context) iter.Seq2[*Family, error] {
	return func(yield func(*Family, error) bool) {
		var f Family
		for v, err := range c.ec.Dump(ctx, nlmsg.GenlIDCtrl, getFamilyDump, 0) {
			if err == nil {
				err = decodeFamilyView(v, &f)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&f, nil) {
				return
			}
		}
	}
}

// decodeFamilyView decodes a controller message into f.
func decodeFamilyView(v nlmsg.View, f *Family) error {
	_, attrs, err := nlmsg.DecodeGenlMsgHdr(v.Payload())
	if err != nil {
		return &DecodeError{Msg: msgNewFamily, Offset: -1, Err: err}
	}
	return DecodeFamily(attrs, f)
}

// ListFamilies returns every family the kernel offers in the Conn's
// network namespace, as owned values, in the kernel's order (by id).
func (c *Conn) ListFamilies(ctx context.Context) ([]Family, error) {
	var out []Family
	for f, err := range c.Families(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, f.Clone())
	}
	return out, nil
}

// AppendFamilies is ListFamilies into caller-owned storage: it appends the
// families to dst[:0] and returns the result, reusing the elements already
// in dst's capacity (their Ops and Groups slices too). Listing into a slice
// from an earlier call does not allocate once the pools are warm; names are
// interned. On error the returned slice holds the families decoded so far.
func (c *Conn) AppendFamilies(ctx context.Context, dst []Family) ([]Family, error) {
	dst = dst[:0]
	err := c.ec.RequestFunc(ctx, nlmsg.GenlIDCtrl, getFamilyDump, nlmsg.Dump, func(v nlmsg.View) error {
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
		} else {
			dst = append(dst, Family{})
		}
		return decodeFamilyView(v, &dst[len(dst)-1])
	})
	return dst, err
}
