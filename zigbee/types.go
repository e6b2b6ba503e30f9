package zigbee

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// IEEE is a 64-bit IEEE (EUI-64) device address. On the wire Zigbee sends it
// least significant byte first; String prints it most significant first, the
// way Zigbee2MQTT and ZHA show it ("0x00124b0012345678").
type IEEE uint64

func (a IEEE) String() string { return fmt.Sprintf("0x%016x", uint64(a)) }

// ParseIEEE accepts "0x00124b0012345678", "00124b0012345678" and the
// colon-separated form "00:12:4b:00:12:34:56:78".
func ParseIEEE(s string) (IEEE, error) {
	v, err := parseHex64(s, 16)
	if err != nil {
		return 0, fmt.Errorf("zigbee: IEEE address %q: %w", s, err)
	}
	return IEEE(v), nil
}

// NWK is a 16-bit network (short) address.
type NWK uint16

// Well-known NWK addresses.
const (
	NWKCoordinator     NWK = 0x0000
	NWKBroadcastAll    NWK = 0xFFFF // every device
	NWKBroadcastRxOn   NWK = 0xFFFD // devices with receiver on when idle
	NWKBroadcastRouter NWK = 0xFFFC // routers and the coordinator
	NWKInvalid         NWK = 0xFFFE
)

func (a NWK) String() string { return fmt.Sprintf("0x%04X", uint16(a)) }

// IsBroadcast reports whether a is one of the broadcast addresses.
func (a NWK) IsBroadcast() bool { return a >= 0xFFF8 && a != NWKInvalid }

// PANID is a 16-bit personal area network id.
type PANID uint16

func (p PANID) String() string { return fmt.Sprintf("0x%04X", uint16(p)) }

// Valid reports whether p may be used for a network (0x0000 and 0xFFFF are reserved;
// 0xFFFE means "unknown").
func (p PANID) Valid() bool { return p != 0 && p < 0xFFFE }

// ExtPANID is the 64-bit extended PAN id.
type ExtPANID uint64

func (p ExtPANID) String() string { return fmt.Sprintf("0x%016x", uint64(p)) }

// ParseExtPANID accepts the same forms as ParseIEEE.
func ParseExtPANID(s string) (ExtPANID, error) {
	v, err := parseHex64(s, 16)
	if err != nil {
		return 0, fmt.Errorf("zigbee: extended PAN id %q: %w", s, err)
	}
	return ExtPANID(v), nil
}

// Channel is an IEEE 802.15.4 2.4 GHz channel, 11–26.
type Channel uint8

// Valid reports whether c is a 2.4 GHz Zigbee channel.
func (c Channel) Valid() bool { return c >= 11 && c <= 26 }

// Mask returns the channel as a bit in a 32-bit channel mask.
func (c Channel) Mask() ChannelMask { return ChannelMask(1) << c }

// ChannelMask is a bitmap of channels (bit n = channel n).
type ChannelMask uint32

// Channels lists the channels in m in ascending order.
func (m ChannelMask) Channels() []Channel {
	var cs []Channel
	for c := Channel(11); c <= 26; c++ {
		if m&c.Mask() != 0 {
			cs = append(cs, c)
		}
	}
	return cs
}

// Endpoint is an application endpoint, 1–240 (0 is the ZDO).
type Endpoint uint8

// ClusterID identifies a ZCL cluster or, on profile 0, a ZDO command.
type ClusterID uint16

func (c ClusterID) String() string { return fmt.Sprintf("0x%04X", uint16(c)) }

// ProfileID identifies an application profile.
type ProfileID uint16

// Profiles zhub uses.
const (
	ProfileZDO ProfileID = 0x0000
	ProfileHA  ProfileID = 0x0104 // Home Automation (also used by Zigbee 3.0 devices)
	ProfileZLL ProfileID = 0xC05E
	ProfileGP  ProfileID = 0xA1E0
)

// NetworkKey is a 128-bit network key. It never prints its value: String and
// LogValue redact it so a key cannot reach a log by accident. Use Hex for the
// backup file.
type NetworkKey [16]byte

func (NetworkKey) String() string { return "[redacted network key]" }

// LogValue implements slog.LogValuer.
func (NetworkKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Hex returns the key as 32 lower-case hex digits (for backups only).
func (k NetworkKey) Hex() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether k is all zeros (an unset key).
func (k NetworkKey) IsZero() bool { return k == NetworkKey{} }

// DefaultTCLinkKey is the well-known "ZigBeeAlliance09" trust-center link key
// every Zigbee 3.0 device uses to join. It is public by design; zhub never
// uses a well-known key as a network key.
var DefaultTCLinkKey = [16]byte{'Z', 'i', 'g', 'B', 'e', 'e', 'A', 'l', 'l', 'i', 'a', 'n', 'c', 'e', '0', '9'}

// WellKnownNetworkKeys are network keys that ship as defaults in other stacks
// (Z-Stack's 01 03 05 … 0D and the Zigbee2MQTT default). Forming a network
// with one of them would let anyone nearby decrypt it.
var WellKnownNetworkKeys = []NetworkKey{
	{0x01, 0x03, 0x05, 0x07, 0x09, 0x0B, 0x0D, 0x0F, 0x00, 0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0D},
	{},
}

// IsWellKnown reports whether k is zero or a stack's published default key.
func (k NetworkKey) IsWellKnown() bool {
	for _, w := range WellKnownNetworkKeys {
		if k == w {
			return true
		}
	}
	return false
}

func parseHex64(s string, digits int) (uint64, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	t = strings.ReplaceAll(t, ":", "")
	if len(t) == 0 || len(t) > digits {
		return 0, fmt.Errorf("want up to %d hex digits", digits)
	}
	v, err := strconv.ParseUint(t, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("not hex: %w", err)
	}
	return v, nil
}
