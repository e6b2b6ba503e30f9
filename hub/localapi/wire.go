package localapi

import (
	"fmt"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// The JSON shapes below are the local API's wire format, shared by the
// server, the Go client and the CLI's --json output. docs/cli.md documents
// them; fields are only ever added.

// Status is GET /localapi/v0/status and `zhub status --json`.
type Status struct {
	Daemon Daemon `json:"daemon"`
	// Coordinator is null while the daemon is starting (no hub yet).
	Coordinator *Coordinator `json:"coordinator"`
	Devices     DeviceCounts `json:"devices"`
	PermitJoin  PermitJoin   `json:"permit_join"`
	// Components are the daemon's parts as /health reports them
	// ("coordinator", "store", "mqtt", "llm", ...).
	Components map[string]Component `json:"components"`
}

// Daemon describes the running process.
type Daemon struct {
	Version string `json:"version"`
	PID     int    `json:"pid"`
	// State is "starting" until the hub is attached, then "running".
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	UptimeS   float64   `json:"uptime_s"`
	Socket    string    `json:"socket"`
}

// Daemon states.
const (
	StateStarting = "starting"
	StateRunning  = "running"
)

// Coordinator describes the Zigbee coordinator and its network.
type Coordinator struct {
	NetworkUp bool `json:"network_up"`
	// Error is why the network is down, if it is.
	Error         string `json:"error,omitempty"`
	Firmware      string `json:"firmware"` // product and revision, e.g. "Z-Stack 3.x.0 20230507"
	Stack         string `json:"stack"`    // "zstack" or "ember"
	Protocol      string `json:"protocol"` // e.g. "MT", "EZSP v13"
	Channel       int    `json:"channel"`
	PANID         string `json:"pan_id"`          // "0x1A62"
	ExtendedPANID string `json:"extended_pan_id"` // "0xdddddddddddddddd"
	IEEE          string `json:"ieee_address"`
}

// DeviceCounts summarises the registry.
type DeviceCounts struct {
	Total        int `json:"total"`
	Online       int `json:"online"`
	Interviewing int `json:"interviewing"`
}

// PermitJoin is whether devices may join now.
type PermitJoin struct {
	Open bool `json:"open"`
	// Until is when joining closes (absent when closed).
	Until time.Time `json:"until,omitzero"`
	// Via is the router that alone admits devices ("" = every router).
	Via string `json:"via,omitempty"`
}

// Component is one part of the daemon as /health reports it.
type Component struct {
	State  string         `json:"state"` // "ok", "starting", "degraded", "error", "disabled"
	Error  string         `json:"error,omitempty"`
	Since  time.Time      `json:"since,omitzero"`
	Detail map[string]any `json:"detail,omitempty"`
}

// Device is one device: `zhub devices --json` (a list) and `zhub device
// show --json`. Names follow Zigbee2MQTT's bridge/devices.
type Device struct {
	FriendlyName     string `json:"friendly_name"`
	IEEE             string `json:"ieee_address"`    // "0x00124b00a1c00007"
	NWK              string `json:"network_address"` // "0x3A1F"
	Type             string `json:"type"`            // "Router", "EndDevice", "Coordinator", "Unknown"
	PowerSource      string `json:"power_source,omitempty"`
	Manufacturer     string `json:"manufacturer,omitempty"`
	ModelID          string `json:"model_id,omitempty"`
	SoftwareBuildID  string `json:"software_build_id,omitempty"`
	DateCode         string `json:"date_code,omitempty"`
	ManufacturerCode int    `json:"manufacturer_code,omitempty"`
	// Definition is null until the interview has derived it.
	Definition  *hub.Definition `json:"definition"`
	Interview   hub.Interview   `json:"interview"`
	State       map[string]any  `json:"state"`
	LastSeen    time.Time       `json:"last_seen,omitzero"`
	LinkQuality int             `json:"linkquality"`
	Available   bool            `json:"available"`
	Disabled    bool            `json:"disabled,omitempty"`
	Endpoints   []Endpoint      `json:"endpoints"`
}

// Endpoint is one application endpoint; clusters by herdsman name
// ("genOnOff"), or "0xXXXX" when unknown.
type Endpoint struct {
	ID             int      `json:"id"`
	ProfileID      string   `json:"profile_id"` // "0x0104"
	DeviceID       string   `json:"device_id"`  // "0x0100"
	InputClusters  []string `json:"input_clusters"`
	OutputClusters []string `json:"output_clusters"`
}

// DeviceFrom converts the hub's snapshot to the wire shape.
func DeviceFrom(d hub.Device) Device {
	out := Device{
		FriendlyName: d.FriendlyName, IEEE: d.IEEE.String(), NWK: d.NWK.String(), Type: d.Type,
		PowerSource: d.PowerSource, Manufacturer: d.Manufacturer, ModelID: d.Model,
		SoftwareBuildID: d.SWBuild, DateCode: d.DateCode, ManufacturerCode: int(d.ManufacturerCode),
		Interview: d.Interview, State: d.State, LastSeen: d.LastSeen, LinkQuality: int(d.LinkQuality),
		Available: d.Available, Disabled: d.Disabled, Endpoints: []Endpoint{},
	}
	if out.State == nil {
		out.State = map[string]any{}
	}
	if d.Definition.Model != "" || len(d.Definition.Exposes) > 0 {
		def := d.Definition
		out.Definition = &def
	}
	for _, e := range d.Endpoints {
		out.Endpoints = append(out.Endpoints, Endpoint{
			ID: int(e.ID), ProfileID: fmt.Sprintf("0x%04X", uint16(e.Profile)), DeviceID: fmt.Sprintf("0x%04X", e.DeviceID),
			InputClusters: clusterNames(e.InClusters), OutputClusters: clusterNames(e.OutClusters),
		})
	}
	return out
}

func clusterNames(ids []zigbee.ClusterID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = zcl.ClusterName(id)
	}
	return out
}

// coordinatorFrom converts the hub's status.
func coordinatorFrom(s hub.Status) *Coordinator {
	n := s.Network
	c := &Coordinator{NetworkUp: s.NetworkUp, Error: s.NetworkError,
		Stack: n.Firmware.Stack, Protocol: n.Firmware.Protocol, Channel: int(n.Channel)}
	c.Firmware = n.Firmware.Product
	if n.Firmware.Revision != "" {
		c.Firmware += " " + n.Firmware.Revision
	}
	if n.IEEE != 0 {
		c.PANID, c.ExtendedPANID, c.IEEE = n.PANID.String(), n.ExtPANID.String(), n.IEEE.String()
	}
	return c
}

// NameRequest names a device: POST device/interview.
type NameRequest struct {
	Device string `json:"device"`
}

// RenameRequest is POST device/rename.
type RenameRequest struct {
	Device string `json:"device"`
	To     string `json:"to"`
}

// RemoveRequest is POST device/remove.
type RemoveRequest struct {
	Device string `json:"device"`
	Force  bool   `json:"force,omitempty"`
}

// RemoveResult is the answer to POST device/remove.
type RemoveResult struct {
	Removed string `json:"removed"` // the friendly name
	IEEE    string `json:"ieee_address"`
	Forced  bool   `json:"forced"`
}

// GetRequest is POST device/get; no properties means every readable one.
type GetRequest struct {
	Device     string   `json:"device"`
	Properties []string `json:"properties,omitempty"`
}

// SetRequest is POST device/set. Values are Zigbee2MQTT payload values
// ({"state":"ON","brightness":127}).
type SetRequest struct {
	Device string         `json:"device"`
	Values map[string]any `json:"values"`
}

// StateResult answers get and set: the values the device reported.
type StateResult struct {
	Device string         `json:"device"`
	State  map[string]any `json:"state"`
}

// PermitJoinRequest is POST permit_join: DurationS 0 closes joining.
type PermitJoinRequest struct {
	DurationS int    `json:"duration_s"`
	Via       string `json:"via,omitempty"`
}

// PairRequest is POST pair: open joining for DurationS (default 120, at
// most 254), optionally only through the router Via, and stream pairing
// events until Count interviews finished (0: until joining closes and the
// interviews it started are over) or the client goes away. Joining is
// closed when the stream ends, whatever ended it.
type PairRequest struct {
	DurationS int    `json:"duration_s,omitempty"`
	Via       string `json:"via,omitempty"`
	Count     int    `json:"count,omitempty"`
}

// Event types on the event and pair streams.
const (
	EventDeviceJoined  = "device_joined"
	EventInterview     = "interview"
	EventState         = "state"
	EventDeviceLeft    = "device_left"
	EventDeviceRemoved = "device_removed"
	EventDeviceRenamed = "device_renamed"
	EventAvailability  = "availability"
	EventPermitJoin    = "permit_join"
	EventNetwork       = "network"
	EventRejected      = "message_rejected"
	// EventDropped reports events this stream lost because it read too
	// slowly; re-read what matters (devices, status).
	EventDropped = "dropped"
	// EventPairDone ends a pair stream (Reason says why).
	EventPairDone = "pair_done"
)

// Pair end reasons.
const (
	PairCount    = "count"    // Count interviews finished
	PairClosed   = "closed"   // joining closed and no interview is left
	PairCanceled = "canceled" // the client stopped (not seen by that client)
	PairStopped  = "stopped"  // the daemon is stopping
)

// Event is one line of an NDJSON event stream (GET events, POST pair).
// Type says which fields are set; see docs/cli.md.
type Event struct {
	Type   string    `json:"type"`
	Time   time.Time `json:"time"`
	Device string    `json:"device,omitempty"` // friendly name
	IEEE   string    `json:"ieee_address,omitempty"`
	NWK    string    `json:"network_address,omitempty"`
	// New: device_joined of a device never seen before.
	New bool `json:"new,omitempty"`
	// Interview: interview (Step is the step started; state SUCCESSFUL or
	// FAILED ends it) and device_joined of a known device.
	Interview *hub.Interview `json:"interview,omitempty"`
	// Definition: interview SUCCESSFUL — model, vendor, exposes.
	Definition *hub.Definition `json:"definition,omitempty"`
	// Changed and State: state.
	Changed map[string]any `json:"changed,omitempty"`
	State   map[string]any `json:"state,omitempty"`
	// From and To: device_renamed.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Available: availability.
	Available *bool `json:"available,omitempty"`
	// PermitJoin: permit_join.
	PermitJoin *PermitJoin `json:"permit_join,omitempty"`
	// Coordinator: network.
	Coordinator *Coordinator `json:"coordinator,omitempty"`
	// Error: network down, message_rejected.
	Error string `json:"error,omitempty"`
	// Dropped: dropped (total so far on this stream).
	Dropped uint64 `json:"dropped,omitempty"`
	// Reason and Interviewed: pair_done.
	Reason      string `json:"reason,omitempty"`
	Interviewed int    `json:"interviewed,omitempty"`
}

// EventFrom converts a hub event; ok is false for events with no wire form.
func EventFrom(e hub.Event, at time.Time) (Event, bool) {
	ev := Event{Time: at}
	switch e := e.(type) {
	case hub.DeviceJoined:
		ev.Type, ev.Device, ev.IEEE, ev.NWK, ev.New = EventDeviceJoined, e.Device, e.IEEE.String(), e.NWK.String(), e.New
	case hub.InterviewProgress:
		iv := e.Interview
		ev.Type, ev.Device, ev.IEEE, ev.Interview, ev.Definition = EventInterview, e.Device, e.IEEE.String(), &iv, e.Definition
	case hub.StateChanged:
		ev.Type, ev.Device, ev.IEEE, ev.Changed, ev.State = EventState, e.Device, e.IEEE.String(), e.Changed, e.State
		if !e.At.IsZero() {
			ev.Time = e.At
		}
	case hub.DeviceLeft:
		ev.Type, ev.Device, ev.IEEE = EventDeviceLeft, e.Device, e.IEEE.String()
	case hub.DeviceRemoved:
		ev.Type, ev.Device, ev.IEEE = EventDeviceRemoved, e.Device, e.IEEE.String()
	case hub.DeviceRenamed:
		ev.Type, ev.Device, ev.IEEE, ev.From, ev.To = EventDeviceRenamed, e.To, e.IEEE.String(), e.From, e.To
	case hub.AvailabilityChanged:
		a := e.Available
		ev.Type, ev.Device, ev.IEEE, ev.Available = EventAvailability, e.Device, e.IEEE.String(), &a
	case hub.PermitJoinChanged:
		ev.Type, ev.PermitJoin = EventPermitJoin, &PermitJoin{Open: e.Open, Until: e.Until, Via: e.Via}
	case hub.NetworkChanged:
		ev.Type = EventNetwork
		ev.Coordinator = coordinatorFrom(hub.Status{NetworkUp: e.Up, Network: e.Info})
		if e.Err != nil {
			ev.Error = e.Err.Error()
			ev.Coordinator.Error = ev.Error
		}
	case hub.MessageRejected:
		ev.Type, ev.Device, ev.IEEE = EventRejected, e.Device, e.IEEE.String()
		if e.Err != nil {
			ev.Error = e.Err.Error()
		}
	default:
		return Event{}, false
	}
	return ev, true
}

// TokenRequest is POST tokens (create) and POST tokens/revoke.
type TokenRequest struct {
	Name string `json:"name"`
}

// NewToken answers POST tokens: the secret, shown this once.
type NewToken struct {
	Name      string    `json:"name"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is one entry of GET tokens (never a secret).
type Token struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// RevokeResult answers POST tokens/revoke.
type RevokeResult struct {
	Revoked string `json:"revoked"`
}

// RestoreResult answers POST restore.
type RestoreResult struct {
	Restored      bool   `json:"restored"`
	Channel       int    `json:"channel"`
	PANID         string `json:"pan_id"`
	ExtendedPANID string `json:"extended_pan_id"`
	Devices       int    `json:"devices"`
}

// LogRecord is one line of GET logs: a daemon log record.
type LogRecord struct {
	Time   time.Time      `json:"time"`
	Level  string         `json:"level"` // "DEBUG", "INFO", "WARN", "ERROR"
	Msg    string         `json:"msg"`
	Module string         `json:"module,omitempty"`
	Event  string         `json:"event,omitempty"`
	Attrs  map[string]any `json:"attrs,omitempty"`

	seq uint64 // position in the ring, to drop duplicates when following
}

// ChatRequest is POST chat. Conversation, when set, continues an earlier
// exchange (the interactive prompt sends the id the first answer gave).
type ChatRequest struct {
	Text         string `json:"text"`
	Conversation string `json:"conversation,omitempty"`
}

// Chat chunk types. A chat stream is text, metadata and image chunks in
// order, ended by exactly one complete or error chunk.
const (
	ChunkText     = "text"
	ChunkMetadata = "metadata"
	ChunkImage    = "image"
	ChunkComplete = "complete"
	ChunkError    = "error"
)

// ChatChunk is one line of a chat stream.
type ChatChunk struct {
	Type     string         `json:"type"`
	Text     string         `json:"text,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
	Image    *ChatImage     `json:"image,omitempty"`
	// Conversation (on complete) identifies the exchange to continue.
	Conversation string `json:"conversation,omitempty"`
	// Error and Code (on error) say why the answer stopped.
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// ChatImage is a picture in a chat answer (a chart, for instance).
type ChatImage struct {
	MIMEType string `json:"mime_type"`
	Title    string `json:"title,omitempty"`
	Data     []byte `json:"data"` // base64 in JSON
}

// ErrorBody is the body of every non-2xx answer.
type ErrorBody struct {
	Error string `json:"error"`
	// Code is a stable machine-readable reason (see the Code constants).
	Code string `json:"code"`
	// Suggestion is a close device, group or property name ("did you mean").
	Suggestion string `json:"suggestion,omitempty"`
}
