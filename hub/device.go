package hub

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// device is the hub's record of one device. All fields are guarded by
// Hub.mu. state is copy-on-write: a new map replaces it on every change,
// so the map handed to events and the persister is never modified.
type device struct {
	ieee         zigbee.IEEE
	nwk          zigbee.NWK
	name         string
	typ          string // "Router", "EndDevice", "Unknown"
	macCap       uint8  // MAC capability flags from the announce / node descriptor
	powerSource  uint8  // Basic powerSource
	manufacturer string
	modelID      string
	mfrCode      uint16
	swBuild      string
	dateCode     string
	endpoints    []Endpoint
	params       params
	disabled     bool

	interview     Interview
	lastStep      string // last completed interview step
	interviewing  bool
	interviewDone chan struct{} // closed when the running interview ends
	interviewEnd  time.Time     // when the last interview attempt ended

	m     *model // nil until the endpoints are known
	state map[string]any

	lastSeen  time.Time
	lqi       uint8
	available bool
	pingFails int
	nextPing  time.Time

	watches []*watch // Set calls collecting reported values
}

// mains reports whether the device is mains powered (routers always are).
func (d *device) mains() bool {
	if d.powerSource != 0 {
		return mainsPowered(d.powerSource)
	}
	return d.typ == "Router" || d.macCap&0x04 != 0
}

func (d *device) desc() deviceDesc {
	return deviceDesc{Manufacturer: d.manufacturer, Model: d.modelID, PowerSource: d.powerSource,
		Endpoints: d.endpoints, Params: d.params}
}

// rebuild derives the model again from what is known.
func (d *device) rebuild() {
	if len(d.endpoints) == 0 {
		d.m = nil
		return
	}
	d.m = cachedModel(d.desc())
}

// models caches derived models by description: a model is immutable once
// derived, so devices of the same type share one (a network of fifty
// identical bulbs holds one model). The cache is emptied when it holds
// maxCachedModels descriptions.
var models struct {
	sync.Mutex
	m map[string]*model
}

const maxCachedModels = 512

func cachedModel(desc deviceDesc) *model {
	key, err := json.Marshal(desc)
	if err != nil {
		return deriveModel(desc)
	}
	models.Lock()
	defer models.Unlock()
	if m, ok := models.m[string(key)]; ok {
		return m
	}
	if models.m == nil || len(models.m) >= maxCachedModels {
		models.m = map[string]*model{}
	}
	m := deriveModel(desc)
	models.m[string(key)] = m
	return m
}

// powerSourceNames are Zigbee2MQTT's names of the Basic powerSource values.
var powerSourceNames = map[uint8]string{
	0: "Unknown", 1: "Mains (single phase)", 2: "Mains (3 phase)", 3: "Battery", 4: "DC Source",
	5: "Emergency mains constantly powered", 6: "Emergency mains and transfer switch",
}

func (d *device) powerSourceName() string {
	if d.powerSource == 0 {
		if d.macCap&0x04 != 0 {
			return "Mains (single phase)"
		}
		return ""
	}
	if n, ok := powerSourceNames[d.powerSource&0x7F]; ok {
		return n
	}
	return fmt.Sprintf("Unknown (0x%02X)", d.powerSource)
}

// snapshot returns a deep copy of the public view.
func (d *device) snapshot() Device {
	out := Device{
		IEEE: d.ieee, NWK: d.nwk, FriendlyName: d.name, Type: d.typ, PowerSource: d.powerSourceName(),
		Manufacturer: d.manufacturer, Model: d.modelID, ManufacturerCode: d.mfrCode,
		SWBuild: d.swBuild, DateCode: d.dateCode, Interview: d.interview,
		State: cloneState(d.state), LastSeen: d.lastSeen, LinkQuality: d.lqi,
		Available: d.available, Disabled: d.disabled,
	}
	out.Endpoints = make([]Endpoint, len(d.endpoints))
	for i, e := range d.endpoints {
		e.InClusters = append([]zigbee.ClusterID(nil), e.InClusters...)
		e.OutClusters = append([]zigbee.ClusterID(nil), e.OutClusters...)
		out.Endpoints[i] = e
	}
	if d.m != nil {
		out.Definition = cloneDefinition(d.m.def)
	}
	return out
}

// cloneState copies a state map, including nested maps (color).
func cloneState(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		if m, ok := v.(map[string]any); ok {
			v = maps.Clone(m)
		}
		out[k] = v
	}
	return out
}

func cloneDefinition(d Definition) Definition {
	d.Exposes = cloneExposes(d.Exposes)
	return d
}

func cloneExposes(xs []Expose) []Expose {
	if xs == nil {
		return nil
	}
	out := make([]Expose, len(xs))
	for i, x := range xs {
		x.Values = append([]string(nil), x.Values...)
		x.Presets = append([]Preset(nil), x.Presets...)
		x.Features = cloneExposes(x.Features)
		out[i] = x
	}
	return out
}

// deviceData is the hub's JSON document for one device in the store.
type deviceData struct {
	Type             string     `json:"type"`
	MACCapabilities  uint8      `json:"mac_capabilities,omitempty"`
	PowerSource      uint8      `json:"power_source,omitempty"`
	Manufacturer     string     `json:"manufacturer,omitempty"`
	ModelID          string     `json:"model_id,omitempty"`
	ManufacturerCode uint16     `json:"manufacturer_code,omitempty"`
	SWBuild          string     `json:"software_build_id,omitempty"`
	DateCode         string     `json:"date_code,omitempty"`
	Endpoints        []Endpoint `json:"endpoints,omitempty"`
	Params           params     `json:"params"`
	Interview        Interview  `json:"interview"`
	InterviewStep    string     `json:"interview_completed_step,omitempty"`
	Disabled         bool       `json:"disabled,omitempty"`
}

// stored returns the store's view of the device.
func (d *device) stored() (StoredDevice, error) {
	data, err := json.Marshal(deviceData{
		Type: d.typ, MACCapabilities: d.macCap, PowerSource: d.powerSource, Manufacturer: d.manufacturer,
		ModelID: d.modelID, ManufacturerCode: d.mfrCode, SWBuild: d.swBuild, DateCode: d.dateCode,
		Endpoints: d.endpoints, Params: d.params, Interview: d.interview, InterviewStep: d.lastStep,
		Disabled: d.disabled,
	})
	if err != nil {
		return StoredDevice{}, err
	}
	sd := StoredDevice{IEEE: d.ieee, NWK: d.nwk, FriendlyName: d.name, Data: data}
	if d.m != nil {
		sd.Model, sd.Vendor = d.m.def.Model, d.m.def.Vendor
	} else {
		sd.Model, sd.Vendor = d.modelID, d.manufacturer
	}
	return sd, nil
}

// deviceFromStore rebuilds a device from its stored form.
func deviceFromStore(sd StoredDevice) (*device, error) {
	var dd deviceData
	if len(sd.Data) > 0 {
		if err := json.Unmarshal(sd.Data, &dd); err != nil {
			return nil, fmt.Errorf("device %v: data: %w", sd.IEEE, err)
		}
	}
	d := &device{
		ieee: sd.IEEE, nwk: sd.NWK, name: sd.FriendlyName, typ: dd.Type, macCap: dd.MACCapabilities,
		powerSource: dd.PowerSource, manufacturer: dd.Manufacturer, modelID: dd.ModelID,
		mfrCode: dd.ManufacturerCode, swBuild: dd.SWBuild, dateCode: dd.DateCode,
		endpoints: dd.Endpoints, params: dd.Params, interview: dd.Interview, lastStep: dd.InterviewStep,
		disabled: dd.Disabled, state: map[string]any{}, lastSeen: sd.StateAt,
	}
	if d.typ == "" {
		d.typ = "Unknown"
	}
	if d.name == "" {
		d.name = d.ieee.String()
	}
	if d.interview.State == "" {
		d.interview.State = InterviewPending
	}
	if len(sd.State) > 0 {
		var st map[string]any
		if err := json.Unmarshal(sd.State, &st); err != nil {
			return nil, fmt.Errorf("device %v: state: %w", sd.IEEE, err)
		}
		if lq, ok := st["linkquality"].(float64); ok {
			d.lqi = uint8(lq)
		}
		d.state = st
	}
	d.rebuild()
	return d, nil
}
