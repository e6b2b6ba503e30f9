package mqttbridge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestNetworkMapRequest: bridge/request/networkmap round trips on the
// emulated network with every default device paired through the
// coordinator.
func TestNetworkMapRequest(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client("tester", "zhub/#")
	waitOnline(t, c, 0)
	ci, err := e.net.Coordinator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	coord := ci.IEEE.String()
	tests := []struct {
		name, payload, tx string
		wantErr           string // substring of the error; "" = ok
		check             func(t *testing.T, data map[string]any)
	}{
		{"raw", `{"type":"raw","routes":false,"transaction":"m1"}`, "m1", "", func(t *testing.T, d map[string]any) {
			if d["type"] != "raw" || d["routes"] != false {
				t.Errorf("data type %v routes %v", d["type"], d["routes"])
			}
			v, _ := d["value"].(map[string]any)
			nodes, _ := v["nodes"].([]any)
			links, _ := v["links"].([]any)
			names := map[string]map[string]any{}
			for _, n := range nodes {
				n := n.(map[string]any)
				names[n["ieeeAddr"].(string)] = n
			}
			if n := names[coord]; n == nil || n["type"] != "Coordinator" || n["networkAddress"] != float64(0) {
				t.Fatalf("coordinator node %v in %v", n, nodes)
			}
			if n := names[dimmable.String()]; n == nil || n["friendlyName"] != "kitchen_light" || n["type"] != "Router" {
				t.Errorf("kitchen_light node %v", n)
			}
			toCoord := map[string]bool{}
			for _, l := range links {
				l := l.(map[string]any)
				if l["targetIeeeAddr"] == coord && l["relationship"] == float64(1) {
					src := l["source"].(map[string]any)
					if src["ieeeAddr"] != l["sourceIeeeAddr"] || l["lqi"] != l["linkquality"] {
						t.Errorf("link %v", l)
					}
					toCoord[l["sourceIeeeAddr"].(string)] = true
				}
			}
			for _, d := range sim.DefaultDevices() {
				if names[d.IEEE.String()] == nil {
					t.Errorf("no node for %v", d.IEEE)
				}
				if !toCoord[d.IEEE.String()] {
					t.Errorf("no link %v -> coordinator in %v", d.IEEE, links)
				}
			}
		}},
		{"graphviz bare", `graphviz`, "", "", func(t *testing.T, d map[string]any) {
			v, _ := d["value"].(string)
			if d["type"] != "graphviz" || !strings.HasPrefix(v, "digraph G {") || !strings.HasSuffix(v, "}\n") {
				t.Fatalf("data %v", d)
			}
			if !strings.Contains(v, `"`+dimmable.String()+`" [`) || !strings.Contains(v, "{kitchen_light|"+dimmable.String()) {
				t.Errorf("no kitchen_light node in\n%s", v)
			}
			for _, dev := range sim.DefaultDevices() {
				if !strings.Contains(v, `"`+dev.IEEE.String()+`" -> "`+coord+`" [label="`) {
					t.Errorf("no edge %v -> coordinator in\n%s", dev.IEEE, v)
				}
			}
		}},
		{"graphviz object", `{"type":"graphviz","transaction":"m2"}`, "m2", "", func(t *testing.T, d map[string]any) {
			if v, _ := d["value"].(string); !strings.HasPrefix(v, "digraph") {
				t.Errorf("data %v", d)
			}
		}},
		{"plantuml", `{"type":"plantuml","transaction":"m3"}`, "m3", "plantuml, use raw or graphviz", nil},
		{"bad type", `{"type":"svg","transaction":"m4"}`, "m4", "type 'svg' is not supported", nil},
		{"no type", `{"routes":true,"transaction":"m5"}`, "m5", "invalid payload", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t, e, c, "networkmap", tt.payload, tt.tx)
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
			tt.check(t, r["data"].(map[string]any))
		})
	}
	// A name with DOT and record label syntax in it stays one label field.
	t.Run("graphviz escapes names", func(t *testing.T) {
		if err := e.hub.Rename(context.Background(), plug.String(), `plug "A|B" {x} \`); err != nil {
			t.Fatal(err)
		}
		r := request(t, e, c, "networkmap", `{"type":"graphviz","transaction":"m6"}`, "m6")
		v, _ := r["data"].(map[string]any)["value"].(string)
		want := `label="{plug \"A\|B\" \{x\} \\|` + plug.String() + ` (`
		if !strings.Contains(v, want) {
			t.Errorf("no %s in\n%s", want, v)
		}
	})
}
