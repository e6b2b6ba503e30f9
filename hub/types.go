package hub

import (
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// Device is a snapshot of one device as the hub knows it. Values returned by
// the hub are copies: changing them changes nothing in the hub.
type Device struct {
	IEEE         zigbee.IEEE `json:"ieee_address"`
	NWK          zigbee.NWK  `json:"network_address"`
	FriendlyName string      `json:"friendly_name"`
	// Type is "Coordinator", "Router", "EndDevice" or "Unknown" (Zigbee2MQTT's words).
	Type             string     `json:"type"`
	PowerSource      string     `json:"power_source,omitempty"` // e.g. "Mains (single phase)", "Battery"
	Manufacturer     string     `json:"manufacturer,omitempty"`
	Model            string     `json:"model_id,omitempty"`
	ManufacturerCode uint16     `json:"manufacturer_code,omitempty"`
	SWBuild          string     `json:"software_build_id,omitempty"`
	DateCode         string     `json:"date_code,omitempty"`
	Endpoints        []Endpoint `json:"endpoints"`
	Interview        Interview  `json:"interview"`
	// Definition describes what the device is and what it can do.
	Definition Definition `json:"definition"`
	// State is the last known state, by property name (Zigbee2MQTT names
	// and units: "state", "brightness", "temperature", ...).
	State       map[string]any `json:"state"`
	LastSeen    time.Time      `json:"last_seen"`
	LinkQuality uint8          `json:"linkquality"`
	Available   bool           `json:"available"`
	// Disabled devices are kept but not interviewed, pinged or published.
	Disabled bool `json:"disabled,omitempty"`
}

// Endpoint is one application endpoint from the device's simple descriptor.
type Endpoint struct {
	ID          zigbee.Endpoint    `json:"id"`
	Profile     zigbee.ProfileID   `json:"profile_id"`
	DeviceID    uint16             `json:"device_id"`
	InClusters  []zigbee.ClusterID `json:"input_clusters"`
	OutClusters []zigbee.ClusterID `json:"output_clusters"`
}

// InterviewState is where a device's interview stands.
type InterviewState string

// Interview states (Zigbee2MQTT's interview_state values).
const (
	InterviewPending    InterviewState = "PENDING"
	InterviewInProgress InterviewState = "IN_PROGRESS"
	InterviewSuccessful InterviewState = "SUCCESSFUL"
	InterviewFailed     InterviewState = "FAILED"
)

// Interview is the progress of a device's interview.
type Interview struct {
	State InterviewState `json:"state"`
	// Step is the step in progress or last completed (e.g. "node_descriptor",
	// "active_endpoints", "simple_descriptor", "basic_attributes", "bind",
	// "configure_reporting").
	Step     string    `json:"step,omitempty"`
	Error    string    `json:"error,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Updated  time.Time `json:"updated"`
}

// Definition is what the device is, as Zigbee2MQTT's bridge/devices shows it.
type Definition struct {
	Model       string   `json:"model"`
	Vendor      string   `json:"vendor"`
	Description string   `json:"description"`
	Exposes     []Expose `json:"exposes"`
	// Source is "generic" (derived from the clusters) or "quirk" (the quirks table adjusted it).
	Source string `json:"source,omitempty"`
}

// Access bits of an expose (Zigbee2MQTT's meaning).
const (
	AccessState = 1 // appears in the published state
	AccessSet   = 2 // can be written with Set
	AccessGet   = 4 // can be read with Get
)

// Expose describes one capability in Zigbee2MQTT's "exposes" model
// (interfaces.md §A.6): generic types binary, numeric, enum, text, list,
// composite; specific types light, switch, cover, lock, climate, fan wrap
// generic features. The same model drives MQTT discovery, the web UI and
// the MCP tool schemas.
type Expose struct {
	Type        string   `json:"type"`
	Name        string   `json:"name,omitempty"`
	Label       string   `json:"label,omitempty"`
	Property    string   `json:"property,omitempty"`
	Description string   `json:"description,omitempty"`
	Access      int      `json:"access,omitempty"`
	Endpoint    string   `json:"endpoint,omitempty"`
	Category    string   `json:"category,omitempty"` // "config" or "diagnostic"
	Unit        string   `json:"unit,omitempty"`
	ValueMin    *float64 `json:"value_min,omitempty"`
	ValueMax    *float64 `json:"value_max,omitempty"`
	ValueStep   *float64 `json:"value_step,omitempty"`
	ValueOn     any      `json:"value_on,omitempty"`
	ValueOff    any      `json:"value_off,omitempty"`
	ValueToggle any      `json:"value_toggle,omitempty"`
	Values      []string `json:"values,omitempty"`
	Presets     []Preset `json:"presets,omitempty"`
	Features    []Expose `json:"features,omitempty"`
}

// Preset is a named value of a numeric expose.
type Preset struct {
	Name        string  `json:"name"`
	Value       float64 `json:"value"`
	Description string  `json:"description,omitempty"`
}

// Group is a Zigbee group with a friendly name. Names are unique across
// devices and groups (as in Zigbee2MQTT). Values returned by the hub are
// copies.
type Group struct {
	// ID is the Zigbee group id, 1–MaxGroupID.
	ID   uint16 `json:"id"`
	Name string `json:"friendly_name"`
	// Members are sorted by IEEE address, then endpoint.
	Members []GroupMember `json:"members"`
	// State is the group's last state: the values last set through the
	// group (optimistic: a groupcast is not confirmed), with "state"
	// following the members' on/off as in Zigbee2MQTT. Nil until either
	// happened.
	State map[string]any `json:"state,omitempty"`
}

// GroupMember is one device endpoint of a group.
type GroupMember struct {
	IEEE zigbee.IEEE `json:"ieee_address"`
	// Device is the member device's current friendly name.
	Device   string `json:"friendly_name"`
	Endpoint uint8  `json:"endpoint"`
}

// Event is something that happened in the hub, delivered to subscribers in
// order. It is one of the types below.
type Event interface{ hubEvent() }

// StateChanged reports new values of some properties of a device (the
// changed ones in Changed, the whole state in State).
type StateChanged struct {
	Device  string // friendly name
	IEEE    zigbee.IEEE
	Changed map[string]any
	State   map[string]any
	At      time.Time
}

// DeviceJoined reports a device that joined or announced itself.
type DeviceJoined struct {
	Device string
	IEEE   zigbee.IEEE
	NWK    zigbee.NWK
	New    bool // first time this device is seen
}

// InterviewProgress reports an interview step (started, a step done, successful, failed).
type InterviewProgress struct {
	Device    string
	IEEE      zigbee.IEEE
	Interview Interview
	// Definition is set when the interview succeeded.
	Definition *Definition
}

// DeviceLeft reports that a device left the network.
type DeviceLeft struct {
	Device string
	IEEE   zigbee.IEEE
}

// DeviceRemoved reports that a device was removed from the hub.
type DeviceRemoved struct {
	Device string
	IEEE   zigbee.IEEE
}

// DeviceRenamed reports a new friendly name.
type DeviceRenamed struct {
	From, To string
	IEEE     zigbee.IEEE
}

// AvailabilityChanged reports a device going online or offline.
type AvailabilityChanged struct {
	Device    string
	IEEE      zigbee.IEEE
	Available bool
}

// PermitJoinChanged reports joining opened or closed.
type PermitJoinChanged struct {
	Open  bool
	Until time.Time
	Via   string // "" = all routers
}

// NetworkChanged reports the coordinator's network going up or down.
type NetworkChanged struct {
	Up   bool
	Info zigbee.NetworkInfo
	Err  error
}

// GroupsChanged reports that a group was added, removed or renamed, or
// that its members changed (also when a member device was removed or
// renamed): re-read Groups.
type GroupsChanged struct{}

// GroupStateChanged reports a group's new state (the whole state; see
// Group.State).
type GroupStateChanged struct {
	Group string // the group's friendly name
	State map[string]any
}

func (StateChanged) hubEvent()        {}
func (DeviceJoined) hubEvent()        {}
func (InterviewProgress) hubEvent()   {}
func (DeviceLeft) hubEvent()          {}
func (DeviceRemoved) hubEvent()       {}
func (DeviceRenamed) hubEvent()       {}
func (AvailabilityChanged) hubEvent() {}
func (PermitJoinChanged) hubEvent()   {}
func (NetworkChanged) hubEvent()      {}
func (GroupsChanged) hubEvent()       {}
func (GroupStateChanged) hubEvent()   {}
