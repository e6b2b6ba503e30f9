package config

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckRuntime(t *testing.T) {
	// A port held by this test: binding it again must fail.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	busy := ln.Addr().String()

	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      map[string]string
		kind     error
		key      string
		contains []string
	}{
		{name: "all fine", env: map[string]string{"ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_LISTEN": "127.0.0.1:0"}},
		{
			name: "data dir not writable",
			env:  map[string]string{"ZHUB_DATA_DIR": notADir + "/state", "ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_LISTEN": "127.0.0.1:0"},
			kind: ErrNotWritable, key: "data_dir",
			contains: []string{"env ZHUB_DATA_DIR: data_dir: " + notADir + "/state: not writable: not a directory (set data_dir or ZHUB_DATA_DIR)"},
		},
		{
			name: "http address in use",
			env:  map[string]string{"ZHUB_HTTP_LISTEN": busy, "ZHUB_MQTT_LISTEN": "127.0.0.1:0"},
			kind: ErrListen, key: "http.listen",
			contains: []string{"http.listen: " + busy + ": address already in use — another zhub running? change http.listen or ZHUB_HTTP_LISTEN"},
		},
		{
			name: "mqtt address in use",
			env:  map[string]string{"ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_LISTEN": busy},
			kind: ErrListen, key: "mqtt.listen",
			contains: []string{"address already in use", "mosquitto"},
		},
		{
			name: "external broker: mqtt.listen not checked",
			env:  map[string]string{"ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_LISTEN": busy, "ZHUB_MQTT_URL": "mqtt://broker:1883"},
		},
		{
			name: "serial device missing",
			env: map[string]string{"ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_LISTEN": "127.0.0.1:0",
				"ZHUB_SERIAL_ADAPTER": "znp", "ZHUB_SERIAL_PORT": "/dev/serial/by-id/zhub-test-no-such-dongle"},
			kind: ErrDevice, key: "serial.port",
			contains: []string{"no such device — is the dongle plugged in?"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ZHUB_DATA_DIR": t.TempDir() + "/data"}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, _, err := Load(LoadOptions{Getenv: envMap(env), SystemPath: t.TempDir() + "/absent"})
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.CheckRuntime()
			if tt.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				entries, err := os.ReadDir(cfg.DataDir)
				if err != nil || len(entries) != 0 {
					t.Errorf("data dir after check: %v %v (want it created and empty)", entries, err)
				}
				return
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			if e, ok := errors.AsType[*Error](err); !ok || e.Key != tt.key {
				t.Errorf("err = %#v, want key %s", err, tt.key)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestCheckRuntimeNoDataDir(t *testing.T) {
	cfg, _, err := Load(LoadOptions{Getenv: envMap(map[string]string{"ZHUB_HTTP_LISTEN": "127.0.0.1:0", "ZHUB_MQTT_ENABLED": "false"}), SystemPath: t.TempDir() + "/absent"})
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckRuntime()
	if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), "set data_dir or ZHUB_DATA_DIR") {
		t.Errorf("err = %v", err)
	}
}
