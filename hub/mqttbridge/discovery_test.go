package mqttbridge_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/zigbee"
)

func f64(f float64) *float64 { return &f }

func bin(name, label string, access int, on, off any) hub.Expose {
	return hub.Expose{Type: "binary", Name: name, Label: label, Property: name, Access: access, ValueOn: on, ValueOff: off}
}

func numx(name, label, unit string, access int) hub.Expose {
	return hub.Expose{Type: "numeric", Name: name, Label: label, Property: name, Access: access, Unit: unit}
}

func enumx(name, label string, access int, values ...string) hub.Expose {
	return hub.Expose{Type: "enum", Name: name, Label: label, Property: name, Access: access, Values: values}
}

func onEP(x hub.Expose, ep string) hub.Expose {
	x.Property += "_" + ep
	x.Endpoint = ep
	for i := range x.Features {
		x.Features[i] = onEP(x.Features[i], ep)
	}
	return x
}

func device(ieee zigbee.IEEE, name string, exposes ...hub.Expose) hub.Device {
	return hub.Device{IEEE: ieee, FriendlyName: name, Type: "Router", SWBuild: "1.0",
		Interview:  hub.Interview{State: hub.InterviewSuccessful},
		Definition: hub.Definition{Model: "M1", Vendor: "V", Description: "A thing", Exposes: exposes}}
}

// TestDiscoveryRendering renders the components the virtual devices do
// not have (cover, lock, climate, fan, number, select, button, multi-
// endpoint switches) and checks them against Home Assistant's schema and
// Zigbee2MQTT's object ids.
func TestDiscoveryRendering(t *testing.T) {
	d := mqttbridge.Discovery{Prefix: "homeassistant", Base: "zigbee2mqtt", CoordinatorIEEE: "0x00124b0021b776f1", Availability: true, Version: "1.0"}
	rw := hub.AccessState | hub.AccessSet | hub.AccessGet
	light := hub.Expose{Type: "light", Features: []hub.Expose{
		bin("state", "State", rw, "ON", "OFF"),
		{Type: "numeric", Name: "brightness", Label: "Brightness", Property: "brightness", Access: rw, ValueMin: f64(0), ValueMax: f64(254)},
		{Type: "numeric", Name: "color_temp", Label: "Color temp", Property: "color_temp", Access: rw, Unit: "mired", ValueMin: f64(153), ValueMax: f64(500)},
		{Type: "composite", Name: "color_hs", Property: "color", Access: rw},
		{Type: "composite", Name: "color_xy", Property: "color", Access: rw},
	}}
	tests := []struct {
		name    string
		dev     hub.Device
		want    map[string]string // topic suffix "component/object_id" → a JSON fragment the payload must contain
		wantNot []string
	}{
		{"hs-preferring light with effects", device(1, "Bulb", light, enumx("effect", "Effect", hub.AccessSet, "blink", "okay")),
			map[string]string{
				"light/light":   `"supported_color_modes":["hs","color_temp"]`,
				"select/effect": `"options":["blink","okay"]`,
			}, nil},
		{"two-gang switch", device(2, "Wall switch",
			onEP(hub.Expose{Type: "switch", Features: []hub.Expose{bin("state", "State", rw, "ON", "OFF")}}, "l1"),
			onEP(hub.Expose{Type: "switch", Features: []hub.Expose{bin("state", "State", rw, "ON", "OFF")}}, "l2")),
			map[string]string{
				"switch/switch_l1": `"command_topic":"zigbee2mqtt/Wall switch/l1/set"`,
				"switch/switch_l2": `"value_template":"{{ value_json[\"state_l2\"] }}"`,
			}, nil},
		{"cover", device(3, "Blind", hub.Expose{Type: "cover", Features: []hub.Expose{
			enumx("state", "State", hub.AccessState|hub.AccessSet, "OPEN", "CLOSE", "STOP"),
			{Type: "numeric", Name: "position", Label: "Position", Property: "position", Access: rw, Unit: "%", ValueMin: f64(0), ValueMax: f64(100)},
		}}),
			map[string]string{"cover/cover": `"set_position_template":"{ \"position\": {{ position }} }"`}, nil},
		{"lock", device(4, "Door lock", hub.Expose{Type: "lock", Features: []hub.Expose{
			bin("state", "State", rw, "LOCK", "UNLOCK"), enumx("lock_state", "Lock state", hub.AccessState, "locked", "unlocked"),
		}}), map[string]string{"lock/lock": `"state_locked":"LOCK"`}, nil},
		{"thermostat", device(5, "Radiator", hub.Expose{Type: "climate", Features: []hub.Expose{
			numx("local_temperature", "Local temperature", "°C", hub.AccessState|hub.AccessGet),
			{Type: "numeric", Name: "occupied_heating_setpoint", Label: "Setpoint", Property: "occupied_heating_setpoint", Access: rw, Unit: "°C", ValueMin: f64(5), ValueMax: f64(30), ValueStep: f64(0.5)},
			enumx("system_mode", "System mode", rw, "off", "heat", "sleep"),
		}}), map[string]string{
			"climate/climate":          `"modes":["off","heat"]`,
			"sensor/local_temperature": `"device_class":"temperature"`,
		}, nil},
		{"settings", device(6, "Plug",
			bin("child_lock", "Child lock", rw, "LOCK", "UNLOCK"),
			hub.Expose{Type: "numeric", Name: "transition", Label: "Transition", Property: "transition", Access: rw, ValueMin: f64(0), ValueMax: f64(10)},
			enumx("power_on_behavior", "Power-on behavior", rw, "off", "on", "previous"),
			enumx("identify", "Identify", hub.AccessSet, "identify"),
			numx("linkquality", "Linkquality", "lqi", hub.AccessState)),
			map[string]string{
				"switch/switch_child_lock": `"command_topic":"zigbee2mqtt/Plug/set/child_lock"`,
				"number/transition":        `"entity_category":"config"`,
				"select/power_on_behavior": `"options":["off","on","previous"]`,
				"button/identify":          `"payload_press":"identify"`,
				"sensor/linkquality":       `"enabled_by_default":false`,
			}, nil},
		{"actions are triggers, not entities", device(7, "Remote", enumx("action", "Action", hub.AccessState, "on", "off")), nil, []string{"sensor/action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, _ := d.Device(tt.dev)
			got := map[string]mqttbridge.DiscoveryMessage{}
			for _, m := range msgs {
				var p map[string]any
				if err := json.Unmarshal(m.JSON(), &p); err != nil {
					t.Fatal(err)
				}
				if err := validConfig(m.Topic, p); err != nil {
					t.Errorf("%s: %v\n%s", m.Topic, err, m.JSON())
				}
				if want := tt.dev.IEEE.String() + "_" + m.ObjectID + "_zigbee2mqtt"; p["unique_id"] != want {
					t.Errorf("%s: unique_id %v, want %s", m.Topic, p["unique_id"], want)
				}
				got[m.Component+"/"+m.ObjectID] = m
			}
			for key, frag := range tt.want {
				m, ok := got[key]
				if !ok {
					t.Errorf("no %s config; have %v", key, keys(got))
					continue
				}
				if !strings.Contains(string(m.JSON()), frag) {
					t.Errorf("%s: %s does not contain %s", key, m.JSON(), frag)
				}
			}
			for _, key := range tt.wantNot {
				if _, ok := got[key]; ok {
					t.Errorf("unexpected %s config", key)
				}
			}
		})
	}
}

func keys(m map[string]mqttbridge.DiscoveryMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestDiscoveryTrigger(t *testing.T) {
	d := mqttbridge.Discovery{Prefix: "homeassistant", Base: "zhub", CoordinatorIEEE: "0x1", Version: "1"}
	dev := device(0x000b57fffea1c006, "hallway_remote", enumx("action", "Action", hub.AccessState, "on", "off"))
	m := d.Trigger(dev, "toggle")
	if m.Topic != "homeassistant/device_automation/0x000b57fffea1c006/action_toggle/config" {
		t.Fatalf("topic %s", m.Topic)
	}
	var p map[string]any
	if err := json.Unmarshal(m.JSON(), &p); err != nil {
		t.Fatal(err)
	}
	if err := validConfig(m.Topic, p); err != nil {
		t.Fatal(err)
	}
	if p["topic"] != "zhub/hallway_remote/action" || p["subtype"] != "toggle" || p["type"] != "action" {
		t.Fatalf("payload %v", p)
	}
}
