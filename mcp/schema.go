package mcp

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Schemas are plain JSON objects kept within what OpenAI's strict mode,
// Anthropic and small local models accept (interfaces.md §C.4): no $ref,
// no top-level oneOf, additionalProperties false, enums for finite sets.
type schema = map[string]any

func object(props schema, required ...string) schema {
	s := schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func str(desc string) schema { return schema{"type": "string", "description": desc} }

func boolean(desc string) schema { return schema{"type": "boolean", "description": desc} }

func integer(desc string, lo, hi int) schema {
	return schema{"type": "integer", "description": desc, "minimum": lo, "maximum": hi}
}

func strList(desc string, maxItems int) schema {
	return schema{"type": "array", "description": desc, "items": schema{"type": "string"}, "maxItems": maxItems}
}

// colorSchema is every colour form the hub accepts, as one object.
func colorSchema() schema {
	n := func(desc string, lo, hi float64) schema {
		return schema{"type": "number", "description": desc, "minimum": lo, "maximum": hi}
	}
	return object(schema{
		"x":          n("CIE 1931 x (with y)", 0, 1),
		"y":          n("CIE 1931 y (with x)", 0, 1),
		"hue":        n("hue in degrees (with saturation)", 0, 360),
		"saturation": n("saturation in percent (with hue)", 0, 100),
		"hex":        str(`"#rrggbb"`),
		"r":          n("red (with g and b)", 0, 255),
		"g":          n("green (with r and b)", 0, 255),
		"b":          n("blue (with r and g)", 0, 255),
	})
}

// valuesSchema is the "values" object of set_device: every settable
// property of the visible devices, typed from their exposes (enums merged,
// numeric ranges widened). The hub validates each device's own range and
// values, so a wider union here only lets the hub give the precise error.
// Hidden devices are not in es, so their properties stay out.
func valuesSchema(es []entry) schema {
	props := schema{}
	usedBy := map[string][]string{}
	for _, e := range es {
		// Read-only devices count too: a change to one must reach the
		// rules, which refuse it with the household's words, rather than
		// fail the schema.
		for _, c := range capabilitiesOf(e.dev) {
			if c.Access == "read" {
				continue
			}
			usedBy[c.Property] = append(usedBy[c.Property], e.name())
			props[c.Property] = mergeProp(props[c.Property], c)
		}
	}
	for p, devs := range usedBy {
		s := props[p].(schema)
		desc, _ := s["description"].(string)
		if len(devs) <= 6 {
			desc = strings.TrimSpace(desc + " (" + strings.Join(devs, ", ") + ")")
		}
		s["description"] = desc
	}
	return schema{"type": "object", "description": "properties to change, e.g. {\"state\":\"ON\",\"brightness\":127}; " +
		"get_device lists what a device accepts", "properties": props, "additionalProperties": false}
}

// mergeProp merges a capability into the schema of its property.
func mergeProp(prev any, c Capability) schema {
	var s schema
	switch {
	case c.Type == "composite" && c.Property == "color":
		s = colorSchema()
		s["description"] = "colour: {x,y}, {hue,saturation}, {hex} or {r,g,b}"
	case c.Type == "composite":
		s = schema{"type": "object", "description": c.Description}
	case c.Type == "binary" && len(c.Values) > 0:
		s = schema{"type": "string", "enum": slices.Clone(c.Values), "description": c.Description}
	case c.Type == "enum":
		s = schema{"type": "string", "enum": slices.Clone(c.Values), "description": c.Description}
	case c.Type == "numeric":
		s = schema{"type": "number", "description": numericDesc(c)}
		if c.Min != nil {
			s["minimum"] = *c.Min
		}
		if c.Max != nil {
			s["maximum"] = *c.Max
		}
	default:
		s = schema{"type": "string", "description": c.Description}
	}
	p, ok := prev.(schema)
	if !ok {
		return s
	}
	if p["type"] != s["type"] {
		// Two devices disagree on the type: keep the first and let the
		// hub judge the value.
		return p
	}
	if pe, ok := p["enum"].([]string); ok {
		if se, ok := s["enum"].([]string); ok {
			for _, v := range se {
				if !slices.Contains(pe, v) {
					pe = append(pe, v)
				}
			}
			p["enum"] = pe
		}
	}
	for _, k := range []string{"minimum", "maximum"} {
		pv, pok := p[k].(float64)
		sv, sok := s[k].(float64)
		switch {
		case !pok || !sok:
			delete(p, k)
		case k == "minimum":
			p[k] = min(pv, sv)
		default:
			p[k] = max(pv, sv)
		}
	}
	return p
}

func numericDesc(c Capability) string {
	d := c.Description
	if c.Unit != "" {
		d += " (" + c.Unit + ")"
	}
	if len(c.Presets) > 0 {
		d += "; presets by name are accepted too: " + strings.Join(c.Presets, ", ")
	}
	return strings.TrimSpace(d)
}

// deviceList names devices for a tool description, the household's way:
// "living_room_lamp (light, Living room, also "the lamp by the sofa")".
func deviceList(es []entry, include func(entry) bool, extra func(entry) string) string {
	var parts []string
	n := 0
	for _, e := range es {
		if include != nil && !include(e) {
			continue
		}
		n++
		if len(parts) >= maxDescribed {
			continue
		}
		info := []string{kindOf(e.dev)}
		if e.ctx.Room != "" {
			info = append(info, e.ctx.Room)
		}
		if len(e.ctx.Aliases) > 0 {
			info = append(info, "also "+quoteList(e.ctx.Aliases))
		}
		if extra != nil {
			if x := extra(e); x != "" {
				info = append(info, x)
			}
		}
		parts = append(parts, e.name()+" ("+strings.Join(info, ", ")+")")
	}
	if n == 0 {
		return "none yet"
	}
	s := strings.Join(parts, "; ")
	if n > len(parts) {
		s += fmt.Sprintf("; and %d more (call list_devices)", n-len(parts))
	}
	return s
}

// roomsOf returns the rooms in use, sorted.
func roomsOf(es []entry) []string {
	set := map[string]bool{}
	for _, e := range es {
		if e.ctx.Room != "" {
			set[e.ctx.Room] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// capabilityNames returns every property name of the visible devices.
func capabilityNames(es []entry) []string {
	set := map[string]bool{}
	for _, e := range es {
		for _, c := range capabilitiesOf(e.dev) {
			set[c.Property] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
