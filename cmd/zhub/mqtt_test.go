package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
	"github.com/zhubhq/zhub/ws"
)

// mqttHealth returns the mqtt component of /health.
func mqttHealth(t *testing.T, addr string) ws.ComponentHealth {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep ws.HealthReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep.Components["mqtt"]
}

// waitMQTTHealth polls /health (there is no event to wait on from the
// outside) until the mqtt component is in state.
func waitMQTTHealth(t *testing.T, addr, state string) ws.ComponentHealth {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := mqttHealth(t, addr)
		if c.State == state {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("mqtt health %+v, want %s", c, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeEmbeddedBroker: by default the daemon runs its own broker on
// mqtt.listen and bridges the hub to it: a client sees bridge/state online,
// the named virtual devices and their discovery configs, and /health says
// ok.
func TestServeEmbeddedBroker(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = freeAddr(t)
	cfg.MQTT.Listen = freeAddr(t)
	events, _ := runDaemon(t, cfg)
	waitEvent(t, events, "sim_paired", "sim_pair_failed", "sim_pair_incomplete")
	h := waitMQTTHealth(t, cfg.HTTP.Listen, ws.StateOK)
	if b, _ := h.Detail["broker"].(string); !strings.HasPrefix(b, "embedded ") {
		t.Errorf("mqtt detail %v", h.Detail)
	}

	c := mqtttest.Connect(t, "mqtt://"+cfg.MQTT.Listen, "e2e")
	c.Subscribe("zhub/#")
	c.Subscribe("homeassistant/light/#")
	c.Wait("zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
	c.Wait("zhub/bridge/devices", func(m mqtttest.Message) bool {
		return strings.Contains(string(m.Payload), `"friendly_name":"kitchen_light"`)
	})
	c.Wait("", func(m mqtttest.Message) bool {
		return strings.HasPrefix(m.Topic, "homeassistant/light/") && len(m.Payload) > 0
	})
	mark := c.Mark()
	c.Publish("zhub/kitchen_light/set", 1, false, `{"state":"ON","brightness":77}`)
	c.WaitAfter(mark, "zhub/kitchen_light", func(m mqtttest.Message) bool {
		return strings.Contains(string(m.Payload), `"brightness":77`) && strings.Contains(string(m.Payload), `"state":"ON"`)
	})
}

// TestServeExternalBroker: with mqtt.url the bridge uses that broker and
// no embedded broker listens.
func TestServeExternalBroker(t *testing.T) {
	br := mqtttest.Start(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = freeAddr(t)
	cfg.MQTT.Listen = freeAddr(t)
	cfg.MQTT.URL = br.URL()
	cfg.MQTT.BaseTopic = "zigbee2mqtt"
	events, _ := runDaemon(t, cfg)
	c := mqtttest.Connect(t, br.URL(), "e2e")
	c.Subscribe("zigbee2mqtt/bridge/state")
	waitEvent(t, events, "sim_paired", "sim_pair_failed", "sim_pair_incomplete")
	c.Wait("zigbee2mqtt/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
	if h := waitMQTTHealth(t, cfg.HTTP.Listen, ws.StateOK); h.Detail["broker"] != "external" {
		t.Errorf("mqtt detail %v", h.Detail)
	}
	if conn, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", cfg.MQTT.Listen); err == nil {
		conn.Close()
		t.Errorf("something listens on mqtt.listen %s with an external broker", cfg.MQTT.Listen)
	}
}

// TestServeMQTTOff: mqtt.enabled = false turns MQTT off, reported as
// disabled.
func TestServeMQTTOff(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = freeAddr(t)
	cfg.MQTT.Enabled = false
	events, _ := runDaemon(t, cfg)
	waitEvent(t, events, "ready")
	if h := mqttHealth(t, cfg.HTTP.Listen); h.State != ws.StateDisabled {
		t.Fatalf("mqtt health %+v, want disabled", h)
	}
}

// TestServeBrokerUnreachable: an external broker that is not there leaves
// the daemon running, with /health saying why MQTT is degraded.
func TestServeBrokerUnreachable(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = freeAddr(t)
	cfg.MQTT.URL = "mqtt://" + freeAddr(t) // nothing listens there
	events, _ := runDaemon(t, cfg)
	waitEvent(t, events, "ready")
	h := waitMQTTHealth(t, cfg.HTTP.Listen, ws.StateDegraded)
	if !strings.Contains(h.LastError, "connecting to mqtt://") {
		t.Fatalf("mqtt health %+v", h)
	}
}
