package rules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/rules"
)

// testNow is the fixed clock of the tests: Tuesday 3 March 2026, 15:00 UTC.
var testNow = time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC)

// homeDevices is the household the tests talk to (the simulator's default
// devices, with rooms, plus a few more to make names collide).
func homeDevices() []rules.DeviceInfo {
	return []rules.DeviceInfo{
		{Name: "living_room_lamp", Room: "living room", Type: "light", Capabilities: []string{"state", "brightness", "color_temp"},
			State: map[string]any{"state": "ON", "brightness": 200.0, "color_temp": 370.0}},
		{Name: "kitchen_light", Room: "kitchen", Type: "light", Capabilities: []string{"state", "brightness", "color_temp", "color"},
			State: map[string]any{"state": "OFF", "brightness": 127.0}},
		{Name: "kitchen_spots", Room: "kitchen", Capabilities: []string{"state", "brightness"}, Aliases: []string{"spotlights"},
			State: map[string]any{"state": "OFF"}},
		{Name: "coffee_plug", Room: "kitchen", Type: "plug", Capabilities: []string{"state", "power", "energy"},
			State: map[string]any{"state": "ON", "power": 1210.0, "energy": 3.4}},
		{Name: "bedroom_sensor", Room: "bedroom", Type: "sensor", Capabilities: []string{"temperature", "humidity", "battery"},
			State: map[string]any{"temperature": 21.5, "humidity": 48.0, "battery": 90.0}},
		{Name: "bedroom_lamp", Room: "bedroom", Capabilities: []string{"state", "brightness"}, Aliases: []string{"reading lamp"},
			State: map[string]any{"state": "OFF"}},
		{Name: "front_door", Room: "hallway", Type: "contact", Capabilities: []string{"contact", "battery"},
			State: map[string]any{"contact": true, "battery": 77.0}},
		{Name: "hallway_remote", Room: "hallway", Capabilities: []string{"action", "battery"}},
		{Name: "hallway_light", Room: "hallway", Capabilities: []string{"state", "brightness"},
			State: map[string]any{"state": "ON", "brightness": 254.0}},
		{Name: "back_door_lock", Room: "hallway", Type: "lock", Capabilities: []string{"lock_state", "state"},
			State: map[string]any{"lock_state": "locked", "state": "LOCK"}},
		{Name: "office_sensor", Room: "office", Capabilities: []string{"temperature", "humidity"},
			State: map[string]any{"temperature": 19.0, "humidity": 55.0}},
	}
}

// home is a fake device context: list_devices, get_device, set_device (the
// device "confirms" what it was asked, with brightness rounded the way a
// bulb may report it), get_history and list_rooms, as JSON like the MCP
// device context returns.
type home struct {
	mu   sync.Mutex
	devs []rules.DeviceInfo
}

func newHome() *home { return &home{devs: homeDevices()} }

func (h *home) find(name string) *rules.DeviceInfo {
	for i := range h.devs {
		if h.devs[i].Name == name {
			return &h.devs[i]
		}
	}
	return nil
}

func (h *home) handle(_ context.Context, name string, args json.RawMessage) (llm.ToolResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var a struct {
		Name     string         `json:"device"`
		Values   map[string]any `json:"values"`
		Property string         `json:"property"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return llm.ToolResult{}, err
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	switch name {
	case "list_devices":
		return llm.ToolResult{Text: js(map[string]any{"devices": h.devs})}, nil
	case "permit_join":
		var pj struct{ Seconds int }
		_ = json.Unmarshal(args, &pj)
		return llm.ToolResult{Text: fmt.Sprintf(`{"permit_join":true,"duration":%d}`, pj.Seconds)}, nil
	case "list_rooms":
		return llm.ToolResult{Text: `["bedroom","hallway","kitchen","living room","office"]`}, nil
	case "get_device":
		d := h.find(a.Name)
		if d == nil {
			return llm.ToolResult{IsError: true, Text: fmt.Sprintf("error: no device %q", a.Name)}, nil
		}
		return llm.ToolResult{Text: js(map[string]any{"name": d.Name, "state": d.State})}, nil
	case "set_device":
		d := h.find(a.Name)
		if d == nil {
			return llm.ToolResult{IsError: true, Text: fmt.Sprintf("error: no device %q", a.Name)}, nil
		}
		if d.State == nil {
			d.State = map[string]any{}
		}
		for k, v := range a.Values {
			if k == "brightness" {
				d.State["state"] = "ON"
			}
			if k == "state" && v == "TOGGLE" {
				if d.State["state"] == "ON" {
					v = "OFF"
				} else {
					v = "ON"
				}
			}
			d.State[k] = v
		}
		st := maps.Clone(d.State)
		return llm.ToolResult{Text: js(st), Metadata: map[string]any{"device": d.Name, "state": st, "confirmed": true}}, nil
	case "get_history":
		pts := []map[string]any{}
		for i, v := range []float64{18.5, 19.0, 20.5, 22.0, 21.5} {
			pts = append(pts, map[string]any{"t": testNow.Add(time.Duration(i-5) * time.Hour).Format(time.RFC3339), "v": v})
		}
		res := llm.ToolResult{Text: js(map[string]any{"name": a.Name, "property": a.Property, "points": pts})}
		var cp []llm.Point
		for _, p := range pts {
			t, _ := time.Parse(time.RFC3339, p["t"].(string))
			cp = append(cp, llm.Point{T: t, V: p["v"].(float64)})
		}
		res.Chart = &llm.Chart{Title: a.Name + " " + a.Property, Points: cp}
		return res, nil
	}
	return llm.ToolResult{IsError: true, Text: "error: unknown tool " + name}, nil
}

func (h *home) toolSet() *llmtest.ToolSet {
	tools := llmtest.DeviceTools()
	tools = append(tools, llm.Tool{Name: "permit_join", InputSchema: json.RawMessage(`{"type":"object","properties":{"seconds":{"type":"integer"}}}`)})
	return &llmtest.ToolSet{Tools: tools, Handle: h.handle}
}

// describe renders calls compactly: `set_device kitchen_light {"brightness":76}`,
// `get_device front_door`, `list_rooms`; several joined by " | ".
func describe(calls []llm.ToolCall) string {
	var out []string
	for _, c := range calls {
		var a map[string]any
		_ = json.Unmarshal(c.Arguments, &a)
		s := c.Name
		if n, ok := a["device"].(string); ok {
			s += " " + n
		}
		switch c.Name {
		case "set_device":
			b, _ := json.Marshal(a["values"])
			s += " " + string(b)
		case "get_history":
			s += fmt.Sprintf(" %v %v..%v", a["property"], a["from"], a["to"])
		case "permit_join":
			s += fmt.Sprintf(" %v", a["seconds"])
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, " | ")
}
