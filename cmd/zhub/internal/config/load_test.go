package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// TestLookupOrder: --config, then $ZHUB_CONFIG, then the system path, then defaults.
func TestLookupOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, listen string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("[http]\nlisten = \""+listen+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flag := write("flag.toml", "127.0.0.1:1001")
	env := write("env.toml", "127.0.0.1:1002")
	sys := write("system.toml", "127.0.0.1:1003")
	missing := filepath.Join(dir, "missing.toml")

	tests := []struct {
		name       string
		flag, env  string
		system     string
		wantPath   string
		wantVia    string
		wantListen string
		wantErr    error
	}{
		{"flag wins over env and system", flag, env, sys, flag, "--config", "127.0.0.1:1001", nil},
		{"env wins over system", "", env, sys, env, "$ZHUB_CONFIG", "127.0.0.1:1002", nil},
		{"system path when it exists", "", "", sys, sys, "system path", "127.0.0.1:1003", nil},
		{"defaults when nothing exists", "", "", missing, "", "built-in defaults", "127.0.0.1:8480", nil},
		{"missing flag file is an error even with a system file", missing, "", sys, missing, "--config", "", ErrUnreadable},
		{"missing env file is an error even with a system file", "", missing, sys, missing, "$ZHUB_CONFIG", "", ErrUnreadable},
		{"unreadable system path is an error", "", "", dir, dir, "system path", "", ErrUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, src, err := Load(LoadOptions{
				Flag:       tt.flag,
				Getenv:     envMap(map[string]string{"ZHUB_CONFIG": tt.env, "HOME": "/home/zhub"}),
				SystemPath: tt.system,
			})
			if src.Path != tt.wantPath || src.Via != tt.wantVia || src.FromFile != (tt.wantPath != "") {
				t.Errorf("source = %+v, want path %q via %q", src, tt.wantPath, tt.wantVia)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HTTP.Listen != tt.wantListen {
				t.Errorf("http.listen = %q, want %q", cfg.HTTP.Listen, tt.wantListen)
			}
		})
	}
}

// TestEnvOverridesFile: the environment wins over the file, key by key.
func TestEnvOverridesFile(t *testing.T) {
	file := `data_dir = "/from/file"
[serial]
adapter = "znp"
port = "/dev/ttyUSB0"
[zigbee]
channel = 15
[mqtt]
base_topic = "file"
[http]
listen = "127.0.0.1:1111"
allowed_origins = ["http://file:1"]
`
	cfg, _, err := loadText(t, file, map[string]string{
		"ZHUB_DATA_DIR":             "/from/env",
		"ZHUB_SERIAL_PORT":          "/dev/serial/by-id/usb-env",
		"ZHUB_ZIGBEE_CHANNEL":       "25",
		"ZHUB_MQTT_BASE_TOPIC":      "env",
		"ZHUB_HTTP_LISTEN":          "0.0.0.0:2222",
		"ZHUB_HTTP_ALLOWED_ORIGINS": "http://a:1, http://b:2",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{cfg.DataDir, cfg.Serial.Port, cfg.Serial.Adapter, cfg.Zigbee.Channel, cfg.MQTT.BaseTopic, cfg.HTTP.Listen, cfg.HTTP.AllowedOrigins}
	want := []any{"/from/env", "/dev/serial/by-id/usb-env", "znp", 25, "env", "0.0.0.0:2222", []string{"http://a:1", "http://b:2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestEveryKeyHasEnvOverride: every key of the schema has a ZHUB_ variable that works, so
// a new key cannot ship without one.
func TestEveryKeyHasEnvOverride(t *testing.T) {
	textSamples := map[reflect.Type]struct {
		env  string
		want any
	}{
		reflect.TypeFor[PANID]():         {"0x1a62", PANID(0x1A62)},
		reflect.TypeFor[ExtendedPANID](): {"00:12:4b:00:12:34:56:78", ExtendedPANID(0x00124B0012345678)},
		reflect.TypeFor[SecretRef]():     {"env:MY_NETWORK_KEY", SecretRef("env:MY_NETWORK_KEY")},
	}
	def := Default()
	var names []string
	for _, l := range schema {
		names = append(names, l.env)
		t.Run(l.env, func(t *testing.T) {
			var env string
			var want any
			switch l.kind {
			case kindString:
				env, want = "value-of-"+l.key, "value-of-"+l.key
			case kindInt:
				env, want = "42", 42
			case kindBool:
				b := !l.field(&def).Bool()
				env, want = map[bool]string{true: "true", false: "false"}[b], b
			case kindStrings:
				env, want = "a, b,,c", []string{"a", "b", "c"}
			case kindDuration:
				env, want = "1m30s", 90*time.Second
			case kindText:
				s, ok := textSamples[l.typ]
				if !ok {
					t.Fatalf("no sample value for %s; add one", l.typ)
				}
				env, want = s.env, s.want
			}
			cfg, _, err := Load(LoadOptions{Getenv: envMap(map[string]string{l.env: env}), SystemPath: t.TempDir() + "/absent"})
			if err != nil {
				t.Fatal(err)
			}
			got := l.field(&cfg).Interface()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s=%q: %s = %#v, want %#v", l.env, env, l.key, got, want)
			}
			if o := cfg.origin(l.key); o.env != l.env {
				t.Errorf("origin = %+v, want env %s", o, l.env)
			}
		})
	}
	for _, n := range []string{"ZHUB_DATA_DIR", "ZHUB_HTTP_LISTEN", "ZHUB_SERIAL_PORT", "ZHUB_MQTT_BASE_TOPIC", "ZHUB_ZIGBEE_CHANNEL", "ZHUB_LLM_API_KEY_ENV"} {
		if !slices.Contains(names, n) {
			t.Errorf("no override named %s (have %v)", n, names)
		}
	}
}

// TestDataDir: an empty data_dir is filled from systemd's, XDG's or the home directory.
func TestDataDir(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{"systemd state directory", "", map[string]string{"STATE_DIRECTORY": "/var/lib/zhub", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/var/lib/zhub"},
		{"first of several state directories", "", map[string]string{"STATE_DIRECTORY": "/var/lib/zhub:/var/lib/other"}, "/var/lib/zhub"},
		{"XDG state home", "", map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/zhub"},
		{"relative XDG state home is ignored", "", map[string]string{"XDG_STATE_HOME": "x", "HOME": "/h"}, "/h/.local/state/zhub"},
		{"home", "", map[string]string{"HOME": "/h"}, "/h/.local/state/zhub"},
		{"nothing known", "", map[string]string{}, ""},
		{"file wins over defaults", "data_dir = \"/srv/zhub\"\n", map[string]string{"STATE_DIRECTORY": "/var/lib/zhub"}, "/srv/zhub"},
		{"ZHUB_DATA_DIR wins over all", "data_dir = \"/srv/zhub\"\n", map[string]string{"STATE_DIRECTORY": "/var/lib/zhub", "ZHUB_DATA_DIR": "./zhub-data"}, "./zhub-data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			cfg, _, err := Load(LoadOptions{Flag: path, Getenv: envMap(tt.env)})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DataDir != tt.want {
				t.Errorf("data_dir = %q, want %q", cfg.DataDir, tt.want)
			}
		})
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// examplePath is config.example.toml at the repository root.
func examplePath(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "config.example.toml")
}

// TestExampleConfig: config.example.toml loads and validates, lists every key with a
// comment, and holds the defaults, so documentation and code cannot drift apart.
func TestExampleConfig(t *testing.T) {
	path := examplePath(t)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, src, err := Load(LoadOptions{Flag: path, Getenv: envMap(map[string]string{"HOME": "/h"})})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !src.FromFile {
		t.Fatal("example not read")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	var tree map[string]any
	md, err := toml.Decode(string(text), &tree)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	kl := scanKeyLines(string(text))
	for _, l := range schema {
		if !md.IsDefined(l.path...) {
			t.Errorf("%s is not in config.example.toml", l.key)
			continue
		}
		n := kl.lineOf(l.path)
		if n < 2 || !strings.HasPrefix(strings.TrimSpace(lines[n-2]), "#") {
			t.Errorf("%s (line %d) has no comment line above it", l.key, n)
		}
	}

	// The example holds the defaults: shipping it changes nothing.
	def, _, err := Load(LoadOptions{Getenv: envMap(map[string]string{"HOME": "/h"}), SystemPath: t.TempDir() + "/absent"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.meta, def.meta = nil, nil
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("example differs from the defaults:\n%s\nvs\n%s", cfg.Redacted(), def.Redacted())
	}
}
