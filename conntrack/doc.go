// Package conntrack reads and changes the kernel's connection tracking table
// over ctnetlink (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK), on an
// engine.Conn.
//
// A Flow is one conntrack entry: its original and reply tuples, status,
// protocol state (TCP's, and SCTP's with its verification tags), mark,
// zone, labels, counters, timestamps, helper, sequence adjustments and,
// for an expected entry, its master's tuple. Dump streams the table in
// place into one reused Flow, with no allocation per entry, so memory
// stays flat however large the table; List returns owned copies. A Filter
// (family, mark and mask, zone, status, L4 protocol, addresses and ports)
// is sent to the kernel as far as the kernel can apply it
// (CTA_MARK/CTA_MARK_MASK, CTA_ZONE, CTA_STATUS, CTA_FILTER) and always
// checked again in user space, so a kernel that ignores or lacks a filter
// gives the same result, only slower. With the
// ZeroCounters option a dump reads each entry's counters and zeroes them
// in the same step (IPCTNL_MSG_CT_GET_CTRZERO).
//
// Create, Update, Get and Delete act on one entry; DeleteFlows and
// DeleteFiltered delete many in engine.Batch calls with one outcome per
// entry; Flush empties the table. Events follows the NEW, UPDATE and
// DESTROY groups, and the expectation groups when subscribed to, and
// reports a lost notification as its own event. StatsCPU and Stats read
// the kernel's counters.
//
// An Expect is one expectation (the CTNETLINK_EXP subsystem): the
// connection a helper such as the FTP one expects, its mask, its master
// entry's tuple, timeout, helper, flags, class, NAT and function.
// DumpExpect streams them in place as Dump does, ListExpect copies them;
// GetExpect, CreateExpect, UpdateExpect and DeleteExpect act on one;
// DeleteExpectHelper and FlushExpect on many.
//
// # Errors
//
// Errors from the kernel and the engine are the engine's *engine.OpError,
// unchanged (errors.Is(err, unix.ENOENT) works); a malformed message gives
// a *DecodeError naming the attribute. A call refused before anything is
// sent is one of this package's sentinels: ErrWrongFamily (which is
// engine.ErrWrongFamily; New's *engine.OpError for an engine.Conn that is
// not NETLINK_NETFILTER, so no method of Conn can reach another family
// errors.Is it), ErrNoTuple for a Flow without an original
// tuple, ErrNoExpectTuple for an Expect without its tuples, ErrZeroFilter
// for a zeroing dump with a filter the kernel cannot apply whole,
// ErrBadEventType from Subscribe.
//
// # Concurrency
//
// A Conn is safe for concurrent use. The values the iterators yield (Dump,
// DumpExpect, Events) are not: each is reused for the next step.
package conntrack
