package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerRedactsSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, slog.LevelDebug, true).With("module", "test")
	const secret = "s3cr3t-VALUE-42"
	log.Info("login url", "event", "login_url", "url", "http://127.0.0.1:8480/?token="+secret)
	log.Info("auth", "event", "auth", "token", secret, "password", secret, "api_key", secret)
	log.Info("hdr", "event", "hdr", "header", "Bearer "+secret)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Fatalf("secret reached the log:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if m["module"] != "test" || m["event"] == nil {
			t.Errorf("record lacks module/event: %s", line)
		}
	}
}
