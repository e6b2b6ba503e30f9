package zigbee

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BackupFormat is the metadata.format of an Open Coordinator Backup.
const BackupFormat = "zigpy/open-coordinator-backup"

// FrameCounterMargin is added to the stored network frame counter on
// restore, so devices never see a counter they consider a replay (zigpy and
// zigbee-herdsman add a margin for the same reason; interfaces.md §A.9).
const FrameCounterMargin = 2500

// ErrBadBackup means a backup file is malformed or incomplete.
var ErrBadBackup = errors.New("invalid coordinator backup")

// Backup is the Open Coordinator Backup (format version 1) that Zigbee2MQTT
// and ZHA read and write, so a network can move between them and zhub. It
// holds the network key: write it with mode 0600 and never log it.
type Backup struct {
	Metadata        BackupMetadata             `json:"metadata"`
	StackSpecific   map[string]json.RawMessage `json:"stack_specific,omitempty"`
	CoordinatorIEEE HexIEEE                    `json:"coordinator_ieee"`
	PANID           HexPANID                   `json:"pan_id"`
	ExtPANID        HexIEEE                    `json:"extended_pan_id"`
	NWKUpdateID     uint8                      `json:"nwk_update_id"`
	SecurityLevel   uint8                      `json:"security_level"`
	Channel         Channel                    `json:"channel"`
	ChannelMask     []int                      `json:"channel_mask"`
	NetworkKey      BackupKey                  `json:"network_key"`
	Devices         []BackupDevice             `json:"devices"`
}

// BackupMetadata describes who wrote a backup.
type BackupMetadata struct {
	Format   string         `json:"format"`
	Version  int            `json:"version"`
	Source   string         `json:"source"`
	Internal map[string]any `json:"internal,omitempty"`
}

// BackupKey is the network key with its sequence number and frame counter.
type BackupKey struct {
	Key            HexKey `json:"key"`
	SequenceNumber uint8  `json:"sequence_number"`
	FrameCounter   uint32 `json:"frame_counter"`
}

// BackupDevice is one device in the coordinator's tables.
type BackupDevice struct {
	NWK     HexNWK         `json:"nwk_address"`
	IEEE    HexIEEE        `json:"ieee_address"`
	IsChild *bool          `json:"is_child,omitempty"`
	LinkKey *BackupLinkKey `json:"link_key,omitempty"`
}

// BackupLinkKey is a device's trust-center link key.
type BackupLinkKey struct {
	Key       HexKey `json:"key"`
	RxCounter uint32 `json:"rx_counter"`
	TxCounter uint32 `json:"tx_counter"`
}

// NewBackup returns a backup of info with zhub's metadata filled in.
func NewBackup(info NetworkInfo, key NetworkKey, source string, now time.Time) *Backup {
	var mask []int
	for _, c := range info.ChannelMask.Channels() {
		mask = append(mask, int(c))
	}
	if len(mask) == 0 {
		mask = []int{int(info.Channel)}
	}
	return &Backup{
		Metadata: BackupMetadata{
			Format: BackupFormat, Version: 1, Source: source,
			Internal: map[string]any{"date": now.UTC().Format(time.RFC3339Nano)},
		},
		CoordinatorIEEE: HexIEEE(info.IEEE),
		PANID:           HexPANID(info.PANID),
		ExtPANID:        HexIEEE(info.ExtPANID),
		NWKUpdateID:     info.UpdateID,
		SecurityLevel:   5,
		Channel:         info.Channel,
		ChannelMask:     mask,
		NetworkKey:      BackupKey{Key: HexKey(key), FrameCounter: info.FrameCounter},
		Devices:         []BackupDevice{},
	}
}

// ParseBackup decodes and validates a backup file written by zhub,
// Zigbee2MQTT or ZHA.
func ParseBackup(data []byte) (*Backup, error) {
	var b Backup
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("zigbee: %w: %w", ErrBadBackup, err)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

// Validate checks the fields a restore needs.
func (b *Backup) Validate() error {
	switch {
	case b.Metadata.Format != BackupFormat:
		return fmt.Errorf("zigbee: %w: metadata.format is %q, want %q", ErrBadBackup, b.Metadata.Format, BackupFormat)
	case b.Metadata.Version != 1:
		return fmt.Errorf("zigbee: %w: metadata.version %d is not supported (want 1)", ErrBadBackup, b.Metadata.Version)
	case !PANID(b.PANID).Valid():
		return fmt.Errorf("zigbee: %w: pan_id %v is reserved", ErrBadBackup, PANID(b.PANID))
	case !b.Channel.Valid():
		return fmt.Errorf("zigbee: %w: channel %d is outside 11–26", ErrBadBackup, b.Channel)
	case NetworkKey(b.NetworkKey.Key).IsZero():
		return fmt.Errorf("zigbee: %w: network_key.key is missing", ErrBadBackup)
	}
	return nil
}

// Key returns the network key.
func (b *Backup) Key() NetworkKey { return NetworkKey(b.NetworkKey.Key) }

// HexIEEE is a 64-bit value written as 16 hex digits, most significant first.
type HexIEEE uint64

// MarshalJSON implements json.Marshaler.
func (v HexIEEE) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("%016x", uint64(v)))
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *HexIEEE) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	x, err := parseHex64(s, 16)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	*v = HexIEEE(x)
	return nil
}

// HexPANID is a PAN id written as 4 hex digits (read leniently: herdsman
// does not zero-pad).
type HexPANID uint16

// MarshalJSON implements json.Marshaler.
func (v HexPANID) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("%04x", uint16(v))) }

// UnmarshalJSON implements json.Unmarshaler.
func (v *HexPANID) UnmarshalJSON(b []byte) error {
	x, err := unmarshalHex16(b)
	*v = HexPANID(x)
	return err
}

// HexNWK is a NWK address written as 4 hex digits.
type HexNWK uint16

// MarshalJSON implements json.Marshaler.
func (v HexNWK) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("%04x", uint16(v))) }

// UnmarshalJSON implements json.Unmarshaler.
func (v *HexNWK) UnmarshalJSON(b []byte) error {
	x, err := unmarshalHex16(b)
	*v = HexNWK(x)
	return err
}

func unmarshalHex16(b []byte) (uint16, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, err
	}
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	x, err := strconv.ParseUint(t, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%q: want up to 4 hex digits", s)
	}
	return uint16(x), nil
}

// HexKey is a 128-bit key written as 32 hex digits.
type HexKey [16]byte

// MarshalJSON implements json.Marshaler.
func (k HexKey) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(k[:])) }

// UnmarshalJSON implements json.Unmarshaler.
func (k *HexKey) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(d) != 16 {
		return fmt.Errorf("key: want 32 hex digits")
	}
	copy(k[:], d)
	return nil
}
