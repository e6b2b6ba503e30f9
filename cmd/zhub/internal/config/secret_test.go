package config

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	testKeyHex  = "0123456789abcdef0123456789ABCDEF"
	testPassNew = "correct-horse-battery-staple"
	testAPIKey  = "sk-test-4f1d8c2b9e7a"
)

var testKey = [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}

// TestSecrets: the resolvers return the secret and fail with located errors that never
// contain it.
func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "network.key")
	if err := os.WriteFile(keyFile, []byte("0x"+testKeyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(badFile, []byte("deadbeef-secret-but-short"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		ref      SecretRef
		env      map[string]string
		want     [16]byte
		generate bool
		err      error
		absent   string
	}{
		{name: "generate", ref: KeyGenerate, generate: true},
		{name: "from env", ref: "env:NK", env: map[string]string{"NK": testKeyHex}, want: testKey},
		{name: "from env with colons", ref: "env:NK", env: map[string]string{"NK": "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef"}, want: testKey},
		{name: "env unset", ref: "env:NK", err: ErrSecretNotSet},
		{name: "env malformed", ref: "env:NK", env: map[string]string{"NK": "not-a-key-but-secret"}, err: ErrSecretInvalid, absent: "not-a-key-but-secret"},
		{name: "from file", ref: SecretRef("file:" + keyFile), want: testKey},
		{name: "file missing", ref: SecretRef("file:" + dir + "/none"), err: ErrSecretNotSet},
		{name: "file malformed", ref: SecretRef("file:" + badFile), err: ErrSecretInvalid, absent: "deadbeef"},
		{name: "literal", ref: testKeyHex, err: ErrLiteralSecret, absent: "0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := Load(LoadOptions{Getenv: envMap(tt.env), SystemPath: dir + "/absent"})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Zigbee.NetworkKey = tt.ref
			key, generate, err := cfg.NetworkKey()
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if tt.absent != "" && strings.Contains(err.Error(), tt.absent) {
					t.Errorf("error %q contains the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key != tt.want || generate != tt.generate {
				t.Errorf("got %x %v, want %x %v", key, generate, tt.want, tt.generate)
			}
		})
	}

	t.Run("env secrets", func(t *testing.T) {
		cfg, _, err := loadText(t, "[mqtt]\npassword_env = \"PW\"\n[llm]\napi_key_env = \"KEY\"\n", map[string]string{"PW": testPassNew})
		if err != nil {
			t.Fatal(err)
		}
		if pw, err := cfg.MQTTPassword(); pw != testPassNew || err != nil {
			t.Errorf("MQTTPassword = %q, %v", pw, err)
		}
		_, err = cfg.LLMAPIKey()
		if !errors.Is(err, ErrSecretNotSet) || !strings.Contains(err.Error(), "llm.api_key_env: environment variable KEY is not set") {
			t.Errorf("LLMAPIKey err = %v", err)
		}
		cfg.MQTT.PasswordEnv = ""
		if pw, err := cfg.MQTTPassword(); pw != "" || err != nil {
			t.Errorf("no password configured: %q, %v", pw, err)
		}
	})
}

// TestRedactedHidesSecrets: secrets set in the environment never appear in Redacted or in
// logs, while the output says which references resolve.
func TestRedactedHidesSecrets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "network.key")
	if err := os.WriteFile(keyFile, []byte(testKeyHex), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{testPassNew, testAPIKey, testKeyHex, "0123456789abcdef", "urlpass123"}
	file := `[zigbee]
network_key = "env:ZHUB_NETWORK_KEY"
[mqtt]
url = "mqtt://bob:urlpass123@broker:1883"
password_env = "ZHUB_MQTT_PASSWORD"
[llm]
api_key_env = "ZHUB_LLM_API_KEY"
`
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		notes []string // comments Redacted must show
	}{
		{
			name:  "all set",
			file:  file,
			env:   map[string]string{"ZHUB_MQTT_PASSWORD": testPassNew, "ZHUB_LLM_API_KEY": testAPIKey, "ZHUB_NETWORK_KEY": testKeyHex},
			notes: []string{`password_env = "ZHUB_MQTT_PASSWORD" # set (value hidden)`, `api_key_env = "ZHUB_LLM_API_KEY" # set (value hidden)`, `network_key = "env:ZHUB_NETWORK_KEY" # set (value hidden)`, `url = "mqtt://bob:xxxxx@broker:1883" # password hidden`},
		},
		{
			name:  "none set",
			file:  file,
			notes: []string{`password_env = "ZHUB_MQTT_PASSWORD" # NOT SET`, `api_key_env = "ZHUB_LLM_API_KEY" # NOT SET`, `network_key = "env:ZHUB_NETWORK_KEY" # NOT SET`},
		},
		{
			name:  "network key in a file",
			file:  "[zigbee]\nnetwork_key = \"file:" + keyFile + "\"\n",
			notes: []string{`# file readable (value hidden)`},
		},
		{
			name:  "invalid network key in the environment",
			file:  file,
			env:   map[string]string{"ZHUB_NETWORK_KEY": testPassNew},
			notes: []string{`network_key = "env:ZHUB_NETWORK_KEY" # INVALID: not a 128-bit key`},
		},
		{
			name:  "secret put where a variable name belongs",
			file:  "[mqtt]\npassword_env = \"" + testPassNew + "\"\n",
			notes: []string{`password_env = "<hidden>" # not an environment variable name; value hidden`},
		},
		{
			name:  "override from the environment",
			file:  file,
			env:   map[string]string{"ZHUB_MQTT_PASSWORD_ENV": "OTHER_PW", "OTHER_PW": testPassNew},
			notes: []string{`password_env = "OTHER_PW" # from env ZHUB_MQTT_PASSWORD_ENV; set (value hidden)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadText(t, tt.file, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			out := cfg.Redacted()
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "event", "config_loaded", "config", cfg)
			var text bytes.Buffer
			slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "config", cfg)
			for _, s := range secrets {
				for name, o := range map[string]string{"Redacted": out, "JSON log": logged.String(), "text log": text.String()} {
					if strings.Contains(o, s) {
						t.Errorf("%s shows secret %q:\n%s", name, s, o)
					}
				}
			}
			for _, n := range tt.notes {
				if !strings.Contains(out, n) {
					t.Errorf("Redacted lacks %q:\n%s", n, out)
				}
			}
			if !strings.Contains(logged.String(), `"zigbee":{"channel":11`) {
				t.Errorf("log lacks the config: %s", logged.String())
			}
		})
	}

	t.Run("process environment", func(t *testing.T) {
		t.Setenv("ZHUB_TEST_SECRET_PW", testPassNew)
		cfg := Default()
		cfg.MQTT.PasswordEnv = "ZHUB_TEST_SECRET_PW"
		out := cfg.Redacted()
		if strings.Contains(out, testPassNew) || !strings.Contains(out, "# set (value hidden)") {
			t.Errorf("Redacted:\n%s", out)
		}
		if pw, err := cfg.MQTTPassword(); pw != testPassNew || err != nil {
			t.Errorf("MQTTPassword = %q, %v", pw, err)
		}
	})
}

// TestRedactedRoundTrip: the rendered configuration parses back to the same values.
func TestRedactedRoundTrip(t *testing.T) {
	file := `data_dir = "/srv/zhub \"quoted\"\ttab"
[serial]
adapter = "ezsp"
port = "tcp://192.168.1.50:6638"
rtscts = true
[zigbee]
channel = 25
pan_id = 0x1a62
extended_pan_id = "0x00124b0012345678"
network_key = "file:/etc/zhub/network.key"
[mqtt]
url = "mqtts://broker.lan:8883"
password_env = "MQTT_PW"
[http]
allowed_origins = ["http://ha.local:8123", "https://x.example"]
[llm]
provider = "anthropic"
timeout = "1m30s"
[mcp]
guarded_tools = ["permit_join", "remove_device"]
[log]
format = "json"
`
	cfg, _, err := loadText(t, file, map[string]string{"ZHUB_LOG_LEVEL": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	back, _, err := loadText(t, cfg.Redacted(), nil)
	if err != nil {
		t.Fatalf("Redacted output does not load: %v\n%s", err, cfg.Redacted())
	}
	cfg.meta, back.meta = nil, nil
	if !reflect.DeepEqual(cfg, back) {
		t.Errorf("round trip changed the configuration:\n%+v\n%+v", cfg, back)
	}
}
