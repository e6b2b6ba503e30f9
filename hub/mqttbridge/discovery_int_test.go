package mqttbridge_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// retainedUnder subscribes a fresh client to filter and returns every
// retained message, stopping at a marker published after the subscription
// (the broker sends retained messages first).
func retainedUnder(t *testing.T, e *env, filter string) map[string]mqtttest.Message {
	t.Helper()
	c := e.client(fmt.Sprintf("retained-%d", retainedClients.Add(1)), filter, "test/marker")
	c.Publish("test/marker", 1, false, "x")
	c.Wait("test/marker", nil)
	out := map[string]mqtttest.Message{}
	for _, m := range c.Messages() {
		if m.Retained && len(m.Payload) > 0 {
			out[m.Topic] = m
		}
	}
	return out
}

var retainedClients atomic.Int64

var idPart = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// validConfig checks one discovery config against Home Assistant's MQTT
// discovery schema (interfaces.md §B): the topic layout, the fields every
// entity needs, and each component's required keys.
func validConfig(topic string, p map[string]any) error {
	parts := strings.Split(topic, "/")
	if len(parts) != 5 || parts[0] != "homeassistant" || parts[4] != "config" {
		return fmt.Errorf("topic layout")
	}
	comp, node, object := parts[1], parts[2], parts[3]
	if !idPart.MatchString(node) || !idPart.MatchString(object) {
		return fmt.Errorf("node_id %q / object_id %q must be [a-zA-Z0-9_-]", node, object)
	}
	str := func(k string) error {
		if s, ok := p[k].(string); !ok || s == "" {
			return fmt.Errorf("%s: want a non-empty string, got %#v", k, p[k])
		}
		return nil
	}
	dev, ok := p["device"].(map[string]any)
	if !ok {
		return fmt.Errorf("no device block")
	}
	if ids, ok := dev["identifiers"].([]any); !ok || len(ids) == 0 {
		return fmt.Errorf("device.identifiers missing")
	}
	if s, _ := dev["name"].(string); s == "" {
		return fmt.Errorf("device.name missing")
	}
	if o, ok := p["origin"].(map[string]any); !ok || o["name"] != "zhub" {
		return fmt.Errorf("origin.name missing")
	}
	if comp == "device_automation" {
		for _, k := range []string{"automation_type", "topic", "type", "subtype"} {
			if err := str(k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := str("unique_id"); err != nil {
		return err
	}
	if av, ok := p["availability"].([]any); ok {
		for _, a := range av {
			if s, _ := a.(map[string]any)["topic"].(string); s == "" {
				return fmt.Errorf("availability entry without topic")
			}
		}
		if len(av) > 1 && p["availability_mode"] != "all" {
			return fmt.Errorf("two availability topics need availability_mode all")
		}
	} else if object != "connection_state" {
		return fmt.Errorf("availability missing")
	}
	if name, ok := p["name"].(string); ok {
		if dn, _ := dev["name"].(string); dn != "" && strings.HasPrefix(name, dn) {
			return fmt.Errorf("entity name %q starts with the device name", name)
		}
	}
	need := map[string][]string{
		"light":         {"command_topic", "state_topic", "schema"},
		"switch":        {"command_topic", "state_topic"},
		"sensor":        {"state_topic", "value_template"},
		"binary_sensor": {"state_topic", "value_template"},
		"cover":         {"command_topic", "state_topic"},
		"lock":          {"command_topic", "state_topic"},
		"climate":       {"current_temperature_topic", "temperature_command_topic", "mode_command_topic"},
		"number":        {"command_topic", "state_topic"},
		"select":        {"command_topic"},
		"button":        {"command_topic"},
	}[comp]
	if need == nil {
		return fmt.Errorf("unexpected component %q", comp)
	}
	for _, k := range need {
		if err := str(k); err != nil {
			return err
		}
	}
	switch comp {
	case "light":
		if p["schema"] != "json" {
			return fmt.Errorf("light schema %v, want json", p["schema"])
		}
		modes, _ := p["supported_color_modes"].([]any)
		if len(modes) == 0 {
			return fmt.Errorf("supported_color_modes missing")
		}
		valid := []string{"onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white"}
		for _, m := range modes {
			if !slices.Contains(valid, m.(string)) {
				return fmt.Errorf("color mode %v", m)
			}
			if (m == "onoff" || m == "brightness") && len(modes) > 1 {
				return fmt.Errorf("%v must stand alone", m)
			}
		}
	case "sensor":
		if dc, ok := p["device_class"]; ok {
			if _, ok := p["unit_of_measurement"]; !ok && dc != "enum" && dc != "timestamp" {
				return fmt.Errorf("device_class %v without unit_of_measurement", dc)
			}
		}
		if sc, ok := p["state_class"]; ok && !slices.Contains([]any{"measurement", "total", "total_increasing"}, sc) {
			return fmt.Errorf("state_class %v", sc)
		}
		if p["entity_category"] == "config" {
			return fmt.Errorf("a sensor cannot be a config entity")
		}
	case "binary_sensor", "switch":
		if _, ok := p["payload_on"]; !ok {
			return fmt.Errorf("payload_on missing")
		}
		if _, ok := p["payload_off"]; !ok {
			return fmt.Errorf("payload_off missing")
		}
	case "number":
		if _, ok := p["min"]; !ok {
			return fmt.Errorf("min missing")
		}
	case "select":
		if o, _ := p["options"].([]any); len(o) == 0 {
			return fmt.Errorf("options missing")
		}
	}
	return nil
}

// TestDiscoveryConfigs is acceptance 2: every virtual device's discovery
// configs are valid, unique ids are unique and in Zigbee2MQTT's scheme.
func TestDiscoveryConfigs(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("watcher", "zhub/bridge/state")
	waitOnline(t, c, 0)
	configs := retainedUnder(t, e, "homeassistant/#")
	coord := e.hub.Status().Network.IEEE.String()

	uids := map[string]string{}
	byDevice := map[string][]string{}
	for topic, m := range configs {
		p := decode(t, m.Payload)
		if err := validConfig(topic, p); err != nil {
			t.Errorf("%s: %v\n%s", topic, err, m.Payload)
			continue
		}
		if uid, ok := p["unique_id"].(string); ok {
			if other, dup := uids[uid]; dup {
				t.Errorf("unique_id %s used by %s and %s", uid, other, topic)
			}
			uids[uid] = topic
		}
		node := strings.Split(topic, "/")[2]
		byDevice[node] = append(byDevice[node], strings.Split(topic, "/")[1]+"/"+strings.Split(topic, "/")[3])
	}
	// Every interviewed device has configs; the remote has none (its
	// actions become triggers once pressed).
	for _, d := range e.hub.Devices() {
		if d.IEEE == remote {
			continue
		}
		if len(byDevice[d.IEEE.String()]) == 0 {
			t.Errorf("%s (%s): no discovery configs", d.FriendlyName, d.IEEE)
		}
	}
	// Zigbee2MQTT's ids, so a migrated Home Assistant keeps its entities.
	for _, want := range []struct{ topic, uid, ident string }{
		{"homeassistant/light/" + dimmable.String() + "/light/config", dimmable.String() + "_light_zhub", "zigbee2mqtt_" + dimmable.String()},
		{"homeassistant/sensor/" + thSensor.String() + "/temperature/config", thSensor.String() + "_temperature_zhub", "zigbee2mqtt_" + thSensor.String()},
		{"homeassistant/sensor/" + thSensor.String() + "/humidity/config", thSensor.String() + "_humidity_zhub", "zigbee2mqtt_" + thSensor.String()},
		{"homeassistant/switch/" + plug.String() + "/switch/config", plug.String() + "_switch_zhub", "zigbee2mqtt_" + plug.String()},
		{"homeassistant/binary_sensor/" + contact.String() + "/contact/config", contact.String() + "_contact_zhub", "zigbee2mqtt_" + contact.String()},
		{"homeassistant/switch/12210411798_" + coord + "/permit_join/config", "bridge_" + coord + "_permit_join_zhub", "zigbee2mqtt_bridge_" + coord},
	} {
		m, ok := configs[want.topic]
		if !ok {
			t.Errorf("no config on %s", want.topic)
			continue
		}
		p := decode(t, m.Payload)
		if p["unique_id"] != want.uid {
			t.Errorf("%s: unique_id %v, want %s", want.topic, p["unique_id"], want.uid)
		}
		if ids := p["device"].(map[string]any)["identifiers"].([]any); ids[0] != want.ident {
			t.Errorf("%s: identifiers %v, want %s", want.topic, ids, want.ident)
		}
	}
	light := decode(t, configs["homeassistant/light/"+dimmable.String()+"/light/config"].Payload)
	if light["state_topic"] != "zhub/kitchen_light" || light["command_topic"] != "zhub/kitchen_light/set" ||
		light["brightness"] != true || light["default_entity_id"] != "light.kitchen_light" {
		t.Errorf("kitchen light config: %v", light)
	}
	if t.Failed() {
		for topic := range configs {
			t.Log(topic)
		}
	}
}
