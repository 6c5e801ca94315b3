package engine

import (
	"errors"

	"github.com/nlengine/nlengine/nlmsg"
)

// Op is one request of a Batch. Err receives its outcome: nil when the kernel
// acknowledged it, an *OpError (naming the op's Index) otherwise.
type Op struct {
	Type    nlmsg.Type
	Flags   nlmsg.Flags // NLM_F_REQUEST and NLM_F_ACK are added
	Payload []byte
	Err     error
}

// ErrDumpInBatch is the cause of the error Batch returns, before sending
// anything, for an op that asks for a dump: a dump's answer ends with
// NLMSG_DONE, not with the ack a batch waits for. Use Dump.
var ErrDumpInBatch = errors.New("a dump request cannot be part of a batch (use Dump)")

// isDumpRequest reports whether the kernel of family answers a request of
// type typ with flags as a dump. rtnetlink dumps a GET request (type&3 == 2)
// that has either of NLM_F_ROOT and NLM_F_MATCH; on its NEW, DEL and SET
// requests the same bits are REPLACE and EXCL. Other families are taken to
// dump when both bits are set, as Request does.
func isDumpRequest(family nlmsg.Family, typ nlmsg.Type, flags nlmsg.Flags) bool {
	if family == nlmsg.FamilyRoute && typ >= nlmsg.MinType {
		return typ&3 == 2 && flags&nlmsg.Dump != 0
	}
	return flags&nlmsg.Dump == nlmsg.Dump
}
