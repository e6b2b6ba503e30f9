package mqttbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/zhubhq/zhub/hub"
)

// Discovery renders Home Assistant MQTT discovery messages the way
// Zigbee2MQTT 2.x does (lib/extension/homeassistant.ts at v2.12.1): the
// same components, object ids, unique ids, device identifiers and
// templates, so that entities created by Zigbee2MQTT are the same
// entities when zhub publishes them.
type Discovery struct {
	// Prefix is Home Assistant's discovery prefix ("homeassistant").
	Prefix string
	// Base is the bridge's base topic.
	Base string
	// CoordinatorIEEE is the coordinator's address ("0x…"), which names
	// the bridge device.
	CoordinatorIEEE string
	// Availability adds <base>/<name>/availability to every device
	// entity's availability list.
	Availability bool
	// Version is zhub's version (origin and bridge sw_version).
	Version string
}

// DiscoveryMessage is one retained discovery config.
type DiscoveryMessage struct {
	Component string // "light", "sensor", ...
	ObjectID  string // "light", "temperature", "switch_l2", ...
	Topic     string // <prefix>/<component>/<node_id>/<object_id>/config
	Payload   map[string]any
}

// JSON renders the payload as Zigbee2MQTT does: compact, keys sorted,
// no HTML escaping.
func (m DiscoveryMessage) JSON() []byte { return marshal(m.Payload) }

func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only unsupported types fail (channels, NaN); state values come
		// from JSON or the hub's converters.
		return []byte("{}")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// entry is a config before topics are filled in: keys ending in the
// placeholders below are resolved by finish, as Zigbee2MQTT does.
type entry struct {
	typ      string
	objectID string
	mock     []string // properties published as null while unknown
	p        map[string]any
}

// Placeholder keys of entry.p, removed by finish.
const (
	kStatePostfix   = "state_topic_postfix"
	kCommandPrefix  = "command_topic_prefix"
	kCommandPostfix = "command_topic_postfix"
	kObjectPostfix  = "object_id_postfix"
)

// Bits of Expose.Access.
const (
	accessState = hub.AccessState
	accessSet   = hub.AccessSet
)

// Device returns every discovery config of a device, and the properties
// to publish as null while unknown (Home Assistant's templates warn on a
// missing key). A device that is not interviewed, or has no exposes, has
// none.
func (d Discovery) Device(dev hub.Device) ([]DiscoveryMessage, []string) {
	if dev.Type == "Coordinator" || dev.Interview.State != hub.InterviewSuccessful || len(dev.Definition.Exposes) == 0 {
		return nil, nil
	}
	var entries []entry
	all := dev.Definition.Exposes
	for _, x := range all {
		entries = append(entries, exposeEntries(x, all)...)
	}
	out := make([]DiscoveryMessage, 0, len(entries))
	var mock []string
	for _, e := range entries {
		out = append(out, d.finish(e, dev))
		for _, m := range e.mock {
			if !slices.Contains(mock, m) {
				mock = append(mock, m)
			}
		}
	}
	return out, mock
}

// DeviceTopics returns the config topics of a device (for clearing).
func (d Discovery) DeviceTopics(dev hub.Device) []string {
	msgs, _ := d.Device(dev)
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Topic
	}
	return out
}

// NodeID returns the discovery node id of a device: its IEEE address.
func NodeID(dev hub.Device) string { return dev.IEEE.String() }

// DeviceIdentifier is the Home Assistant device registry identifier
// Zigbee2MQTT gives a device.
func DeviceIdentifier(ieee string) string { return "zigbee2mqtt_" + ieee }

// BridgeIdentifier is the identifier of the bridge device.
func (d Discovery) BridgeIdentifier() string {
	return "zigbee2mqtt_bridge_" + d.CoordinatorIEEE
}

// UniqueID is Zigbee2MQTT's unique_id scheme: <id>_<object_id>_<base>.
func (d Discovery) UniqueID(id, objectID string) string {
	return id + "_" + objectID + "_" + d.Base
}

// encodedBase is Zigbee2MQTT's node id prefix for non-device entities:
// the decimal character codes of the base topic, concatenated.
func (d Discovery) encodedBase() string {
	var b strings.Builder
	for _, r := range d.Base {
		b.WriteString(strconv.Itoa(int(r)))
	}
	return b.String()
}

// origin is the discovery origin block.
func (d Discovery) origin() map[string]any {
	return map[string]any{"name": "zhub", "sw": d.Version, "url": "https://github.com/zhubhq/zhub"}
}

func (d Discovery) devicePayload(dev hub.Device) map[string]any {
	p := map[string]any{
		"identifiers":  []string{DeviceIdentifier(dev.IEEE.String())},
		"name":         dev.FriendlyName,
		"model":        dev.Definition.Description,
		"model_id":     dev.Definition.Model,
		"manufacturer": dev.Definition.Vendor,
		"via_device":   d.BridgeIdentifier(),
	}
	if dev.SWBuild != "" {
		p["sw_version"] = dev.SWBuild
	}
	return p
}

// suggestedObjectID is the entity id Zigbee2MQTT suggests: the device name
// in lower case with spaces as '_', plus the entity key unless it only
// repeats the component.
func suggestedObjectID(deviceName, typ, objectID string) string {
	s := strings.ToLower(strings.Join(strings.FieldsFunc(deviceName, unicode.IsSpace), "_"))
	if strings.HasPrefix(objectID, typ) && strings.Contains(objectID, "_") {
		_, rest, _ := strings.Cut(objectID, "_")
		s += "_" + rest
	} else if !strings.HasPrefix(objectID, typ) {
		s += "_" + objectID
	}
	return s
}

// finish fills in topics, ids, device, origin and availability.
func (d Discovery) finish(e entry, dev hub.Device) DiscoveryMessage {
	p := make(map[string]any, len(e.p)+12)
	for k, v := range e.p {
		p[k] = v
	}
	base := d.Base + "/" + dev.FriendlyName
	stateTopic := base
	if s, _ := p[kStatePostfix].(string); s != "" {
		stateTopic += "/" + s
	}
	delete(p, kStatePostfix)
	if st, ok := p["state_topic"]; !ok || st == true {
		p["state_topic"] = stateTopic
	} else {
		delete(p, "state_topic")
	}
	for _, k := range []string{"position_topic", "tilt_status_topic", "mode_state_topic", "current_temperature_topic",
		"temperature_state_topic", "temperature_low_state_topic", "temperature_high_state_topic", "fan_mode_state_topic",
		"preset_mode_state_topic", "percentage_state_topic", "action_topic", "current_humidity_topic"} {
		if p[k] == true {
			p[k] = stateTopic
		}
	}

	devPayload := d.devicePayload(dev)
	objectID := suggestedObjectID(dev.FriendlyName, e.typ, e.objectID)
	if s, _ := p[kObjectPostfix].(string); s != "" {
		objectID += s
	}
	delete(p, kObjectPostfix)
	p["object_id"] = objectID
	p["default_entity_id"] = e.typ + "." + objectID
	p["unique_id"] = d.UniqueID(dev.IEEE.String(), e.objectID)
	p["device"] = devPayload
	p["origin"] = d.origin()

	if av, ok := p["availability"]; !ok || av == true {
		tpl := "{{ value_json.state }}"
		if dev.Disabled {
			tpl = `{{ "offline" }}`
		}
		list := []map[string]any{{"topic": d.Base + "/bridge/state", "value_template": tpl}}
		if d.Availability {
			p["availability_mode"] = "all"
			list = append(list, map[string]any{"topic": base + "/availability", "value_template": tpl})
		}
		p["availability"] = list
	} else {
		delete(p, "availability")
	}

	prefix := ""
	if s, _ := p[kCommandPrefix].(string); s != "" {
		prefix = s + "/"
	}
	delete(p, kCommandPrefix)
	postfix := ""
	if s, _ := p[kCommandPostfix].(string); s != "" {
		postfix = "/" + s
	}
	delete(p, kCommandPostfix)
	set := base + "/" + prefix + "set"
	if p["command_topic"] == true {
		p["command_topic"] = set + postfix
	}
	if p["set_position_topic"] == true {
		p["set_position_topic"] = set + postfix
	}
	if p["tilt_command_topic"] == true {
		p["tilt_command_topic"] = set + "/tilt"
	}
	if p["mode_command_topic"] == true {
		p["mode_command_topic"] = set + "/system_mode"
	}
	if p["fan_mode_command_topic"] == true {
		p["fan_mode_command_topic"] = set + "/fan_mode"
	}
	for _, k := range []string{"temperature_command_topic", "temperature_low_command_topic", "temperature_high_command_topic",
		"preset_mode_command_topic", "percentage_command_topic"} {
		if s, ok := p[k].(string); ok {
			p[k] = set + "/" + s
		}
	}
	return DiscoveryMessage{
		Component: e.typ,
		ObjectID:  e.objectID,
		Topic:     d.Prefix + "/" + e.typ + "/" + dev.IEEE.String() + "/" + e.objectID + "/config",
		Payload:   p,
	}
}

// capitalize upper-cases the first letter (Zigbee2MQTT's endpoint names
// as entity names: "l1" → "L1").
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// valueTemplate reads one property from the JSON state.
func valueTemplate(prop string) string { return `{{ value_json["` + prop + `"] }}` }

// withoutEndpoint strips the endpoint suffix from a feature's property.
func withoutEndpoint(x hub.Expose) string {
	if x.Endpoint != "" {
		return strings.TrimSuffix(x.Property, "_"+x.Endpoint)
	}
	return x.Property
}

func feature(x hub.Expose, name string) *hub.Expose {
	for i := range x.Features {
		if x.Features[i].Name == name {
			return &x.Features[i]
		}
	}
	return nil
}

func featureIndex(x hub.Expose, name string) int {
	for i := range x.Features {
		if x.Features[i].Name == name {
			return i
		}
	}
	return -1
}

// named returns "<label> <endpoint>" or the label.
func named(x hub.Expose, ep string) string {
	if ep != "" {
		return x.Label + " " + ep
	}
	return x.Label
}

// suffixed returns "<base>_<endpoint>" or base.
func suffixed(base, ep string) string {
	if ep != "" {
		return base + "_" + ep
	}
	return base
}

func epName(ep string) any {
	if ep == "" {
		return nil
	}
	return capitalize(ep)
}

// exposeEntries maps one top-level expose to its entities.
func exposeEntries(x hub.Expose, all []hub.Expose) []entry {
	ep := x.Endpoint
	var out []entry
	switch x.Type {
	case "light":
		out = append(out, lightEntry(x, all, ep))
	case "switch":
		st := feature(x, "state")
		if st == nil {
			return nil
		}
		e := entry{typ: "switch", objectID: suffixed("switch", ep), mock: []string{st.Property}, p: map[string]any{
			"name": epName(ep), "payload_off": st.ValueOff, "payload_on": st.ValueOn,
			"value_template": valueTemplate(st.Property), "command_topic": true, kCommandPrefix: ep,
		}}
		out = append(out, e)
	case "cover":
		if e, ok := coverEntry(x, all, ep); ok {
			out = append(out, e)
		}
	case "lock":
		st := feature(x, "state")
		if st == nil {
			return nil
		}
		e := entry{typ: "lock", objectID: suffixed("lock", ep), mock: []string{st.Property}, p: map[string]any{
			"name": epName(ep), kCommandPrefix: ep, "command_topic": true, "value_template": valueTemplate(st.Property),
			"state_locked": st.ValueOn, "state_unlocked": st.ValueOff,
		}}
		if ep != "" {
			e.p[kCommandPostfix] = st.Property
		}
		out = append(out, e)
	case "climate":
		out = append(out, climateEntries(x, all, ep)...)
	case "fan":
		if e, ok := fanEntry(x); ok {
			out = append(out, e)
		}
	case "binary":
		out = append(out, binaryEntry(x, ep))
	case "numeric":
		out = append(out, numericEntry(x, ep))
	case "enum":
		if e, ok := enumEntry(x, ep); ok {
			out = append(out, e)
		}
	case "text", "list", "composite":
		if x.Type == "text" && x.Access&accessSet != 0 {
			out = append(out, entry{typ: "text", objectID: x.Property, mock: []string{x.Property}, p: map[string]any{
				"name": named(x, ep), "state_topic": x.Access&accessState != 0, "value_template": valueTemplate(x.Property),
				kCommandPrefix: ep, "command_topic": true, kCommandPostfix: x.Property,
			}})
		} else if x.Access&accessState != 0 {
			out = append(out, entry{typ: "sensor", objectID: x.Property, mock: []string{x.Property}, p: map[string]any{
				"name":           named(x, ep),
				"value_template": `{{ value_json["` + x.Property + `"] | default('',True) | string | truncate(254, True, '', 0) }}`,
			}})
		}
	}
	// The expose's category wins; sensors cannot be "config".
	for i := range out {
		e := &out[i]
		if x.Category == "config" || x.Category == "diagnostic" {
			e.p["entity_category"] = x.Category
		}
		if (e.typ == "sensor" || e.typ == "binary_sensor") && e.p["entity_category"] == "config" {
			e.p["entity_category"] = "diagnostic"
		}
		if e.typ == "event" {
			delete(e.p, "entity_category")
		}
		// Home Assistant names an entity with a device class itself.
		if _, ok := e.p["device_class"]; ok && !numericLookup[x.Name].preserveName {
			delete(e.p, "name")
		}
	}
	return out
}

func lightEntry(x hub.Expose, all []hub.Expose, ep string) entry {
	st := feature(x, "state")
	mockProp := "state"
	if st != nil {
		mockProp = st.Property
	}
	e := entry{typ: "light", objectID: suffixed("light", ep), mock: []string{mockProp}, p: map[string]any{
		"name": epName(ep), "brightness": feature(x, "brightness") != nil, "schema": "json", "command_topic": true,
		"brightness_scale": 254, kCommandPrefix: ep, kStatePostfix: ep,
	}}
	xy, hs := featureIndex(x, "color_xy"), featureIndex(x, "color_hs")
	preferHS := xy >= 0 && hs >= 0 && hs < xy
	var modes []string
	if xy >= 0 && !preferHS {
		modes = append(modes, "xy")
	}
	if (xy < 0 || preferHS) && hs >= 0 {
		modes = append(modes, "hs")
	}
	ct := feature(x, "color_temp")
	if ct != nil {
		modes = append(modes, "color_temp")
	}
	if len(modes) == 0 {
		// Every bulb dims; "brightness" must stand alone.
		modes = []string{"brightness"}
	}
	e.p["supported_color_modes"] = modes
	if ct != nil {
		if ct.ValueMax != nil {
			e.p["max_mireds"] = num(*ct.ValueMax)
		}
		if ct.ValueMin != nil {
			e.p["min_mireds"] = num(*ct.ValueMin)
		}
	}
	var effects []string
	for _, a := range all {
		if a.Type == "enum" && a.Name == "effect" {
			for _, v := range a.Values {
				if !slices.Contains(effects, v) {
					effects = append(effects, v)
				}
			}
		}
	}
	if len(effects) > 0 {
		e.p["effect"] = true
		e.p["effect_list"] = effects
	}
	return e
}

// Cover movement words (Zigbee2MQTT's lookups for motor_state / moving).
var (
	coverOpening = []string{"opening", "open", "forward", "up", "rising"}
	coverClosing = []string{"closing", "close", "backward", "back", "reverse", "down", "declining"}
	coverStopped = []string{"stopped", "stop", "pause", "paused"}
)

func coverEntry(x hub.Expose, all []hub.Expose, ep string) (entry, bool) {
	st := feature(x, "state")
	if st == nil {
		return entry{}, false
	}
	pos, tilt := feature(x, "position"), feature(x, "tilt")
	e := entry{typ: "cover", objectID: suffixed("cover", ep), mock: []string{st.Property}, p: map[string]any{
		"name": epName(ep), kCommandPrefix: ep, "command_topic": true, "state_topic": true, kStatePostfix: ep,
	}}
	var motor *hub.Expose
	var running *hub.Expose
	for i := range all {
		a := &all[i]
		if a.Type == "enum" && (a.Name == "motor_state" || a.Name == "moving") && a.Access == accessState && motor == nil {
			motor = a
		}
		if a.Type == "binary" && a.Name == "running" && running == nil {
			running = a
		}
	}
	if running != nil && pos != nil {
		r, p := withoutEndpoint(*running), withoutEndpoint(*pos)
		e.p["value_template"] = `{% if "` + r + `" in value_json and value_json["` + r + `"] %} {% if value_json["` + p +
			`"] > 0 %} closing {% else %} opening {% endif %} {% else %} stopped {% endif %}`
	}
	if motor != nil {
		find := func(words []string) string {
			for _, v := range motor.Values {
				if slices.Contains(words, strings.ToLower(v)) {
					return v
				}
			}
			return ""
		}
		op, cl, sp := find(coverOpening), find(coverClosing), find(coverStopped)
		if op != "" && cl != "" && sp != "" {
			m := withoutEndpoint(*motor)
			e.p["state_opening"], e.p["state_closing"], e.p["state_stopped"] = op, cl, sp
			e.p["value_template"] = `{% if "` + m + `" in value_json and value_json["` + m + `"] %} {{ value_json["` + m +
				`"] }} {% else %} ` + sp + ` {% endif %}`
		}
	}
	if _, ok := e.p["value_template"]; !ok {
		e.p["value_template"] = valueTemplate(withoutEndpoint(*st))
		e.p["state_open"], e.p["state_closed"], e.p["state_stopped"] = "OPEN", "CLOSE", "STOP"
	}
	if pos == nil && tilt == nil {
		e.p["optimistic"] = true
	}
	if pos != nil {
		e.p["position_template"] = valueTemplate(withoutEndpoint(*pos))
		e.p["set_position_template"] = `{ "` + pos.Property + `": {{ position }} }`
		e.p["set_position_topic"] = true
		e.p["position_topic"] = true
	}
	if tilt != nil {
		e.p["tilt_command_topic"] = true
		e.p["tilt_status_topic"] = true
		e.p["tilt_status_template"] = valueTemplate(withoutEndpoint(*tilt))
	}
	return e, true
}

func climateEntries(x hub.Expose, all []hub.Expose, ep string) []entry {
	var heat, cool *hub.Expose
	for i := range x.Features {
		f := &x.Features[i]
		switch {
		case f.Type == "numeric" && (f.Name == "occupied_heating_setpoint" || f.Name == "current_heating_setpoint") && heat == nil:
			heat = f
		case f.Type == "numeric" && f.Name == "occupied_cooling_setpoint" && cool == nil:
			cool = f
		}
	}
	primary := heat
	if primary == nil {
		primary = cool
	}
	temp := feature(x, "local_temperature")
	if primary == nil || primary.ValueMin == nil || primary.ValueMax == nil || temp == nil {
		return nil
	}
	e := entry{typ: "climate", objectID: suffixed("climate", ep), p: map[string]any{
		"name": epName(ep), "state_topic": false, "temperature_unit": "C",
		"min_temp": strconv.FormatFloat(*primary.ValueMin, 'f', -1, 64), "max_temp": strconv.FormatFloat(*primary.ValueMax, 'f', -1, 64),
		"current_temperature_topic": true, "current_temperature_template": valueTemplate(temp.Property), kCommandPrefix: ep,
	}}
	if primary.ValueStep != nil {
		e.p["temp_step"] = num(*primary.ValueStep)
	}
	if mode := feature(x, "system_mode"); mode != nil && mode.Type == "enum" {
		// "sleep" is valid ZCL but not a Home Assistant mode.
		modes := slices.DeleteFunc(slices.Clone(mode.Values), func(s string) bool { return s == "sleep" })
		e.p["mode_state_topic"], e.p["mode_state_template"] = true, valueTemplate(mode.Property)
		e.p["modes"], e.p["mode_command_topic"] = modes, true
	}
	if rs := feature(x, "running_state"); rs != nil {
		e.mock = append(e.mock, rs.Property)
		e.p["action_topic"] = true
		e.p["action_template"] = `{% set values = {None:None,'idle':'idle','heat':'heating','cool':'cooling','fan_only':'fan'} %}{{ values[value_json["` +
			rs.Property + `"]] }}`
	}
	if heat != nil && cool != nil {
		e.p["temperature_low_command_topic"] = heat.Name
		e.p["temperature_low_state_template"] = valueTemplate(heat.Property)
		e.p["temperature_low_state_topic"] = true
		e.p["temperature_high_command_topic"] = cool.Name
		e.p["temperature_high_state_template"] = valueTemplate(cool.Property)
		e.p["temperature_high_state_topic"] = true
	} else {
		e.p["temperature_command_topic"] = primary.Name
		e.p["temperature_state_template"] = valueTemplate(primary.Property)
		e.p["temperature_state_topic"] = true
	}
	if fm := feature(x, "fan_mode"); fm != nil && fm.Type == "enum" {
		e.p["fan_modes"], e.p["fan_mode_command_topic"] = fm.Values, true
		e.p["fan_mode_state_template"], e.p["fan_mode_state_topic"] = valueTemplate(fm.Property), true
	}
	if pr := feature(x, "preset"); pr != nil && pr.Type == "enum" {
		e.p["preset_modes"], e.p["preset_mode_command_topic"] = pr.Values, "preset"
		e.p["preset_mode_value_template"], e.p["preset_mode_state_topic"] = valueTemplate(pr.Property), true
	}
	for _, a := range all {
		if a.Type == "numeric" && a.Name == "humidity" && a.Access&accessState != 0 {
			e.p["current_humidity_template"], e.p["current_humidity_topic"] = valueTemplate(a.Property), true
			break
		}
	}
	out := []entry{e}
	// A thermostat without a separate temperature sensor gets its local
	// temperature as a sensor.
	hasSensor := slices.ContainsFunc(all, func(a hub.Expose) bool {
		return a.Type == "numeric" && (a.Name == "temperature" || a.Name == "local_temperature") && a.Access&accessState != 0
	})
	if !hasSensor {
		s := entry{typ: "sensor", objectID: suffixed(temp.Name, ep), mock: []string{temp.Property}, p: map[string]any{
			"name": named(*temp, ep), "value_template": valueTemplate(temp.Property),
			"device_class": "temperature", "state_class": "measurement",
		}}
		if temp.Unit != "" {
			s.p["unit_of_measurement"] = temp.Unit
		}
		out = append(out, s)
	}
	return out
}

func fanEntry(x hub.Expose) (entry, bool) {
	mode := feature(x, "mode")
	if mode == nil {
		mode = feature(x, "fan_mode")
	}
	if mode == nil || mode.Type != "enum" {
		return entry{}, false
	}
	speeds := []string{"off"}
	for _, s := range []string{"low", "medium", "high", "1", "2", "3", "4", "5", "6", "7", "8", "9"} {
		if slices.Contains(mode.Values, s) {
			speeds = append(speeds, s)
		}
	}
	var presets []string
	for _, s := range []string{"on", "auto", "smart"} {
		if slices.Contains(mode.Values, s) {
			presets = append(presets, s)
		}
	}
	var pv, pc, pl []string
	for i, s := range speeds {
		pv = append(pv, fmt.Sprintf("'%s':%d", s, i))
		pc = append(pc, fmt.Sprintf("%d:'%s'", i, s))
	}
	for _, s := range presets {
		pl = append(pl, "'"+s+"'")
	}
	prop := mode.Property
	e := entry{typ: "fan", objectID: "fan", mock: []string{"fan_state"}, p: map[string]any{
		"name": nil, "state_topic": true, "command_topic": true,
		"percentage_state_topic": true, "percentage_command_topic": "fan_mode",
		"percentage_value_template":   `{{ {` + strings.Join(pv, ", ") + `}[value_json["` + prop + `"]] | default('None') }}`,
		"percentage_command_template": `{{ {` + strings.Join(pc, ", ") + `}[value] | default('') }}`,
		"speed_range_min":             1, "speed_range_max": len(speeds) - 1,
		"state_value_template": "{{ value_json.fan_state }}", kCommandPostfix: "fan_state",
	}}
	if len(presets) > 0 {
		e.p["preset_mode_state_topic"], e.p["preset_mode_command_topic"] = true, "fan_mode"
		e.p["preset_mode_value_template"] = `{{ value_json["` + prop + `"] if value_json["` + prop + `"] in [` +
			strings.Join(pl, ", ") + `] else 'None' | default('None') }}`
		e.p["preset_modes"] = presets
	}
	return e, true
}

func binaryEntry(x hub.Expose, ep string) entry {
	look := binaryLookup[x.Name]
	if x.Access&accessSet != 0 {
		tpl := valueTemplate(x.Property)
		if _, ok := x.ValueOn.(bool); ok {
			tpl = `{% if value_json["` + x.Property + `"] %}true{% else %}false{% endif %}`
		}
		e := entry{typ: "switch", objectID: suffixed("switch_"+x.Name, ep), mock: []string{x.Property}, p: map[string]any{
			"name": named(x, ep), "value_template": tpl,
			"payload_on": fmt.Sprint(x.ValueOn), "payload_off": fmt.Sprint(x.ValueOff),
			"command_topic": true, kCommandPrefix: ep, kCommandPostfix: x.Property,
		}}
		look.apply(e.p)
		return e
	}
	e := entry{typ: "binary_sensor", objectID: suffixed(x.Name, ep), mock: []string{x.Property}, p: map[string]any{
		"name": named(x, ep), "value_template": valueTemplate(x.Property),
		"payload_on": x.ValueOn, "payload_off": x.ValueOff,
	}}
	look.apply(e.p)
	return e
}

func numericEntry(x hub.Expose, ep string) entry {
	look := numericLookup[x.Name]
	if x.Access&accessSet != 0 {
		e := entry{typ: "number", objectID: suffixed(x.Name, ep), mock: []string{x.Property}, p: map[string]any{
			"name": named(x, ep), "value_template": valueTemplate(x.Property),
			"command_topic": true, kCommandPrefix: ep, kCommandPostfix: x.Property,
		}}
		if x.Unit != "" {
			e.p["unit_of_measurement"] = x.Unit
		}
		if x.ValueStep != nil && *x.ValueStep != 0 {
			e.p["step"] = num(*x.ValueStep)
		}
		look.apply(e.p)
		// Numbers keep only a temperature device class.
		if look.deviceClass != "temperature" {
			delete(e.p, "device_class")
		}
		if x.ValueMin != nil {
			e.p["min"] = num(*x.ValueMin)
		}
		if x.ValueMax != nil {
			e.p["max"] = num(*x.ValueMax)
		}
		return e
	}
	if x.Name == "voc" && (x.Unit == "ppb" || x.Unit == "ppm") {
		look = numericLookup["voc_parts"] // Home Assistant's class for parts per million/billion
	}
	e := entry{typ: "sensor", objectID: suffixed(x.Name, ep), mock: []string{x.Property}, p: map[string]any{
		"name": named(x, ep), "value_template": valueTemplate(x.Property), "enabled_by_default": true,
	}}
	if x.Unit != "" {
		e.p["unit_of_measurement"] = x.Unit
	}
	look.apply(e.p)
	switch x.Unit {
	case "Wh", "kWh":
		e.p["device_class"], e.p["state_class"] = "energy", "total_increasing"
	case "A", "mA":
		e.p["device_class"], e.p["state_class"] = "current", "measurement"
	case "mW", "W", "kW":
		e.p["device_class"], e.p["state_class"] = "power", "measurement"
	}
	// A device class without a unit makes Home Assistant warn.
	if _, ok := e.p["device_class"]; ok {
		if _, ok := e.p["unit_of_measurement"]; !ok {
			delete(e.p, "device_class")
		}
	}
	if e.p["entity_category"] == "config" {
		e.p["entity_category"] = "diagnostic"
	}
	return e
}

func enumEntry(x hub.Expose, ep string) (entry, bool) {
	look := enumLookup[x.Name]
	// Actions become device triggers (published when first seen), not
	// entities (Zigbee2MQTT's default: legacy_action_sensor off).
	if x.Property == "action" {
		return entry{}, false
	}
	var tpl any
	if x.Access&accessState != 0 {
		tpl = valueTemplate(x.Property)
	}
	if x.Access&accessSet != 0 && len(x.Values) == 1 {
		e := entry{typ: "button", objectID: x.Property, mock: []string{x.Property}, p: map[string]any{
			"name": named(x, ep), "state_topic": false, kCommandPrefix: ep, "command_topic": true,
			kCommandPostfix: x.Property, "payload_press": x.Values[0],
		}}
		look.apply(e.p)
		return e, true
	}
	if x.Access&accessSet != 0 {
		e := entry{typ: "select", objectID: x.Property, mock: []string{x.Property}, p: map[string]any{
			"name": named(x, ep), "state_topic": x.Access&accessState != 0, kCommandPrefix: ep, "command_topic": true,
			kCommandPostfix: x.Property, "options": slices.Clone(x.Values),
		}}
		if tpl != nil {
			e.p["value_template"] = tpl
		}
		look.apply(e.p)
		return e, true
	}
	if x.Access&accessState != 0 {
		e := entry{typ: "sensor", objectID: x.Property, mock: []string{x.Property}, p: map[string]any{
			"name": named(x, ep), "value_template": tpl,
		}}
		look.apply(e.p)
		return e, true
	}
	return entry{}, false
}

// num renders whole numbers as integers (254, not 254.0).
func num(f float64) any {
	if f == float64(int64(f)) {
		return int64(f)
	}
	return f
}

// TriggerTopic returns the device_automation config topic of an action
// value.
func (d Discovery) TriggerTopic(dev hub.Device, value string) string {
	return d.Prefix + "/device_automation/" + dev.IEEE.String() + "/action_" + value + "/config"
}

// Trigger returns the device trigger config for one action value (a
// remote's "toggle", "brightness_step_up", ...), published the first time
// the value is seen.
func (d Discovery) Trigger(dev hub.Device, value string) DiscoveryMessage {
	return DiscoveryMessage{
		Component: "device_automation",
		ObjectID:  "action_" + value,
		Topic:     d.TriggerTopic(dev, value),
		Payload: map[string]any{
			"automation_type": "trigger", "type": "action", "subtype": value, "payload": value,
			"topic":  d.Base + "/" + dev.FriendlyName + "/action",
			"device": d.devicePayload(dev), "origin": d.origin(),
		},
	}
}

// BridgeInfo is what the bridge device's configs need to know.
type BridgeInfo struct {
	// CoordinatorType and Revision fill hw_version ("zStack3x0 20230507").
	CoordinatorType string
	Revision        string
}

// Bridge returns the configs of the bridge device: connection state,
// restart required, version, coordinator version, and the permit-join
// switch.
func (d Discovery) Bridge(info BridgeInfo) []DiscoveryMessage {
	bt := d.Base + "/bridge"
	id := "bridge_" + d.CoordinatorIEEE
	node := d.encodedBase() + "_" + d.CoordinatorIEEE
	entries := []entry{
		{typ: "binary_sensor", objectID: "connection_state", p: map[string]any{
			"name": "Connection state", "device_class": "connectivity", "entity_category": "diagnostic",
			"state_topic": bt + "/state", "value_template": "{{ value_json.state }}",
			"payload_on": "online", "payload_off": "offline",
		}},
		{typ: "binary_sensor", objectID: "restart_required", p: map[string]any{
			"name": "Restart required", "device_class": "problem", "entity_category": "diagnostic", "enabled_by_default": false,
			"state_topic": bt + "/info", "value_template": "{{ value_json.restart_required }}",
			"payload_on": true, "payload_off": false,
		}},
		{typ: "sensor", objectID: "version", p: map[string]any{
			"name": "Version", "icon": "mdi:zigbee", "entity_category": "diagnostic",
			"state_topic": bt + "/info", "value_template": "{{ value_json.version }}",
		}},
		{typ: "sensor", objectID: "coordinator_version", p: map[string]any{
			"name": "Coordinator version", "icon": "mdi:chip", "entity_category": "diagnostic", "enabled_by_default": false,
			"state_topic": bt + "/info", "value_template": "{{ value_json.coordinator.meta.revision }}",
		}},
		{typ: "switch", objectID: "permit_join", p: map[string]any{
			"name": "Permit join", "icon": "mdi:human-greeting-proximity",
			"state_topic": bt + "/info", "value_template": "{{ value_json.permit_join | lower }}",
			"command_topic": bt + "/request/permit_join", "state_on": "true", "state_off": "false",
			"payload_on": `{"time": 254}`, "payload_off": `{"time": 0}`,
		}},
	}
	dev := map[string]any{
		"identifiers":  []string{d.BridgeIdentifier()},
		"name":         "zhub Bridge",
		"model":        "Bridge",
		"manufacturer": "zhub",
		"sw_version":   d.Version,
		"hw_version":   strings.TrimSpace(info.CoordinatorType + " " + info.Revision),
	}
	out := make([]DiscoveryMessage, 0, len(entries))
	for _, e := range entries {
		p := e.p
		objectID := suggestedObjectID("zhub Bridge", e.typ, e.objectID)
		p["object_id"] = objectID
		p["default_entity_id"] = e.typ + "." + objectID
		p["unique_id"] = d.UniqueID(id, e.objectID)
		p["device"] = dev
		p["origin"] = d.origin()
		if e.objectID != "connection_state" {
			p["availability"] = []map[string]any{{"topic": bt + "/state", "value_template": "{{ value_json.state }}"}}
			p["availability_mode"] = "all"
		}
		out = append(out, DiscoveryMessage{Component: e.typ, ObjectID: e.objectID,
			Topic: d.Prefix + "/" + e.typ + "/" + node + "/" + e.objectID + "/config", Payload: p})
	}
	return out
}

// IsBridgeNode reports whether a discovery node id is this bridge's.
func (d Discovery) IsBridgeNode(node string) bool {
	return node == d.encodedBase()+"_"+d.CoordinatorIEEE
}
