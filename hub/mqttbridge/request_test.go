package mqttbridge_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// request publishes a bridge request and returns its response.
func request(t *testing.T, e *env, c *mqtttest.Client, name, payload string, tx string) map[string]any {
	t.Helper()
	mark := c.Mark()
	c.Publish("zhub/bridge/request/"+name, 1, false, payload)
	m := c.WaitAfter(mark, "zhub/bridge/response/"+name, func(m mqtttest.Message) bool {
		if tx == "" {
			return true
		}
		return decode(t, m.Payload)["transaction"] == tx
	})
	return decode(t, m.Payload)
}

// TestRequests is acceptance 4: request/response round trips for every
// request zhub serves, errors included, with the transaction echoed.
func TestRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("tester", "zhub/#", "homeassistant/#")
	waitOnline(t, c, 0)
	tests := []struct {
		name, request, payload, tx string
		wantErr                    string // substring of the error; "" = ok
		check                      func(t *testing.T, data map[string]any)
	}{
		{"permit join", "permit_join", `{"time":30,"transaction":"t1"}`, "t1", "", func(t *testing.T, d map[string]any) {
			if d["time"] != float64(30) {
				t.Errorf("data %v", d)
			}
			c.Wait("zhub/bridge/info", func(m mqtttest.Message) bool { return decode(t, m.Payload)["permit_join"] == true })
		}},
		{"permit join via a router", "permit_join", `{"time":10,"device":"kitchen_light","transaction":"t2"}`, "t2", "", func(t *testing.T, d map[string]any) {
			if d["device"] != "kitchen_light" {
				t.Errorf("data %v", d)
			}
		}},
		{"permit join close, bare", "permit_join", `0`, "", "", func(t *testing.T, d map[string]any) {
			if d["time"] != float64(0) {
				t.Errorf("data %v", d)
			}
		}},
		{"permit join unknown router", "permit_join", `{"time":10,"device":"nope","transaction":"t3"}`, "t3", "Device 'nope' does not exist", nil},
		{"permit join too long", "permit_join", `{"time":1000,"transaction":"t4"}`, "t4", "0 to 254", nil},
		{"permit join no time", "permit_join", `{"transaction":"t5"}`, "t5", "invalid payload", nil},
		{"permit join broken json", "permit_join", `{"time":`, "", "invalid payload", nil},
		{"health check", "health_check", `""`, "", "", func(t *testing.T, d map[string]any) {
			if d["healthy"] != true {
				t.Errorf("data %v", d)
			}
		}},
		{"backup", "backup", `{"transaction":7}`, "", "", func(t *testing.T, d map[string]any) {
			raw, err := base64.StdEncoding.DecodeString(d["zip"].(string))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
			if err != nil || len(zr.File) != 1 || zr.File[0].Name != "coordinator_backup.json" {
				t.Fatalf("zip: %v %v", err, zr)
			}
			f, _ := zr.File[0].Open()
			js, _ := io.ReadAll(f)
			var b struct {
				Metadata        struct{ Format string }
				CoordinatorIEEE string `json:"coordinator_ieee"`
			}
			if err := json.Unmarshal(js, &b); err != nil || b.Metadata.Format != "zigpy/open-coordinator-backup" || b.CoordinatorIEEE == "" {
				t.Fatalf("backup %s: %v", js, err)
			}
		}},
		{"rename", "device/rename", `{"from":"kitchen_light","to":"kitchen/ceiling","transaction":"r1"}`, "r1", "", func(t *testing.T, d map[string]any) {
			if d["from"] != "kitchen_light" || d["to"] != "kitchen/ceiling" || d["homeassistant_rename"] != false {
				t.Errorf("data %v", d)
			}
			// The old retained state is cleared, the new one published.
			c.Wait("zhub/kitchen_light", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
			c.Wait("zhub/kitchen/ceiling", nil)
			c.Wait("homeassistant/light/"+dimmable.String()+"/light/config", func(m mqtttest.Message) bool {
				return len(m.Payload) > 0 && decode(t, m.Payload)["command_topic"] == "zhub/kitchen/ceiling/set"
			})
		}},
		{"rename with home assistant rename", "device/rename", `{"from":"kitchen/ceiling","to":"kitchen_light","homeassistant_rename":true,"transaction":"r2"}`, "r2", "", func(t *testing.T, d map[string]any) {
			if d["homeassistant_rename"] != true {
				t.Errorf("data %v", d)
			}
		}},
		{"rename to a wildcard", "device/rename", `{"from":"kitchen_light","to":"bad+name","transaction":"r3"}`, "r3", "wildcard", nil},
		{"rename unknown", "device/rename", `{"from":"nope","to":"x","transaction":"r4"}`, "r4", "Device 'nope' does not exist", nil},
		{"rename without to", "device/rename", `{"from":"kitchen_light","transaction":"r5"}`, "r5", "invalid payload", nil},
		{"interview", "device/interview", `{"id":"kitchen_light","transaction":"i1"}`, "i1", "", func(t *testing.T, d map[string]any) {
			if d["id"] != "kitchen_light" {
				t.Errorf("data %v", d)
			}
		}},
		{"interview unknown", "device/interview", `{"id":"nope","transaction":"i2"}`, "i2", "Device 'nope' does not exist", nil},
		{"interview bare", "device/interview", `"kitchen_light"`, "", "invalid payload", nil},
		{"remove unknown", "device/remove", `{"id":"nope","transaction":"d1"}`, "d1", "Device 'nope' does not exist", nil},
		{"remove block", "device/remove", `{"id":"kitchen_light","block":true,"transaction":"d2"}`, "d2", "not supported", nil},
		{"remove", "device/remove", `{"id":"` + thSensor.String() + `","force":true,"transaction":"d3"}`, "d3", "", func(t *testing.T, d map[string]any) {
			if d["id"] != thSensor.String() || d["force"] != true || d["block"] != false {
				t.Errorf("data %v", d)
			}
			// Its discovery configs are cleared.
			c.Wait("homeassistant/sensor/"+thSensor.String()+"/temperature/config", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
		}},
		{"unknown request", "restart_the_moon", `{"transaction":"u1"}`, "u1", "unknown request", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t, e, c, tt.request, tt.payload, tt.tx)
			if tt.tx != "" && r["transaction"] != tt.tx {
				t.Errorf("transaction %v, want %s", r["transaction"], tt.tx)
			}
			if tt.wantErr != "" {
				msg, _ := r["error"].(string)
				if r["status"] != "error" || !strings.Contains(msg, tt.wantErr) {
					t.Fatalf("response %v, want an error containing %q", r, tt.wantErr)
				}
				if d, ok := r["data"].(map[string]any); !ok || len(d) != 0 {
					t.Fatalf("error response data %v, want {}", r["data"])
				}
				return
			}
			if r["status"] != "ok" {
				t.Fatalf("response %v, want ok", r)
			}
			if tt.check != nil {
				tt.check(t, r["data"].(map[string]any))
			}
		})
	}
}
