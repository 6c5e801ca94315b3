package ethtool

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// The ioctl commands and the layout of struct ethtool_link_settings
// (<linux/ethtool.h>) that patchLinkSettings edits.
const (
	ethtoolGLinkSettings = 0x4c // ETHTOOL_GLINKSETTINGS
	ethtoolSLinkSettings = 0x4d // ETHTOOL_SLINKSETTINGS

	lsAutoneg     = 11 // autoneg, u8
	lsMasksNwords = 15 // link_mode_masks_nwords, s8
	lsMasks       = 48 // link_mode_masks: supported, advertising, lp_advertising, nwords u32 each
)

// patchLinkSettings reads ifname's link settings with the ioctl
// ETHTOOL_GLINKSETTINGS, lets patch edit the raw struct (its three masks
// are nwords 32-bit words each, from lsMasks), and writes it back with
// ETHTOOL_SLINKSETTINGS. A tap device keeps whatever it is given, even
// values ethtool -s cannot set (supported modes, autoneg 2): the awkward
// cases for the decoders and printers.
func patchLinkSettings(t *testing.T, ns *netnstest.NS, ifname string, patch func(buf []byte, nwords int)) {
	t.Helper()
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		buf := make([]byte, lsMasks+3*4*127)
		var ifr struct { // struct ifreq with ifr_data
			name [unix.IFNAMSIZ]byte
			data uintptr
			_    [24]byte
		}
		copy(ifr.name[:], ifname)
		ifr.data = uintptr(unsafe.Pointer(&buf[0]))
		ioctl := func(cmd uint32) error {
			binary.NativeEndian.PutUint32(buf, cmd)
			if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); e != 0 {
				return e
			}
			return nil
		}
		// With nwords 0 the kernel answers how many words it wants, negated.
		if err := ioctl(ethtoolGLinkSettings); err != nil {
			return fmt.Errorf("ETHTOOL_GLINKSETTINGS handshake: %w", err)
		}
		nwords := -int(int8(buf[lsMasksNwords]))
		buf[lsMasksNwords] = byte(int8(nwords))
		if err := ioctl(ethtoolGLinkSettings); err != nil {
			return fmt.Errorf("ETHTOOL_GLINKSETTINGS: %w", err)
		}
		patch(buf, nwords)
		if err := ioctl(ethtoolSLinkSettings); err != nil {
			return fmt.Errorf("ETHTOOL_SLINKSETTINGS: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", ifname, err)
	}
}

// setSupported adds the link mode bits to ifname's supported modes.
func setSupported(t *testing.T, ns *netnstest.NS, ifname string, bits ...int) {
	t.Helper()
	patchLinkSettings(t, ns, ifname, func(buf []byte, _ int) {
		for _, b := range bits {
			w := lsMasks + 4*(b/32)
			binary.NativeEndian.PutUint32(buf[w:], binary.NativeEndian.Uint32(buf[w:])|1<<(b%32))
		}
	})
}
