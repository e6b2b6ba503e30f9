package hub

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// This file derives a device's capabilities generically from its clusters:
// the Zigbee2MQTT-style exposes (what the outside world sees) and, from the
// same table, the compiled model (which attribute becomes which property,
// which command a property needs, what to bind and report).

// deviceDesc is what derivation works from: interview results.
type deviceDesc struct {
	Manufacturer string
	Model        string
	PowerSource  uint8 // Basic powerSource (0 unknown, 1/2/4/5/6 mains, 3 battery)
	Endpoints    []Endpoint
	Params       params
}

// attrKey identifies an incoming attribute. ep 0 matches any endpoint
// (capabilities a device has once); multi-endpoint capabilities are keyed
// by their endpoint.
type attrKey struct {
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
	attr    zcl.AttributeID
}

// attrRule maps an attribute to one state property. sub, when set, makes
// the property a map (e.g. "color") and names the key inside it.
type attrRule struct {
	prop string
	sub  string
	conv convFunc
}

// prop is one exposed property and how to read or set it.
type prop struct {
	name    string // property, with endpoint suffix
	base    string // without suffix
	suffix  string // "" or "_l2"
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
	attrs   []zcl.AttributeID // read by Get and to confirm a Set
	expose  *Expose           // the generic expose describing values and access
	set     setFunc           // nil: not settable
}

// reportCfg is one attribute reporting configuration the interview applies
// after binding the cluster to the coordinator.
type reportCfg struct {
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
	attr    zcl.AttributeID
	min     uint16
	max     uint16
	change  float64
}

type epCluster struct {
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
}

// model is a device's compiled definition.
type model struct {
	def       Definition
	props     map[string]*prop
	incoming  map[attrKey][]attrRule
	actions   map[epCluster]string // client clusters that send commands → action suffix
	binds     []epCluster          // clusters to bind to the coordinator
	reporting []reportCfg
	iasZones  []zigbee.Endpoint // IAS zone endpoints to enrol
	quirk     *quirk
}

// rule looks up the rules of an incoming attribute: exact endpoint first,
// then the any-endpoint entries.
func (m *model) rules(ep zigbee.Endpoint, c zigbee.ClusterID, a zcl.AttributeID) []attrRule {
	if r, ok := m.incoming[attrKey{ep, c, a}]; ok {
		return r
	}
	return m.incoming[attrKey{0, c, a}]
}

// Reporting intervals (min s, max s, reportable change in attribute units)
// are those of zigbee-herdsman-converters src/lib/reporting.ts (repInterval
// HOUR = 3600, MAX = 62000), which Zigbee2MQTT applies when it configures a
// device.
var reportingDefaults = map[zigbee.ClusterID]map[zcl.AttributeID][3]float64{
	zcl.ClusterOnOff:                 {0x0000: {0, 3600, 0}},
	zcl.ClusterLevelControl:          {0x0000: {1, 3600, 1}},
	zcl.ClusterColorControl:          {0x0007: {0, 3600, 1}, 0x0003: {0, 3600, 1}, 0x0004: {0, 3600, 1}},
	zcl.ClusterTemperature:           {0x0000: {10, 3600, 100}},
	zcl.ClusterHumidity:              {0x0000: {10, 3600, 100}},
	zcl.ClusterPressure:              {0x0000: {10, 3600, 5}},
	zcl.ClusterIlluminance:           {0x0000: {10, 3600, 5}},
	zcl.ClusterOccupancy:             {0x0000: {0, 3600, 0}},
	zcl.ClusterPowerConfig:           {0x0021: {3600, 62000, 0}, 0x0020: {3600, 62000, 0}},
	zcl.ClusterMetering:              {0x0000: {5, 3600, 257}, 0x0400: {5, 3600, 1}},
	zcl.ClusterElectricalMeasurement: {0x050B: {5, 3600, 1}, 0x0505: {5, 3600, 1}, 0x0508: {5, 3600, 1}},
	zcl.ClusterDoorLock:              {0x0000: {0, 3600, 0}},
	zcl.ClusterWindowCovering:        {0x0008: {1, 62000, 1}},
	zcl.ClusterThermostat:            {0x0000: {0, 3600, 10}, 0x0012: {0, 3600, 10}, 0x001C: {10, 3600, 0}},
	zcl.ClusterFanControl:            {0x0000: {0, 3600, 0}},
}

// Device ids (Zigbee Home Automation 1.2 and Zigbee Light Link 1.0 device
// tables). Zigbee 3.0 devices mix both id spaces on the HA profile.
var (
	lightDeviceIDs = map[uint16]bool{
		0x0100: true, 0x0101: true, 0x0102: true, 0x010C: true, 0x010D: true, // HA lights
		0x0200: true, 0x0210: true, 0x0220: true, // ZLL colour, extended colour, colour temperature lights
	}
	controllerDeviceIDs = map[uint16]bool{
		0x0001: true, 0x0006: true, 0x0103: true, 0x0104: true, 0x0105: true, // HA switches and remotes
		0x0800: true, 0x0810: true, 0x0820: true, 0x0830: true, // ZLL controllers
	}
)

func isLightEndpoint(e Endpoint) bool {
	if lightDeviceIDs[e.DeviceID] {
		return true
	}
	// ZLL profile id 0x0000 is an on/off light (HA 0x0000 is a switch).
	return e.Profile == zigbee.ProfileZLL && e.DeviceID == 0x0000
}

func isController(e Endpoint) bool {
	if controllerDeviceIDs[e.DeviceID] {
		return true
	}
	return e.Profile == zigbee.ProfileHA && e.DeviceID == 0x0000
}

// mainsPowered reports whether the Basic power source says mains.
func mainsPowered(ps uint8) bool {
	switch ps & 0x7F { // bit 7 = secondary battery backup
	case 1, 2, 4, 5, 6:
		return true
	}
	return false
}

func f64p(f float64) *float64 { return &f }

// Builders of generic exposes (Zigbee2MQTT names, labels and units).
func numericExpose(name, label, unit string, access int, lo, hi *float64) Expose {
	return Expose{Type: "numeric", Name: name, Label: label, Property: name, Access: access, Unit: unit, ValueMin: lo, ValueMax: hi}
}

func binaryExpose(name, label string, access int, on, off any) Expose {
	return Expose{Type: "binary", Name: name, Label: label, Property: name, Access: access, ValueOn: on, ValueOff: off}
}

func enumExpose(name, label string, access int, values []string) Expose {
	return Expose{Type: "enum", Name: name, Label: label, Property: name, Access: access, Values: values}
}

// builder accumulates one device's model.
type builder struct {
	m    *model
	desc deviceDesc
	q    *quirk
	// suffix per capability kind and endpoint, for multi-endpoint devices.
	counts map[string]int
}

// capability kinds of a server cluster on an endpoint, used to decide when
// properties need an endpoint suffix.
func endpointKinds(e Endpoint, ignore func(zigbee.ClusterID) bool) []string {
	var kinds []string
	has := func(c zigbee.ClusterID) bool { return slices.Contains(e.InClusters, c) && !ignore(c) }
	switch {
	case has(zcl.ClusterOnOff) && (has(zcl.ClusterLevelControl) || has(zcl.ClusterColorControl) || isLightEndpoint(e)):
		kinds = append(kinds, "light")
	case has(zcl.ClusterOnOff):
		kinds = append(kinds, "switch")
	case has(zcl.ClusterLevelControl):
		kinds = append(kinds, "light")
	}
	for _, c := range []zigbee.ClusterID{zcl.ClusterWindowCovering, zcl.ClusterDoorLock, zcl.ClusterThermostat,
		zcl.ClusterFanControl, zcl.ClusterTemperature, zcl.ClusterHumidity, zcl.ClusterPressure,
		zcl.ClusterIlluminance, zcl.ClusterOccupancy, zcl.ClusterIASZone, zcl.ClusterMetering,
		zcl.ClusterElectricalMeasurement} {
		if has(c) {
			kinds = append(kinds, c.String())
		}
	}
	return kinds
}

// deriveModel builds the model of a device from its description. It is
// pure: the same description gives the same model.
func deriveModel(desc deviceDesc) *model {
	q := findQuirk(desc.Manufacturer, desc.Model)
	if q != nil && q.params != nil {
		q.params(&desc.Params)
	}
	b := &builder{
		m: &model{
			props:    map[string]*prop{},
			incoming: map[attrKey][]attrRule{},
			actions:  map[epCluster]string{},
			quirk:    q,
		},
		desc:   desc,
		q:      q,
		counts: map[string]int{},
	}
	ignore := func(c zigbee.ClusterID) bool { return q != nil && slices.Contains(q.ignoreClusters, c) }
	eps := appEndpoints(desc.Endpoints)
	for _, e := range eps {
		for _, k := range endpointKinds(e, ignore) {
			b.counts[k]++
		}
	}
	var specific, generic []Expose
	for _, e := range eps {
		s, g := b.endpoint(e, ignore)
		specific = append(specific, s...)
		generic = append(generic, g...)
	}
	if q != nil {
		g := b.quirkAttrs(q)
		generic = append(generic, g...)
	}
	if x, ok := b.actionExpose(); ok {
		generic = append(generic, x)
		b.m.props["action"] = &prop{name: "action", base: "action"}
	}
	b.battery(eps, ignore, &generic)
	lq := numericExpose("linkquality", "Linkquality", "lqi", AccessState, f64p(0), f64p(255))
	lq.Description = "Link quality (signal strength)"
	lq.Category = "diagnostic"
	exposes := append(specific, generic...)
	exposes = append(exposes, lq)
	b.m.props["linkquality"] = &prop{name: "linkquality", base: "linkquality"}

	d := Definition{Model: desc.Model, Vendor: desc.Manufacturer, Exposes: exposes, Source: "generic",
		Description: describe(exposes)}
	if q != nil {
		d.Source = "quirk"
		if q.model != "" {
			d.Model = q.model
		}
		if q.vendor != "" {
			d.Vendor = q.vendor
		}
		if q.description != "" {
			d.Description = q.description
		}
	}
	b.m.def = d
	b.index()
	return b.m
}

// appEndpoints returns the application endpoints (Green Power and
// endpoints without a profile carry no capabilities), sorted by id.
func appEndpoints(eps []Endpoint) []Endpoint {
	var out []Endpoint
	for _, e := range eps {
		if e.Profile == zigbee.ProfileGP || e.ID == 0 || e.ID > 240 {
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// suffix returns the property suffix of capability kind k on endpoint e:
// "" when the device has it once, "_l<ep>" otherwise (Zigbee2MQTT's
// endpoint-name convention, with the endpoint number as the name).
func (b *builder) suffix(kind string, e Endpoint) (string, string) {
	if b.counts[kind] <= 1 {
		return "", ""
	}
	name := "l" + strconv.Itoa(int(e.ID))
	return "_" + name, name
}

// add registers an expose feature as a property and returns it.
func (b *builder) add(x *Expose, ep zigbee.Endpoint, cluster zigbee.ClusterID, attrs []zcl.AttributeID, set setFunc) {
	if x.Access&AccessSet == 0 {
		set = nil
	}
	base := strings.TrimSuffix(x.Property, "_"+x.Endpoint)
	sfx := ""
	if x.Endpoint != "" {
		sfx = "_" + x.Endpoint
	}
	b.m.props[x.Property] = &prop{name: x.Property, base: base, suffix: sfx, ep: ep, cluster: cluster, attrs: attrs, set: set}
}

// in registers an incoming attribute rule.
func (b *builder) in(ep zigbee.Endpoint, sfx string, c zigbee.ClusterID, a zcl.AttributeID, prop, sub, conv string) {
	if sfx == "" {
		ep = 0
	}
	fn := conversions[conv]
	if fn == nil {
		panic("hub: unknown conversion " + conv)
	}
	k := attrKey{ep, c, a}
	b.m.incoming[k] = append(b.m.incoming[k], attrRule{prop: prop + sfx, sub: sub, conv: fn})
}

// report adds the binding and the reporting of attributes of a cluster.
func (b *builder) report(ep zigbee.Endpoint, c zigbee.ClusterID, attrs ...zcl.AttributeID) {
	ec := epCluster{ep, c}
	if !slices.Contains(b.m.binds, ec) {
		b.m.binds = append(b.m.binds, ec)
	}
	for _, a := range attrs {
		r, ok := reportingDefaults[c][a]
		if !ok {
			continue
		}
		b.m.reporting = append(b.m.reporting, reportCfg{ep: ep, cluster: c, attr: a, min: uint16(r[0]), max: uint16(r[1]), change: r[2]})
	}
}

func withEndpoint(x Expose, sfx, name string) Expose {
	if sfx != "" {
		x.Property += sfx
		x.Endpoint = name
	}
	return x
}

// endpoint derives the exposes of one endpoint: specific ones (light,
// switch, cover, lock, climate, fan) and generic sensors.
func (b *builder) endpoint(e Endpoint, ignore func(zigbee.ClusterID) bool) (specific, generic []Expose) {
	has := func(c zigbee.ClusterID) bool { return slices.Contains(e.InClusters, c) && !ignore(c) }
	hasOut := func(c zigbee.ClusterID) bool { return slices.Contains(e.OutClusters, c) && !ignore(c) }
	p := b.desc.Params
	ep := e.ID

	// Lights and switches.
	if has(zcl.ClusterOnOff) || has(zcl.ClusterLevelControl) {
		kind := "switch"
		if has(zcl.ClusterLevelControl) || has(zcl.ClusterColorControl) || isLightEndpoint(e) {
			kind = "light"
		}
		sfx, epName := b.suffix(kind, e)
		var features []Expose
		if has(zcl.ClusterOnOff) {
			st := binaryExpose("state", "State", AccessState|AccessSet|AccessGet, "ON", "OFF")
			st.ValueToggle = "TOGGLE"
			st.Description = "On/off state of this " + kind
			features = append(features, withEndpoint(st, sfx, epName))
			b.in(ep, sfx, zcl.ClusterOnOff, 0x0000, "state", "", "on_off")
			b.report(ep, zcl.ClusterOnOff, 0x0000)
		}
		if has(zcl.ClusterLevelControl) {
			br := numericExpose("brightness", "Brightness", "", AccessState|AccessSet|AccessGet, f64p(0), f64p(254))
			br.Description = "Brightness of this light"
			features = append(features, withEndpoint(br, sfx, epName))
			b.in(ep, sfx, zcl.ClusterLevelControl, 0x0000, "brightness", "", "brightness")
			b.report(ep, zcl.ClusterLevelControl, 0x0000)
		}
		if has(zcl.ClusterColorControl) {
			features = append(features, b.color(e, sfx, epName, p)...)
		}
		x := Expose{Type: kind, Features: features, Endpoint: epName}
		specific = append(specific, x)
		for i := range x.Features {
			f := &x.Features[i]
			switch f.Name {
			case "state":
				b.add(f, ep, zcl.ClusterOnOff, []zcl.AttributeID{0x0000}, setOnOff)
			case "brightness":
				b.add(f, ep, zcl.ClusterLevelControl, []zcl.AttributeID{0x0000}, setBrightness)
			case "color_temp":
				b.add(f, ep, zcl.ClusterColorControl, []zcl.AttributeID{0x0007}, setColorTemp)
			case "color_xy":
				b.add(f, ep, zcl.ClusterColorControl, []zcl.AttributeID{0x0003, 0x0004}, setColor)
			case "color_hs":
				if _, dup := b.m.props[f.Property]; !dup {
					b.add(f, ep, zcl.ClusterColorControl, []zcl.AttributeID{0x0000, 0x0001}, setColor)
				} else {
					pr := b.m.props[f.Property]
					pr.attrs = append(pr.attrs, 0x0000, 0x0001)
				}
			}
		}
	}

	if has(zcl.ClusterWindowCovering) {
		sfx, epName := b.suffix(zcl.ClusterWindowCovering.String(), e)
		st := enumExpose("state", "State", AccessState|AccessSet, []string{"OPEN", "CLOSE", "STOP"})
		pos := numericExpose("position", "Position", "%", AccessState|AccessSet|AccessGet, f64p(0), f64p(100))
		pos.Description = "Position of this cover (100 = open)"
		x := Expose{Type: "cover", Endpoint: epName, Features: []Expose{withEndpoint(st, sfx, epName), withEndpoint(pos, sfx, epName)}}
		specific = append(specific, x)
		b.add(&x.Features[0], ep, zcl.ClusterWindowCovering, nil, setCover)
		b.add(&x.Features[1], ep, zcl.ClusterWindowCovering, []zcl.AttributeID{0x0008}, setCoverPosition)
		b.in(ep, sfx, zcl.ClusterWindowCovering, 0x0008, "position", "", "position")
		b.report(ep, zcl.ClusterWindowCovering, 0x0008)
	}

	if has(zcl.ClusterDoorLock) {
		sfx, epName := b.suffix(zcl.ClusterDoorLock.String(), e)
		st := binaryExpose("state", "State", AccessState|AccessSet|AccessGet, "LOCK", "UNLOCK")
		st.Description = "State of the lock"
		ls := enumExpose("lock_state", "Lock state", AccessState|AccessGet, []string{"not_fully_locked", "locked", "unlocked"})
		ls.Description = "Actual state of the lock"
		x := Expose{Type: "lock", Endpoint: epName, Features: []Expose{withEndpoint(st, sfx, epName), withEndpoint(ls, sfx, epName)}}
		specific = append(specific, x)
		b.add(&x.Features[0], ep, zcl.ClusterDoorLock, []zcl.AttributeID{0x0000}, setLock)
		b.add(&x.Features[1], ep, zcl.ClusterDoorLock, []zcl.AttributeID{0x0000}, nil)
		b.in(ep, sfx, zcl.ClusterDoorLock, 0x0000, "state", "", "lock")
		b.in(ep, sfx, zcl.ClusterDoorLock, 0x0000, "lock_state", "", "lock_state")
		b.report(ep, zcl.ClusterDoorLock, 0x0000)
	}

	if has(zcl.ClusterThermostat) {
		sfx, epName := b.suffix(zcl.ClusterThermostat.String(), e)
		lt := numericExpose("local_temperature", "Local temperature", "°C", AccessState|AccessGet, nil, nil)
		lt.Description = "Current temperature measured by the thermostat"
		sp := numericExpose("occupied_heating_setpoint", "Occupied heating setpoint", "°C", AccessState|AccessSet|AccessGet, f64p(5), f64p(30))
		sp.ValueStep = f64p(0.5)
		sp.Description = "Temperature setpoint"
		sm := enumExpose("system_mode", "System mode", AccessState|AccessSet|AccessGet, []string{"off", "auto", "cool", "heat"})
		sm.Description = "Mode of the thermostat"
		x := Expose{Type: "climate", Endpoint: epName, Features: []Expose{withEndpoint(lt, sfx, epName), withEndpoint(sp, sfx, epName), withEndpoint(sm, sfx, epName)}}
		specific = append(specific, x)
		b.add(&x.Features[0], ep, zcl.ClusterThermostat, []zcl.AttributeID{0x0000}, nil)
		b.add(&x.Features[1], ep, zcl.ClusterThermostat, []zcl.AttributeID{0x0012}, setWriteAttr(0x0012, zcl.TypeInt16, 100))
		b.add(&x.Features[2], ep, zcl.ClusterThermostat, []zcl.AttributeID{0x001C}, setWriteEnum(0x001C, systemModes))
		b.in(ep, sfx, zcl.ClusterThermostat, 0x0000, "local_temperature", "", "local_temperature")
		b.in(ep, sfx, zcl.ClusterThermostat, 0x0012, "occupied_heating_setpoint", "", "occupied_heating_setpoint")
		b.in(ep, sfx, zcl.ClusterThermostat, 0x001C, "system_mode", "", "system_mode")
		b.report(ep, zcl.ClusterThermostat, 0x0000, 0x0012, 0x001C)
	}

	if has(zcl.ClusterFanControl) {
		sfx, epName := b.suffix(zcl.ClusterFanControl.String(), e)
		fm := enumExpose("fan_mode", "Fan mode", AccessState|AccessSet|AccessGet, []string{"off", "low", "medium", "high", "on", "auto", "smart"})
		fm.Description = "Mode of the fan"
		x := Expose{Type: "fan", Endpoint: epName, Features: []Expose{withEndpoint(fm, sfx, epName)}}
		specific = append(specific, x)
		b.add(&x.Features[0], ep, zcl.ClusterFanControl, []zcl.AttributeID{0x0000}, setWriteEnum(0x0000, fanModes))
		b.in(ep, sfx, zcl.ClusterFanControl, 0x0000, "fan_mode", "", "fan_mode")
		b.report(ep, zcl.ClusterFanControl, 0x0000)
	}

	// Measurements.
	sensor := func(c zigbee.ClusterID, name, label, unit, conv, desc string, lo, hi *float64, access int) {
		if !has(c) {
			return
		}
		sfx, epName := b.suffix(c.String(), e)
		x := withEndpoint(numericExpose(name, label, unit, access, lo, hi), sfx, epName)
		x.Description = desc
		generic = append(generic, x)
		b.add(&generic[len(generic)-1], ep, c, []zcl.AttributeID{0x0000}, nil)
		b.in(ep, sfx, c, 0x0000, name, "", conv)
		b.report(ep, c, 0x0000)
	}
	sensor(zcl.ClusterTemperature, "temperature", "Temperature", "°C", "temperature", "Measured temperature value", nil, nil, AccessState|AccessGet)
	sensor(zcl.ClusterHumidity, "humidity", "Humidity", "%", "humidity", "Measured relative humidity", f64p(0), f64p(100), AccessState|AccessGet)
	sensor(zcl.ClusterPressure, "pressure", "Pressure", "hPa", "pressure", "The measured atmospheric pressure", nil, nil, AccessState|AccessGet)
	sensor(zcl.ClusterIlluminance, "illuminance", "Illuminance", "lx", "illuminance", "Measured illuminance", nil, nil, AccessState|AccessGet)
	if has(zcl.ClusterOccupancy) {
		sfx, epName := b.suffix(zcl.ClusterOccupancy.String(), e)
		x := withEndpoint(binaryExpose("occupancy", "Occupancy", AccessState, true, false), sfx, epName)
		x.Description = "Indicates whether the device detected occupancy"
		generic = append(generic, x)
		b.add(&generic[len(generic)-1], ep, zcl.ClusterOccupancy, []zcl.AttributeID{0x0000}, nil)
		b.in(ep, sfx, zcl.ClusterOccupancy, 0x0000, "occupancy", "", "occupancy")
		b.report(ep, zcl.ClusterOccupancy, 0x0000)
	}
	if has(zcl.ClusterIASZone) {
		generic = append(generic, b.iasZone(e, p)...)
	}

	// Energy.
	em := has(zcl.ClusterElectricalMeasurement)
	if em {
		sfx, epName := b.suffix(zcl.ClusterElectricalMeasurement.String(), e)
		for _, s := range []struct {
			name, label, unit, conv, desc string
			attr                          zcl.AttributeID
		}{
			{"power", "Power", "W", "power", "Instantaneous measured power", 0x050B},
			{"voltage", "Voltage", "V", "voltage", "Measured electrical potential value", 0x0505},
			{"current", "Current", "A", "current", "Instantaneous measured electrical current", 0x0508},
		} {
			x := withEndpoint(numericExpose(s.name, s.label, s.unit, AccessState|AccessGet, nil, nil), sfx, epName)
			x.Description = s.desc
			generic = append(generic, x)
			b.add(&generic[len(generic)-1], ep, zcl.ClusterElectricalMeasurement, []zcl.AttributeID{s.attr}, nil)
			b.in(ep, sfx, zcl.ClusterElectricalMeasurement, s.attr, s.name, "", s.conv)
		}
		b.report(ep, zcl.ClusterElectricalMeasurement, 0x050B, 0x0505, 0x0508)
	}
	if has(zcl.ClusterMetering) {
		sfx, epName := b.suffix(zcl.ClusterMetering.String(), e)
		if !em {
			x := withEndpoint(numericExpose("power", "Power", "W", AccessState|AccessGet, nil, nil), sfx, epName)
			x.Description = "Instantaneous measured power"
			generic = append(generic, x)
			b.add(&generic[len(generic)-1], ep, zcl.ClusterMetering, []zcl.AttributeID{0x0400}, nil)
			b.in(ep, sfx, zcl.ClusterMetering, 0x0400, "power", "", "power_metering")
			b.report(ep, zcl.ClusterMetering, 0x0400)
		}
		x := withEndpoint(numericExpose("energy", "Energy", "kWh", AccessState|AccessGet, nil, nil), sfx, epName)
		x.Description = "Sum of consumed energy"
		generic = append(generic, x)
		b.add(&generic[len(generic)-1], ep, zcl.ClusterMetering, []zcl.AttributeID{0x0000}, nil)
		b.in(ep, sfx, zcl.ClusterMetering, 0x0000, "energy", "", "energy")
		b.report(ep, zcl.ClusterMetering, 0x0000)
	}

	// Remotes: commands from client clusters become the action property.
	if isController(e) && !has(zcl.ClusterOnOff) {
		for _, c := range []zigbee.ClusterID{zcl.ClusterOnOff, zcl.ClusterLevelControl, zcl.ClusterScenes, zcl.ClusterColorControl, zcl.ClusterWindowCovering} {
			if hasOut(c) {
				b.m.actions[epCluster{ep, c}] = ""
				if c == zcl.ClusterOnOff || c == zcl.ClusterLevelControl {
					b.m.binds = append(b.m.binds, epCluster{ep, c})
				}
			}
		}
	}
	return specific, generic
}

// actionExpose describes the commands remotes send. A device with several
// controller endpoints suffixes the values with the endpoint ("on_l2").
func (b *builder) actionExpose() (Expose, bool) {
	if len(b.m.actions) == 0 {
		return Expose{}, false
	}
	var eps []zigbee.Endpoint
	for k := range b.m.actions {
		if !slices.Contains(eps, k.ep) {
			eps = append(eps, k.ep)
		}
	}
	slices.Sort(eps)
	values := map[zigbee.ClusterID][]string{
		zcl.ClusterOnOff:          {"on", "off", "toggle"},
		zcl.ClusterLevelControl:   {"brightness_move_up", "brightness_move_down", "brightness_stop", "brightness_step_up", "brightness_step_down", "brightness_move_to_level"},
		zcl.ClusterWindowCovering: {"open", "close", "stop"},
	}
	var vs []string
	for _, ep := range eps {
		sfx := ""
		if len(eps) > 1 {
			sfx = "_l" + strconv.Itoa(int(ep))
		}
		for _, c := range []zigbee.ClusterID{zcl.ClusterOnOff, zcl.ClusterLevelControl, zcl.ClusterWindowCovering, zcl.ClusterScenes, zcl.ClusterColorControl} {
			if _, ok := b.m.actions[epCluster{ep, c}]; !ok {
				continue
			}
			b.m.actions[epCluster{ep, c}] = sfx
			for _, v := range values[c] {
				vs = append(vs, v+sfx)
			}
		}
	}
	x := enumExpose("action", "Action", AccessState, vs)
	x.Description = "Triggered action (e.g. a button click)"
	return x, true
}

// color derives color_temp, color_xy and color_hs from the colour
// capabilities (0x400A: bit 0 hue/saturation, bit 3 xy, bit 4 colour
// temperature; ZCL §5.2.2.2.1.17). Without that attribute the device id
// decides.
func (b *builder) color(e Endpoint, sfx, epName string, p params) []Expose {
	var hs, xy, ct bool
	if p.ColorCapabilities != nil {
		c := *p.ColorCapabilities
		hs, xy, ct = c&0x01 != 0, c&0x08 != 0, c&0x10 != 0
	} else {
		switch e.DeviceID {
		case 0x010C, 0x0220: // colour temperature lights
			ct = true
		case 0x0102, 0x0200: // colour lights
			xy, hs = true, true
		default:
			xy, hs, ct = true, true, true
		}
	}
	ep := e.ID
	var out []Expose
	if ct {
		lo, hi := float64(p.ColorTempMin), float64(p.ColorTempMax)
		if b.q != nil && b.q.colorTempRange != [2]uint16{} {
			lo, hi = float64(b.q.colorTempRange[0]), float64(b.q.colorTempRange[1])
		}
		if lo == 0 || hi == 0 || lo >= hi || hi == 0xFFFF {
			lo, hi = 150, 500 // Zigbee2MQTT's default range
		}
		x := numericExpose("color_temp", "Color temp", "mired", AccessState|AccessSet|AccessGet, f64p(lo), f64p(hi))
		x.Description = "Color temperature of this light"
		x.Presets = colorTempPresets(lo, hi)
		out = append(out, withEndpoint(x, sfx, epName))
		b.in(ep, sfx, zcl.ClusterColorControl, 0x0007, "color_temp", "", "color_temp")
		b.report(ep, zcl.ClusterColorControl, 0x0007)
	}
	comp := func(name, label string, feats ...string) Expose {
		x := Expose{Type: "composite", Name: name, Label: label, Property: "color", Access: AccessState | AccessSet | AccessGet,
			Description: "Color of this light"}
		for i := 0; i < len(feats); i += 2 {
			x.Features = append(x.Features, Expose{Type: "numeric", Name: feats[i], Label: feats[i+1], Property: feats[i], Access: AccessState | AccessSet | AccessGet})
		}
		return withEndpoint(x, sfx, epName)
	}
	xyX := comp("color_xy", "Color (X/Y)", "x", "X", "y", "Y")
	hsX := comp("color_hs", "Color (HS)", "hue", "Hue", "saturation", "Saturation")
	if xy {
		b.in(ep, sfx, zcl.ClusterColorControl, 0x0003, "color", "x", "color_xy")
		b.in(ep, sfx, zcl.ClusterColorControl, 0x0004, "color", "y", "color_xy")
		b.report(ep, zcl.ClusterColorControl, 0x0003, 0x0004)
	}
	if hs {
		b.in(ep, sfx, zcl.ClusterColorControl, 0x0000, "color", "hue", "color_hue")
		b.in(ep, sfx, zcl.ClusterColorControl, 0x0001, "color", "saturation", "color_saturation")
	}
	// List order is a preference (interfaces.md §A.6): hs first only when
	// a quirk says xy renders poorly.
	switch {
	case xy && hs && b.q != nil && b.q.preferHS:
		out = append(out, hsX, xyX)
	default:
		if xy {
			out = append(out, xyX)
		}
		if hs {
			out = append(out, hsX)
		}
	}
	b.in(ep, sfx, zcl.ClusterColorControl, 0x0008, "color_mode", "", "color_mode")
	return out
}

// colorTempPresets are Zigbee2MQTT's named colour temperatures within the
// device's range.
func colorTempPresets(lo, hi float64) []Preset {
	ps := []Preset{{Name: "coolest", Value: lo, Description: "Coolest temperature supported"}}
	for _, p := range []Preset{
		{Name: "cool", Value: 250, Description: "Cool temperature (250 mireds / 4000 Kelvin)"},
		{Name: "neutral", Value: 370, Description: "Neutral temperature (370 mireds / 2700 Kelvin)"},
		{Name: "warm", Value: 454, Description: "Warm temperature (454 mireds / 2200 Kelvin)"},
	} {
		if p.Value > lo && p.Value < hi {
			ps = append(ps, p)
		}
	}
	return append(ps, Preset{Name: "warmest", Value: hi, Description: "Warmest temperature supported"})
}

// IAS zone types (ZCL §8.2.2.2.1.2) and the property alarm 1 means.
var zoneTypes = map[uint16]struct{ name, label, desc string }{
	0x000D: {"occupancy", "Occupancy", "Indicates whether the device detected occupancy"},
	0x0015: {"contact", "Contact", "Indicates if the contact is closed (= true) or open (= false)"},
	0x0028: {"smoke", "Smoke", "Indicates whether the device detected smoke"},
	0x002A: {"water_leak", "Water leak", "Indicates whether the device detected a water leak"},
	0x002B: {"gas", "Gas", "Indicates whether the device detected gas"},
	0x002D: {"vibration", "Vibration", "Indicates whether the device detected vibration"},
}

func (b *builder) iasZone(e Endpoint, p params) []Expose {
	sfx, epName := b.suffix(zcl.ClusterIASZone.String(), e)
	ep := e.ID
	name, label, desc := "alarm", "Alarm", "Indicates whether the zone is in alarm"
	invert := false
	if p.ZoneType != nil {
		if z, ok := zoneTypes[*p.ZoneType]; ok {
			name, label, desc = z.name, z.label, z.desc
		}
		invert = *p.ZoneType == 0x0015 // contact: alarm 1 = opened, contact = closed
	}
	main := withEndpoint(binaryExpose(name, label, AccessState, true, false), sfx, epName)
	main.Description = desc
	tamper := withEndpoint(binaryExpose("tamper", "Tamper", AccessState, true, false), sfx, epName)
	tamper.Description = "Indicates whether the device is tampered"
	tamper.Category = "diagnostic"
	low := withEndpoint(binaryExpose("battery_low", "Battery low", AccessState, true, false), sfx, epName)
	low.Description = "Indicates if the battery of this device is almost empty"
	low.Category = "diagnostic"
	out := []Expose{main, tamper, low}
	for i := range out {
		b.m.props[out[i].Property] = &prop{name: out[i].Property, base: out[i].Name, suffix: sfx, ep: ep, cluster: zcl.ClusterIASZone}
	}
	// Zone status bits: 0 alarm 1, 2 tamper, 3 battery (ZCL §8.2.2.2.1.3).
	key := func() attrKey {
		if sfx == "" {
			return attrKey{0, zcl.ClusterIASZone, 0x0002}
		}
		return attrKey{ep, zcl.ClusterIASZone, 0x0002}
	}()
	b.m.incoming[key] = append(b.m.incoming[key],
		attrRule{prop: name + sfx, conv: zoneBit(0x0001, invert)},
		attrRule{prop: "tamper" + sfx, conv: zoneBit(0x0004, false)},
		attrRule{prop: "battery_low" + sfx, conv: zoneBit(0x0008, false)})
	b.m.iasZones = append(b.m.iasZones, ep)
	return out
}

// battery exposes battery percentage and voltage for devices that are not
// mains powered and have a Power Configuration server.
func (b *builder) battery(eps []Endpoint, ignore func(zigbee.ClusterID) bool, generic *[]Expose) {
	if mainsPowered(b.desc.PowerSource) {
		return
	}
	for _, e := range eps {
		if !slices.Contains(e.InClusters, zcl.ClusterPowerConfig) || ignore(zcl.ClusterPowerConfig) {
			continue
		}
		bat := numericExpose("battery", "Battery", "%", AccessState|AccessGet, f64p(0), f64p(100))
		bat.Description = "Remaining battery in %"
		bat.Category = "diagnostic"
		*generic = append(*generic, bat)
		b.add(&(*generic)[len(*generic)-1], e.ID, zcl.ClusterPowerConfig, []zcl.AttributeID{0x0021}, nil)
		b.in(e.ID, "", zcl.ClusterPowerConfig, 0x0021, "battery", "", "battery")
		if _, ac := b.m.props["voltage"]; !ac {
			v := numericExpose("voltage", "Voltage", "mV", AccessState|AccessGet, nil, nil)
			v.Description = "Voltage of the battery in millivolts"
			v.Category = "diagnostic"
			*generic = append(*generic, v)
			b.add(&(*generic)[len(*generic)-1], e.ID, zcl.ClusterPowerConfig, []zcl.AttributeID{0x0020}, nil)
			b.in(e.ID, "", zcl.ClusterPowerConfig, 0x0020, "voltage", "", "battery_voltage")
		}
		b.report(e.ID, zcl.ClusterPowerConfig, 0x0021)
		return
	}
}

// quirkAttrs applies a quirk's extra attribute mappings.
func (b *builder) quirkAttrs(q *quirk) []Expose {
	var out []Expose
	for _, a := range q.attrs {
		x := a.expose
		ep := a.ep
		if ep == 0 {
			for _, e := range appEndpoints(b.desc.Endpoints) {
				if slices.Contains(e.InClusters, a.cluster) {
					ep = e.ID
					break
				}
			}
		}
		if a.ep != 0 {
			b.m.incoming[attrKey{a.ep, a.cluster, a.attr}] = append(b.m.incoming[attrKey{a.ep, a.cluster, a.attr}],
				attrRule{prop: x.Property, conv: conversions[a.conv]})
		} else {
			b.in(0, "", a.cluster, a.attr, x.Property, "", a.conv)
		}
		out = append(out, x)
		b.add(&out[len(out)-1], ep, a.cluster, []zcl.AttributeID{a.attr}, nil)
		if a.report {
			b.report(ep, a.cluster, a.attr)
		}
	}
	return out
}

// index points every prop at its expose inside the final definition (the
// slices above were copied while the definition was assembled).
func (b *builder) index() {
	var walk func(xs []Expose)
	walk = func(xs []Expose) {
		for i := range xs {
			x := &xs[i]
			if p, ok := b.m.props[x.Property]; ok && x.Property != "" && p.expose == nil {
				p.expose = x
			}
			if x.Type != "composite" {
				walk(x.Features)
			}
		}
	}
	walk(b.m.def.Exposes)
	for name, p := range b.m.props {
		if p.expose == nil {
			delete(b.m.props, name) // keep the model consistent with the definition
		}
	}
}

// describe summarises the exposes in a few words, for generic definitions.
func describe(xs []Expose) string {
	var kinds []string
	seen := map[string]bool{}
	for _, x := range xs {
		k := x.Type
		if k == "numeric" || k == "binary" || k == "enum" {
			k = x.Name
		}
		if x.Category == "diagnostic" || seen[k] {
			continue
		}
		seen[k] = true
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		return "Generic Zigbee device"
	}
	return "Generic " + strings.Join(kinds, ", ") + " (derived from clusters)"
}

// String helps test failures.
func (r reportCfg) String() string {
	return fmt.Sprintf("ep%d %v/%v min %d max %d change %g", r.ep, r.cluster, r.attr, r.min, r.max, r.change)
}
