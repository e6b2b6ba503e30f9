package mqttbridge_test

import (
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// TestRequestDeviceConfigure: bridge/request/device/configure round trips;
// an accepted one puts a Configure Reporting on the air for the device.
func TestRequestDeviceConfigure(t *testing.T) {
	e := newEnv(t, envOpts{trace: true, devices: []sim.DeviceSpec{{Kind: sim.KindPlug, IEEE: plug}}})
	c := e.client("tester", "zhub/bridge/#")
	waitOnline(t, c, 0)
	dev, err := e.hub.Device(plug.String())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, payload, tx string
		wantErr           string // substring of the error; "" = ok
	}{
		{"object", `{"id":"` + plug.String() + `","transaction":"c1"}`, "c1", ""},
		{"bare id", `"` + plug.String() + `"`, "", ""},
		{"unknown device", `{"id":"nope","transaction":"c2"}`, "c2", "Device 'nope' does not exist"},
		{"missing id", `{"transaction":"c3"}`, "c3", "invalid payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := e.trace.mark()
			r := request(t, e, c, "device/configure", tt.payload, tt.tx)
			if tt.tx != "" && r["transaction"] != tt.tx {
				t.Errorf("transaction %v, want %s", r["transaction"], tt.tx)
			}
			if tt.wantErr != "" {
				msg, _ := r["error"].(string)
				if r["status"] != "error" || !strings.Contains(msg, tt.wantErr) {
					t.Fatalf("response %v, want an error containing %q", r, tt.wantErr)
				}
				for i := mark; i < e.trace.mark(); i++ {
					if a := e.trace.at(i); a.global && a.zclCmd == byte(zcl.CmdConfigureReporting) {
						t.Errorf("configure reporting sent for a refused request: %+v", a)
					}
				}
				return
			}
			d, _ := r["data"].(map[string]any)
			if r["status"] != "ok" || d["id"] != plug.String() {
				t.Fatalf("response %v, want ok with id %s", r, plug)
			}
			// Sent before Configure returned, so before the response.
			e.trace.wait(t, mark, func(a afRequest) bool {
				return a.nwk == dev.NWK && a.cluster == zcl.ClusterOnOff && a.global && a.zclCmd == byte(zcl.CmdConfigureReporting)
			})
		})
	}
}
