package conntrack

import (
	"context"

	"github.com/nlengine/nlengine/nlmsg"
)

// CPUStats are one CPU's conntrack counters (IPCTNL_MSG_CT_GET_STATS_CPU),
// as conntrack -S prints them.
type CPUStats struct {
	CPU           uint16
	Found         uint32
	Invalid       uint32
	Insert        uint32
	InsertFailed  uint32
	Drop          uint32
	EarlyDrop     uint32
	Error         uint32
	SearchRestart uint32
	ClashResolve  uint32
	ChainTooLong  uint32
}

// Stats are the table's global counters (IPCTNL_MSG_CT_GET_STATS), as
// conntrack -C prints the first.
type Stats struct {
	Entries    uint32 // entries in the namespace's table
	MaxEntries uint32 // nf_conntrack_max
}

// StatsCPU returns the counters of every possible CPU, in CPU order, in a
// new slice the caller owns. On an error it returns the CPUs read so far
// with the error. Safe for concurrent use.
func (c *Conn) StatsCPU(ctx context.Context) ([]CPUStats, error) {
	var b nlmsg.Builder
	defer b.Release()
	beginPayload(&b, 0)
	var out []CPUStats
	for v, err := range c.c.Dump(ctx, msgType(nlmsg.IPCTNLMsgCTGetStatsCPU), b.Bytes(), 0) {
		if err != nil {
			return out, err
		}
		h, attrs, err := nlmsg.DecodeNfGenMsg(v.Payload())
		if err != nil {
			return out, &DecodeError{Attr: "nfgenmsg", Offset: 0, Err: err}
		}
		st := CPUStats{CPU: h.ResID}
		fields := [...]*uint32{
			nlmsg.CTAStatsFound: &st.Found, nlmsg.CTAStatsInvalid: &st.Invalid,
			nlmsg.CTAStatsInsert: &st.Insert, nlmsg.CTAStatsInsertFailed: &st.InsertFailed,
			nlmsg.CTAStatsDrop: &st.Drop, nlmsg.CTAStatsEarlyDrop: &st.EarlyDrop,
			nlmsg.CTAStatsError: &st.Error, nlmsg.CTAStatsSearchRestart: &st.SearchRestart,
			nlmsg.CTAStatsClashResolve: &st.ClashResolve, nlmsg.CTAStatsChainTooLong: &st.ChainTooLong,
		}
		s := nlmsg.NewAttrScanner(attrs)
		for s.Next() {
			a := s.Attr()
			if int(a.Type()) >= len(fields) || fields[a.Type()] == nil {
				continue
			}
			val, err := a.Uint32BE()
			if err != nil {
				return out, &DecodeError{Attr: "CTA_STATS_" + itoa(int(a.Type())), Offset: a.Offset() + nlmsg.NfGenMsgLen, Err: err}
			}
			*fields[a.Type()] = val
		}
		if err := s.Err(); err != nil {
			return out, &DecodeError{Attr: "CTA_STATS", Offset: -1, Err: err}
		}
		out = append(out, st)
	}
	return out, nil
}

// Stats returns the global counters of the Conn's namespace. Safe for
// concurrent use.
func (c *Conn) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var derr error
	var b nlmsg.Builder
	defer b.Release()
	beginPayload(&b, 0)
	err := c.c.RequestFunc(ctx, msgType(nlmsg.IPCTNLMsgCTGetStats), b.Bytes(), 0, func(v nlmsg.View) error {
		_, attrs, err := nlmsg.DecodeNfGenMsg(v.Payload())
		if err != nil {
			derr = &DecodeError{Attr: "nfgenmsg", Offset: 0, Err: err}
			return nil
		}
		s := nlmsg.NewAttrScanner(attrs)
		for s.Next() {
			a := s.Attr()
			var e error
			switch a.Type() {
			case nlmsg.CTAStatsGlobalEntries:
				st.Entries, e = a.Uint32BE()
			case nlmsg.CTAStatsGlobalMaxEntries:
				st.MaxEntries, e = a.Uint32BE()
			}
			if e != nil && derr == nil {
				derr = &DecodeError{Attr: "CTA_STATS_GLOBAL_" + itoa(int(a.Type())), Offset: a.Offset() + nlmsg.NfGenMsgLen, Err: e}
			}
		}
		if err := s.Err(); err != nil && derr == nil {
			derr = &DecodeError{Attr: "CTA_STATS_GLOBAL", Offset: -1, Err: err}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	return st, derr
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
