package mcp

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
)

// Kinds of device (the type filter of list_devices).
var kinds = []string{"light", "switch", "lock", "cover", "climate", "fan", "sensor", "remote", "other"}

// kindOf says what a device is, from its exposes: the first specific type
// (light, switch, lock, cover, climate, fan), else "remote" for a device
// that only sends actions, "sensor" for one that only reports, "other".
func kindOf(d hub.Device) string {
	xs := d.Definition.Exposes
	for _, k := range kinds[:6] {
		if slices.ContainsFunc(xs, func(x hub.Expose) bool { return x.Type == k }) {
			return k
		}
	}
	var settable, reports, action bool
	walkExposes(xs, func(x hub.Expose) {
		switch {
		case x.Access&hub.AccessSet != 0:
			settable = true
		case x.Property == "action":
			action = true
		case x.Access&hub.AccessState != 0 && x.Category == "":
			reports = true
		}
	})
	switch {
	case settable:
		return "other"
	case action:
		return "remote"
	case reports:
		return "sensor"
	}
	return "other"
}

// walkExposes calls fn for every expose with a property: leaves and
// composites (whose features are not visited on their own).
func walkExposes(xs []hub.Expose, fn func(hub.Expose)) {
	for _, x := range xs {
		switch {
		case x.Type == "composite" || x.Type == "list":
			fn(x)
		case len(x.Features) > 0:
			walkExposes(x.Features, fn)
		case x.Property != "":
			fn(x)
		}
	}
}

// modelOf is "IKEA LED1624G9" or what the Basic cluster said.
func modelOf(d hub.Device) string {
	vendor, model := d.Definition.Vendor, d.Definition.Model
	if vendor == "" {
		vendor = d.Manufacturer
	}
	if model == "" {
		model = d.Model
	}
	return strings.TrimSpace(vendor + " " + model)
}

// Capability is one property of a device, with what it accepts.
type Capability struct {
	Property string `json:"property"`
	// Type is Zigbee2MQTT's expose type: binary, numeric, enum, text,
	// composite or list.
	Type string `json:"type"`
	// Access is "read", "write" or "read_write".
	Access      string   `json:"access"`
	Unit        string   `json:"unit,omitempty"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Step        *float64 `json:"step,omitempty"`
	Values      []string `json:"values,omitempty"`  // accepted values of binary and enum
	Fields      []string `json:"fields,omitempty"`  // parts of a composite (colour x, y, hue, ...)
	Presets     []string `json:"presets,omitempty"` // named values of a numeric ("warm")
	Description string   `json:"description,omitempty"`
}

// capabilitiesOf flattens a device's exposes into one entry per property
// (composites with the same property, e.g. colour xy and hs, merged).
func capabilitiesOf(d hub.Device) []Capability {
	var out []Capability
	idx := map[string]int{}
	walkExposes(d.Definition.Exposes, func(x hub.Expose) {
		c := Capability{Property: x.Property, Type: x.Type, Unit: x.Unit, Min: x.ValueMin, Max: x.ValueMax, Step: x.ValueStep,
			Description: x.Description}
		switch {
		case x.Access&hub.AccessSet != 0 && x.Access&(hub.AccessState|hub.AccessGet) != 0:
			c.Access = "read_write"
		case x.Access&hub.AccessSet != 0:
			c.Access = "write"
		default:
			c.Access = "read"
		}
		switch x.Type {
		case "binary":
			for _, v := range []any{x.ValueOn, x.ValueOff, x.ValueToggle} {
				if v != nil {
					c.Values = append(c.Values, fmt.Sprint(v))
				}
			}
		case "enum":
			c.Values = slices.Clone(x.Values)
		case "composite":
			for _, f := range x.Features {
				c.Fields = append(c.Fields, f.Property)
			}
		}
		for _, p := range x.Presets {
			c.Presets = append(c.Presets, p.Name)
		}
		if i, dup := idx[c.Property]; dup {
			prev := &out[i]
			for _, f := range c.Fields {
				if !slices.Contains(prev.Fields, f) {
					prev.Fields = append(prev.Fields, f)
				}
			}
			return
		}
		idx[c.Property] = len(out)
		out = append(out, c)
	})
	return out
}

// settableOf lists the properties a device accepts in set_device.
func settableOf(d hub.Device) []string {
	var out []string
	for _, c := range capabilitiesOf(d) {
		if c.Access != "read" {
			out = append(out, c.Property)
		}
	}
	return out
}

// DeviceSummary is one device in list_devices and zhub://devices.
type DeviceSummary struct {
	Name         string         `json:"name"`
	Room         string         `json:"room,omitempty"`
	Aliases      []string       `json:"aliases,omitempty"`
	Type         string         `json:"type"`
	Model        string         `json:"model,omitempty"`
	Available    bool           `json:"available"`
	Capabilities []string       `json:"capabilities"`
	Rules        string         `json:"rules,omitempty"`
	State        map[string]any `json:"state,omitempty"`
}

func summaryOf(e entry, withState bool) DeviceSummary {
	s := DeviceSummary{Name: e.name(), Room: e.ctx.Room, Aliases: e.ctx.Aliases, Type: kindOf(e.dev), Model: modelOf(e.dev),
		Available: e.dev.Available, Capabilities: []string{}, Rules: describeRules(e.ctx.Rules)}
	for _, c := range capabilitiesOf(e.dev) {
		s.Capabilities = append(s.Capabilities, c.Property)
	}
	if withState && len(e.dev.State) > 0 {
		s.State = maps.Clone(e.dev.State)
	}
	return s
}

// DeviceDetail is get_device's answer and zhub://devices/{name}.
type DeviceDetail struct {
	Name         string         `json:"name"`
	IEEE         string         `json:"ieee_address"`
	Room         string         `json:"room,omitempty"`
	Aliases      []string       `json:"aliases,omitempty"`
	Notes        string         `json:"notes,omitempty"`
	Rules        string         `json:"rules,omitempty"`
	Type         string         `json:"type"`
	Model        string         `json:"model,omitempty"`
	Description  string         `json:"description,omitempty"`
	PowerSource  string         `json:"power_source,omitempty"`
	Available    bool           `json:"available"`
	LastSeen     string         `json:"last_seen,omitempty"` // RFC 3339, empty if never heard from
	LinkQuality  int            `json:"linkquality"`
	Interview    string         `json:"interview"`
	State        map[string]any `json:"state"`
	Capabilities []Capability   `json:"capabilities"`
}

func detailOf(e entry) DeviceDetail {
	d := e.dev
	out := DeviceDetail{Name: d.FriendlyName, IEEE: d.IEEE.String(), Room: e.ctx.Room, Aliases: e.ctx.Aliases, Notes: e.ctx.Notes,
		Rules: describeRules(e.ctx.Rules), Type: kindOf(d), Model: modelOf(d), Description: d.Definition.Description,
		PowerSource: d.PowerSource, Available: d.Available, LinkQuality: int(d.LinkQuality), Interview: string(d.Interview.State),
		State: maps.Clone(d.State), Capabilities: capabilitiesOf(d)}
	if out.State == nil {
		out.State = map[string]any{}
	}
	if out.Capabilities == nil {
		out.Capabilities = []Capability{}
	}
	if !d.LastSeen.IsZero() {
		out.LastSeen = d.LastSeen.UTC().Format(time.RFC3339)
	}
	return out
}
