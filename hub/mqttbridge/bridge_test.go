package mqttbridge_test

import (
	"context"
	"testing"

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
