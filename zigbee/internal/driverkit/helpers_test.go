package driverkit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// logRecorder is a real JSON slog handler writing to a buffer, read back
// record by record.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *logRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func newLog() (*slog.Logger, *logRecorder) {
	r := &logRecorder{}
	return slog.New(slog.NewJSONHandler(r, &slog.HandlerOptions{Level: slog.LevelDebug})), r
}

// events returns the records whose "event" is event, in order.
func (r *logRecorder) events(t testing.TB, event string) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(r.buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["event"] == event {
			out = append(out, m)
		}
	}
	return out
}

// raw returns the log as written.
func (r *logRecorder) raw() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
