package conntrack

import (
	"encoding/binary"

	"github.com/nlengine/nlengine/nlmsg"
)

// Fields is a set of a Flow's optional parts: which ones the kernel sent
// (Flow.Has) or which ones Update writes.
type Fields uint32

// Optional parts of a Flow.
const (
	FieldReply         Fields = 1 << iota // Reply
	FieldStatus                           // Status
	FieldTimeout                          // Timeout
	FieldMark                             // Mark
	FieldZone                             // Zone
	FieldUse                              // Use
	FieldID                               // ID
	FieldLabels                           // Labels
	FieldCountersOrig                     // CountersOrig
	FieldCountersReply                    // CountersReply
	FieldTimestamp                        // Start, Stop
	FieldTCP                              // TCP
	FieldSeqAdjOrig                       // SeqAdjOrig
	FieldSeqAdjReply                      // SeqAdjReply
	FieldHelper                           // Helper
	FieldSCTP                             // SCTP
	FieldMaster                           // Master
)

// Counters are an entry's packet and byte counts in one direction
// (CTA_COUNTERS_ORIG/REPLY), present when net.netfilter.nf_conntrack_acct
// is on.
type Counters struct {
	Packets, Bytes uint64
}

// TCPInfo is the TCP tracker's state (CTA_PROTOINFO_TCP).
type TCPInfo struct {
	State       TCPState
	WScaleOrig  uint8
	WScaleReply uint8
	// FlagsOrig and FlagsReply are struct nf_ct_tcp_flags: the IP_CT_TCP_FLAG_*
	// bits and the mask of bits that a write changes.
	FlagsOrig, FlagsReply         uint8
	FlagsOrigMask, FlagsReplyMask uint8
}

// SeqAdj is a TCP sequence adjustment of one direction (CTA_SEQ_ADJ_*),
// made by NAT helpers that change a payload's length.
type SeqAdj struct {
	CorrectionPos, OffsetBefore, OffsetAfter uint32
}

// Labels is the 128-bit connection label bitmap (CTA_LABELS): bit i is
// label i.
type Labels [16]byte

// Set returns l with label bit i (0..127) set.
func (l Labels) Set(i int) Labels {
	l[i/8] |= 1 << (i % 8)
	return l
}

// Has reports whether label bit i is set.
func (l Labels) Has(i int) bool { return l[i/8]&(1<<(i%8)) != 0 }

// IsZero reports whether no label is set.
func (l Labels) IsZero() bool { return l == Labels{} }

// Flow is one conntrack entry. It is a plain value that refers to no
// buffer (addresses are netip.Addr, labels and the helper name are arrays),
// so one Flow can be decoded into again and again without allocating and
// copied freely; Has says which optional parts the kernel sent.
type Flow struct {
	Family        uint8 // AF_INET or AF_INET6 (nfgen_family)
	Orig, Reply   Tuple
	Status        Status
	Timeout       uint32 // seconds left
	Mark          uint32
	Zone          uint16 // CTA_ZONE, 0 being the default zone
	Use           uint32 // reference count
	ID            uint32 // the kernel's id of the entry
	Labels        Labels
	CountersOrig  Counters
	CountersReply Counters
	Start, Stop   uint64 // CTA_TIMESTAMP, ns since the epoch, when nf_conntrack_timestamp is on
	TCP           TCPInfo
	SCTP          SCTPInfo
	SeqAdjOrig    SeqAdj
	SeqAdjReply   SeqAdj
	// Master is CTA_TUPLE_MASTER, sent for an expected entry
	// (StatusExpected): the original tuple of the entry whose helper
	// expected it, such as the FTP control connection of a data
	// connection. Decoded only; Create and Update do not write it.
	Master    Tuple
	helper    [16]byte // NF_CT_HELPER_NAME_LEN
	helperLen uint8
	Has       Fields
}

// Helper returns the name of the entry's helper ("ftp", ...), or "" for
// none. It allocates only when there is a name; HelperBytes does not.
func (f *Flow) Helper() string { return string(f.HelperBytes()) }

// HelperBytes returns the helper's name as bytes inside f, valid until f
// changes.
func (f *Flow) HelperBytes() []byte { return f.helper[:f.helperLen] }

// Decode decodes a ctnetlink entry message (IPCTNL_MSG_CT_NEW or _DELETE,
// from a dump, a get or an event) from its payload (nfgenmsg first) into
// f, resetting f first. It does not allocate unless it fails, with a
// *DecodeError that names the attribute.
func (f *Flow) Decode(payload []byte) error {
	return decodeMessage(payload, func(fam uint8) { *f = Flow{Family: fam} }, f.decodeAttr)
}

// decodeMessage decodes the nfgenmsg at the start of payload, calls reset
// with its family, then attr with each attribute after it, and returns
// the first error as a *DecodeError. NB: reset and attr must not escape,
// so that their closures stay on the caller's stack.
func decodeMessage(payload []byte, reset func(fam uint8), attr func(nlmsg.Attr) error) error {
	h, attrs, err := nlmsg.DecodeNfGenMsg(payload)
	if err != nil {
		return &DecodeError{Attr: "nfgenmsg", Offset: 0, Err: err}
	}
	reset(h.Family)
	s := nlmsg.NewAttrScanner(attrs)
	for s.Next() {
		if err := attr(s.Attr()); err != nil {
			return shift(err, nlmsg.NfGenMsgLen)
		}
	}
	if err := s.Err(); err != nil {
		return &DecodeError{Attr: "attributes", Offset: -1, Err: err}
	}
	return nil
}

// shift makes a DecodeError's offset relative to the payload.
func shift(err error, n int) error {
	if de, ok := err.(*DecodeError); ok && de.Offset >= 0 {
		de.Offset += n
	}
	return err
}

func (f *Flow) decodeAttr(a nlmsg.Attr) error {
	var err error
	var name string
	switch a.Type() {
	case nlmsg.CTATupleOrig:
		return decodeTuple(&f.Orig, "CTA_TUPLE_ORIG", a)
	case nlmsg.CTATupleReply:
		f.Has |= FieldReply
		return decodeTuple(&f.Reply, "CTA_TUPLE_REPLY", a)
	case nlmsg.CTATupleMaster:
		f.Has |= FieldMaster
		return decodeTuple(&f.Master, "CTA_TUPLE_MASTER", a)
	case nlmsg.CTAStatus:
		var v uint32
		v, err = a.Uint32BE()
		f.Status, name = Status(v), "CTA_STATUS"
		f.Has |= FieldStatus
	case nlmsg.CTATimeout:
		f.Timeout, err = a.Uint32BE()
		name, f.Has = "CTA_TIMEOUT", f.Has|FieldTimeout
	case nlmsg.CTAMark:
		f.Mark, err = a.Uint32BE()
		name, f.Has = "CTA_MARK", f.Has|FieldMark
	case nlmsg.CTAZone:
		f.Zone, err = a.Uint16BE()
		name, f.Has = "CTA_ZONE", f.Has|FieldZone
	case nlmsg.CTAUse:
		f.Use, err = a.Uint32BE()
		name, f.Has = "CTA_USE", f.Has|FieldUse
	case nlmsg.CTAID:
		f.ID, err = a.Uint32BE()
		name, f.Has = "CTA_ID", f.Has|FieldID
	case nlmsg.CTALabels:
		d := a.Data()
		if len(d) > len(f.Labels) {
			return attrErr("CTA_LABELS", a, ErrBadLength)
		}
		copy(f.Labels[:], d)
		f.Has |= FieldLabels
	case nlmsg.CTACountersOrig:
		f.Has |= FieldCountersOrig
		return decodeCounters(&f.CountersOrig, "CTA_COUNTERS_ORIG", a)
	case nlmsg.CTACountersReply:
		f.Has |= FieldCountersReply
		return decodeCounters(&f.CountersReply, "CTA_COUNTERS_REPLY", a)
	case nlmsg.CTATimestamp:
		f.Has |= FieldTimestamp
		return f.decodeTimestamp(a)
	case nlmsg.CTAProtoInfo:
		return f.decodeProtoInfo(a)
	case nlmsg.CTASeqAdjOrig:
		f.Has |= FieldSeqAdjOrig
		return decodeSeqAdj(&f.SeqAdjOrig, "CTA_SEQ_ADJ_ORIG", a)
	case nlmsg.CTASeqAdjReply:
		f.Has |= FieldSeqAdjReply
		return decodeSeqAdj(&f.SeqAdjReply, "CTA_SEQ_ADJ_REPLY", a)
	case nlmsg.CTAHelp:
		return f.decodeHelp(a)
	}
	if err != nil {
		return attrErr(name, a, err)
	}
	return nil
}

func decodeCounters(c *Counters, name string, a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		var err error
		switch at.Type() {
		case nlmsg.CTACountersPackets:
			c.Packets, err = beUint(at)
		case nlmsg.CTACountersBytes:
			c.Bytes, err = beUint(at)
		case nlmsg.CTACounters32Packets:
			c.Packets, err = beUint(at)
		case nlmsg.CTACounters32Bytes:
			c.Bytes, err = beUint(at)
		}
		if err != nil {
			return attrErr(name+"/"+counterName(at.Type()), at, err)
		}
	}
	if err := s.Err(); err != nil {
		return attrErr(name, a, err)
	}
	return nil
}

func counterName(t uint16) string {
	switch t {
	case nlmsg.CTACountersPackets:
		return "CTA_COUNTERS_PACKETS"
	case nlmsg.CTACountersBytes:
		return "CTA_COUNTERS_BYTES"
	case nlmsg.CTACounters32Packets:
		return "CTA_COUNTERS32_PACKETS"
	}
	return "CTA_COUNTERS32_BYTES"
}

// beUint reads a big-endian 32- or 64-bit counter.
func beUint(a nlmsg.Attr) (uint64, error) {
	d := a.Data()
	switch len(d) {
	case 8:
		return binary.BigEndian.Uint64(d), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(d)), nil
	}
	return 0, ErrBadLength
}

func (f *Flow) decodeTimestamp(a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		var err error
		switch at.Type() {
		case nlmsg.CTATimestampStart:
			f.Start, err = at.Uint64BE()
			if err != nil {
				return attrErr("CTA_TIMESTAMP/CTA_TIMESTAMP_START", at, err)
			}
		case nlmsg.CTATimestampStop:
			f.Stop, err = at.Uint64BE()
			if err != nil {
				return attrErr("CTA_TIMESTAMP/CTA_TIMESTAMP_STOP", at, err)
			}
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_TIMESTAMP", a, err)
	}
	return nil
}

func (f *Flow) decodeProtoInfo(a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		if at.Type() == nlmsg.CTAProtoInfoSCTP {
			if err := f.decodeSCTP(at); err != nil {
				return err
			}
			continue
		}
		if at.Type() != nlmsg.CTAProtoInfoTCP {
			continue
		}
		f.Has |= FieldTCP
		ts := at.Attrs()
		for ts.Next() {
			t := ts.Attr()
			var err error
			var name string
			switch t.Type() {
			case nlmsg.CTAProtoInfoTCPState:
				var v uint8
				v, err = t.Uint8()
				f.TCP.State, name = TCPState(v), "CTA_PROTOINFO_TCP_STATE"
			case nlmsg.CTAProtoInfoTCPWScaleOriginal:
				f.TCP.WScaleOrig, err = t.Uint8()
				name = "CTA_PROTOINFO_TCP_WSCALE_ORIGINAL"
			case nlmsg.CTAProtoInfoTCPWScaleReply:
				f.TCP.WScaleReply, err = t.Uint8()
				name = "CTA_PROTOINFO_TCP_WSCALE_REPLY"
			case nlmsg.CTAProtoInfoTCPFlagsOriginal, nlmsg.CTAProtoInfoTCPFlagsReply:
				name = "CTA_PROTOINFO_TCP_FLAGS_ORIGINAL"
				if t.Type() == nlmsg.CTAProtoInfoTCPFlagsReply {
					name = "CTA_PROTOINFO_TCP_FLAGS_REPLY"
				}
				d := t.Data()
				if len(d) != 2 {
					err = ErrBadLength
					break
				}
				if t.Type() == nlmsg.CTAProtoInfoTCPFlagsOriginal {
					f.TCP.FlagsOrig, f.TCP.FlagsOrigMask = d[0], d[1]
				} else {
					f.TCP.FlagsReply, f.TCP.FlagsReplyMask = d[0], d[1]
				}
			}
			if err != nil {
				return attrErr("CTA_PROTOINFO/CTA_PROTOINFO_TCP/"+name, t, err)
			}
		}
		if err := ts.Err(); err != nil {
			return attrErr("CTA_PROTOINFO/CTA_PROTOINFO_TCP", at, err)
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_PROTOINFO", a, err)
	}
	return nil
}

// decodeSCTP decodes the CTA_PROTOINFO_SCTP nest a.
func (f *Flow) decodeSCTP(a nlmsg.Attr) error {
	f.Has |= FieldSCTP
	s := a.Attrs()
	for s.Next() {
		t := s.Attr()
		var err error
		var name string
		switch t.Type() {
		case nlmsg.CTAProtoInfoSCTPState:
			var v uint8
			v, err = t.Uint8()
			f.SCTP.State, name = SCTPState(v), "CTA_PROTOINFO_SCTP_STATE"
		case nlmsg.CTAProtoInfoSCTPVTagOriginal:
			f.SCTP.VTagOrig, err = t.Uint32BE()
			name = "CTA_PROTOINFO_SCTP_VTAG_ORIGINAL"
		case nlmsg.CTAProtoInfoSCTPVTagReply:
			f.SCTP.VTagReply, err = t.Uint32BE()
			name = "CTA_PROTOINFO_SCTP_VTAG_REPLY"
		}
		if err != nil {
			return attrErr("CTA_PROTOINFO/CTA_PROTOINFO_SCTP/"+name, t, err)
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_PROTOINFO/CTA_PROTOINFO_SCTP", a, err)
	}
	return nil
}

func decodeSeqAdj(q *SeqAdj, name string, a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		var err error
		switch at.Type() {
		case nlmsg.CTASeqAdjCorrectionPos:
			q.CorrectionPos, err = at.Uint32BE()
		case nlmsg.CTASeqAdjOffsetBefore:
			q.OffsetBefore, err = at.Uint32BE()
		case nlmsg.CTASeqAdjOffsetAfter:
			q.OffsetAfter, err = at.Uint32BE()
		}
		if err != nil {
			return attrErr(name, at, err)
		}
	}
	if err := s.Err(); err != nil {
		return attrErr(name, a, err)
	}
	return nil
}

func (f *Flow) decodeHelp(a nlmsg.Attr) error {
	s := a.Attrs()
	for s.Next() {
		at := s.Attr()
		if at.Type() == nlmsg.CTAHelpName {
			n := at.StringBytes()
			if len(n) > len(f.helper) {
				return attrErr("CTA_HELP/CTA_HELP_NAME", at, ErrBadLength)
			}
			f.helperLen = uint8(copy(f.helper[:], n))
			f.Has |= FieldHelper
		}
	}
	if err := s.Err(); err != nil {
		return attrErr("CTA_HELP", a, err)
	}
	return nil
}

// attrErr builds the DecodeError for attribute a (offset relative to the
// attributes after nfgenmsg; Decode shifts it).
func attrErr(name string, a nlmsg.Attr, err error) error {
	return &DecodeError{Attr: name, Offset: -1, Err: err}
}

// wrapPath prefixes the attribute path of a DecodeError with a nest name.
func wrapPath(nest string, err error) error {
	if de, ok := err.(*DecodeError); ok {
		de.Attr = nest + "/" + de.Attr
	}
	return err
}
