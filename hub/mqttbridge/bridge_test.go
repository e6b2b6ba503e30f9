package mqttbridge_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/zigbee"

	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// TestSetTurnsLightOn is acceptance 1: a /set from mosquitto_pub (when
// installed) switches the virtual light, confirmed through the sim, and a
// retained state follows; /get reads from the device.
func TestSetTurnsLightOn(t *testing.T) {
	e := newEnv(t, envOpts{trace: true})
	c := e.client("watcher", "zhub/#")
	waitOnline(t, c, 0)
	t.Logf("broker %s, mosquitto_pub: %v", e.broker.Kind, mqtttest.HasMosquittoPub())

	mark := c.Mark()
	mqtttest.Pub(t, e.broker.URL(), "zhub/kitchen_light/set", `{"state":"ON","brightness":128}`)
	m := c.WaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool {
		s := decode(t, m.Payload)
		return s["state"] == "ON" && s["brightness"] == float64(128)
	})
	_ = m
	info, err := e.net.Device(context.Background(), dimmable)
	if err != nil {
		t.Fatal(err)
	}
	if !info.OnOff || info.Level != 128 {
		t.Fatalf("sim light: on=%v level=%d, want on at 128", info.OnOff, info.Level)
	}

	// A new subscriber gets the state retained.
	late := e.client("late", "zhub/kitchen_light")
	r := late.Wait("zhub/kitchen_light", nil)
	if s := decode(t, r.Payload); !r.Retained || s["state"] != "ON" || s["brightness"] != float64(128) {
		t.Fatalf("retained state %s (retained %v), want ON/128", r.Payload, r.Retained)
	}
}

func TestGetReadsFromDevice(t *testing.T) {
	e := newEnv(t, envOpts{trace: true})
	c := e.client("watcher", "zhub/#")
	waitOnline(t, c, 0)
	dev, err := e.hub.Device("kitchen_light")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, topic, payload string
		cluster              zigbee.ClusterID
	}{
		{"object payload", "zhub/kitchen_light/get", `{"state":""}`, 0x0006},
		{"property topic", "zhub/kitchen_light/get/brightness", ``, 0x0008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := e.trace.mark()
			mqtttest.Pub(t, e.broker.URL(), tt.topic, tt.payload)
			e.trace.wait(t, mark, func(r afRequest) bool {
				return r.nwk == dev.NWK && r.cluster == tt.cluster && r.global && r.zclCmd == 0x00 // Read Attributes
			})
		})
	}
}

// waitStatus waits for a bridge status that ok accepts.
func waitStatus(t testing.TB, e *env, ok func(mqttbridge.Status) bool) {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for {
		select {
		case s := <-e.status:
			if ok(s) {
				return
			}
		case <-timer.C:
			t.Fatal("bridge status not reached")
		}
	}
}

// TestBrokerRestart is acceptance 3: the broker goes away, the device
// changes meanwhile, the broker comes back on the same port: the bridge
// reconnects, bridge/state is online and the retained state is current.
func TestBrokerRestart(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	waitStatus(t, e, func(s mqttbridge.Status) bool { return s.Online })
	c := e.client("watcher", "zhub/kitchen_light")
	mark := c.Mark()
	if _, err := e.hub.Set(ctx, "kitchen_light", map[string]any{"state": "ON"}); err != nil {
		t.Fatal(err)
	}
	c.WaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool { return decode(t, m.Payload)["state"] == "ON" })

	e.broker.Stop()
	waitStatus(t, e, func(s mqttbridge.Status) bool { return !s.Connected })
	if _, err := e.hub.Set(ctx, "kitchen_light", map[string]any{"state": "OFF", "brightness": 77}); err != nil {
		t.Fatal(err)
	}
	e.broker.Start()
	waitStatus(t, e, func(s mqttbridge.Status) bool { return s.Connected && s.Online })

	// A client connecting now sees the current state, retained, and the
	// bridge online.
	late := e.client("late", "zhub/bridge/state", "zhub/kitchen_light")
	late.Wait("zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
	late.Wait("zhub/kitchen_light", func(m mqtttest.Message) bool {
		s := decode(t, m.Payload)
		return s["state"] == "OFF" && s["brightness"] == float64(77)
	})
	fresh := retainedUnder(t, e, "zhub/kitchen_light")
	if s := decode(t, fresh["zhub/kitchen_light"].Payload); s["state"] != "OFF" || s["brightness"] != float64(77) {
		t.Fatalf("retained state after the restart: %v, want OFF/77", s)
	}
	if st := retainedUnder(t, e, "zhub/bridge/state"); string(st["zhub/bridge/state"].Payload) != `{"state":"online"}` {
		t.Fatalf("retained bridge/state %q", st["zhub/bridge/state"].Payload)
	}
}

// TestBridgeInfoAndDevices: bridge/info and bridge/devices are retained
// and in Zigbee2MQTT's shape.
func TestBridgeInfoAndDevices(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("watcher", "zhub/bridge/state")
	waitOnline(t, c, 0)
	got := retainedUnder(t, e, "zhub/bridge/#")
	info := decode(t, got["zhub/bridge/info"].Payload)
	coord, _ := info["coordinator"].(map[string]any)
	if coord["ieee_address"] != e.hub.Status().Network.IEEE.String() || coord["type"] != "zStack3x0" || info["permit_join"] != false {
		t.Errorf("bridge/info %v", info)
	}
	var devs []map[string]any
	if err := json.Unmarshal(got["zhub/bridge/devices"].Payload, &devs); err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, d := range devs {
		byName[d["friendly_name"].(string)] = d
	}
	if byName["Coordinator"]["type"] != "Coordinator" {
		t.Errorf("no coordinator entry: %v", byName["Coordinator"])
	}
	k := byName["kitchen_light"]
	if k == nil {
		t.Fatalf("no kitchen_light in %v", devs)
	}
	def, _ := k["definition"].(map[string]any)
	exposes, _ := def["exposes"].([]any)
	if k["ieee_address"] != dimmable.String() || k["type"] != "Router" || k["interview_state"] != "SUCCESSFUL" ||
		k["interview_completed"] != true || k["supported"] != true || len(exposes) == 0 {
		t.Errorf("kitchen_light entry %v", k)
	}
	eps, _ := k["endpoints"].(map[string]any)
	ep1, _ := eps["1"].(map[string]any)
	clusters, _ := ep1["clusters"].(map[string]any)
	if in, _ := clusters["input"].([]any); !slices.Contains(in, any("genOnOff")) || !slices.Contains(in, any("genLevelCtrl")) {
		t.Errorf("endpoint 1 clusters %v", clusters)
	}
	if string(got["zhub/bridge/state"].Payload) != `{"state":"online"}` {
		t.Errorf("bridge/state %s", got["zhub/bridge/state"].Payload)
	}
}
