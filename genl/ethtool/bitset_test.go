package ethtool

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/nlengine/nlengine/genl"
	"github.com/nlengine/nlengine/nlmsg"
)

// linkModesAttrs encodes an ETHTOOL_A_LINKMODES_OURS nest with the given
// advertised (value) and supported (mask) bits, compact or verbose, and a
// PEER list.
func linkModesAttrs(compact bool, size uint32, adv, sup, peer []int) []byte {
	var b nlmsg.Builder
	defer b.Release()
	b.Uint32(nlmsg.EthtoolALinkModesSpeed, 1000)
	set := func(typ uint16, value, mask []int, noMask bool) {
		n := b.BeginNest(typ)
		if noMask {
			b.Flag(nlmsg.EthtoolABitsetNoMask)
		}
		b.Uint32(nlmsg.EthtoolABitsetSize, size)
		if compact {
			w := func(bits []int) []byte {
				out := make([]byte, 4*((size+31)/32))
				for _, i := range bits {
					binary.NativeEndian.PutUint32(out[4*(i/32):], binary.NativeEndian.Uint32(out[4*(i/32):])|1<<(i%32))
				}
				return out
			}
			b.Attr(nlmsg.EthtoolABitsetValue, w(value))
			if !noMask {
				b.Attr(nlmsg.EthtoolABitsetMask, w(mask))
			}
		} else {
			bits := b.BeginNest(nlmsg.EthtoolABitsetBits)
			listed := mask
			if noMask {
				listed = value
			}
			for _, i := range listed {
				bit := b.BeginNest(nlmsg.EthtoolABitsetBitsBit)
				b.Uint32(nlmsg.EthtoolABitsetBitIndex, uint32(i))
				b.String(nlmsg.EthtoolABitsetBitName, "mode")
				if !noMask && slices.Contains(value, i) {
					b.Flag(nlmsg.EthtoolABitsetBitValue)
				}
				b.EndNest(bit)
			}
			b.EndNest(bits)
		}
		b.EndNest(n)
	}
	set(nlmsg.EthtoolALinkModesOurs, adv, sup, false)
	set(nlmsg.EthtoolALinkModesPeer, peer, nil, true)
	return append([]byte(nil), b.Bytes()...)
}

func TestDecodeLinkModesCompactAndVerboseAgree(t *testing.T) {
	adv, sup, peer := []int{5, 6, 40}, []int{5, 6, 13, 40, 99}, []int{6, 99}
	for _, compact := range []bool{true, false} {
		var lm LinkModes
		if err := DecodeLinkModes(linkModesAttrs(compact, 120, adv, sup, peer), &lm); err != nil {
			t.Fatalf("compact %v: %v", compact, err)
		}
		if got := slices.Collect(lm.Advertised.Bits()); !slices.Equal(got, adv) {
			t.Errorf("compact %v: advertised %v, want %v", compact, got, adv)
		}
		if got := slices.Collect(lm.Supported.Bits()); !slices.Equal(got, sup) {
			t.Errorf("compact %v: supported %v, want %v", compact, got, sup)
		}
		if got := slices.Collect(lm.Peer.Bits()); !slices.Equal(got, peer) {
			t.Errorf("compact %v: peer %v, want %v", compact, got, peer)
		}
		if lm.Speed != 1000 || lm.Supported.Size() != 120 {
			t.Errorf("compact %v: speed %v size %d", compact, lm.Speed, lm.Supported.Size())
		}
		if got := SpeedModes(&lm.Supported, nil); !slices.Equal(got, []int{5, 40, 99}) {
			t.Errorf("speed modes of %v: %v", sup, got)
		}
		if Pause(&lm.Supported) != "Symmetric" || Ports(&lm.Supported) != "[  ]" {
			t.Errorf("pause %q ports %q", Pause(&lm.Supported), Ports(&lm.Supported))
		}
	}
}

func TestDecodeLinkModesMalformedNamesTheAttribute(t *testing.T) {
	var b nlmsg.Builder
	b.Attr(nlmsg.EthtoolALinkModesSpeed, []byte{1, 2})
	bad := append([]byte(nil), b.Bytes()...)
	b.Reset()
	n := b.BeginNest(nlmsg.EthtoolALinkModesOurs)
	b.Uint32(nlmsg.EthtoolABitsetSize, MaxBits+1)
	b.EndNest(n)
	big := append([]byte(nil), b.Bytes()...)
	b.Release()
	var lm LinkModes
	var de *genl.DecodeError
	if err := DecodeLinkModes(bad, &lm); !errors.As(err, &de) || de.Attr != "ETHTOOL_A_LINKMODES_SPEED" {
		t.Errorf("a 2-byte speed: %v; want a DecodeError naming ETHTOOL_A_LINKMODES_SPEED", err)
	}
	if err := DecodeLinkModes(big, &lm); !errors.As(err, &de) || de.Attr != "ETHTOOL_A_LINKMODES_OURS" || !errors.Is(err, genl.ErrTooMany) {
		t.Errorf("a bit set of %d bits: %v; want ErrTooMany naming ETHTOOL_A_LINKMODES_OURS", MaxBits+1, err)
	}
}

func TestEnumStringsAreEthtools(t *testing.T) {
	for got, want := range map[string]string{
		Port(nlmsg.PortTP).String(): "Twisted Pair", Port(nlmsg.PortOther).String(): "Other", Port(0x42).String(): "Unknown! (66)",
		DuplexUnknown.String(): "Unknown! (255)", DuplexHalf.String(): "Half",
		Speed(nlmsg.SpeedUnknown).String(): "Unknown!", Speed(25000).String(): "25000Mb/s",
		Transceiver(nlmsg.XcvrExternal).String():                                                  "external",
		(&LinkInfo{MDIX: MDIX(nlmsg.EthTPMDIX), MDIXCtrl: MDIX(nlmsg.EthTPMDIAuto)}).MDIXString(): "on (auto)",
		(&LinkInfo{MDIXCtrl: MDIX(nlmsg.EthTPMDI)}).MDIXString():                                  "off (forced)",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
