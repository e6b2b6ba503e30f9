package ezsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeSharedTraces(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir, "traces", "*.txt"))
	if err != nil || len(files) < 3 {
		t.Fatalf("traces: %v, %d files", err, len(files))
	}
	want := map[string][]string{
		"join_v8plus_tuya_ts0012_bellows.txt": {"cb messageSentHandler", "rsp permitJoining {status: SUCCESS}",
			"incomingRouteRecordHandler {source: 0x9234, sourceEui: a4c138ae360e1b3c", "relayList: [0xF281]"},
		"probe_v13_sonoff_zbdongle-e_7.4.3.txt": {"RSTACK(v2, RESET_SOFTWARE 0x0B)", "rsp version {protocolVersion: 13, stackType: 2, stackVersion: 0x7430}"},
		"startup_v7_efr32mg12_bellows.txt": {"> RST", "cmd version {desiredProtocolVersion: 7}",
			"cmd setConfigurationValue {configId: 13, value: 5}", "rsp setConfigurationValue {status: SUCCESS}"},
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out strings.Builder
			if err := DecodeTrace(in, &out); err != nil {
				t.Fatalf("decode: %v", err)
			}
			for _, w := range want[filepath.Base(f)] {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestDecodeTraceLines(t *testing.T) {
	tests := []struct {
		name, in, want string
		fail           bool
	}{
		{"sim_timestamp_ash", "1764080000123456 < 1AC1020B0A527E", "2025-11-25T14:13:20.123456Z < RSTACK(v2, RESET_SOFTWARE 0x0B)", false},
		{"sim_comment", "1764080000123456 # garbage 0011", "# garbage 0011", false},
		{"ezsp_only_v14", "< 1a9001190015000000", "EZSP #26 cb stackStatusHandler {status: NETWORK_UP} (v14 layout)", false},
		{"ezsp_only_v13", "< 1a9001190090", "EZSP #26 cb stackStatusHandler {status: NETWORK_UP} (v13 layout)", false},
		{"two_frames_one_line", "< 0065a1a9602a15b25994d0954c7e1065b1a96b2a15b259944afb6351934f9c4f26ebfcce677d31fec66357897e",
			"cb messageSentHandler {status: OK", false},
		{"bad_hex", "> 0G", "", true},
		{"bad_crc", "> c20152fabd7e", "", true},
		{"no_direction", "80 70 78 7e", "", true},
		{"key_is_redacted", "> 3c00016800840b0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20000000000000000000",
			"networkKey: [key]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := DecodeTrace(strings.NewReader(tt.in+"\n"), &out)
			if tt.fail {
				if err == nil {
					t.Fatalf("decoded %q without error", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Fatalf("got %q, want it to contain %q", out.String(), tt.want)
			}
			if strings.Contains(out.String(), "0102030405060708") {
				t.Fatal("key material in the output")
			}
		})
	}
}
