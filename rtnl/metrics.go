package rtnl

import "github.com/nlengine/nlengine/nlmsg"

// Metrics are a route's RTA_METRICS (RTAX_*): the TCP and path parameters
// ip prints under "metrics". A zero field is absent. Units are the
// kernel's: RTT in 1/8 ms and RTTVar in 1/4 ms (ip divides them when
// printing), RTOMin in ms.
type Metrics struct {
	Lock             uint32 // RTAX_LOCK: bit 1<<RTAX_x locks metric x ("mtu lock 1400")
	MTU              uint32
	Window           uint32
	RTT              uint32
	RTTVar           uint32
	SSThresh         uint32
	CWnd             uint32
	AdvMSS           uint32
	Reordering       uint32
	HopLimit         uint32
	InitCWnd         uint32
	Features         uint32 // RTAX_FEATURE_* bits (ecn, ...)
	RTOMin           uint32
	InitRWnd         uint32
	QuickAck         uint32
	FastOpenNoCookie uint32
	// Congestion is the congestion control algorithm (RTAX_CC_ALGO), such
	// as "cubic". Decoding interns it, so it does not allocate.
	Congestion string
}

// field returns the u32 metric of type t, or nil for one Metrics lacks.
func (m *Metrics) field(t uint16) *uint32 {
	switch t {
	case nlmsg.RTAXLock:
		return &m.Lock
	case nlmsg.RTAXMTU:
		return &m.MTU
	case nlmsg.RTAXWindow:
		return &m.Window
	case nlmsg.RTAXRTT:
		return &m.RTT
	case nlmsg.RTAXRTTVar:
		return &m.RTTVar
	case nlmsg.RTAXSSThresh:
		return &m.SSThresh
	case nlmsg.RTAXCWnd:
		return &m.CWnd
	case nlmsg.RTAXAdvMSS:
		return &m.AdvMSS
	case nlmsg.RTAXReordering:
		return &m.Reordering
	case nlmsg.RTAXHopLimit:
		return &m.HopLimit
	case nlmsg.RTAXInitCWnd:
		return &m.InitCWnd
	case nlmsg.RTAXFeatures:
		return &m.Features
	case nlmsg.RTAXRTOMin:
		return &m.RTOMin
	case nlmsg.RTAXInitRWnd:
		return &m.InitRWnd
	case nlmsg.RTAXQuickAck:
		return &m.QuickAck
	case nlmsg.RTAXFastOpenNoCookie:
		return &m.FastOpenNoCookie
	}
	return nil
}

// decode reads the RTAX_* attributes of an RTA_METRICS payload into m.
// Unknown metrics are skipped (they stay in Route.Attrs).
func (m *Metrics) decode(b []byte) error {
	s := nlmsg.NewAttrScanner(b)
	for s.Next() {
		a := s.Attr()
		if a.Type() == nlmsg.RTAXCCAlgo {
			m.Congestion = names.String(a.StringBytes())
			continue
		}
		if p := m.field(a.Type()); p != nil {
			v, err := a.Uint32()
			if err != nil {
				return err
			}
			*p = v
		}
	}
	return s.Err()
}

// IsZero reports whether m holds no metric.
func (m *Metrics) IsZero() bool { return *m == Metrics{} }

// append encodes m as RTA_METRICS (nested, as iproute2 writes it), or
// nothing when m is zero.
func (m *Metrics) append(b []byte) []byte {
	if m.IsZero() {
		return b
	}
	b, nest := beginNest(b, nlmsg.RTAMetrics, true)
	for t := nlmsg.RTAXLock; t <= nlmsg.RTAXFastOpenNoCookie; t++ {
		if p := m.field(t); p != nil && *p != 0 {
			b = appendU32Attr(b, t, *p)
		}
	}
	if m.Congestion != "" {
		b = appendStringAttr(b, nlmsg.RTAXCCAlgo, m.Congestion)
	}
	endNest(b, nest)
	return b
}
