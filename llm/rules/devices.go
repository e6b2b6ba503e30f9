package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// DeviceInfo is what the grammar needs to know about a device.
type DeviceInfo struct {
	// Name is the friendly name used in tool calls.
	Name string `json:"name"`
	// Aliases are other names the household uses ("the lamp by the sofa").
	Aliases []string `json:"aliases,omitempty"`
	Room    string   `json:"room,omitempty"`
	// Type is "light", "switch", "plug", "sensor", "contact", "lock",
	// "cover", "remote", ... ; empty means inferred from Capabilities.
	Type string `json:"type,omitempty"`
	// Capabilities are the property names the device exposes
	// ("state", "brightness", "color_temp", "color", "temperature", ...).
	Capabilities []string `json:"capabilities,omitempty"`
	// State is the last known state, if the list carries it.
	State map[string]any `json:"state,omitempty"`

	idx *index // words, computed once per request (see indexed)
}

// index holds a device's words for matching.
type index struct {
	names [][]string // name, then aliases
	room  []string
	kind  string
}

// ix returns d's words, computing them on first use. Only copies owned by
// one Next call are indexed, so this is not shared between goroutines.
func (d *DeviceInfo) ix() *index {
	if d.idx == nil {
		x := &index{names: [][]string{words(d.Name)}, room: words(d.Room), kind: d.kind()}
		for _, a := range d.Aliases {
			x.names = append(x.names, words(a))
		}
		d.idx = x
	}
	return d.idx
}

// has reports whether d exposes property p.
func (d *DeviceInfo) has(p string) bool {
	if slices.Contains(d.Capabilities, p) {
		return true
	}
	if p == "color" {
		return slices.Contains(d.Capabilities, "color_xy") || slices.Contains(d.Capabilities, "color_hs")
	}
	return false
}

// kind returns the device type, inferred when not given.
func (d *DeviceInfo) kind() string {
	t := strings.ToLower(d.Type)
	switch t {
	case "", "router", "enddevice", "end_device", "coordinator", "unknown":
	default:
		return t
	}
	switch {
	case d.has("brightness") || d.has("color_temp") || d.has("color"):
		return "light"
	case d.has("contact"):
		return "contact"
	case d.has("lock_state"):
		return "lock"
	case d.has("position"):
		return "cover"
	case d.has("action"):
		return "remote"
	case d.has("power") || d.has("energy"):
		return "plug"
	case d.has("state"):
		return "switch"
	case d.has("temperature") || d.has("humidity") || d.has("occupancy") || d.has("illuminance"):
		return "sensor"
	}
	return "device"
}

// switchable reports whether the device takes on/off.
func (d *DeviceInfo) switchable() bool {
	switch d.kind() {
	case "light", "switch", "plug", "fan":
		return d.has("state") || len(d.Capabilities) == 0
	}
	return false
}

// display is the name as said in answers ("kitchen_light" → "kitchen light").
func display(name string) string {
	return strings.Join(words(name), " ")
}

// capitalised upper-cases the first letter of s.
func capitalised(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseDevices reads a list_devices result; see the package documentation.
func parseDevices(text string) ([]DeviceInfo, error) {
	var top any
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return nil, fmt.Errorf("rules: device list is not JSON: %w", err)
	}
	var list []any
	switch v := top.(type) {
	case []any:
		list = v
	case map[string]any:
		for _, k := range []string{"devices", "items", "result"} {
			if l, ok := v[k].([]any); ok {
				list = l
				break
			}
		}
		if list == nil {
			return nil, fmt.Errorf("rules: device list has no devices array")
		}
	default:
		return nil, fmt.Errorf("rules: device list is neither an array nor an object")
	}
	var out []DeviceInfo
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		d := DeviceInfo{Name: firstString(m, "name", "friendly_name", "device", "id")}
		if d.Name == "" {
			continue
		}
		d.Room = firstString(m, "room", "area", "location")
		d.Type = firstString(m, "type", "device_type", "category")
		if as, ok := m["aliases"].([]any); ok {
			for _, a := range as {
				if s, ok := a.(string); ok && s != "" {
					d.Aliases = append(d.Aliases, s)
				}
			}
		}
		for _, k := range []string{"capabilities", "properties", "features"} {
			d.Capabilities = appendCaps(d.Capabilities, m[k])
		}
		d.Capabilities = appendCaps(d.Capabilities, m["exposes"])
		if def, ok := m["definition"].(map[string]any); ok {
			d.Capabilities = appendCaps(d.Capabilities, def["exposes"])
		}
		if st, ok := m["state"].(map[string]any); ok {
			d.State = st
		} else if s, ok := m["state"].(string); ok {
			d.State = map[string]any{"state": s}
		}
		if len(d.Capabilities) == 0 {
			for k := range d.State {
				d.Capabilities = append(d.Capabilities, k)
			}
			slices.Sort(d.Capabilities)
		}
		out = append(out, d)
	}
	return out, nil
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// appendCaps collects property names from strings, {"property"|"name"}
// objects and nested Zigbee2MQTT features.
func appendCaps(caps []string, v any) []string {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			caps = appendCaps(caps, e)
		}
	case string:
		if v != "" && !slices.Contains(caps, v) {
			caps = append(caps, v)
		}
	case map[string]any:
		p := firstString(v, "property", "name")
		if p != "" && !slices.Contains(caps, p) {
			caps = append(caps, p)
		}
		caps = appendCaps(caps, v["features"])
	}
	return caps
}
