package ethtool

import (
	"context"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// Features is the reply to ETHTOOL_MSG_FEATURES_GET, what `ethtool -k`
// prints: the netdev features, indexed as the ETH_SS_FEATURES string set
// names them (FeatureNames).
type Features struct {
	Interface Interface
	HW        Bitset // the features the device lets the user change (hw_features)
	Wanted    Bitset // the features asked for: ethtool's "requested"
	Active    Bitset // the features in effect: ethtool's "on"/"off"
	NoChange  Bitset // features no request can change (NETIF_F_NEVER_CHANGE)
}

// Fixed reports whether feature i cannot be changed, ethtool's "[fixed]":
// the device does not offer it in HW, or it is in NoChange.
func (f *Features) Fixed(i int) bool { return !f.HW.Has(i) || f.NoChange.Has(i) }

const msgFeatures = "ETHTOOL_MSG_FEATURES_GET_REPLY"

// DecodeFeatures decodes the attributes of a features reply or
// notification (ETHTOOL_MSG_FEATURES_NTF) into f, overwriting every
// field. Bit sets may be compact or verbose. It does not allocate once the
// interface name is interned; a malformed attribute gives a
// *genl.DecodeError naming it.
func DecodeFeatures(attrs []byte, f *Features) error {
	*f = Features{}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		switch a.Type() {
		case nlmsg.EthtoolAFeaturesHeader:
			err = decodeHeader(a, msgFeatures, &f.Interface)
		case nlmsg.EthtoolAFeaturesHW:
			// NB: the value is hw_features; the mask (every feature the
			// kernel knows) is only there to carry names in verbose form.
			err = decodeBitset(a, msgFeatures, "ETHTOOL_A_FEATURES_HW", &f.HW, nil)
		case nlmsg.EthtoolAFeaturesWanted:
			err = decodeBitset(a, msgFeatures, "ETHTOOL_A_FEATURES_WANTED", &f.Wanted, nil)
		case nlmsg.EthtoolAFeaturesActive:
			err = decodeBitset(a, msgFeatures, "ETHTOOL_A_FEATURES_ACTIVE", &f.Active, nil)
		case nlmsg.EthtoolAFeaturesNoChange:
			err = decodeBitset(a, msgFeatures, "ETHTOOL_A_FEATURES_NOCHANGE", &f.NoChange, nil)
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgFeatures, "", -1, err)
	}
	return nil
}

// FeaturesInto reads the features of ifc (ETHTOOL_MSG_FEATURES_GET,
// compact bit sets) into f. It does not allocate once warm. An unknown
// interface is an *engine.OpError that errors.Is unix.ENODEV.
func (e *Client) FeaturesInto(ctx context.Context, ifc Interface, f *Features) error {
	return e.get(ctx, nlmsg.EthtoolMsgFeaturesGet, nlmsg.EthtoolAFeaturesHeader, ifc, nlmsg.EthtoolFlagCompactBitsets, func(attrs []byte) error {
		return DecodeFeatures(attrs, f)
	})
}

// Features is FeaturesInto returning the value.
func (e *Client) Features(ctx context.Context, ifc Interface) (Features, error) {
	var f Features
	err := e.FeaturesInto(ctx, ifc, &f)
	return f, err
}

// FeatureNames returns the kernel's feature names (the ETH_SS_FEATURES
// string set) by bit index, owned and interned: "tx-tcp-segmentation" is
// the name of the bit a Features value has for it.
func (e *Client) FeatureNames(ctx context.Context) ([]string, error) {
	return e.StringSet(ctx, Interface{}, nlmsg.EthSSFeatures)
}

// FeatureChange turns one feature on or off. Name is the kernel's name,
// as FeatureNames gives it ("tx-tcp-segmentation", "rx-gro"), not one of
// the names ethtool keeps for groups of features ("tso", "gro").
type FeatureChange struct {
	Name string
	On   bool
}

// FeaturesResult is the kernel's account of a SetFeatures
// (ETHTOOL_MSG_FEATURES_SET_REPLY), by feature bit.
type FeaturesResult struct {
	Interface Interface
	// NotApplied holds the features that were asked for and did not end
	// as asked: fixed ones, or ones the driver or a dependency refused.
	NotApplied Bitset
	Changed    Bitset // the features that changed, whoever asked
	Active     Bitset // of those in Changed, the ones now on
}

const msgFeaturesSet = "ETHTOOL_MSG_FEATURES_SET_REPLY"

// appendWantedFeatures appends ETHTOOL_A_FEATURES_WANTED for changes: a
// verbose value/mask bit set by name, each bit listed in the mask, and in
// the value when it is to be on.
func appendWantedFeatures(b *nlmsg.Builder, changes []FeatureChange) {
	set := b.BeginNest(nlmsg.EthtoolAFeaturesWanted)
	bits := b.BeginNest(nlmsg.EthtoolABitsetBits)
	for _, c := range changes {
		bit := b.BeginNest(nlmsg.EthtoolABitsetBitsBit)
		b.String(nlmsg.EthtoolABitsetBitName, c.Name)
		if c.On {
			b.Flag(nlmsg.EthtoolABitsetBitValue)
		}
		b.EndNest(bit)
	}
	b.EndNest(bits)
	b.EndNest(set)
}

// SetFeatures changes the features of ifc (ETHTOOL_MSG_FEATURES_SET, as
// `ethtool -K IF tx-tcp-segmentation off` does) and leaves the others
// as they are. It needs CAP_NET_ADMIN. A name the kernel does not know is
// an *engine.OpError that errors.Is unix.EOPNOTSUPP, with the kernel's
// message ("bit name not found"). A change the kernel declines is no error: it is in the
// result's NotApplied, as ethtool reports "Could not change any device
// features". changes is only read during the call.
func (e *Client) SetFeatures(ctx context.Context, ifc Interface, changes []FeatureChange) (FeaturesResult, error) {
	var res FeaturesResult
	var derr error
	err := e.c.Execute(ctx, nlmsg.EthtoolGenlName, nlmsg.EthtoolMsgFeaturesSet, 0, func(b *nlmsg.Builder) {
		header(b, nlmsg.EthtoolAFeaturesHeader, ifc, nlmsg.EthtoolFlagCompactBitsets)
		appendWantedFeatures(b, changes)
	}, func(m genl.Message) error {
		if m.Cmd == nlmsg.EthtoolMsgFeaturesSetReply && derr == nil {
			derr = decodeFeaturesResult(m.Attrs, &res)
		}
		return nil
	})
	if err != nil {
		return FeaturesResult{}, err
	}
	return res, derr
}

// decodeFeaturesResult decodes a FEATURES_SET reply: in WANTED the mask
// is what differs from the request; in ACTIVE the mask is what changed
// and the value the new state.
func decodeFeaturesResult(attrs []byte, r *FeaturesResult) error {
	*r = FeaturesResult{}
	var ignored Bitset
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		var err error
		switch a.Type() {
		case nlmsg.EthtoolAFeaturesHeader:
			err = decodeHeader(a, msgFeaturesSet, &r.Interface)
		case nlmsg.EthtoolAFeaturesWanted:
			err = decodeBitset(a, msgFeaturesSet, "ETHTOOL_A_FEATURES_WANTED", &ignored, &r.NotApplied)
		case nlmsg.EthtoolAFeaturesActive:
			err = decodeBitset(a, msgFeaturesSet, "ETHTOOL_A_FEATURES_ACTIVE", &r.Active, &r.Changed)
		}
		if err != nil {
			return err
		}
	}
	if err := as.Err(); err != nil {
		return genl.NewDecodeError(msgFeaturesSet, "", -1, err)
	}
	for i := range r.Active.words {
		r.Active.words[i] &= r.Changed.words[i]
	}
	return nil
}
