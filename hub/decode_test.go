package hub

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// vectorDir is the shared ZNP vector directory (the repository and shared/
// are siblings).
const vectorDir = "../../shared/protocol/vectors/znp"

// everything is one device with a server for every cluster the generic
// table knows (on endpoint 1), used to decode any frame.
func everything() (*model, params) {
	p := params{ColorCapabilities: u16p(0x19), ColorTempMin: 153, ColorTempMax: 500, ZoneType: u16p(0x0015),
		MeteringMultiplier: 1, MeteringDivisor: 1000, ACCurrentDivisor: 1000}
	m := deriveModel(deviceDesc{PowerSource: 3, Params: p, Endpoints: []Endpoint{
		ep(1, ha, 0x010D, cl{0, 1, 3, 6, 8, 0x101, 0x102, 0x201, 0x202, 0x300, 0x400, 0x402, 0x403, 0x405, 0x406, 0x500, 0x702, 0xB04}, nil),
		ep(2, ha, 0x0820, cl{0}, cl{5, 6, 8, 0x102, 0x300}),
	}})
	return m, p
}

// afIncoming returns cluster and ZCL data of every AF_INCOMING_MSG in the
// shared vectors, by vector name.
func afIncoming(t testing.TB) map[string]struct {
	cluster zigbee.ClusterID
	data    []byte
} {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, "af.json"))
	if err != nil {
		t.Fatalf("shared vectors: %v (shared/ must be a sibling of the repository)", err)
	}
	var vs []struct {
		Name    string `json:"name"`
		Command string `json:"command"`
		Fields  struct {
			ClusterID int    `json:"clusterId"`
			Data      string `json:"data"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	out := map[string]struct {
		cluster zigbee.ClusterID
		data    []byte
	}{}
	for _, v := range vs {
		if v.Command != "AF_INCOMING_MSG" || v.Fields.Data == "" {
			continue
		}
		b, err := hex.DecodeString(v.Fields.Data)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		out[v.Name] = struct {
			cluster zigbee.ClusterID
			data    []byte
		}{zigbee.ClusterID(v.Fields.ClusterID), b}
	}
	return out
}

// TestVectorFramesDecodeToState is acceptance 2: the ZCL payloads inside
// the shared ZNP vectors decode to the right Zigbee2MQTT state values.
func TestVectorFramesDecodeToState(t *testing.T) {
	vecs := afIncoming(t)
	tests := []struct {
		vector string
		want   map[string]any
	}{
		// measuredValue 0x78D6 = 30934: 10^((30934-1)/10000) = 1239.6 lx.
		{"AF_INCOMING_MSG ind cluster=0x0400", map[string]any{"illuminance": 1240.0}},
		// rmsVoltage 0x00ED = 237 V (multiplier and divisor 1).
		{"AF_INCOMING_MSG ind cluster=0x0B04 [#3807]", map[string]any{"voltage": 237.0}},
		// rmsCurrent 0x001E = 30 mA with acCurrentDivisor 1000.
		{"AF_INCOMING_MSG ind cluster=0x0B04 [#3807/2]", map[string]any{"current": 0.03}},
		// onOff reported as int8 0.
		{"AF_INCOMING_MSG ind cluster=0x0006", map[string]any{"state": "OFF"}},
		// Basic reads and a default response carry no state.
		{"AF_INCOMING_MSG ind cluster=0x0000", nil},
		{"AF_INCOMING_MSG ind ZCL default response to \"on\"", nil},
		{"AF_INCOMING_MSG ind interview example (AF_INCOMING_MSG read rsp modelId)", nil},
	}
	m, _ := everything()
	for _, tc := range tests {
		t.Run(tc.vector, func(t *testing.T) {
			v, ok := vecs[tc.vector]
			if !ok {
				t.Fatalf("vector %q not in af.json", tc.vector)
			}
			f, err := zcl.ParseFrame(v.data)
			if err != nil {
				t.Fatal(err)
			}
			_, p := everything()
			res, err := decodeFrame(m, &p, 1, v.cluster, f)
			if err != nil || len(res.errs) > 0 {
				t.Fatalf("decode: %v %v", err, res.errs)
			}
			if !reflect.DeepEqual(res.values, tc.want) {
				t.Errorf("values %v, want %v", res.values, tc.want)
			}
		})
	}
	if len(vecs) < 5 {
		t.Errorf("only %d AF_INCOMING_MSG vectors", len(vecs))
	}
}

func frame(t testing.TB, s string) zcl.Frame {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zcl.ParseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDecodeFrames covers each conversion with hand-built frames (ZCL
// header "18 01 0A" = server to client, no default response, tsn 1,
// report attributes).
func TestDecodeFrames(t *testing.T) {
	tests := []struct {
		name    string
		ep      zigbee.Endpoint
		cluster zigbee.ClusterID
		frame   string
		want    map[string]any
		wantErr error // of a rejected value
	}{
		{"on", 1, 6, "18 01 0A 0000 10 01", map[string]any{"state": "ON"}, nil},
		{"brightness", 1, 8, "18 01 0A 0000 20 7F", map[string]any{"brightness": 127.0}, nil},
		{"brightness undefined", 1, 8, "18 01 0A 0000 20 FF", nil, nil},
		{"color temp", 1, 0x300, "18 01 0A 0700 21 7201", map[string]any{"color_temp": 370.0}, nil},
		{"color xy", 1, 0x300, "18 01 0A 0300 21 7A5E 0400 21 2F5A",
			map[string]any{"color": map[string]any{"x": 0.3691, "y": 0.3523}}, nil},
		{"color hs", 1, 0x300, "18 01 0A 0000 20 7F 0100 20 FE",
			map[string]any{"color": map[string]any{"hue": 180.0, "saturation": 100.0}}, nil},
		{"color mode", 1, 0x300, "18 01 0A 0800 30 02", map[string]any{"color_mode": "color_temp"}, nil},
		{"temperature", 1, 0x402, "18 01 0A 0000 29 6608", map[string]any{"temperature": 21.5}, nil},
		{"temperature negative", 1, 0x402, "18 01 0A 0000 29 0CFE", map[string]any{"temperature": -5.0}, nil},
		{"temperature invalid", 1, 0x402, "18 01 0A 0000 29 0080", nil, nil},
		{"humidity", 1, 0x405, "18 01 0A 0000 21 9411", map[string]any{"humidity": 45.0}, nil},
		{"humidity out of range", 1, 0x405, "18 01 0A 0000 21 983A", nil, ErrOutOfRange},
		{"pressure", 1, 0x403, "18 01 0A 0000 29 F503", map[string]any{"pressure": 1013.0}, nil},
		{"illuminance dark", 1, 0x400, "18 01 0A 0000 21 0000", map[string]any{"illuminance": 0.0}, nil},
		{"occupancy", 1, 0x406, "18 01 0A 0000 18 01", map[string]any{"occupancy": true}, nil},
		// (voltage is the AC voltage on a device with Electrical Measurement)
		{"battery", 1, 1, "18 01 0A 2100 20 B9 2000 20 1E", map[string]any{"battery": 93.0}, nil},
		{"battery unknown", 1, 1, "18 01 0A 2100 20 FF", nil, nil},
		{"energy", 1, 0x702, "18 01 0A 0000 25 D20400000000", map[string]any{"energy": 1.23}, nil},
		{"power", 1, 0xB04, "18 01 0A 0B05 29 3C00", map[string]any{"power": 60.0}, nil},
		{"position", 1, 0x102, "18 01 0A 0800 20 1E", map[string]any{"position": 70.0}, nil},
		{"position out of range", 1, 0x102, "18 01 0A 0800 20 65", nil, ErrOutOfRange},
		{"lock", 1, 0x101, "18 01 0A 0000 30 01", map[string]any{"state": "LOCK", "lock_state": "locked"}, nil},
		{"lock unknown state", 1, 0x101, "18 01 0A 0000 30 07", nil, ErrInvalidValue},
		{"thermostat", 1, 0x201, "18 01 0A 0000 29 CA08 1200 29 3408 1C00 30 04",
			map[string]any{"local_temperature": 22.5, "occupied_heating_setpoint": 21.0, "system_mode": "heat"}, nil},
		{"fan mode", 1, 0x202, "18 01 0A 0000 30 05", map[string]any{"fan_mode": "auto"}, nil},
		{"contact closed", 1, 0x500, "19 01 00 0000 00 00 0000",
			map[string]any{"contact": true, "tamper": false, "battery_low": false}, nil},
		{"contact open, old short form", 1, 0x500, "19 01 00 0100 00",
			map[string]any{"contact": false, "tamper": false, "battery_low": false}, nil},
		{"zone status read", 1, 0x500, "18 01 01 0200 00 19 0C00",
			map[string]any{"contact": true, "tamper": true, "battery_low": true}, nil},
		{"read response with failure record", 1, 0x402, "18 01 01 0000 86", nil, nil},
		{"remote on", 2, 6, "01 01 01", map[string]any{"action": "on"}, nil},
		{"remote move down", 2, 8, "01 01 05 01 53", map[string]any{"action": "brightness_move_down"}, nil},
		{"remote scene recall", 2, 5, "01 01 05 0000 03", map[string]any{"action": "recall_3"}, nil},
		{"remote cover stop", 2, 0x102, "01 01 02", map[string]any{"action": "stop"}, nil},
		{"remote colour command", 2, 0x300, "01 01 0A 7201 0000", map[string]any{"action": "move_to_color_temp"}, nil},
		{"command on a non-controller endpoint", 1, 6, "01 01 01", nil, nil},
		{"unknown cluster", 1, 0xFC00, "18 01 0A 0000 20 01", nil, nil},
		{"unknown attribute", 1, 6, "18 01 0A 3412 20 01", nil, nil},
		{"string where a number is expected", 1, 0x402, "18 01 0A 0000 42 0141", nil, ErrInvalidValue},
	}
	m, _ := everything()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := everything()
			res, err := decodeFrame(m, &p, tc.ep, tc.cluster, frame(t, tc.frame))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.values, tc.want) {
				t.Errorf("values %v, want %v", res.values, tc.want)
			}
			switch {
			case tc.wantErr == nil && len(res.errs) > 0:
				t.Errorf("rejected: %v", res.errs)
			case tc.wantErr != nil && (len(res.errs) != 1 || !errors.Is(res.errs[0], tc.wantErr)):
				t.Errorf("errors %v, want one wrapping %v", res.errs, tc.wantErr)
			}
		})
	}
}

// TestMalformedFrames: payloads that do not decode are errors, not panics
// or partial state.
func TestMalformedFrames(t *testing.T) {
	m, _ := everything()
	for _, s := range []string{
		"18 01 0A 0000 29 08",    // report cut inside an int16
		"18 01 0A 0000 FE 01",    // reserved data type
		"18 01 01 0000 00 42 05", // read response: string longer than the frame
		"19 01 00 01",            // zone status cut short
	} {
		_, p := everything()
		res, err := decodeFrame(m, &p, 1, 0x402, frame(t, s))
		if s == "19 01 00 01" {
			res, err = decodeFrame(m, &p, 1, 0x500, frame(t, s))
		}
		if err == nil || !errors.Is(err, zcl.ErrTruncated) && !errors.Is(err, zcl.ErrUnknownType) {
			t.Errorf("%s: err %v, want a decode error", s, err)
		}
		if res.values != nil {
			t.Errorf("%s: partial values %v", s, res.values)
		}
	}
}

// TestParamsFromReports: a device that reports its divisor later is
// scaled right from then on.
func TestParamsFromReports(t *testing.T) {
	m, p := everything()
	p.ACPowerDivisor = 0
	if _, err := decodeFrame(m, &p, 1, 0xB04, frame(t, "18 01 01 0506 00 21 0A00")); err != nil {
		t.Fatal(err)
	}
	res, err := decodeFrame(m, &p, 1, 0xB04, frame(t, "18 01 0A 0B05 29 5802"))
	if err != nil || res.values["power"] != 60.0 {
		t.Errorf("power %v (err %v), want 60 W after acPowerDivisor 10", res.values, err)
	}
}

// FuzzDecodeFrame runs any bytes through the hub's ZCL-to-state path: no
// panic, and whatever it produces is a valid state value.
func FuzzDecodeFrame(f *testing.F) {
	for _, v := range afIncoming(f) {
		f.Add(uint16(v.cluster), uint8(1), v.data)
	}
	for _, s := range []string{"18010A0000297F08", "1901000100", "0101050001", "18010102000019 0C00", "18010A070021 7201"} {
		b, _ := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		f.Add(uint16(0x0300), uint8(1), b)
		f.Add(uint16(0x0500), uint8(1), b)
		f.Add(uint16(0x0008), uint8(2), b)
	}
	m, _ := everything()
	f.Fuzz(func(t *testing.T, cluster uint16, endpoint uint8, data []byte) {
		fr, err := zcl.ParseFrame(data)
		if err != nil {
			return
		}
		_, p := everything()
		res, err := decodeFrame(m, &p, zigbee.Endpoint(endpoint), zigbee.ClusterID(cluster), fr)
		if err != nil {
			return
		}
		for k, v := range res.values {
			checkStateValue(t, k, v)
		}
	})
}

func checkStateValue(t *testing.T, k string, v any) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Errorf("%s = %v", k, x)
		}
	case string, bool:
	case map[string]any:
		for sk, sv := range x {
			checkStateValue(t, k+"."+sk, sv)
		}
	default:
		t.Errorf("%s has type %T", k, v)
	}
}
