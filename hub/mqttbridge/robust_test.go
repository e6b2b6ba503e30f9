package mqttbridge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// failedEvent waits for the bridge/event "command_failed" about topic.
func failedEvent(t *testing.T, c *mqtttest.Client, mark int, topic string) map[string]any {
	t.Helper()
	m := c.WaitAfter(mark, "zhub/bridge/event", func(m mqtttest.Message) bool {
		ev := decode(t, m.Payload)
		d, _ := ev["data"].(map[string]any)
		return ev["type"] == "command_failed" && d["topic"] == topic
	})
	return decode(t, m.Payload)["data"].(map[string]any)
}

// TestMalformedCommands: bad payloads, unknown properties, wrong types
// and unknown devices get a clear error (bridge/event and bridge/logging)
// and disturb nothing: the next good command works.
func TestMalformedCommands(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("tester", "zhub/#")
	waitOnline(t, c, 0)
	tests := []struct {
		name, topic, payload, wantErr string
	}{
		{"bad json", "zhub/kitchen_light/set", `{"state":`, "invalid payload"},
		{"not an object", "zhub/kitchen_light/set", `[1,2]`, "invalid payload"},
		{"unknown word", "zhub/kitchen_light/set", `dim`, "invalid payload"},
		{"unknown property", "zhub/kitchen_light/set", `{"colour":"red"}`, "unknown property"},
		{"wrong type", "zhub/kitchen_light/set", `{"brightness":"bright"}`, "brightness"},
		{"out of range", "zhub/kitchen_light/set/brightness", `999`, "out of range"},
		{"read-only", "zhub/bedroom_sensor_does_not_exist/set", `{"state":"ON"}`, "does not exist"},
		{"unknown device", "zhub/nope/set", `{"state":"ON"}`, "Device 'nope' does not exist"},
		{"get unknown property", "zhub/kitchen_light/get", `{"colour":""}`, "unknown property"},
		{"get bad json", "zhub/kitchen_light/get", `{`, "invalid payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := c.Mark()
			c.Publish(tt.topic, 1, false, tt.payload)
			d := failedEvent(t, c, mark, tt.topic)
			if msg, _ := d["error"].(string); !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error %q, want it to contain %q", msg, tt.wantErr)
			}
			c.WaitAfter(mark, "zhub/bridge/logging", func(m mqtttest.Message) bool {
				l := decode(t, m.Payload)
				return l["level"] == "error" && strings.Contains(l["message"].(string), tt.wantErr)
			})
		})
	}
	// Nothing was disturbed: a good command still works.
	mark := c.Mark()
	c.Publish("zhub/kitchen_light/set", 1, false, `{"state":"ON","brightness":200}`)
	c.WaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool {
		s := decode(t, m.Payload)
		return s["state"] == "ON" && s["brightness"] == float64(200)
	})
}

// TestCoordinatorDown: while the dongle is unplugged bridge/state is
// offline, a /set fails visibly and a request gets an error response;
// once it is back, "online" is published only when the bridge can serve,
// so a request sent right after it is answered.
func TestCoordinatorDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	c := e.client("tester", "zhub/#")
	waitOnline(t, c, 0)

	mark := c.Mark()
	if err := e.net.Unplug(ctx); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, e, func(s mqttbridge.Status) bool { return s.Connected && !s.Online })
	c.WaitAfter(mark, "zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"offline"}` })

	mark = c.Mark()
	c.Publish("zhub/kitchen_light/set", 1, false, `{"state":"OFF"}`)
	if d := failedEvent(t, c, mark, "zhub/kitchen_light/set"); !strings.Contains(d["error"].(string), "not running") {
		t.Errorf("set while down: %v", d)
	}
	if r := request(t, e, c, "permit_join", `{"time":20,"transaction":"down"}`, "down"); r["status"] != "error" {
		t.Errorf("permit join while down: %v", r)
	}

	// A bridge started while the network is down never says online.
	e.stopBridge()
	mark = c.Mark()
	e.startBridge(nil)
	waitStatus(t, e, func(s mqttbridge.Status) bool { return s.Connected && !s.Online })
	if st := retainedUnder(t, e, "zhub/bridge/state"); string(st["zhub/bridge/state"].Payload) != `{"state":"offline"}` {
		t.Fatalf("bridge/state while the network is down: %q", st["zhub/bridge/state"].Payload)
	}
	if err := e.net.Replug(ctx); err != nil {
		t.Fatal(err)
	}
	c.WaitAfter(mark, "zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
	// Right after "online", a request is served.
	if r := request(t, e, c, "health_check", `{"transaction":"up"}`, "up"); r["status"] != "ok" {
		t.Fatalf("health check after online: %v", r)
	}
	mark = c.Mark()
	c.Publish("zhub/kitchen_light/set", 1, false, `{"state":"OFF"}`)
	if _, err := c.TryWaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool { return decode(t, m.Payload)["state"] == "OFF" }, guard); err != nil {
		for _, m := range c.Messages()[mark:] {
			t.Logf("%s %s", m.Topic, m.Payload)
		}
		t.Fatal(err)
	}
}
