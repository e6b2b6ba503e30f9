package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// Store is the persistence the hub consumes; hub/hubstore adapts hub/store
// (SQLite) to it. Every method may block on I/O; the hub never calls it
// from the radio path (see persister). A nil Config.Store keeps everything
// in memory.
type Store interface {
	// LoadDevices returns every stored device with its last state.
	LoadDevices(ctx context.Context) ([]StoredDevice, error)
	// SaveDevices inserts or replaces devices (State and StateAt are
	// ignored; states go through SaveStates).
	SaveDevices(ctx context.Context, devices []StoredDevice) error
	// DeleteDevice removes a device with its state and history. A device
	// that is not stored is not an error.
	DeleteDevice(ctx context.Context, ieee zigbee.IEEE) error
	// SaveStates replaces the last state of each device.
	SaveStates(ctx context.Context, states []StoredState) error
	// AppendHistory records property values.
	AppendHistory(ctx context.Context, points []HistoryPoint) error
	// History returns one device's points in [from, to), oldest first; an
	// empty property means all, a zero time leaves that end open, limit
	// <= 0 means the store's maximum.
	History(ctx context.Context, ieee zigbee.IEEE, property string, from, to time.Time, limit int) ([]HistoryPoint, error)
}

// StoredDevice is one device as the store keeps it: the columns a store
// may index, and the hub's own JSON document (Data), which the store keeps
// verbatim.
type StoredDevice struct {
	IEEE         zigbee.IEEE
	NWK          zigbee.NWK
	FriendlyName string
	Model        string
	Vendor       string
	Data         json.RawMessage
	// State is the last saved state (a JSON object) and StateAt when the
	// device was last heard from; set by LoadDevices only.
	State   json.RawMessage
	StateAt time.Time
}

// StoredState is the last state of one device (a JSON object in
// Zigbee2MQTT's payload shape) and when the device was last heard from.
type StoredState struct {
	IEEE  zigbee.IEEE
	State json.RawMessage
	At    time.Time
}

// HistoryPoint is one recorded value of a device property. Value is a
// float64, a bool or a string when written, float64 or string when read
// back (bools are stored as 1 and 0).
type HistoryPoint struct {
	IEEE     zigbee.IEEE `json:"ieee_address"`
	Property string      `json:"property"`
	At       time.Time   `json:"at"`
	Value    any         `json:"value"`
}

// GroupStore is the persistence of Zigbee groups, an optional part of a
// Store: a Store that also implements it keeps groups across restarts
// (hub/hubstore does); with any other Store, or none, groups live in
// memory. It is separate so that the Stores that predate groups still
// satisfy Store.
type GroupStore interface {
	// LoadGroups returns every stored group with its members.
	LoadGroups(ctx context.Context) ([]StoredGroup, error)
	// SaveGroups replaces the stored groups with groups: the hub passes
	// every group it has, and a stored group missing from the list is
	// deleted. A member whose device is not stored (it was removed
	// meanwhile) is skipped without an error. The hub writes devices
	// before the groups that refer to them.
	SaveGroups(ctx context.Context, groups []StoredGroup) error
}

// StoredGroup is one Zigbee group as the store keeps it.
type StoredGroup struct {
	ID      uint16
	Name    string
	Created time.Time
	Members []StoredGroupMember
}

// StoredGroupMember is one device endpoint of a stored group.
type StoredGroupMember struct {
	IEEE     zigbee.IEEE
	Endpoint uint8
}
