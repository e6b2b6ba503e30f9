package mqttbridge_test

import (
	"context"
	"testing"

	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// TestStaleDiscoveryCleared: retained configs of this base topic that
// match no entity (a device removed while zhub was stopped) are cleared at
// start; other installs' configs are left alone.
func TestStaleDiscoveryCleared(t *testing.T) {
	const ghost = "homeassistant/sensor/0x1111111111111111/temperature/config"
	const other = "homeassistant/sensor/0x2222222222222222/temperature/config"
	e := newEnv(t, envOpts{beforeBridge: func(e *env) {
		c := e.client("seed")
		c.Publish(ghost, 1, true, `{"unique_id":"0x1111111111111111_temperature_zhub","availability":[{"topic":"zhub/bridge/state"}],"state_topic":"zhub/gone"}`)
		c.Publish(other, 1, true, `{"unique_id":"0x2222222222222222_temperature_zigbee2mqtt","availability":[{"topic":"zigbee2mqtt/bridge/state"}],"state_topic":"zigbee2mqtt/x"}`)
	}})
	c := e.client("watcher", "zhub/bridge/state", "homeassistant/#")
	waitOnline(t, c, 0)
	c.Wait(ghost, func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
	left := retainedUnder(t, e, "homeassistant/#")
	if _, ok := left[ghost]; ok {
		t.Errorf("stale config %s still retained", ghost)
	}
	if _, ok := left[other]; !ok {
		t.Errorf("another install's config %s was cleared", other)
	}
	if _, ok := left["homeassistant/light/"+dimmable.String()+"/light/config"]; !ok {
		t.Errorf("a current config is missing")
	}
}

// TestHABirthRepublishes: when Home Assistant comes online it gets the
// configs and states again (a broker that lost its retained messages).
func TestHABirthRepublishes(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("ha", "zhub/#", "homeassistant/#")
	waitOnline(t, c, 0)
	cfg := "homeassistant/light/" + dimmable.String() + "/light/config"
	c.Wait(cfg, func(m mqtttest.Message) bool { return len(m.Payload) > 0 })
	if _, err := e.hub.Set(context.Background(), "kitchen_light", map[string]any{"state": "ON"}); err != nil {
		t.Fatal(err)
	}
	mark := c.Mark()
	c.Publish("homeassistant/status", 1, false, "online")
	c.WaitAfter(mark, cfg, func(m mqtttest.Message) bool { return len(m.Payload) > 0 })
	c.WaitAfter(mark, "zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
	c.WaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool { return decode(t, m.Payload)["state"] == "ON" })
}

// TestActionTrigger: a remote's button press is published on the state
// topic and bare on <name>/action, and its device trigger is discovered.
func TestActionTrigger(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("ha", "zhub/#", "homeassistant/device_automation/#")
	waitOnline(t, c, 0)
	d, err := e.hub.Device(remote.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.net.RemoteButton(context.Background(), remote, 2); err != nil {
		t.Fatal(err)
	}
	m := c.Wait("zhub/"+d.FriendlyName+"/action", nil)
	action := string(m.Payload)
	c.Wait("zhub/"+d.FriendlyName, func(m mqtttest.Message) bool { return decode(t, m.Payload)["action"] == action })
	cfg := c.Wait("homeassistant/device_automation/"+remote.String()+"/action_"+action+"/config", nil)
	if p := decode(t, cfg.Payload); p["topic"] != "zhub/"+d.FriendlyName+"/action" || p["subtype"] != action {
		t.Fatalf("trigger config %v", p)
	}
}
